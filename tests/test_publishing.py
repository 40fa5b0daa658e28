"""Publication: now or at an embargo's end, and the press mail it sends (real SMTP server)."""
import datetime as dt
import hashlib
import io
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from cosign import distribution, embargo, press, publishing, signing, subscription
from cosign.models import (
    AuditEvent,
    IssuedPdf,
    OutboxMessage,
    PressContact,
    PressDelivery,
    Statement,
)
from tests.factories import make_statement, make_user
from tests.publication_flow import open_statement
from tests.smtp_sink import Sink, mail_config, start


@pytest.fixture
def sink():
    handler = Sink(refuse={"refused@bad.example"})
    controller = start(handler)
    yield controller, handler
    controller.stop()


@pytest.fixture
def app_overrides(request):
    if "sink" in request.fixturenames:
        return mail_config(request.getfixturevalue("sink")[0])
    return {}


def contact(session, owner, address, tags=""):
    return press.add(session, press.ContactData(email=address, name="Journalist", outlet="Daily",
                                                tags=tags), owner.id)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# --- publishing ---------------------------------------------------------------

def test_publish_now_lists_it_and_closes_signing(session):
    owner, statement = open_statement(session)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    session.refresh(statement)
    assert statement.status == "published" and statement.published_at is not None
    assert statement.published_revision == statement.signed_revision
    assert statement.closed_at is not None and not signing.is_open(statement)
    assert session.scalars(publishing.published_query()).all() == [statement]
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "published")) is not None


def test_open_letter_keeps_signing_open(session):
    owner, statement = open_statement(session)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(keep_open=True))
    session.refresh(statement)
    assert statement.status == "published" and signing.is_open(statement)
    assert statement.closed_at is None
    signing.close(session, statement, owner.id)
    assert statement.status == "published" and not signing.is_open(statement)


def test_publishing_needs_confirmation_without_approved_signatories(session):
    owner, statement = open_statement(session, names=())
    with pytest.raises(publishing.NeedsConfirmation) as caught:
        publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    assert caught.value.field == "confirm_empty"
    session.refresh(statement)
    assert statement.status == "open"
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(confirm_empty=True))
    assert statement.status == "published"


@pytest.mark.parametrize("options, field", [
    (dict(at=dt.datetime(2020, 1, 1)), "at"),
    (dict(timezone="Mars/Olympus"), "timezone"),
    (dict(press_selection="everyone"), "press_selection"),
    (dict(press_selection="tags"), "press_tags"),
    (dict(press_selection="all", embargoed_copy=True), "embargoed_copy"),
])
def test_bad_publication_options_store_nothing(session, options, field):
    owner, statement = open_statement(session)
    with pytest.raises(publishing.PublishError) as caught:
        publishing.publish(session, statement, owner.id, publishing.PublishOptions(**options))
    assert caught.value.field == field
    session.rollback()
    session.refresh(statement)
    assert statement.status == "open" and statement.publish_at is None
    assert statement.press_selection == "none"


def test_only_open_or_closed_statements_can_be_published(session):
    owner = make_user(session)
    draft = make_statement(session, owner)
    with pytest.raises(publishing.PublishError):
        publishing.publish(session, draft, owner.id, publishing.PublishOptions(confirm_empty=True))
    _owner, statement = open_statement(session)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    with pytest.raises(publishing.PublishError):
        publishing.publish(session, statement, owner.id, publishing.PublishOptions())


def test_times_are_stored_in_utc_and_shown_in_the_zone():
    local = dt.datetime(2026, 12, 1, 10, 0)
    assert embargo.to_utc(local, "Europe/Berlin") == dt.datetime(2026, 12, 1, 9, 0)
    assert embargo.to_utc(local, "Asia/Baghdad") == dt.datetime(2026, 12, 1, 7, 0)
    assert embargo.in_zone(dt.datetime(2026, 12, 1, 9, 0), "Europe/Berlin").hour == 10
    label = embargo.embargo_label(dt.datetime(2026, 12, 1, 9, 0), "Europe/Berlin")
    assert label == "EMBARGOED UNTIL 2026-12-01 10:00 CET (09:00 UTC)"
    assert embargo.embargo_label(dt.datetime(2026, 12, 1, 9, 0), "UTC") == \
        "EMBARGOED UNTIL 2026-12-01 09:00 UTC"


# --- embargo ---------------------------------------------------------------------

