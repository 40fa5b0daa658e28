"""A statement's share card: made by the worker, kept in storage, served as it is.

The card (:mod:`cosign.core.card`) shows the signed text's title, the coalition and
the public count of signatories (approved, bound to the signed text: the number the
public page shows), in the statement's language. It is made right after the
statement's PDF, under the same render lease (:func:`cosign.pdfs.render_wanted`), so a
burst of sign-ons makes one card, never inside a request. Only statements whose public
page exists have one: not drafts.

One file per statement, ``<COSIGN_STORAGE_DIR>/cards/<id>.png``, replaced atomically
(written beside it, then renamed): while a new card is made the old one is served. The
card's key (a SHA-256 of its inputs and layout) is kept in the PNG itself, so an
unchanged card is never made again.
"""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from cosign import database, drafting, signatories
from cosign.core.card import Card, card_key, card_png, stored_key
from cosign.models import Statement

log = logging.getLogger(__name__)

VISIBLE = ("open", "closed", "published")  # as the public page (cosign.web.public)


def enabled(config: Mapping) -> bool:
    return bool(config.get("COSIGN_SHARE_CARDS", True))


def storage_dir(config: Mapping) -> Path:
    return Path(config["COSIGN_STORAGE_DIR"]) / "cards"


def path_of(config: Mapping, statement_id: int) -> Path:
    return storage_dir(config) / f"{int(statement_id)}.png"


def version_of(config: Mapping, statement_id: int) -> str | None:
    """A short token that changes with each new card of the statement (for the card's
    address in link previews, whose caches keep an image by its URL), or None when the
    statement has no card yet. One ``stat``; nothing is rendered."""
    try:
        stat = path_of(config, statement_id).stat()
    except OSError:
        return None
    return f"{stat.st_mtime_ns:x}{stat.st_size:x}"[-16:]


def is_public(statement: Statement) -> bool:
    """Whether the statement's public page exists (so may its card)."""
    return statement.status in VISIBLE and statement.signed_revision is not None


def card_for(session: Session, statement: Statement, site_name: str) -> Card:
    """What the statement's card shows now: public data only."""
    revision = drafting.signed_revision(session, statement)
    count = signatories.approved_counts(session, [statement.id])[statement.id]
    return Card(title=revision.title, coalition=statement.coalition or "", count=count,
                language=statement.language, site_name=site_name)


def read(session: Session, statement_id: int, config: Mapping) -> Card | None:
    """The card's inputs, read in one read-only transaction that is then ended; None when
    the statement has no public page."""
    session.rollback()
    with database.write_intent(False):
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        statement = session.get(Statement, statement_id)
        card = (card_for(session, statement, config.get("COSIGN_SITE_NAME") or "cosign")
                if statement is not None and is_public(statement) else None)
        session.rollback()
    return card


def refresh(session: Session, statement_id: int, config: Mapping, *,
            render: Callable[[Card], bytes] | None = None) -> bool:
    """Make the statement's card if it is missing or shows something else than the
    statement now does. For the worker: the inputs are read, then the card is rendered
    and written with no transaction open. True if a new card was written."""
    card = read(session, statement_id, config)
    if card is None:
        return False
    target = path_of(config, statement_id)
    key = card_key(card)
    if stored_key(target) == key:
        return False
    data = (render or card_png)(card)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.stem}.{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return True


def refresh_quietly(session: Session, statement_id: int, config: Mapping) -> bool:
    """:func:`refresh` for the render job: a card that cannot be made is logged, and the
    PDF it follows is not held up by it."""
    if not enabled(config):
        return False
    try:
        return refresh(session, statement_id, config)
    except Exception:  # any failure: log it, keep the old card
        session.rollback()
        log.exception("the share card of statement %s could not be made", statement_id)
        return False
