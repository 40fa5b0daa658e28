"""Translations of a statement: drafted like its text, each tied to the text it translates.

A statement has one authoritative language (``Statement.language``): signatories
sign that text, and its SHA-256 is what the PDF and ``/verify`` stand for. A
:class:`~cosign.models.Translation` is the statement in another language, with a
history of :class:`~cosign.models.TranslationRevision` rows like the main text's.
Every translation revision records the authoritative revision it translates and
that text's SHA-256; when the authoritative text changes, the translation is
*outdated* (:func:`is_outdated`) until a drafter saves it against the new text.

Service functions take a session and plain values, commit their unit of work and
raise :class:`~cosign.drafting.DraftingError` subclasses.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, database, dispatch, drafting
from cosign.core.language import normalise_language_tag
from cosign.core.names import clean_text
from cosign.drafting import (
    DraftingError,
    EditConflict,
    NothingChanged,
    StatementNotFound,
    Text,
    check_text,
)
from cosign.errors import N_
from cosign.models import Comment, Revision, Statement, Translation, TranslationRevision

__all__ = ["add", "save", "restore", "translations", "get", "current_revision", "revisions",
           "get_revision", "is_outdated", "public_versions", "add_comment", "comments",
           "TranslationExists", "SameLanguage"]


class TranslationExists(DraftingError):
    def __init__(self, language: str) -> None:
        super().__init__(N_("This statement already has a translation in %(language)s."),
                         "language", language=language)


class SameLanguage(DraftingError):
    def __init__(self) -> None:
        super().__init__(N_("This is the language of the authoritative text: choose another "
                            "language for a translation."), "language")


def _language(statement: Statement, language: str) -> str:
    try:
        tag = normalise_language_tag(language or "")
    except ValueError as exc:
        raise DraftingError(N_("Enter a language code such as en, ar, ckb or fr-CA (BCP 47)."),
                            "language") from exc
    if tag.lower() == (statement.language or "").lower():
        raise SameLanguage()
    return tag


def _source(session: Session, statement: Statement, number: int | None) -> Revision:
    """The authoritative revision a translation is made from (the current one by default)."""
    try:
        return drafting.get_revision(session, statement.id, number or statement.current_revision)
    except StatementNotFound as exc:
        raise DraftingError(N_("That version of the authoritative text does not exist; reload "
                               "the page."), "source_revision") from exc


def _row(translation_id: int, number: int, text: Text, source: Revision, author_id: int | None,
         note: str, restored_from: int | None = None) -> TranslationRevision:
    return TranslationRevision(
        translation_id=translation_id, number=number, title=text.title, place=text.place,
        date=text.date, body=text.body, note=clean_text(note or "")[:drafting.MAX_NOTE],
        sha256=text.document().sha256(), source_revision=source.number,
        source_sha256=source.sha256, restored_from=restored_from, author_id=author_id,
        created_at=clock.now())


def _changed(session: Session, statement: Statement) -> None:
    """A translation's PDF shows the current translation: once the statement has PDFs,
    a new revision of a translation wants a render."""
    if statement.signed_revision is not None:
        dispatch.listing_changed(session, statement.id)


def add(session: Session, statement: Statement, actor_id: int, language: str, text: Text, *,
        source_revision: int | None = None, note: str = "") -> Translation:
    """A new translation with its first revision, made from ``source_revision``."""
    tag = _language(statement, language)
    text = check_text(text)
    source = _source(session, statement, source_revision)
    statement_id = statement.id
    database.begin_write(session)
    if session.scalar(select(Translation.id).where(Translation.statement_id == statement_id,
                                                   Translation.language == tag)) is not None:
        session.rollback()
        raise TranslationExists(tag)
    translation = Translation(statement_id=statement_id, language=tag, current_revision=1,
                              created_at=clock.now(), created_by_id=actor_id)
    session.add(translation)
    try:
        session.flush()
    except IntegrityError as exc:  # added by someone else at this moment
        session.rollback()
        raise TranslationExists(tag) from exc
    session.add(_row(translation.id, 1, text, source, actor_id, note))
    _changed(session, statement)
    audit.record(session, statement_id, actor_id, "translation-added", language=tag,
                 source=source.number)
    session.commit()
    return translation


def save(session: Session, statement: Statement, translation: Translation, actor_id: int,
         text: Text, *, source_revision: int | None = None, base_revision: int | None = None,
         note: str = "", restored_from: int | None = None) -> TranslationRevision:
    """The next revision of ``translation``; saving the same text against a newer
    authoritative revision is a revision too (the drafter checked it still matches)."""
    text = check_text(text)
    source = _source(session, statement, source_revision)
    database.begin_write(session)
    session.refresh(translation)
    if base_revision is not None and base_revision != translation.current_revision:
        session.rollback()
        raise EditConflict(translation.current_revision)
    current = get_revision(session, translation.id, translation.current_revision)
    if current.sha256 == text.document().sha256() and current.source_sha256 == source.sha256:
        session.rollback()
        raise NothingChanged()
    number = current.number + 1
    row = _row(translation.id, number, text, source, actor_id, note, restored_from)
    session.add(row)
    translation.current_revision = number
    _changed(session, statement)
    audit.record(session, statement.id, actor_id,
                 "translation-restored" if restored_from else "translation-edited",
                 language=translation.language, revision=number, source=source.number)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise EditConflict(number) from exc
    return row


def restore(session: Session, statement: Statement, translation: Translation, number: int,
            actor_id: int) -> TranslationRevision:
    """A new revision with the text of revision ``number``, still made from its source."""
    old = get_revision(session, translation.id, number)
    return save(session, statement, translation, actor_id, drafting.text_of(old),
                source_revision=old.source_revision, restored_from=number,
                note=f"Restored revision {number}")


def translations(session: Session, statement_id: int) -> list[Translation]:
    return list(session.scalars(select(Translation).where(Translation.statement_id == statement_id)
                                .order_by(Translation.language)))


def get(session: Session, statement_id: int, language: str) -> Translation:
    found = session.scalar(select(Translation).where(Translation.statement_id == statement_id,
                                                     Translation.language == language))
    if found is None:
        raise StatementNotFound(f"translation {language}")
    return found


def exists(session: Session, statement_id: int, language: str) -> bool:
    return session.scalar(select(Translation.id).where(
        Translation.statement_id == statement_id, Translation.language == language)) is not None


def current_revision(session: Session, translation: Translation) -> TranslationRevision:
    return get_revision(session, translation.id, translation.current_revision)


def get_revision(session: Session, translation_id: int, number: int) -> TranslationRevision:
    row = session.scalar(select(TranslationRevision).where(
        TranslationRevision.translation_id == translation_id, TranslationRevision.number == number))
    if row is None:
        raise StatementNotFound(f"translation revision {number}")
    return row


def revisions(session: Session, translation_id: int) -> list[TranslationRevision]:
    return list(session.scalars(select(TranslationRevision)
                                .where(TranslationRevision.translation_id == translation_id)
                                .order_by(TranslationRevision.number.desc())))


def is_outdated(row: TranslationRevision, authoritative_sha256: str) -> bool:
    """Whether the authoritative text changed since this translation was made from it."""
    return row.source_sha256 != authoritative_sha256


def public_versions(session: Session, statement: Statement) -> list[tuple[Translation,
                                                                          TranslationRevision]]:
    """Each translation with its current revision, by language (one query)."""
    rows = session.execute(
        select(Translation, TranslationRevision)
        .join(TranslationRevision, (TranslationRevision.translation_id == Translation.id)
              & (TranslationRevision.number == Translation.current_revision))
        .where(Translation.statement_id == statement.id).order_by(Translation.language)).all()
    return [(t, r) for t, r in rows]


# --- comments on a translation ---------------------------------------------------

def add_comment(session: Session, statement: Statement, translation: Translation, author_id: int,
                key: str, body: str) -> Comment:
    """Comment on a paragraph of the translation's current revision."""
    body = drafting.check_comment(body)
    current = current_revision(session, translation)
    excerpt = drafting.paragraph_excerpt(current.body, key)
    database.begin_write(session)
    comment = Comment(statement_id=statement.id, translation_id=translation.id,
                      revision_number=current.number, paragraph_key=key, excerpt=excerpt,
                      body=body, author_id=author_id, created_at=clock.now())
    session.add(comment)
    session.flush()
    audit.record(session, statement.id, author_id, "commented", comment=comment.id,
                 revision=current.number, language=translation.language)
    session.commit()
    return comment


def comments(session: Session, translation_id: int) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.translation_id == translation_id)
                                .order_by(Comment.created_at, Comment.id)))
