"""The desk's publication pages: publish or schedule, and the distribution to the press."""
import datetime as dt
import re
import time

import pytest
from sqlalchemy import func, select

from cosign import moderation, pdfs, press, publishing, signing
from cosign.models import AuditEvent, OutboxMessage, PressDelivery, Statement
from tests.factories import login, make_statement, make_user
from tests.publication_flow import confirm_form, open_summary, press_button, publish_through_summary


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


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"when": "later", "at": "2026-10-01T10:00", "timezone": "UTC"},
            "The publication time has passed",
        ),
        ({"when": "later", "at": "", "timezone": "UTC"}, "Enter the date and time of publication"),
        ({"when": "later", "at": "not a date", "timezone": "UTC"}, "Not a valid datetime value"),
        ({"when": "now", "timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"when": "now", "timezone": "UTC", "press_selection": "tags"}, "Choose at least one tag"),
        (
            {"when": "now", "timezone": "UTC", "press_selection": "all", "embargoed_copy": "y"},
            "An embargoed copy needs a publication time in the future",
        ),
        ({"when": "sometime", "timezone": "UTC"}, "Not a valid choice"),
    ],
)
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
    assert response.status_code == 422 and "Tick the box to confirm" in response.get_data(
        as_text=True
    )
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
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
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
def smtp_sink():
    from tests.smtp_sink import Sink, start

    handler = Sink()
    controller = start(handler)
    yield controller, handler
    controller.stop()


@pytest.fixture
def app_overrides(request):
    if "csrf" in request.node.name:
        return {"WTF_CSRF_ENABLED": True}
    if "smtp_sink" in request.fixturenames:
        from tests.smtp_sink import mail_config

        return mail_config(request.getfixturevalue("smtp_sink")[0])
    return {}


def test_publication_forms_refuse_posts_without_csrf_token(client, session, run_worker):
    from tests.factories import csrf_login

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
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
    run_worker()
    delivery = session.scalar(select(PressDelivery))
    assert client.post(f"/desk/{slug}/distribution/{delivery.id}/resend").status_code == 400
    session.refresh(delivery)
    assert delivery.sends == 1


# --- the summary before publishing -----------------------------------------------------------

def summary_statement(session):
    """corrected() (3 signatories of version 3, 9 of earlier versions only), an Arabic
    translation, and five press contacts: tagged and untagged, in English, Arabic and French."""
    from cosign import drafting, translating
    from tests.corrections import corrected
    from tests.press_factories import CONTACTS

    owner, statement = corrected(session)
    revision = drafting.current_revision(session, statement)
    translating.add(session, statement, owner.id, "ar", drafting.Text(
        "أوقفوا الاعتقالات", "نحن الموقعين أدناه.", revision.place, revision.date))
    for email, language, tags in CONTACTS:
        press.add(session, press.ContactData(email=email, language=language, tags=tags), owner.id)
    return owner, statement


def cell(page: str, css_class: str) -> str:
    found = re.search(rf'class="{css_class}"[^>]*>(.*?)</(?:dd|p)>', page, re.S)
    assert found, css_class
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def test_the_summary_shows_recipients_signatories_and_the_embargo_in_both_zones(
        client, session, frozen_clock):
    owner, statement = summary_statement(session)
    login(client, owner)
    summary = open_summary(client, statement.slug, {
        "when": "later", "at": "2026-11-03T10:00", "timezone": "Asia/Baghdad",
        "press_selection": "all", "embargoed_copy": "y", "earlier_signers": "omit"})
    assert summary.status_code == 200
    page = summary.get_data(as_text=True)
    # the embargo in the coordinator's zone and in UTC (Baghdad is UTC+3)
    assert cell(page, "embargo-local").strip("\u2068\u2069") == "Nov 3, 2026, 10:00 (Asia/Baghdad)"
    assert cell(page, "embargo-utc").strip("\u2068\u2069") == "Nov 3, 2026, 07:00 UTC"
    # the recipients: per tag, untagged, and the language of the text each gets
    assert "5 recipients each receive one e-mail" in cell(page, "recipients-total")
    assert "An embargoed copy" in page
    rows = [" ".join(r.split()) for r in
            re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1].split("</tbody>")[0], re.S)]
    text = [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in rows]
    assert text == ["gulf 2 1 in English (original text), 1 in Arabic (translation)",
                    "iraq 2 1 in English (original text), 1 in Arabic (translation)",
                    "No tag 2 1 in English (original text), 1 in Arabic (translation)"]
    assert "In all 5 3 in English (original text), 2 in Arabic (translation)" in " ".join(
        re.sub(r"<[^>]+>", " ", page.split("<tfoot>")[1].split("</tfoot>")[0]).split())
    # the signatories printed, and those who have not re-confirmed, left out as chosen
    assert "The PDF prints 3 signatories of version 3" in cell(page, "printed-count")
    earlier = cell(page, "not-reconfirmed")
    assert "9 approved signatories signed an earlier version" in earlier
    assert "They are left out" in earlier
    # nothing stored by the form or the summary
    assert state(session, statement) == ("open", None, "none")
    assert confirm_form(page).disabled  # an embargoed copy goes out now: it waits for the PDF