def test_scheduled_publication_happens_at_tick_time(session, client, runner, frozen_clock):
    owner, statement = open_statement(session)
    at = frozen_clock.now + dt.timedelta(hours=2)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(
        at=at, timezone="Asia/Baghdad"))
    slug = statement.slug

    def listed():
        index = client.get("/").get_data(as_text=True)
        feed = client.get("/feed.atom").get_data(as_text=True)
        api = client.get("/api/v1/statements").get_json()
        return (statement.title in index, slug in feed, [s["slug"] for s in api["statements"]])

    page = client.get(f"/s/{slug}")
    assert page.status_code == 200 and page.headers.get("X-Robots-Tag") == "noindex"
    assert listed() == (False, False, [])
    assert client.get(f"/api/v1/statements/{slug}").status_code == 404

    frozen_clock.advance(hours=1, minutes=59)
    assert "published 0 statement(s)" in runner.invoke(args=["cosign", "tick"]).output
    assert listed() == (False, False, [])

    frozen_clock.advance(minutes=1)
    result = runner.invoke(args=["cosign", "tick"])
    assert "published 1 statement(s)" in result.output, result.output
    assert listed() == (True, True, [slug])
    session.expire_all()
    published = session.get(Statement, statement.id)
    assert published.status == "published" and published.published_at == at
    assert published.publish_at is None and not signing.is_open(published)
    assert client.get(f"/api/v1/statements/{slug}").status_code == 200
    assert "X-Robots-Tag" not in client.get(f"/s/{slug}").headers
    # a second tick publishes nothing again
    assert "published 0 statement(s)" in runner.invoke(args=["cosign", "tick"]).output


def test_a_scheduled_publication_can_be_called_off(session, frozen_clock):
    owner, statement = open_statement(session)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(
        at=frozen_clock.now + dt.timedelta(hours=1)))
    publishing.cancel_schedule(session, statement, owner.id)
    frozen_clock.advance(hours=2)
    assert publishing.publish_due(session) == 0
    session.refresh(statement)
    assert statement.status == "open" and statement.publish_at is None


# --- press distribution over a real SMTP server -----------------------------------------

def _pdf_of(message):
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_content()


def test_publication_sends_each_contact_one_mail_with_the_pdf(session, run_worker, sink, client):
    _controller, handler = sink
    owner, statement = open_statement(session)
    for address in ("a@news.example", "b@news.example", "refused@bad.example"):
        contact(session, owner, address)
    press.add(session, press.ContactData(email="other@news.example"), owner.id)
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
    run_worker()  # the embedded worker sends the press mail

    assert wait_for(lambda: len(handler.messages) == 3)
    received = {m["To"]: m for m in handler.emails()}
    assert set(received) == {"a@news.example", "b@news.example", "other@news.example"}
    issued = session.scalar(select(IssuedPdf).where(IssuedPdf.statement_id == statement.id,
                                                    IssuedPdf.watermark == ""))
    for message in received.values():
        assert message["Subject"] == statement.title
        name, data = _pdf_of(message)
        assert name.startswith(statement.slug) and name.endswith(".pdf")
        assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == issued.sha256
        assert len(PdfReader(io.BytesIO(data)).pages) >= 1
        text = message.get_body(("plain",)).get_content()
        assert "We, the undersigned organisations" in text  # the statement's text
        assert "Signatories: 2" in text and issued.code in text and "/verify/" in text
        assert "Hana Press" in text and "press@coalition.example" in text
        assert "contact@" not in text and "Secret Contact" not in text  # no signatory contacts
        assert message["List-Unsubscribe"].startswith("<http") and "/press/unsubscribe/" in \
            message["List-Unsubscribe"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    session.expire_all()
    rows = {r.delivery.email: r for r in distribution.rows(session, statement.id)}
    assert rows["a@news.example"].state == "sent" and rows["a@news.example"].message_id
    refused = rows["refused@bad.example"]
    assert refused.state == "failed" and "550" in refused.error

    # a second run of the publication's distribution sends nothing new
    assert distribution.distribute(session, statement.id, "final", client.application.config) == 0
    time.sleep(0.3)
    assert len(handler.messages) == 3
    assert session.scalar(select(func.count()).select_from(PressDelivery)) == 4

    # opening the unsubscribe link changes nothing; the mail client's one-click POST
    # (RFC 8058, no login, no form) unsubscribes
    url = received["a@news.example"]["List-Unsubscribe"].strip("<>")
    path = url.split("cosign.test", 1)[-1] if "cosign.test" in url else "/" + url.split("/", 3)[3]
    assert client.get(path).status_code == 200
    session.expire_all()
    assert session.scalar(select(PressContact.status).where(
        PressContact.email == "a@news.example")) == "active"
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    session.expire_all()
    assert session.scalar(select(PressContact.status).where(
        PressContact.email == "a@news.example")) == "unsubscribed"


def test_a_resend_sends_the_same_statement_again(session, run_worker, sink, app):
    _controller, handler = sink
    owner, statement = open_statement(session)
    contact(session, owner, "a@news.example")
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
    run_worker()  # the embedded worker sends the press mail
    assert wait_for(lambda: len(handler.messages) == 1)
    delivery = session.scalar(select(PressDelivery))
    distribution.resend(session, statement, delivery.id, owner.id, app.config)
    assert wait_for(lambda: len(handler.messages) == 2)
    session.refresh(delivery)
    assert delivery.sends == 2 and delivery.resent_at is not None


def test_only_contacts_with_a_chosen_tag_receive_it(session, run_worker, app):
    owner, statement = open_statement(session)
    contact(session, owner, "iraq@news.example", tags="iraq, human rights")
    contact(session, owner, "sports@news.example", tags="sports")
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(
        press_selection="tags", press_tags=("iraq",)))
    run_worker()  # the embedded worker sends the press mail
    recipients = session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == "press-final")).all()
    assert recipients == ["iraq@news.example"]


