"""The summary shown before publishing (cosign.summary) and the first page's image
(cosign.previews), on the real database and with the real worker."""
from __future__ import annotations

import datetime as dt
import io
from typing import cast

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select, update

from cosign import drafting, moderation, pdfs, press, publishing, translating
from cosign import summary as publication_summary
from cosign.models import AuditEvent, OutboxMessage, PressContact, Statement
from cosign.summary import Reading, TagRow
from tests.corrections import corrected, sign_on
from tests.press_factories import CONTACTS, contact_by_email

EN, AR = Reading("en", False, 0), Reading("ar", True, 0)


def n(reading: Reading, count: int) -> Reading:
    return Reading(reading.language, reading.translation, count)


@pytest.fixture
def statement(session):
    """Three signatories of version 3, nine of earlier versions only (corrected()); an
    Arabic translation; five active contacts in four languages, two untagged, and one
    that unsubscribed."""
    owner, statement = corrected(session)
    revision = drafting.current_revision(session, statement)
    translating.add(session, statement, owner.id, "ar",
                    drafting.Text("أوقفوا الاعتقالات", "نحن الموقعين أدناه.", revision.place,
                                  revision.date))
    for email, language, tags in CONTACTS + [("gone@news.example", "en", "iraq")]:
        press.add(session, press.ContactData(email=email, language=language, tags=tags), owner.id)
    session.execute(update(PressContact).where(PressContact.email == "gone@news.example")
                    .values(status="unsubscribed"))
    session.commit()
    return statement


def build(session, statement, **options):
    session.expire_all()
    return publication_summary.build(session, session.get(Statement, statement.id),
                                     publishing.PublishOptions(**options))


def test_recipients_per_tag_and_language_printed_and_earlier_signers(session, statement):
    shown = build(session, statement, press_selection="all")
    assert shown.total == 5
    assert shown.rows == (
        TagRow("gulf", 2, (n(EN, 1), n(AR, 1))),
        TagRow("iraq", 2, (n(EN, 1), n(AR, 1))),
        TagRow("", 2, (n(EN, 1), n(AR, 1))),  # untagged: fr reads the original, ar-IQ the ar
    )
    assert shown.readings == (n(EN, 3), n(AR, 2))
    assert shown.printed == 3 and shown.versions.not_reconfirmed == 9
    assert shown.earlier_signers == "section"

    tagged = build(session, statement, press_selection="tags", press_tags=("iraq",),
                   earlier_signers="omit")
    assert tagged.total == 2 and tagged.tags == ("iraq",)
    assert tagged.rows == (TagRow("iraq", 2, (n(EN, 1), n(AR, 1))),)
    assert tagged.earlier_signers == "omit"

    nobody = build(session, statement)
    assert nobody.total == 0 and nobody.rows == () and not nobody.sends_now


def test_the_counts_come_from_one_aggregate_query(session, statement, app):
    from sqlalchemy import event

    statements = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        press.recipient_counts(session, "all")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    counting = [s for s in statements if "count(" in s.lower()]
    assert len(counting) == 1 and "group by" in counting[0].lower()


def test_the_fingerprint_follows_what_the_summary_shows(session, statement):
    options = {"press_selection": "all"}
    first = build(session, statement, **options).fingerprint
    assert build(session, statement, **options).fingerprint == first
    assert build(session, statement, press_selection="tags", press_tags=("iraq",)).fingerprint \
        != first
    # a contact's language changes: the same count, another text for them
    contact = contact_by_email(session, "d@news.example")
    press.update(session, contact.id, press.ContactData(email=contact.email, language="ar"), None)
    second = build(session, statement, **options).fingerprint
    assert second != first
    # one more approved signatory
    moderation.add(session, session.get(Statement, statement.id), sign_on("New Voices"),
                   session.get(Statement, statement.id).created_by_id)
    assert build(session, statement, **options).printed == 4
    assert build(session, statement, **options).fingerprint != second


