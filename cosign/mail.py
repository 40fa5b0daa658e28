"""The mail outbox.

:func:`enqueue` renders an e-mail from ``templates/email/<name>.txt`` and
``.html`` and adds it to the outbox in the caller's transaction, so a change
and the mail it causes are committed (or rolled back) together. Delivery
happens after commit (see :mod:`cosign.jobs`): over SMTP when ``MAIL_SERVER``
is set; otherwise the message stays in the outbox, which ``/dev/mail`` shows
in development.
"""
from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from cosign import clock, database, embargo, pdfs
from cosign.config import ROOT
from cosign.core.language import text_direction
from cosign.core.moment import moment
from cosign.models import IssuedPdf, OutboxMessage

TEMPLATES = ROOT / "templates" / "email"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@lru_cache(maxsize=16)
def _translations(locale: str) -> NullTranslations:
    translations = Translations.load(str(TRANSLATIONS), [locale])
    return translations if isinstance(translations, Translations) else NullTranslations()


@lru_cache(maxsize=16)
def _environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(_translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


@lru_cache(maxsize=64)
def locale_of(code: str | None) -> str:
    """The catalogue a reader's language tag gets: "ar-IQ" → "ar"; none (or a language without
    a catalogue) → "en"."""
    primary = (code or "").replace("_", "-").split("-")[0].lower()
    if primary and (TRANSLATIONS / primary / "LC_MESSAGES" / "messages.mo").exists():
        return primary
    return "en"


def local_time(value: dt.datetime, zone_name: str, locale: str = "en") -> str:
    """A stored moment (naive UTC) in a reader's time zone and language: "7 Dec 2026, 17:05
    (Asia/Baghdad)", or "7 Dec 2026, 14:05 UTC" (no zone, or one that does not exist)."""
    locale = locale_of(locale)
    gettext = _translations(locale).gettext
    try:
        local = embargo.in_zone(value, zone_name or "UTC")
    except embargo.BadTimeZone:
        zone_name, local = "UTC", embargo.in_zone(value, "UTC")
    if zone_name == "UTC":
        return gettext("%(when)s UTC") % {"when": moment(local, locale)}
    return gettext("%(when)s (%(zone)s)") % {"when": moment(local, locale), "zone": zone_name}


def render(template: str, context: Mapping[str, Any], locale: str = "en") -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an e-mail template, in the reader's language.

    The text template's first line is ``Subject: ...``.
    """
    locale = locale_of(locale)
    env = _environment(locale)
    context = {**context, "mail_lang": locale, "mail_dir": text_direction(locale),
               "format_date": lambda value: format_date(value, "long", locale=locale),
               "local_time": lambda value, zone_name: local_time(value, zone_name, locale)}
    text = env.get_template(f"{template}.txt").render(**context)
    html = env.get_template(f"{template}.html").render(**context)
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"templates/email/{template}.txt must begin with a Subject: line")
    return first[len("Subject:"):].strip(), rest.lstrip("\n"), html


LINK = "\x00cosign-link\x00"  # stands for a link known only after the insert (see prepare)


@dataclass(frozen=True)
class Prepared:
    """An e-mail rendered ahead of the transaction that sends it (:func:`prepare`)."""

    template: str
    subject: str
    text: str
    html: str


def prepare(template: str, context: Mapping[str, Any], locale: str = "en") -> Prepared:
    """Render an e-mail before the write transaction that queues it, so the write lock
    is not held while templates render. A link that needs the new row's id (a signed
    token) is given as :data:`LINK` and filled in by :func:`enqueue_prepared`."""
    subject, text, html = render(template, context, locale)
    return Prepared(template, subject, text, html)


def enqueue_prepared(session: Session, prepared: Prepared, *, kind: str, recipient: str,
                     link: str = "", statement_id: int | None = None) -> OutboxMessage:
    """Queue a prepared e-mail in the caller's transaction, with its link filled in.
    The link is an absolute URL of URL-safe characters (nothing to escape in HTML)."""
    if any(c in link for c in "<>&\"'"):
        raise ValueError("a prepared e-mail's link must not need escaping")
    fill = lambda value: value.replace(LINK, link)  # noqa: E731
    message = OutboxMessage(
        kind=kind, recipient=recipient, subject=fill(prepared.subject),
        body_text=fill(prepared.text), body_html=fill(prepared.html),
        statement_id=statement_id, created_at=clock.now(), next_attempt_at=clock.now(),
    )
    session.add(message)
    session.info.setdefault("cosign.new_mail", []).append(message)
    return message


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    template: str,
    context: Mapping[str, Any],
    statement_id: int | None = None,
    locale: str = "en",
    attachment: tuple[int, str] | None = None,
    list_unsubscribe: str = "",
    extra_attachment: tuple[int, str] | None = None,
) -> OutboxMessage:
    """Add a rendered e-mail to the outbox (delivered after the caller commits).

    ``attachment`` is (issued PDF id, file name): the PDF is attached when the
    message is sent. ``list_unsubscribe`` is a one-click unsubscribe URL
    (RFC 2369 and RFC 8058 headers).
    """
    subject, text, html = render(template, context, locale)
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=subject,
        body_text=text,
        body_html=html,
        statement_id=statement_id,
        created_at=clock.now(),
        next_attempt_at=clock.now(),
        attachment_pdf_id=attachment[0] if attachment else None,
        attachment_name=attachment[1] if attachment else "",
        extra_attachment_pdf_id=extra_attachment[0] if extra_attachment else None,
        extra_attachment_name=extra_attachment[1] if extra_attachment else "",
        list_unsubscribe=list_unsubscribe,
    )
    session.add(message)
    session.info.setdefault("cosign.new_mail", []).append(message)
    return message


def recent(session: Session, limit: int = 100) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )


class MissingAttachment(Exception):
    """The PDF a message should carry is gone (its record was deleted)."""


def attachment_of(session: Session, message: OutboxMessage,
                  config: Mapping[str, Any]) -> list[tuple[str, bytes]] | None:
    """[(file name, bytes)] of the PDFs the message carries (press mail in a translation's
    language carries the authoritative PDF too), or None."""
    if not message.attachment_name:
        return None

    found = []
    for pdf_id, name in ((message.attachment_pdf_id, message.attachment_name),
                         (message.extra_attachment_pdf_id, message.extra_attachment_name)):
        if not name:
            continue
        issued = session.get(IssuedPdf, pdf_id) if pdf_id else None
        if issued is None:
            raise MissingAttachment(f"the attached PDF {name} no longer exists")
        found.append((name, pdfs.file_path(config, issued).read_bytes()))
    return found


def build_message(message: OutboxMessage, sender: str,
                  attachment: tuple[str, bytes] | list[tuple[str, bytes]] | None = None
                  ) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = message.recipient
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = message.message_id or make_msgid(domain=domain)
    if message.list_unsubscribe:
        email["List-Unsubscribe"] = f"<{message.list_unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    if attachment is not None:
        for name, data in ([attachment] if isinstance(attachment, tuple) else attachment):
            email.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return email


# Waits after the 1st, 2nd... failed attempt; after the last, the message is marked failed.
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
           dt.timedelta(hours=2), dt.timedelta(hours=6), dt.timedelta(hours=12))
CLAIM = dt.timedelta(minutes=2)


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


def _send(message: OutboxMessage, config: Mapping[str, Any],
          attachment: list[tuple[str, bytes]] | None = None) -> str:
    """Send over SMTP; the Message-ID. Raises PermanentFailure or a temporary error."""
    sender = config.get("MAIL_DEFAULT_SENDER") or "cosign <noreply@localhost>"
    email = build_message(message, sender, attachment)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                          timeout=float(config.get("MAIL_TIMEOUT") or 30)) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            refused = smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    if refused:
        raise PermanentFailure(f"recipient refused: {refused}")
    return email["Message-ID"]


def _claim(session: Session, message_id: int) -> bool:
    """Take the message for this worker for a while, so no two workers send it."""
    now = clock.now()
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.failed_at.is_(None),
               or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=now + CLAIM)
    )
    session.commit()
    return database.rowcount(result) == 1


def deliver(session: Session, message_id: int, config: Mapping[str, Any]) -> OutboxMessage | None:
    """Send one outbox message (see :func:`attempt`); the message as it is now."""
    return attempt(session, message_id, config)[0]


def attempt(session: Session, message_id: int,
            config: Mapping[str, Any]) -> tuple[OutboxMessage | None, bool]:
    """Send one outbox message over SMTP and record the outcome: (message, sent by this call).

    Temporary failures (connection problems, 4xx) are retried later with
    backoff; permanent ones (5xx) and the last retry mark the message failed.
    """
    if not config.get("MAIL_SERVER") or not _claim(session, message_id):
        return session.get(OutboxMessage, message_id), False  # another worker has it
    message = session.get_one(OutboxMessage, message_id)  # claimed just now: it exists
    session.refresh(message)
    message.attempts += 1
    now = clock.now()
    try:
        message.message_id = _send(message, config, attachment_of(session, message, config))
    except (PermanentFailure, MissingAttachment) as exc:
        message.failed_at, message.last_error = now, str(exc)[:500]
    except (smtplib.SMTPException, OSError) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if message.attempts > len(BACKOFF):
            message.failed_at = now
        else:
            message.next_attempt_at = now + BACKOFF[message.attempts - 1]
    else:
        message.sent_at, message.last_error = now, ""
    message.claimed_until = None
    session.commit()
    return message, message.sent_at is not None


# Mail a person is waiting for, at the screen, goes first; bulk mail (press copies of a
# statement, requests to re-confirm a new text) last; anything else in between.
WAITED_FOR = frozenset({"signature-confirm", "signature-taken", "password-reset",
                        "press-confirm", "invitation"})
BULK_KINDS = frozenset({"signature-reconfirm"})
BULK_PREFIX = "press-"  # press-final, press-embargoed (press-confirm is waited for)


def priority(kind: str) -> int:
    """0: a person is waiting for it; 1: other; 2: bulk. What :func:`due` orders by."""
    if kind in WAITED_FOR:
        return 0
    if kind in BULK_KINDS or kind.startswith(BULK_PREFIX):
        return 2
    return 1


def _priority_order():
    """:func:`priority` as SQL, for the query's ORDER BY."""
    return case((OutboxMessage.kind.in_(sorted(WAITED_FOR)), 0),
                (OutboxMessage.kind.in_(sorted(BULK_KINDS)), 2),
                (OutboxMessage.kind.startswith(BULK_PREFIX, autoescape=True), 2),
                else_=1)


def due(session: Session, limit: int = 100) -> list[int]:
    """Ids of messages waiting to be sent whose time has come: mail a person waits for
    first (:func:`priority`), then oldest first. After an outage, a new confirmation
    mail goes in the first batch, ahead of a backlog of press mail."""
    now = clock.now()
    return list(session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(_priority_order(), OutboxMessage.id).limit(limit)
    ))


def deliver_due(session: Session, config: Mapping[str, Any]) -> int:
    """Try every due message once; the number sent."""
    if not config.get("MAIL_SERVER"):
        return 0
    sent = 0
    for message_id in due(session):
        sent += attempt(session, message_id, config)[1]  # not those another worker sent
    return sent
