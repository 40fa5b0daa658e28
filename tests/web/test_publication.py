"""The desk's publication pages: publish or schedule, and the distribution to the press."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from cosign import moderation, press, publishing, signing
from cosign.models import AuditEvent, OutboxMessage, PressDelivery, Statement
from tests.factories import make_statement, make_user, login
from tests.publication_flow import (confirm_form, open_summary, press_button,
                                    publish_through_summary)


def open_statement(session, owner, approved=1):
    statement = make_statement(session, owner, coalition="The Coalition")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    for n in range(approved):
        moderation.add(session, statement, signing.SignOn(
            organisation=f"Organisation {n}", country="IQ", email=f"o{n}@example.org",
            contact_name="C"), owner.id)
    return statement


@pytest.fixture
def desk(client, session):
    owner = make_user(session)
    statement = open_statement(session, owner)
    login(client, owner)
    return owner, statement


def state(session, statement):
    session.expire_all()
    s = session.get(Statement, statement.id)
    return s.status, s.publish_at, s.press_selection


def test_publish_page_needs_a_member(client, session):
    owner = make_user(session)
    statement = open_statement(session, owner)
    assert client.get(f"/desk/{statement.slug}/publish").status_code == 302  # to the login
    login(client, make_user(session))
    assert client.get(f"/desk/{statement.slug}/publish").status_code == 404
    assert client.post(f"/desk/{statement.slug}/publish", data={"when": "now"}).status_code == 404
    assert client.get(f"/desk/{statement.slug}/distribution").status_code == 404
    assert state(session, statement)[0] == "open"


def test_publish_now_from_the_desk(client, session, desk, run_worker):
    owner, statement = desk
    press.add(session, press.ContactData(email="j@news.example", tags="iraq"), owner.id)
    page = client.get(f"/desk/{statement.slug}/publish").get_data(as_text=True)
    assert "1 signatory is approved now" in page and "iraq" in page
    summary = open_summary(client, statement.slug, {
        "when": "now", "timezone": "UTC", "press_selection": "all"})
    assert state(session, statement)[0] == "open"  # the form published nothing
    assert confirm_form(summary.get_data(as_text=True)).disabled  # the PDF is not made yet
    run_worker()  # the worker makes it, and its first page
    summary = client.get(summary.request.full_path)
    response = press_button(client, summary.get_data(as_text=True))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/desk/{statement.slug}/distribution")
    assert state(session, statement)[0] == "published"
    run_worker()  # the embedded worker renders the PDF and queues the press mail
    page = client.get(f"/desk/{statement.slug}/distribution").get_data(as_text=True)
    assert "j@news.example" in page and "queued" in page  # no MAIL_SERVER in tests: it waits
    # the coordinator can resend it
    delivery = session.scalar(select(PressDelivery))
    response = client.post(f"/desk/{statement.slug}/distribution/{delivery.id}/resend")
    assert response.status_code == 303
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == "j@news.example")) == 2
    # and the public sees it
    assert statement.title in client.get("/").get_data(as_text=True)


def test_schedule_in_the_coordinators_time_zone(client, session, desk, frozen_clock):
    owner, statement = desk
    response = publish_through_summary(client, statement.slug, {
        "when": "later", "at": "2026-11-03T10:00", "timezone": "Asia/Baghdad",
        "press_selection": "none"})
    assert response.status_code == 303
    status, publish_at, _press = state(session, statement)
    assert status == "open" and publish_at == dt.datetime(2026, 11, 3, 7, 0)  # UTC+3
    page = client.get(f"/desk/{statement.slug}/distribution").get_data(as_text=True)
    assert "Asia/Baghdad" in page and "10:00" in page and "07:00" in page
    form = client.get(f"/desk/{statement.slug}/publish").get_data(as_text=True)
    assert 'value="2026-11-03T10:00"' in form  # shown back in the zone it was given in
    # the coordinator's zone is remembered for next time
    from cosign.models import User

    assert session.get(User, owner.id).timezone == "Asia/Baghdad"
    # and can be called off
    assert client.post(f"/desk/{statement.slug}/publish/cancel").status_code == 303
    assert state(session, statement)[1] is None


@pytest.mark.parametrize("data, message", [
    ({"when": "later", "at": "2026-10-01T10:00", "timezone": "UTC"}, "The publication time has passed"),
    ({"when": "later", "at": "", "timezone": "UTC"}, "Enter the date and time of publication"),
    ({"when": "later", "at": "not a date", "timezone": "UTC"}, "Not a valid datetime value"),
    ({"when": "now", "timezone": "Mars/Olympus"}, "Not a valid choice"),
    ({"when": "now", "timezone": "UTC", "press_selection": "tags"}, "Choose at least one tag"),
    ({"when": "now", "timezone": "UTC", "press_selection": "all", "embargoed_copy": "y"},
     "An embargoed copy needs a publication time in the future"),
    ({"when": "sometime", "timezone": "UTC"}, "Not a valid choice"),
])
def test_bad_publication_input_gets_a_message_and_stores_nothing(client, session, desk,
                                                                  frozen_clock, data, message):
    _owner, statement = desk
    data.setdefault("press_selection", "none")
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post(f"/desk/{statement.slug}/publish", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert state(session, statement) == ("open", None, "none")
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_publishing_without_approved_signatories_asks_to_confirm(client, session):
    owner = make_user(session)
    statement = open_statement(session, owner, approved=0)
    login(client, owner)
    page = client.get(f"/desk/{statement.slug}/publish").get_data(as_text=True)
    assert "without a single name" in page
    response = client.post(f"/desk/{statement.slug}/publish", data={
        "when": "now", "timezone": "UTC", "press_selection": "none"})
    assert response.status_code == 422 and "Tick the box to confirm" in response.get_data(as_text=True)
    assert state(session, statement)[0] == "open"
    response = publish_through_summary(client, statement.slug, {
        "when": "now", "timezone": "UTC", "press_selection": "none", "confirm_empty": "y"})
    assert response.status_code == 303 and state(session, statement)[0] == "published"


def test_a_published_statement_goes_to_its_distribution_page(client, session, desk):
    owner, statement = desk
    publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    response = client.get(f"/desk/{statement.slug}/publish")
    assert response.status_code == 302 and response.headers["Location"].endswith("/distribution")


def test_contacts_added_after_publication_can_be_sent_the_statement(client, session, desk,
                                                                   run_worker):
    owner, statement = desk
    press.add(session, press.ContactData(email="first@news.example"), owner.id)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(press_selection="all"))
    run_worker()
    press.add(session, press.ContactData(email="later@news.example"), owner.id)
    page = client.get(f"/desk/{statement.slug}/distribution").get_data(as_text=True)
    assert "1 selected contact has not received it yet" in page
    assert client.post(f"/desk/{statement.slug}/distribution/send").status_code == 303
    assert sorted(session.scalars(select(PressDelivery.email))) == ["first@news.example",
                                                                     "later@news.example"]
    page = client.get(f"/desk/{statement.slug}/distribution").get_data(as_text=True)
    assert "has not received it yet" not in page


def test_a_published_statement_has_link_preview_tags(client, session, desk):
    owner, statement = desk
    publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    page = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert f'<meta property="og:title" content="{statement.title}">' in page
    assert '<meta property="og:description" content="We, the undersigned organisations' in page
    assert '<meta name="twitter:card" content="summary">' in page
    assert '<meta property="og:site_name" content="cosign">' in page
    assert "Published " in page


@pytest.fixture
def app_overrides(request):
    if "csrf" in request.node.name:
        return {"WTF_CSRF_ENABLED": True}
    return {}


def test_publication_forms_refuse_posts_without_csrf_token(client, session, run_worker):
    from tests.web.test_csrf import csrf_login

    owner = make_user(session)
    statement = open_statement(session, owner)
    press.add(session, press.ContactData(email="j@news.example"), owner.id)
    csrf_login(client, owner)
    slug = statement.slug
    assert client.post(f"/desk/{slug}/publish", data={
        "when": "now", "timezone": "UTC", "press_selection": "all"}).status_code == 400
    assert state(session, statement)[0] == "open"
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(
        at=dt.datetime(2030, 1, 1), press_selection="all"))
    assert client.post(f"/desk/{slug}/publish/cancel").status_code == 400
    assert client.post(f"/desk/{slug}/distribution/send").status_code == 400
    assert state(session, statement)[1] == dt.datetime(2030, 1, 1)
    publishing.cancel_schedule(session, statement, owner.id)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(press_selection="all"))
    run_worker()
    delivery = session.scalar(select(PressDelivery))
    assert client.post(f"/desk/{slug}/distribution/{delivery.id}/resend").status_code == 400
    session.refresh(delivery)
    assert delivery.sends == 1