def test_nothing_is_sent_until_the_summarys_button(client, session, run_worker, smtp_sink):
    _controller, handler = smtp_sink
    owner, statement = summary_statement(session)
    login(client, owner)
    summary = open_summary(client, statement.slug, {
        "when": "now", "timezone": "UTC", "press_selection": "tags", "press_tags": ["iraq"]})
    assert "2 recipients each receive" in summary.get_data(as_text=True)
    run_worker()  # the PDF and its first page; the worker would send anything queued
    summary = client.get(summary.request.full_path)
    page = summary.get_data(as_text=True)
    assert "Publish and send to 2 recipients" in page
    assert 'alt="The first page of the PDF: Stop the arrests, version 3, 3 signatories."' in page
    run_worker()
    assert not [m for m in handler.emails() if "news.example" in m["To"]]
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind.like("press-%"))) == 0
    assert state(session, statement)[0] == "open"
    response = press_button(client, page)
    assert response.status_code == 303 and response.headers["Location"].endswith("/distribution")
    assert state(session, statement)[0] == "published"
    deadline = time.monotonic() + 30
    press_mail = lambda: sorted(m["To"] for m in handler.emails()  # noqa: E731
                                if "news.example" in m["To"])
    while time.monotonic() < deadline and len(press_mail()) < 2:
        run_worker()
    assert press_mail() == ["a@news.example", "b@news.example"]
    # a second press of the same button: it is done, nothing more is sent
    again = press_button(client, page)
    assert again.status_code == 303 and again.headers["Location"].endswith("/distribution")
    run_worker()
    assert len([m for m in handler.emails() if "news.example" in m["To"]]) == 2
    assert "published already" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_stale_summary_is_refused_and_shown_again(client, session, run_worker):
    owner, statement = summary_statement(session)
    login(client, owner)
    run_worker()
    summary = open_summary(client, statement.slug, {
        "when": "now", "timezone": "UTC", "press_selection": "all"})
    page = summary.get_data(as_text=True)
    assert "Publish and send to 5 recipients" in page
    press.add(session, press.ContactData(email="new@news.example", tags="iraq"), owner.id)
    refused = press_button(client, page)
    assert refused.status_code == 409
    again = refused.get_data(as_text=True)
    assert "Something changed since this summary was shown" in again
    assert "Publish and send to 6 recipients" in again  # the new summary
    assert state(session, statement)[0] == "open"
    assert session.scalar(select(func.count()).select_from(PressDelivery)) == 0
    # the signatories change: refused again
    moderation.add(session, session.get(Statement, statement.id), signing.SignOn(
        organisation="Late Union", country="IQ", email="late@org.example", contact_name="L"),
        owner.id)
    assert press_button(client, again).status_code == 409
    assert state(session, statement)[0] == "open"
    # the new summary, once its PDF is made, publishes
    run_worker()
    fresh = client.get(summary.request.full_path).get_data(as_text=True)
    assert "The PDF prints 4 signatories" in fresh
    assert press_button(client, fresh).status_code == 303
    assert state(session, statement)[0] == "published"


