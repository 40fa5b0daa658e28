"""Sending a statement to the press: one e-mail per contact, with the PDF attached.

On publication every selected press contact receives the final PDF; before it,
optionally, an embargoed copy (a separate render with "EMBARGOED UNTIL ..." on
every page). A :class:`~cosign.models.PressDelivery` row per (statement,
address, kind) is unique in the database, so running the distribution again —
a second tick, a retried job, two workers — sends nothing new. Only a
coordinator's resend sends the same statement to an address twice.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from cosign import (
    audit,
    clock,
    database,
    drafting,
    embargo,
    mail,
    pdfs,
    press,
    publishing,
    translating,
)
from cosign.core.markdown import render_markdown
from cosign.errors import N_, UserError
from cosign.models import (
    IssuedPdf,
    OutboxMessage,
    PressContact,
    PressDelivery,
    Revision,
    Statement,
    TranslationRevision,
)

KINDS = ("final", "embargoed")


class DistributionError(UserError):
    """A distribution action cannot be done; the message says why."""


def _site(config: Mapping[str, Any]) -> str:
    return config["COSIGN_SITE_URL"].rstrip("/")


def _watermark(statement: Statement, kind: str) -> str | None:
    """The watermark of this kind of copy, or None when it is not (or no longer) due."""
    if kind == "final":
        return "" if statement.status == "published" else None
    publish_at = statement.publish_at
    if kind == "embargoed" and publish_at is not None and embargo.is_embargoed(statement) \
            and statement.press_embargoed_copy:
        return embargo.embargo_label(publish_at, statement.publish_timezone)
    return None


def _selected(session: Session, statement: Statement) -> list[PressContact]:
    tags = [t for t in (statement.press_tags or "").split(",") if t]
    return press.recipients(session, statement.press_selection, tags)


class PdfNotReady(DistributionError):
    def __init__(self) -> None:
        super().__init__(N_("The PDF is being brought up to date with the list of signatories. "
                            "Nothing was sent: try again in a minute."))


def _pdf(session: Session, statement: Statement, config: Mapping[str, Any], watermark: str,
         render: bool, language: str | None = None) -> IssuedPdf:
    """The PDF to send (``language``: a translation's): rendered now if needed (the worker),
    or the current one (a web request, which never renders: PdfNotReady, and the render is
    asked for)."""
    if render:  # renders unlocked
        return pdfs.issue(session, statement, config, watermark=watermark, language=language)
    issued = pdfs.latest(session, statement.id, watermarked=bool(watermark), language=language)
    if issued is None or not pdfs.is_current(statement, issued) or issued.watermark != watermark:
        pdfs.request_render(session, statement)
        raise PdfNotReady()
    return issued


def distribute(session: Session, statement_id: int, kind: str, config: Mapping[str, Any], *,
               render: bool = True) -> int:
    """Queue the statement for every selected contact who has not had it; how many were queued.

    ``render=False`` (a coordinator's request): only with a current PDF, else
    :class:`PdfNotReady`."""
    statement = session.get(Statement, statement_id)
    if statement is None or kind not in KINDS:
        return 0
    watermark = _watermark(statement, kind)
    if watermark is None:
        session.rollback()
        return 0
    done = set(session.scalars(select(PressDelivery.email).where(
        PressDelivery.statement_id == statement_id, PressDelivery.kind == kind)))
    todo = [c for c in _selected(session, statement) if c.email not in done]
    if not todo:
        session.rollback()
        return 0
    issued = _pdf(session, statement, config, watermark, render)
    issued_id = issued.id
    available = pdfs.translation_languages(session, statement_id)
    # each journalist gets the statement in their language when it has a translation in it
    # (that PDF, with the authoritative one beside it)
    wanted = {match for c in todo if (match := reader_language(c.language, available))}
    translated_ids = {language: _pdf(session, statement, config, watermark, render, language).id
                      for language in sorted(wanted)}
    database.begin_write(session)
    statement = session.get_one(Statement, statement_id)
    session.refresh(statement)
    if _watermark(statement, kind) != watermark:  # called off or changed meanwhile
        session.rollback()
        return 0
    issued = session.get_one(IssuedPdf, issued_id)  # made above
    earlier = _earlier(session, statement, issued)  # one query for every contact
    queued = 0
    for contact in todo:
        delivery = PressDelivery(statement_id=statement_id, contact_id=contact.id,
                                 email=contact.email, kind=kind, issued_pdf_id=issued_id,
                                 created_at=clock.now())
        try:
            with session.begin_nested():
                session.add(delivery)
        except IntegrityError:  # another run sent it meanwhile
            continue
        language = reader_language(contact.language, available)
        translated = session.get(IssuedPdf, translated_ids[language]) if language else None
        delivery.message = _enqueue(session, statement, contact, issued, kind, config,
                                    earlier=earlier, translated=translated)
        queued += 1
    if queued:
        audit.record(session, statement_id, None, "press-sent", kind=kind, count=queued,
                     code=issued.code)
    session.commit()
    return queued


def _earlier(session: Session, statement: Statement,
             issued: IssuedPdf) -> tuple[tuple[int, int], ...]:
    """(earlier version, approved for it) of the signatories the PDF lists apart: the mail
    counts only the PDF's signatories of its text version and mentions these."""
    if statement.earlier_signers != "section" or issued.revision != statement.signed_revision:
        return ()
    return publishing.version_counts(session, statement).earlier


def reader_language(language: str, available: list[str]) -> str | None:
    """The translation a reader of ``language`` gets: the same tag, else the same language
    (``fr-CA`` reads ``fr``); None: the authoritative text."""
    if not language or not available:
        return None
    if language in available:
        return language
    primary = language.split("-")[0].lower()
    return next((a for a in available if a.split("-")[0].lower() == primary), None)


def _enqueue(session: Session, statement: Statement, contact: PressContact, issued: IssuedPdf,
             kind: str, config: Mapping[str, Any],
             earlier: tuple[tuple[int, int], ...] | None = None,
             translated: IssuedPdf | None = None) -> OutboxMessage:
    """The press mail in the contact's language: the text of the translation in it when
    there is one (its PDF attached, and the authoritative PDF beside it)."""
    revision: Revision | TranslationRevision = drafting.get_revision(session, statement.id,
                                                                     issued.revision)
    if translated is not None:
        revision = translating.current_revision(
            session, translating.get(session, statement.id, translated.language))
    site = _site(config)
    token = press.unsubscribe_token(config["SECRET_KEY"], contact)
    unsubscribe = f"{site}/press/unsubscribe/{token}"
    embargo = issued.watermark if kind == "embargoed" else ""
    date = issued.created_at.date().isoformat()
    name = f"{statement.slug}-{'embargoed-' if embargo else ''}{date}.pdf"
    if earlier is None:
        earlier = _earlier(session, statement, issued)
    context = {
        "title": revision.title, "coalition": statement.coalition, "place": revision.place,
        "date": revision.date, "text": revision.body,
        "html": Markup(render_markdown(revision.body)),
        "count": issued.signatory_count, "embargo": embargo, "contact_name": contact.name,
        "press_name": statement.press_name, "press_email": statement.press_email,
        "press_phone": statement.press_phone, "code": issued.code,
        "verify_url": f"{site}/verify/{issued.code}", "statement_url": f"{site}/s/{statement.slug}",
        "pdf_url": (f"{site}/s/{statement.slug}/{translated.language}.pdf" if translated
                    else f"{site}/s/{statement.slug}.pdf"), "unsubscribe_url": unsubscribe,
        "translated_code": translated.code if translated else "",
        "text_language": translated.language if translated else statement.language,
        "file_name": name, "sha256": issued.sha256, "version": issued.revision,
        "earlier": earlier,
        "site_name": config.get("COSIGN_SITE_NAME", "cosign"),
    }
    attachment, extra = (issued.id, name), None
    if translated is not None:
        attachment = (translated.id, name.replace(".pdf", f"-{translated.language}.pdf"))
        extra = (issued.id, name)
    return mail.enqueue(session, kind=f"press-{kind}", recipient=contact.email,
                        template="press_statement", context=context,
                        statement_id=statement.id, attachment=attachment,
                        extra_attachment=extra, list_unsubscribe=unsubscribe,
                        locale=contact.language)


def resend(session: Session, statement: Statement, delivery_id: int, actor_id: int,
           config: Mapping[str, Any], *, render: bool = True) -> PressDelivery:
    """A coordinator sends a delivery again (after a failure, or on request); with
    ``render=False`` only with a current PDF (else :class:`PdfNotReady`)."""
    delivery = session.get(PressDelivery, delivery_id)
    if delivery is None or delivery.statement_id != statement.id:
        raise DistributionError(N_("This recipient is not in the distribution."))
    contact = delivery.contact
    if contact is None or contact.status != "active":
        raise DistributionError(N_("%(email)s is no longer on the press list or has "
                                   "unsubscribed: nothing was sent."), email=delivery.email)
    watermark = _watermark(statement, delivery.kind)
    if watermark is None:
        raise DistributionError(N_("This copy is no longer current: the embargo is over or "
                                   "was called off."))
    issued = _pdf(session, statement, config, watermark, render)
    issued_id = issued.id
    language = reader_language(contact.language, pdfs.translation_languages(session, statement.id))
    translated_id = (_pdf(session, statement, config, watermark, render, language).id
                     if language else None)
    database.begin_write(session)
    delivery = session.get_one(PressDelivery, delivery_id)  # found above
    issued = session.get_one(IssuedPdf, issued_id)  # made above
    contact = delivery.contact
    if contact is None:  # erased meanwhile
        raise DistributionError(N_("%(email)s is no longer on the press list or has "
                                   "unsubscribed: nothing was sent."), email=delivery.email)
    delivery.message = _enqueue(
        session, statement, contact, issued, delivery.kind, config,
        translated=session.get(IssuedPdf, translated_id) if translated_id else None)
    delivery.issued_pdf_id = issued_id
    delivery.sends += 1
    delivery.resent_at = clock.now()
    audit.record(session, statement.id, actor_id, "press-resent", email=delivery.email,
                 kind=delivery.kind)
    session.commit()
    return delivery


def sweep(session: Session, config: Mapping[str, Any]) -> int:
    """Distributions that were due but never ran (the job failed, or its process died).

    Only statements without any delivery of the copy due are picked up, so
    contacts added to the press list after a publication are not sent it
    unasked (the distribution page offers that). Run by ``tick``.
    """
    since = clock.now() - SWEEP_WINDOW
    due = []
    published = session.scalars(select(Statement.id).where(
        Statement.status == "published", Statement.published_at >= since,
        Statement.press_selection != "none"))
    due += [(statement_id, "final") for statement_id in published]
    embargoed = session.scalars(select(Statement.id).where(
        Statement.status != "published", Statement.publish_at.is_not(None),
        Statement.press_embargoed_copy.is_(True), Statement.press_selection != "none"))
    due += [(statement_id, "embargoed") for statement_id in embargoed]
    queued = 0
    for statement_id, kind in due:
        if session.scalar(select(PressDelivery.id).where(
                PressDelivery.statement_id == statement_id, PressDelivery.kind == kind).limit(1)):
            continue
        queued += distribute(session, statement_id, kind, config)
    session.rollback()
    return queued


SWEEP_WINDOW = dt.timedelta(days=2)


@dataclass(frozen=True)
class Row:
    """One line of the distribution page."""

    delivery: PressDelivery
    state: str  # queued | sent | failed
    when: dt.datetime | None
    message_id: str
    error: str


def rows(session: Session, statement_id: int) -> list[Row]:
    deliveries = session.scalars(
        select(PressDelivery).where(PressDelivery.statement_id == statement_id)
        .options(joinedload(PressDelivery.message), joinedload(PressDelivery.contact))
        .order_by(PressDelivery.kind, PressDelivery.email)
    ).all()
    result = []
    for delivery in deliveries:
        message = delivery.message
        if message is None:
            result.append(Row(delivery, "failed", None, "", ""))
        elif message.sent_at:
            result.append(Row(delivery, "sent", message.sent_at, message.message_id, ""))
        elif message.failed_at:
            result.append(Row(delivery, "failed", message.failed_at, "", message.last_error))
        else:
            result.append(Row(delivery, "queued", message.next_attempt_at, "", message.last_error))
    return result


def awaiting_first_run(session: Session, statement: Statement) -> bool:
    """The statement's press distribution is due and has not run yet: the worker's sweep
    is about to make the PDF and queue the mail (a request never does)."""
    kind = "final" if statement.status == "published" else "embargoed"
    if statement.press_selection == "none" or _watermark(statement, kind) is None:
        return False
    return session.scalar(select(PressDelivery.id).where(
        PressDelivery.statement_id == statement.id, PressDelivery.kind == kind).limit(1)) is None


def pending_count(session: Session, statement: Statement) -> int:
    """Selected contacts who have not received the current kind of copy yet."""
    kind = "final" if statement.status == "published" else "embargoed"
    if _watermark(statement, kind) is None:
        return 0
    done = set(session.scalars(select(PressDelivery.email).where(
        PressDelivery.statement_id == statement.id, PressDelivery.kind == kind)))
    return sum(1 for c in _selected(session, statement) if c.email not in done)
