"""Journalists subscribing, confirming, unsubscribing and subscribing again."""
import pytest
from sqlalchemy import select

from cosign import press, subscription
from cosign.models import AuditEvent, PressContact
from tests.factories import make_user
from tests.press_factories import (
    SECRET,
    by_email,
    confirm_token,
    contact_by_email,
    contact_count,
    links,
    mail_count,
    make_contact,
)


def subscribe(session, email="ana@example.org", honeypot=False, **kw):
    subscription.subscribe(session, press.ContactData(email=email, **kw), secret_key=SECRET,
                           link_for=links, honeypot=honeypot)


def test_subscribe_then_confirm(session):
    subscribe(session, "Jo@Example.org", name="Jo", outlet="Wire", tags="Iraq")
    contact = contact_by_email(session, "jo@example.org")
    assert (contact.status, contact.source, contact.tags) == ("pending", "subscribe", "iraq")
    assert press.recipients(session, "all") == []
    token = confirm_token(session, "jo@example.org")
    contact, changed = subscription.confirm(session, token, secret_key=SECRET)
    assert changed and contact.status == "active" and contact.confirmed_at is not None
    assert subscription.confirm(session, token, secret_key=SECRET)[1] is False  # reused: no change
    assert [c.email for c in press.recipients(session, "all")] == ["jo@example.org"]


def test_subscribe_answers_every_state_without_harm(session):
    user = make_user(session)
    make_contact(session, user, email="active@example.org", name="Kept")
    subscribe(session, "active@example.org", name="Changed")
    assert mail_count(session, "active@example.org") == 0
    assert contact_by_email(session, "active@example.org").name == "Kept"

    subscribe(session, "pending@example.org")
    subscribe(session, "pending@example.org", name="Second try")
    assert mail_count(session, "pending@example.org") == 2
    assert contact_count(session, PressContact.email == "pending@example.org") == 1

    subscribe(session, "bot@example.org", honeypot=True)
    assert (
        by_email(session, "bot@example.org") is None and mail_count(session, "bot@example.org") == 0
    )

    with pytest.raises(press.PressError) as info:
        subscribe(session, "bad address")
    assert info.value.field == "email"


def test_an_unsubscribed_journalist_can_subscribe_again_and_must_confirm(session):
    gone = make_contact(session, email="gone@example.org", status="unsubscribed")
    subscribe(session, "gone@example.org", name="Back")
    contact = contact_by_email(session, "gone@example.org")
    assert contact.status == "pending" and contact.name == "Back"
    subscription.confirm(session, confirm_token(session, "gone@example.org"), secret_key=SECRET)
    contact = contact_by_email(session, "gone@example.org")
    assert contact.id == gone.id and contact.status == "active"
    assert contact.unsubscribed_at is None


def test_confirmation_links_that_do_not_work(session):
    subscribe(session, "jo@example.org")
    token = confirm_token(session, "jo@example.org")
    with pytest.raises(subscription.LinkExpired):
        subscription.confirm(session, token, secret_key=SECRET, max_age=-1)
    for bad in (token[:-3] + "abc", "garbage",
                press.unsubscribe_token(SECRET, contact_by_email(session, "jo@example.org"))):
        with pytest.raises(subscription.LinkInvalid):
            subscription.confirm(session, bad, secret_key=SECRET)
    with pytest.raises(subscription.LinkInvalid):
        subscription.confirm(session, token, secret_key="another-secret")
    assert contact_by_email(session, "jo@example.org").status == "pending"


def test_a_confirmation_link_does_not_undo_a_later_unsubscription(session):
    subscribe(session, "jo@example.org")
    token = confirm_token(session, "jo@example.org")
    contact = contact_by_email(session, "jo@example.org")
    subscription.unsubscribe(session, press.unsubscribe_token(SECRET, contact), secret_key=SECRET)
    with pytest.raises(press.PressError):
        subscription.confirm(session, token, secret_key=SECRET)
    assert contact_by_email(session, "jo@example.org").status == "unsubscribed"


def test_unsubscribe_and_undo(session, frozen_clock):
    contact = make_contact(session, email="jo@example.org", tags="iraq")
    token = press.unsubscribe_token(SECRET, contact)
    assert subscription.unsubscribe(session, token, secret_key=SECRET) == (contact, True)
    contact = contact_by_email(session, "jo@example.org")
    assert contact.status == "unsubscribed" and contact.unsubscribed_at == frozen_clock.now
    assert subscription.unsubscribe(session, token, secret_key=SECRET)[1] is False  # twice is fine
    assert press.recipients(session, "all") == [] and press.all_tags(session) == []
    frozen_clock.advance(minutes=1)
    assert subscription.resubscribe(session, token, secret_key=SECRET)[1] is True
    contact = contact_by_email(session, "jo@example.org")
    assert contact.status == "active" and contact.unsubscribed_at is None
    assert subscription.resubscribe(session, token, secret_key=SECRET)[1] is False
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("press-%")).order_by(AuditEvent.id)).all()
    assert actions == ["press-added", "press-unsubscribed", "press-resubscribed"]


def test_unsubscribe_tokens_are_bound_to_contact_and_address(session):
    user = make_user(session)
    contact = make_contact(session, user, email="jo@example.org")
    token = press.unsubscribe_token(SECRET, contact)
    with pytest.raises(subscription.LinkInvalid):
        subscription.unsubscribe(session, token[:-2] + "xx", secret_key=SECRET)
    confirm_like = press.contact_token(SECRET, subscription.CONFIRM, contact)
    with pytest.raises(subscription.LinkInvalid):
        subscription.unsubscribe(session, confirm_like, secret_key=SECRET)
    press.update(session, contact.id, press.ContactData("jo.new@example.org"), user.id)
    assert subscription.unsubscribe(session, token, secret_key=SECRET) == (None, False)
    assert contact_by_email(session, "jo.new@example.org").status == "active"
    press.remove(session, contact.id, user.id)
    assert subscription.unsubscribe(session, token, secret_key=SECRET) == (None, False)
    assert subscription.resubscribe(session, token, secret_key=SECRET) == (None, False)


def test_reading_a_confirmation_link_changes_nothing(session):
    """What the page the link opens uses: the contact, or the same errors as confirming."""
    subscribe(session, "jo@example.org")
    token = confirm_token(session, "jo@example.org")
    events = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    contact = subscription.read_confirmation(session, token, secret_key=SECRET)
    assert contact.email == "jo@example.org" and contact.status == "pending"
    with pytest.raises(subscription.LinkExpired):
        subscription.read_confirmation(session, token, secret_key=SECRET, max_age=-1)
    for bad in (token[:-3] + "abc", "garbage"):
        with pytest.raises(subscription.LinkInvalid):
            subscription.read_confirmation(session, bad, secret_key=SECRET)
    session.expire_all()
    assert contact_by_email(session, "jo@example.org").status == "pending"
    assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == events