def test_embargoed_copy_goes_out_early_with_a_watermark(
    session, run_worker, sink, runner, frozen_clock
):
    _controller, handler = sink
    owner, statement = open_statement(session)
    contact(session, owner, "a@news.example")
    at = frozen_clock.now + dt.timedelta(days=1)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(
        at=at, timezone="Europe/London", press_selection="all", embargoed_copy=True))
    run_worker()  # the embedded worker sends the press mail
    assert wait_for(lambda: len(handler.messages) == 1)
    early = handler.emails()[0]
    assert early["Subject"].startswith("EMBARGOED UNTIL 2026-11-02 12:00 GMT")
    _name, data = _pdf_of(early)
    reader = PdfReader(io.BytesIO(data))
    assert all("EMBARGOED UNTIL" in page.extract_text() for page in reader.pages)
    watermarked = session.scalar(select(IssuedPdf).where(IssuedPdf.watermark != ""))
    assert hashlib.sha256(data).hexdigest() == watermarked.sha256

    frozen_clock.advance(days=1)
    runner.invoke(args=["cosign", "tick"])
    assert wait_for(lambda: len(handler.messages) == 2)
    final = handler.emails()[1]
    assert final["Subject"] == statement.title
    _name, data = _pdf_of(final)
    assert "EMBARGOED" not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    # ticks after that send nothing more
    runner.invoke(args=["cosign", "tick"])
    time.sleep(0.3)
    assert len(handler.messages) == 2


def test_unsubscribed_contacts_receive_nothing(session, run_worker, app):
    owner, statement = open_statement(session)
    gone = contact(session, owner, "gone@news.example")
    contact(session, owner, "stays@news.example")
    token = press.unsubscribe_token(app.config["SECRET_KEY"], gone)
    subscription.unsubscribe(session, token, secret_key=app.config["SECRET_KEY"])
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
    run_worker()  # the embedded worker sends the press mail
    assert session.scalars(select(PressDelivery.email)).all() == ["stays@news.example"]


# --- corrections ---------------------------------------------------------------

def test_a_correction_is_a_new_version_with_a_public_note(session, client):
    owner, statement = open_statement(session)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    assert publishing.correction(session, statement) is None
    from cosign import drafting

    text = drafting.Text(statement.title, "We, the undersigned organisations, condemn the "
                         "arrest of five journalists in the capital.", "London", None)
    signing.save_new_version(session, statement, owner.id, text, note="five, not four",
                             base_revision=statement.current_revision, secret_key="s",
                             link_for=lambda purpose, value: f"https://cosign.test/{value}")
    correction = publishing.correction(session, statement)
    assert correction is not None and correction.previous == 1 and correction.current == 2
    page = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "corrected on" in page and f"/s/{statement.slug}/changes?from=1&amp;to=2" in page
    changes = client.get(f"/s/{statement.slug}/changes?from=1&to=2")
    assert changes.status_code == 200 and "<ins>five</ins>" in changes.get_data(as_text=True)
    assert client.get(f"/s/{statement.slug}/changes?from=2&to=1").status_code == 404
    assert client.get(f"/s/{statement.slug}/changes?from=1&to=9").status_code == 404


def test_a_distribution_that_never_ran_is_picked_up_by_tick(session, app, runner, monkeypatch):
    owner, statement = open_statement(session)
    contact(session, owner, "a@news.example")
    from cosign import jobs

    # the job dies (e.g. the process was killed) before it queued anything
    monkeypatch.setattr(
        jobs, "distribute", lambda *args: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
    assert session.scalar(select(func.count()).select_from(PressDelivery)) == 0
    monkeypatch.undo()
    assert distribution.sweep(session, app.config) == 1
    assert session.scalars(select(PressDelivery.email)).all() == ["a@news.example"]
    # contacts added later are not sent it unasked
    contact(session, owner, "later@news.example")
    assert distribution.sweep(session, app.config) == 0


@pytest.mark.parametrize("app_overrides", [{"COSIGN_INLINE_MAIL_LIMIT": 3}])
def test_without_a_queue_the_worker_sends_a_long_press_list(session, run_worker, sink, app,
                                                            app_overrides):
    """Without Redis the embedded worker distributes: the first few mails right after its
    commit, the rest in the same round (mail that is due); a web request sends none."""
    controller, handler = sink
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    owner, statement = open_statement(session)
    for n in range(8):
        contact(session, owner, f"j{n}@news.example")
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
    time.sleep(0.3)
    assert len(handler.messages) == 0  # publishing (a request) neither renders nor sends
    run_worker()
    assert wait_for(lambda: len(handler.messages) == 8)
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == [
        f"j{n}@news.example" for n in range(8)
    ]
