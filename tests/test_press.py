"""The press list service: contacts, consent, tags, recipients."""
import pytest
from sqlalchemy import select

from cosign import press
from cosign.models import AuditEvent
from tests.factories import make_user
from tests.press_factories import by_email, contact_by_email, contact_count, make_contact
from tests.sources import PACKAGE, imports


def data(email="ana@example.org", **kw):
    return press.ContactData(email=email, **kw)


# --- tags -----------------------------------------------------------------------

@pytest.mark.parametrize("given, stored", [
    ("Human rights, Iraq", "human rights,iraq"),
    ("  iraq ,IRAQ,, ,  Human \t  Rights ", "human rights,iraq"),
    (["Iraq", "human rights, Press freedom"], "human rights,iraq,press freedom"),
    ("", ""),
    ("!!!, ,", ""),
    ("zeta,alpha,Mid", "alpha,mid,zeta"),
    ("حقوق الإنسان, Iraq", "iraq,حقوق الإنسان"),
    ("bi\u202edi, zero\u200bwidth", "bidi,zero width"),  # a zero-width space stands for a space
])
def test_tags_are_normalised(given, stored):
    assert press.normalise_tags(given) == stored


@pytest.mark.parametrize("given, message", [
    (",".join(f"tag{i}" for i in range(21)), "At most 20 tags"),
    ("x" * 41, "at most 40 characters"),
    (",".join(f"{i:02d}" + "x" * 38 for i in range(20)), "500 characters in all"),
])
def test_bad_tags_are_refused(given, message):
    with pytest.raises(press.PressError) as info:
        press.normalise_tags(given)
    assert info.value.field == "tags" and message in str(info.value)


def test_twenty_tags_of_twenty_characters_fit():
    assert len(press.normalise_tags([f"{i:02d}" + "y" * 18 for i in range(20)]).split(",")) == 20


# --- coordinators' changes -----------------------------------------------------------

def test_add_stores_a_clean_active_contact_and_audits(session):
    user = make_user(session)
    contact = press.add(session, data("  Ana.Reporter@Example.ORG ", name="  Ana   Reporter ",
                                      outlet="The\u200b Daily", language="AR", tags="Iraq, Press"),
                        user.id)
    assert (contact.email, contact.name, contact.outlet, contact.language, contact.tags) == (
        "ana.reporter@example.org", "Ana Reporter", "The Daily", "ar", "iraq,press")
    assert (contact.status, contact.source, contact.confirmed_at) == ("active", "desk", None)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "press-added"))
    assert event.actor_id == user.id and event.statement_id is None
    assert event.detail["email"] == "ana.reporter@example.org"


@pytest.mark.parametrize("fields, field, message", [
    (dict(email="not-an-address"), "email", "not a valid e-mail address"),
    (dict(email=""), "email", "Enter an e-mail address"),
    (dict(email="a" * 250 + "@example.org"), "email", "at most 254"),
    (dict(email="a@example.org", name="N" * 201), "name", "at most 200"),
    (dict(email="a@example.org", outlet="O" * 201), "outlet", "at most 200"),
    (dict(email="a@example.org", language="klingon!"), "language", "not a language code"),
    (dict(email="a@example.org", language="xx"), "language", "not a language code"),
    (dict(email="a@example.org", tags="t" * 41), "tags", "at most 40"),
])
def test_bad_input_names_the_field_and_stores_nothing(session, fields, field, message):
    user = make_user(session)
    with pytest.raises(press.PressError) as info:
        press.add(session, press.ContactData(**fields), user.id)
    assert info.value.field == field and message in str(info.value)
    assert contact_count(session) == 0


def test_duplicate_address_is_refused_whatever_its_case(session):
    user = make_user(session)
    make_contact(session, user, email="ana@example.org", name="First")
    with pytest.raises(press.PressError) as info:
        press.add(session, data("ANA@example.org", name="Second"), user.id)
    assert info.value.field == "email" and "already on the press list" in str(info.value)
    assert contact_count(session) == 1
    assert contact_by_email(session, "ana@example.org").name == "First"


def test_unsubscribed_address_cannot_be_added_or_edited_back(session, frozen_clock):
    user = make_user(session)
    gone = make_contact(session, user, email="gone@example.org", status="unsubscribed")
    other = make_contact(session, user, email="other@example.org")
    for attempt in (
        lambda: press.add(session, data("Gone@example.org"), user.id),
        lambda: press.update(session, gone.id, data("gone@example.org", name="New"), user.id),
        lambda: press.update(session, other.id, data("gone@example.org"), user.id),
    ):
        with pytest.raises(press.PressError) as info:
            attempt()
        assert "unsubscribed on 2026-11-01; only they can subscribe again" in str(info.value)
        assert info.value.field == "email"
    assert contact_by_email(session, "gone@example.org").status == "unsubscribed"
    assert contact_by_email(session, "gone@example.org").name != "New"
    assert contact_by_email(session, "other@example.org").status == "active"