def test_a_stale_summary_is_refused_and_nothing_changes(session, statement, frozen_clock):
    at = dt.datetime(2026, 11, 3, 7, 0)
    options = publishing.PublishOptions(at=at, timezone="Asia/Baghdad")
    shown = build(session, statement, at=at, timezone="Asia/Baghdad")
    owner_id = statement.created_by_id
    press.add(session, press.ContactData(email="late@news.example"), owner_id)  # no effect:
    # nothing is sent (no press selection), and the fingerprint holds
    moderation.add(session, session.get(Statement, statement.id), sign_on("Late Union"), owner_id)
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(publication_summary.StaleSummary):
        publication_summary.publish(session, session.get(Statement, statement.id), owner_id,
                                    options, shown.fingerprint)
    session.rollback()
    session.expire_all()
    assert session.get(Statement, statement.id).publish_at is None
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    with pytest.raises(publication_summary.StaleSummary):  # no fingerprint at all
        publication_summary.publish(session, session.get(Statement, statement.id), owner_id,
                                    options, "")
    session.rollback()
    fresh = build(session, statement, at=at, timezone="Asia/Baghdad")
    publication_summary.publish(session, session.get(Statement, statement.id), owner_id, options,
                                fresh.fingerprint)
    session.expire_all()
    assert session.get(Statement, statement.id).publish_at == at
    # the same button again (a double click): nothing more happens
    count = session.scalar(select(func.count()).select_from(AuditEvent))
    publication_summary.publish(session, session.get(Statement, statement.id), owner_id, options,
                                fresh.fingerprint)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == count


def test_sending_waits_for_the_current_pdf_then_sends_that_one(session, statement, app,
                                                               run_worker):
    """Publishing with press mail waits for the current PDF, then sends that one. The
    worker's round that renders it makes its first page as a PNG too: checked there, on that
    render (no second statement rendered for it)."""
    owner_id = statement.created_by_id
    options = publishing.PublishOptions(press_selection="all")
    shown = build(session, statement, press_selection="all")
    assert shown.sends_now and shown.waits_for_pdf
    with pytest.raises(publication_summary.PdfPending):
        publication_summary.publish(session, session.get(Statement, statement.id), owner_id,
                                    options, shown.fingerprint)
    session.rollback()
    run_worker()  # renders the PDF (and its first page), as the worker does
    the_worker_makes_the_first_page_as_a_png_from_the_issued_pdf(session, statement, app)
    ready = build(session, statement, press_selection="all")
    assert ready.pdf_current and not ready.waits_for_pdf
    assert ready.fingerprint != shown.fingerprint  # what is shown now: this PDF
    assert ready.pdf.signatory_count == ready.printed == 3
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "press-final")) == 0
    publication_summary.publish(session, session.get(Statement, statement.id), owner_id, options,
                                ready.fingerprint)
    run_worker()
    sent = session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == "press-final")).all()
    assert sorted(sent) == sorted(email for email, _l, _t in CONTACTS)


def the_worker_makes_the_first_page_as_a_png_from_the_issued_pdf(session, statement, app):
    """After the worker's first round on `statement` (which renders its PDFs)."""
    session.expire_all()
    issued = pdfs.latest(session, statement.id)
    assert issued is not None and pdfs.is_current(session.get(Statement, statement.id), issued)
    path = pdfs.preview_path(app.config, issued)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    page = PdfReader(pdfs.file_path(app.config, issued)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    # the first page at 50 dots per inch (points are 1/72 inch)
    assert abs(image.width - width * 50 / 72) <= 1 and abs(image.height - height * 50 / 72) <= 1
    # not a blank page: the title and the text are drawn
    darkest, lightest = cast(tuple[int, int], image.convert("L").getextrema())  # one band
    assert darkest < 100 and lightest > 200
    # the translation's PDF has none (the summary shows the authoritative one)
    translated = pdfs.latest(session, statement.id, language="ar")
    assert translated is not None and not pdfs.preview_path(app.config, translated).exists()


def test_a_pdf_poppler_cannot_read_gives_no_preview_and_leaves_nothing_behind(tmp_path):
    from cosign import previews

    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"not a pdf")
    assert previews.make(pdf, tmp_path / "x.png") is None
    assert not (tmp_path / "x.png").exists() and list(tmp_path.iterdir()) == [pdf]


def test_a_schedule_set_meanwhile_is_not_overwritten_unseen(session, statement, frozen_clock):
    owner_id = statement.created_by_id
    mine = publishing.PublishOptions(at=dt.datetime(2026, 11, 3, 7, 0), timezone="Asia/Baghdad")
    shown = build(session, statement, at=mine.at, timezone="Asia/Baghdad")
    # another coordinator schedules it otherwise
    publishing.publish(session, session.get(Statement, statement.id), owner_id,
                       publishing.PublishOptions(at=dt.datetime(2026, 11, 5, 9, 0)))
    with pytest.raises(publication_summary.StaleSummary):
        publication_summary.publish(session, session.get(Statement, statement.id), owner_id,
                                    mine, shown.fingerprint)
    session.rollback()
    session.expire_all()
    assert session.get(Statement, statement.id).publish_at == dt.datetime(2026, 11, 5, 9, 0)