def test_publishing_needs_the_summarys_button(client, session, desk):
    _owner, statement = desk
    options = {"when": "now", "timezone": "UTC", "press_selection": "none"}
    # the button's request without what the summary showed
    response = client.post(f"/desk/{statement.slug}/publish/confirm", data=options)
    assert response.status_code == 303 and "/publish/summary?" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Publishing needs the summary&#39;s button" in page
    assert client.post(f"/desk/{statement.slug}/publish/confirm",
                       data=dict(options, fingerprint="0" * 64)).status_code == 409
    assert state(session, statement)[0] == "open"
    # options that are not the form's: back to the form, with a message
    for bad in ({"when": "now", "timezone": "Mars/Olympus", "press_selection": "none"},
                {"when": "sometime"}, {}):
        response = client.get(f"/desk/{statement.slug}/publish/summary", query_string=bad)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/desk/{statement.slug}/publish")
    response = client.get(f"/desk/{statement.slug}/publish/summary", query_string={
        "when": "now", "timezone": "UTC", "press_selection": "tags"})
    assert response.status_code == 303  # the service's message, on the form with its options
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choose at least one tag" in page
    assert re.search(r'<input checked[^>]*value="tags"', page)  # the options kept
    response = client.post(f"/desk/{statement.slug}/publish/confirm", data={"when": "sometime"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/publish")
    assert state(session, statement) == ("open", None, "none")


def test_the_summary_and_the_preview_are_for_members_only(client, session, run_worker):
    owner = make_user(session)
    statement = open_statement(session, owner)
    run_worker()
    slug = statement.slug
    summary = f"/desk/{slug}/publish/summary?when=now&timezone=UTC&press_selection=none"
    assert client.get(summary).status_code == 302  # to the login
    assert client.get(f"/desk/{slug}/publish/preview.png").status_code == 302
    login(client, make_user(session))
    assert client.get(summary).status_code == 404
    assert client.get(f"/desk/{slug}/publish/preview.png").status_code == 404
    assert client.post(f"/desk/{slug}/publish/confirm", data={
        "when": "now", "timezone": "UTC", "press_selection": "none"}).status_code == 404
    client.post("/logout")
    login(client, owner)
    page = client.get(summary).get_data(as_text=True)
    issued = pdfs.latest(session, statement.id)
    assert issued is not None
    assert f"/desk/{slug}/publish/preview.png?pdf={issued.id}" in page
    image = client.get(f"/desk/{slug}/publish/preview.png?pdf={issued.id}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert "no-store" in image.headers["Cache-Control"]
    # another statement's PDF is not served through this one
    other = open_statement(session, make_user(session), approved=2)
    run_worker()
    other_pdf = pdfs.latest(session, other.id)
    assert other_pdf is not None
    assert client.get(f"/desk/{slug}/publish/preview.png?pdf={other_pdf.id}").status_code == 404
    assert state(session, statement)[0] == "open"


def test_the_summarys_button_refuses_posts_without_csrf_token(client, session, run_worker):
    from tests.factories import csrf_login

    owner = make_user(session)
    statement = open_statement(session, owner)
    press.add(session, press.ContactData(email="j@news.example"), owner.id)
    csrf_login(client, owner)
    slug = statement.slug
    run_worker()  # the PDF: the summary's button is there
    page = client.get(f"/desk/{slug}/publish/summary?when=now&timezone=UTC&press_selection=all"
                      ).get_data(as_text=True)
    fields = dict(confirm_form(page).fields)
    assert fields["csrf_token"] and fields["fingerprint"]
    for without in (dict(fields, csrf_token=""), {k: v for k, v in fields.items()
                                                   if k != "csrf_token"}):
        assert client.post(f"/desk/{slug}/publish/confirm", data=without).status_code == 400
    assert state(session, statement)[0] == "open"
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert client.post(f"/desk/{slug}/publish/confirm", data=fields).status_code == 303
    assert state(session, statement)[0] == "published"


def test_a_missing_first_page_is_made_again_by_the_worker(client, app, session, desk, run_worker):
    _owner, statement = desk
    run_worker()
    issued = pdfs.latest(session, statement.id)
    assert issued is not None
    pdfs.preview_path(app.config, issued).unlink()  # e.g. a PDF issued before previews
    url = f"/desk/{statement.slug}/publish/summary?when=now&timezone=UTC&press_selection=none"
    page = client.get(url).get_data(as_text=True)
    assert "the image of its first page is not there yet" in page
    assert '<meta http-equiv="refresh"' in page
    run_worker()
    assert pdfs.preview_path(app.config, issued).read_bytes().startswith(b"\x89PNG")
    page = client.get(url).get_data(as_text=True)
    assert f"preview.png?pdf={issued.id}" in page and '<meta http-equiv="refresh"' not in page
    # "Change the options" leads back to the form with them
    found = re.search(r'href="([^"]+)" class="button secondary"', page)
    assert found is not None, "no link to change the options"
    change = found.group(1)
    form = client.get(change.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="now"', form)
    assert re.search(r'<input checked[^>]*value="none"', form)


@pytest.mark.parametrize("value", [str(2**63), "9" * 1000, "-1", "x", "\u00b2", ""])
def test_a_preview_number_no_pdf_has_is_not_found(client, session, desk, value):
    _owner, statement = desk
    response = client.get(f"/desk/{statement.slug}/publish/preview.png",
                          query_string={"pdf": value})
    assert response.status_code == 404
