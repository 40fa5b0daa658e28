"""The mail outbox.

:func:`enqueue` renders an e-mail from ``templates/email/<name>.txt`` and
``.html`` and adds it to the outbox in the caller's transaction, so a change
and the mail it causes are committed (or rolled back) together. Delivery
happens after commit (see :mod:`cosign.jobs`): over SMTP when ``MAIL_SERVER``
is set; otherwise the message stays in the outbox, which ``/dev/mail`` shows
in development.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from cosign import clock
from cosign.config import ROOT
from cosign.models import OutboxMessage

TEMPLATES = ROOT / "templates" / "email"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@lru_cache(maxsize=16)
def _environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = Translations.load(str(TRANSLATIONS), [locale])
    if not isinstance(translations, Translations):
        translations = NullTranslations()
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def render(template: str, context: Mapping[str, Any], locale: str = "en") -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an e-mail template.

    The text template's first line is ``Subject: ...``.
    """
    env = _environment(locale)
    text = env.get_template(f"{template}.txt").render(**context)
    html = env.get_template(f"{template}.html").render(**context)
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"templates/email/{template}.txt must begin with a Subject: line")
    return first[len("Subject:"):].strip(), rest.lstrip("\n"), html


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    template: str,
    context: Mapping[str, Any],
    statement_id: int | None = None,
    locale: str = "en",
) -> OutboxMessage:
    """Add a rendered e-mail to the outbox (delivered after the caller commits)."""
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
    )
    session.add(message)
    session.info.setdefault("cosign.new_mail", []).append(message)
    return message


def recent(session: Session, limit: int = 100) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )


def build_message(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = message.recipient
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = message.message_id or make_msgid(domain=domain)
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


def deliver(session: Session, message_id: int, config: Mapping[str, Any]) -> OutboxMessage | None:
    """Send one outbox message over SMTP and record the outcome."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None or not config.get("MAIL_SERVER"):
        return message
    email = build_message(message, config.get("MAIL_DEFAULT_SENDER") or "cosign <noreply@localhost>")
    message.attempts += 1
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(email)
    except (smtplib.SMTPException, OSError) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:500]
        session.commit()
        return message
    message.message_id = email["Message-ID"]
    message.sent_at = clock.now()
    message.last_error = ""
    session.commit()
    return message
