"""The summary shown before a statement is published: what will be sent, to whom, when.

Publishing from the desk takes two steps. The publish form's options are checked
(:func:`cosign.publishing.check`, which stores nothing) and lead to this summary: the
press recipients counted per tag and by the language of the text each will receive, the
number of signatories the PDF prints and of those who signed an earlier version only,
the embargo time, and the PDF's first page (:mod:`cosign.previews`). Only the summary's
own button publishes, and it carries the summary's :attr:`Summary.fingerprint`:
:func:`publish` computes the summary again inside the publication's write transaction
and refuses (:class:`StaleSummary`) when anything in it changed meanwhile.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cosign import distribution, pdfs, press, publishing
from cosign.errors import N_
from cosign.models import IssuedPdf, Statement
from cosign.publishing import PublishError, PublishOptions, VersionCounts


class StaleSummary(PublishError):
    """Something the summary showed changed before its button was pressed."""

    def __init__(self) -> None:
        super().__init__(N_("Something changed since this summary was shown (the recipients, "
                            "the signatories, the text or the PDF). Nothing was published or "
                            "sent: check the summary below again."))


class PdfPending(PublishError):
    def __init__(self) -> None:
        super().__init__(N_("The PDF is being brought up to date. Nothing was published or "
                            "sent: wait until its first page is shown, then publish."))


@dataclass(frozen=True)
class Reading:
    """Recipients who receive the text in one language."""

    language: str  # the text's language (BCP 47)
    translation: bool  # a translation (with the authoritative PDF beside it), or the original
    count: int


@dataclass(frozen=True)
class TagRow:
    """Recipients with one tag (``tag`` empty: those without a tag)."""

    tag: str
    count: int
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Summary:
    options: PublishOptions
    tags: tuple[str, ...]  # the press tags chosen, in their stored form
    total: int  # recipients, each counted once
    rows: tuple[TagRow, ...]  # per tag (a contact with two tags is in both), then untagged
    readings: tuple[Reading, ...]  # every recipient by the language of the text they get
    versions: VersionCounts
    earlier_signers: str  # what becomes of the signatories of an earlier version
    pdf: IssuedPdf | None  # the newest PDF of the authoritative text
    pdf_current: bool  # it shows the statement as it is now
    fingerprint: str
    pdf_earlier_signers: str = "section"  # what the PDF shown does with them

    @property
    def printed(self) -> int:
        """The signatories the PDF prints as signatories of its text version."""
        return self.versions.current

    @property
    def sends_now(self) -> bool:
        """Mail goes out when the button is pressed (the final copy, or an embargoed one)."""
        return self.total > 0 and (self.options.at is None or self.options.embargoed_copy)

    @property
    def waits_for_pdf(self) -> bool:
        """The button waits for the PDF: the press is sent the PDF the summary shows."""
        return self.sends_now and not self.pdf_current

    @property
    def earlier_choice_changes_pdf(self) -> bool:
        """The PDF shown lists the earlier signatories otherwise than chosen: it is made
        again when the statement is published."""
        return self.versions.not_reconfirmed > 0 and self.pdf is not None \
            and self.earlier_signers != self.pdf_earlier_signers


def build(session: Session, statement: Statement, options: PublishOptions) -> Summary:
    """The summary of publishing ``statement`` with ``options`` (already checked by
    :func:`cosign.publishing.check`). Reads only: a few aggregate queries, no contact or
    signature loaded one by one, no file touched."""
    tags = tuple(sorted({t for t in options.press_tags if t}))
    counts = press.recipient_counts(session, options.press_selection, tags)
    available = pdfs.translation_languages(session, statement.id)

    def reading_of(contact_language: str) -> tuple[str, bool]:
        match = distribution.reader_language(contact_language, available)
        return (match, True) if match else (statement.language, False)

    def readings(pairs) -> tuple[Reading, ...]:
        merged: dict[tuple[str, bool], int] = {}
        for key, count in pairs:
            if count:
                merged[key] = merged.get(key, 0) + count
        return tuple(Reading(language, translation, count) for (language, translation), count
                     in sorted(merged.items(), key=lambda item: (item[0][1], item[0][0])))

    shown_tags = tags if options.press_selection == "tags" else tuple(sorted(
        {tag for c in counts for tag in c.tags}))
    rows = [TagRow(tag, sum(c.tags.get(tag, 0) for c in counts),
                   readings((reading_of(c.language), c.tags.get(tag, 0)) for c in counts))
            for tag in shown_tags]
    untagged = sum(c.untagged for c in counts)
    if untagged:
        rows.append(TagRow("", untagged, readings((reading_of(c.language), c.untagged)
                                                  for c in counts)))
    versions = publishing.version_counts(session, statement)
    issued = pdfs.latest(session, statement.id)
    current = pdfs.is_current(statement, issued)
    earlier = options.earlier_signers or statement.earlier_signers
    total = sum(c.total for c in counts)
    sends_now = total > 0 and (options.at is None or options.embargoed_copy)
    payload = {
        "options": [options.at.isoformat() if options.at else None, options.timezone,
                    options.keep_open, options.press_selection, list(tags),
                    options.embargoed_copy, earlier],
        "recipients": [[c.language, c.total, c.untagged, sorted(c.tags.items()), c.id_sum,
                        c.last_change.isoformat() if c.last_change else None] for c in counts],
        "languages": [statement.language, available],
        "text": [statement.signed_revision, statement.signed_sha256],
        # a schedule set meanwhile by another coordinator is not overwritten unseen
        "scheduled": [statement.publish_at.isoformat() if statement.publish_at else None,
                      statement.publish_timezone, statement.press_embargoed_copy],
        "signatories": [versions.current, list(versions.earlier)],
        # the PDF the press is sent, when mail goes out now: the one whose page was shown
        "pdf": (issued.id if current and issued is not None else None) if sends_now else None,
    }
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return Summary(options=options, tags=tags, total=total, rows=tuple(rows),
                   readings=readings((reading_of(c.language), c.total) for c in counts),
                   versions=versions, earlier_signers=earlier, pdf=issued, pdf_current=current,
                   fingerprint=hashlib.sha256(raw.encode()).hexdigest(),
                   pdf_earlier_signers=statement.earlier_signers)


def publish(session: Session, statement: Statement, actor_id: int | None,
            options: PublishOptions, fingerprint: str) -> Statement:
    """Publish (or schedule) as the summary with ``fingerprint`` said: StaleSummary when
    anything in it changed, PdfPending when mail would go out now with a PDF that is not
    up to date; nothing is stored then."""

    def unchanged(session: Session, statement: Statement) -> None:
        now = build(session, statement, options)
        if not fingerprint or now.fingerprint != fingerprint:
            raise StaleSummary()
        if now.waits_for_pdf:
            raise PdfPending()

    return publishing.publish(session, statement, actor_id, options, precondition=unchanged)