def test_update_changes_details_not_status(session):
    user = make_user(session)
    pending = make_contact(session, user, status="pending", email="p@example.org")
    taken = make_contact(session, user, email="taken@example.org")
    press.update(session, pending.id, data("P2@example.org", name="Pat", tags="Kurds"), user.id)
    contact = contact_by_email(session, "p2@example.org")
    assert (contact.name, contact.tags, contact.status) == ("Pat", "kurds", "pending")
    with pytest.raises(press.PressError):
        press.update(session, contact.id, data("taken@example.org"), user.id)
    assert by_email(session, "p2@example.org") is not None and taken.id
    with pytest.raises(press.ContactNotFound):
        press.update(session, 999_999, data("x@example.org"), user.id)


def test_remove_deletes_also_unsubscribed_contacts(session):
    user = make_user(session)
    active = make_contact(session, user)
    gone = make_contact(session, user, status="unsubscribed")
    press.remove(session, active.id, user.id)
    press.remove(session, gone.id, user.id)
    assert contact_count(session) == 0
    assert len(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "press-removed")).all()) == 2
    with pytest.raises(press.ContactNotFound):
        press.remove(session, active.id, user.id)


def test_search_filters_by_status_tag_and_text(session):
    user = make_user(session)
    make_contact(session, user, email="a@example.org", tags="Iraq", name="Alia")
    make_contact(session, user, email="b@example.org", tags="iraq_x", outlet="Gazette")
    make_contact(session, user, email="c@example.org", tags="iraq", status="unsubscribed")
    emails = lambda page: [c.email for c in page.items]  # noqa: E731
    assert emails(press.search(session)) == ["a@example.org", "b@example.org", "c@example.org"]
    assert emails(press.search(session, tag="iraq")) == ["a@example.org", "c@example.org"]
    assert emails(press.search(session, tag="iraq", status="active")) == ["a@example.org"]
    assert emails(press.search(session, text="gazette")) == ["b@example.org"]
    assert emails(press.search(session, text="ALIA")) == ["a@example.org"]
    assert press.search(session, per_page=2, page=2).items[0].email == "c@example.org"
    assert press.status_counts(session) == {"active": 2, "pending": 0, "unsubscribed": 1}
    with pytest.raises(press.PressError):
        press.search(session, status="bogus")


# --- what the publication service calls --------------------------------------------------

def test_recipients_and_all_tags(session):
    user = make_user(session)
    make_contact(session, user, email="z@example.org", tags="iraq, human rights")
    make_contact(session, user, email="a@example.org", tags="syria")
    make_contact(session, user, email="m@example.org", tags="")
    make_contact(session, user, email="u@example.org", tags="iraq,ghost", status="unsubscribed")
    make_contact(session, user, email="p@example.org", tags="iraq,pending", status="pending")
    make_contact(session, user, email="w@example.org", tags="100%_sure")
    emails = lambda contacts: [c.email for c in contacts]  # noqa: E731
    assert press.recipients(session, "none") == []
    assert emails(press.recipients(session, "all")) == [
        "a@example.org", "m@example.org", "w@example.org", "z@example.org"]
    assert emails(press.recipients(session, "tags", ["Iraq"])) == ["z@example.org"]
    assert emails(press.recipients(session, "tags", ("syria", "human rights"))) == [
        "a@example.org", "z@example.org"]
    assert press.recipients(session, "tags", []) == []
    assert press.recipients(session, "tags", ["nobody"]) == []
    assert press.recipients(session, "tags", ["100__sure"]) == []  # no LIKE wildcards
    assert emails(press.recipients(session, "tags", ["100%_sure"])) == ["w@example.org"]
    assert press.recipients(session, "tags", ["hum"]) == []  # whole tags only
    with pytest.raises(press.PressError):
        press.recipients(session, "everyone")
    assert press.all_tags(session) == ["100%_sure", "human rights", "iraq", "syria"]
    assert "ghost" in press.all_tags(session, include_inactive=True)


def test_the_press_list_needs_neither_the_import_nor_the_subscriptions():
    assert not imports(PACKAGE / "press.py") & {"cosign.press_import", "cosign.subscription"}
