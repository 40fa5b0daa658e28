"""Drafting a statement together: statements, revisions, restore, comments.

Service functions take a SQLAlchemy session and plain values, commit their
unit of work, return model objects and raise the named exceptions below.
Access control (who is a member) lives in :mod:`cosign.membership`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, collation, dispatch
from cosign.core.document import StatementText, paragraph_key, paragraphs
from cosign.core.language import normalise_language_tag
from cosign.core.markdown import find_unsafe_content
from cosign.core.names import clean_text
from cosign.core.slug import is_valid_slug, slugify
from cosign.errors import N_, UserError
from cosign.models import Comment, Membership, Revision, Statement, TranslationRevision

MAX_TITLE = 300
MAX_BODY = 100_000
MAX_NOTE = 500
MAX_COMMENT = 5_000
MAX_LINE = 200
MAX_SIGNATURE_GOAL = 1_000_000


class DraftingError(UserError):
    """The input cannot be saved; ``field`` names the form field at fault."""


class SlugTaken(DraftingError):
    def __init__(self, slug: str):
        super().__init__(N_("The address “%(slug)s” is taken by another statement."), "slug",
                         slug=slug)


class NothingChanged(DraftingError):
    def __init__(self) -> None:
        super().__init__(N_("Nothing has changed since the current revision."))


class EditConflict(DraftingError):
    """Someone saved a newer revision after the editor opened the form."""

    def __init__(self, current: int):
        super().__init__(
            N_("Revision %(current)d was saved by someone else while you were editing. "
               "Your text was not saved; compare and merge your changes, then save again."),
            current=current,
        )
        self.current = current


class StatementNotFound(LookupError):
    """No such statement, or the user may not see it (both look the same)."""


class NotEditable(DraftingError):
    def __init__(self) -> None:
        super().__init__(N_("This statement is no longer a draft; its text cannot be edited here."))


@dataclass(frozen=True)
class Text:
    """The revisioned part of a statement."""

    title: str
    body: str
    place: str = ""
    date: dt.date | None = None

    def document(self) -> StatementText:
        return StatementText(
            title=self.title,
            body=self.body,
            place=self.place,
            date_line=self.date.isoformat() if self.date else "",
        )


def _clean_line(value: str) -> str:
    """One line without bidi controls or zero-width characters, as names are cleaned."""
    return clean_text(value)


def check_text(text: Text) -> Text:
    """The text tidied, or DraftingError naming the field at fault."""
    title = _clean_line(text.title)
    if not title:
        raise DraftingError(N_("A title is required."), "title")
    if len(title) > MAX_TITLE:
        raise DraftingError(N_("The title may have at most %(max)d characters."), "title",
                            max=MAX_TITLE)
    body = (text.body or "").replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise DraftingError(N_("The text of the statement is empty."), "body")
    if len(body) > MAX_BODY:
        raise DraftingError(N_("The text may have at most %(max)d characters."), "body",
                            max=MAX_BODY)
    problems = find_unsafe_content(body)
    if problems:
        raise unsafe_error(problems)
    place = _clean_line(text.place)
    if len(place) > MAX_LINE:
        raise DraftingError(N_("The place may have at most %(max)d characters."), "place",
                            max=MAX_LINE)
    return Text(title=title, body=body, place=place, date=text.date)


def unsafe_error(problems) -> DraftingError:
    """The error for Markdown that contains code or links that are not allowed."""
    kinds = {problem.value for problem, _detail in problems}
    if kinds & {"script", "embedded", "event-handler"}:
        return DraftingError(
            N_("The text contains HTML code (such as a script) that is not allowed; "
               "write plain text with Markdown formatting instead."), "body")
    found = ", ".join(sorted({d for p, d in problems if p.value == "link-scheme"}))
    return DraftingError(N_("Links must start with https:// or mailto: (found: %(found)s)."),
                         "body", found=found)


def check_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not is_valid_slug(slug):
        raise DraftingError(
            N_("The address may contain only lower-case letters, digits and single hyphens "
               "(3 to 80 characters)."),
            "slug",
        )
    return slug


def _free_slug(session: Session, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not taken."""
    taken = set(
        session.scalars(select(Statement.slug).where(Statement.slug.like(f"{base}%")))
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_statement(
    session: Session,
    author_id: int,
    text: Text,
    *,
    slug: str | None = None,
    language: str = "en",
    coalition: str = "",
    press_name: str = "",
    press_email: str = "",
    press_phone: str = "",
    note: str = "",
    commit: bool = True,
) -> Statement:
    """A new draft with revision 1, its author as owner (``commit=False``: the caller
    commits, adding to the same transaction)."""
    text = check_text(text)
    if slug:
        slug = check_slug(slug)
        if session.scalar(select(Statement.id).where(Statement.slug == slug)) is not None:
            raise SlugTaken(slug)
    else:
        slug = _free_slug(session, slugify(text.title))
    try:
        language = normalise_language_tag(language or "en")
    except ValueError as exc:
        raise DraftingError(
            N_("Enter a language code such as en, ar, ckb or fr-CA (BCP 47)."), "language"
        ) from exc
    now = clock.now()
    statement = Statement(
        slug=slug,
        title=text.title,
        language=language,
        coalition=_clean_line(coalition),
        press_name=_clean_line(press_name),
        press_email=(press_email or "").strip(),
        press_phone=_clean_line(press_phone),
        status="draft",
        current_revision=1,
        created_at=now,
        created_by_id=author_id,
        updated_at=now,
        updated_by_id=author_id,
    )
    session.add(statement)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise SlugTaken(slug) from exc
    session.add(Membership(statement_id=statement.id, user_id=author_id, role="owner",
                           created_at=now))
    session.add(_revision(statement.id, 1, text, author_id, note, now))
    audit.record(session, statement.id, author_id, "created", slug=slug, title=text.title)
    if commit:
        session.commit()
    return statement


# what a copy takes from its source besides the text: the language, the letterhead, and
# how it is signed, printed and sent to the press
COPIED_SETTINGS = ("language", "coalition", "logo_file", "auto_approve", "allow_individuals",
                   "public_list", "visibility", "pdf_page_size", "pdf_columns", "pdf_grouping",
                   "pdf_order", "earlier_signers", "require_domain_verified", "press_selection",
                   "press_tags", "press_embargoed_copy")
PRESS_CONTACT = ("press_name", "press_email", "press_phone")


def copy_statement(session: Session, source: Statement, author_id: int, *,
                   press_contact: bool = True) -> Statement:
    """A new draft from ``source``: its current text (without the date, which is the old
    statement's), its settings (:data:`COPIED_SETTINGS`) and, with ``press_contact``, its
    press contact. Nothing of who signed, commented, translated or drafted it: the author
    is the only member of the copy, and it is a draft with revision 1. One transaction."""
    revision = current_revision(session, source)
    text = Text(revision.title, revision.body, revision.place, None)
    copy = create_statement(session, author_id, text, language=source.language,
                            coalition=source.coalition, commit=False,
                            note=f"copy of {source.slug}, revision {revision.number}")
    for name in COPIED_SETTINGS + (PRESS_CONTACT if press_contact else ()):
        setattr(copy, name, getattr(source, name))
    audit.record(session, copy.id, author_id, "copied", source=source.slug,
                 revision=revision.number, press_contact=press_contact)
    session.commit()
    return copy


def _revision(statement_id, number, text: Text, author_id, note, now,
              restored_from=None) -> Revision:
    return Revision(
        statement_id=statement_id,
        number=number,
        title=text.title,
        place=text.place,
        date=text.date,
        body=text.body,
        note=_clean_line(note)[:MAX_NOTE],
        sha256=text.document().sha256(),
        author_id=author_id,
        created_at=now,
        restored_from=restored_from,
    )


def text_of(revision: Revision | TranslationRevision) -> Text:
    return Text(title=revision.title, body=revision.body, place=revision.place, date=revision.date)


def current_revision(session: Session, statement: Statement) -> Revision:
    return get_revision(session, statement.id, statement.current_revision)


def get_revision(session: Session, statement_id: int, number: int) -> Revision:
    revision = session.scalar(
        select(Revision).where(Revision.statement_id == statement_id, Revision.number == number)
    )
    if revision is None:
        raise StatementNotFound(f"revision {number}")
    return revision


def signed_revision(session: Session, statement: Statement) -> Revision:
    """The text version the signatories sign; StatementNotFound while none is."""
    if statement.signed_revision is None:
        raise StatementNotFound("no signed revision")
    return get_revision(session, statement.id, statement.signed_revision)


def revisions(session: Session, statement_id: int) -> list[Revision]:
    return list(
        session.scalars(
            select(Revision)
            .where(Revision.statement_id == statement_id)
            .order_by(Revision.number.desc())
        )
    )


def _append_revision(
    session: Session, statement: Statement, text: Text, author_id: int, note: str,
    action: str, restored_from: int | None = None, *, allow_open: bool = False,
    commit: bool = True,
) -> Revision:
    correctable = statement.status in ("open", "published")
    if statement.status != "draft" and not (allow_open and correctable):
        raise NotEditable()
    current = current_revision(session, statement)
    if text.document().sha256() == current.sha256:
        raise NothingChanged()
    now = clock.now()
    number = current.number + 1
    revision = _revision(statement.id, number, text, author_id, note, now, restored_from)
    session.add(revision)
    statement.current_revision = number
    statement.title = text.title
    statement.updated_at = now
    statement.updated_by_id = author_id
    detail = {"revision": number, "sha256": revision.sha256}
    if restored_from is not None:
        detail["restored_from"] = restored_from
    audit.record(session, statement.id, author_id, action, **detail)
    try:
        session.commit() if commit else session.flush()
    except IntegrityError as exc:  # two saves raced for the same number
        session.rollback()
        raise EditConflict(number) from exc
    return revision


def save_revision(
    session: Session,
    statement: Statement,
    author_id: int,
    text: Text,
    *,
    note: str = "",
    base_revision: int | None = None,
    allow_open: bool = False,
) -> Revision:
    """Save ``text`` as the next revision; EditConflict if ``base_revision`` is stale.

    Only drafts are edited here; the text of an open statement changes through
    :func:`cosign.signing.save_new_version` (``allow_open``), which leaves the
    commit to its caller so the new version and its e-mails are one transaction.
    """
    text = check_text(text)
    if base_revision is not None and base_revision != statement.current_revision:
        raise EditConflict(statement.current_revision)
    return _append_revision(session, statement, text, author_id, note, "edited",
                            allow_open=allow_open, commit=not allow_open)


def restore_revision(session: Session, statement: Statement, number: int,
                     actor_id: int) -> Revision:
    """A new revision whose text is that of revision ``number``."""
    old = get_revision(session, statement.id, number)
    note = f"Restored revision {number}"
    return _append_revision(session, statement, text_of(old), actor_id, note, "restored", number)


def update_settings(
    session: Session,
    statement: Statement,
    actor_id: int,
    *,
    slug: str,
    language: str,
    coalition: str,
    press_name: str,
    press_email: str,
    press_phone: str,
) -> Statement:
    """Change the statement's address, language, letterhead and press contact."""
    slug = check_slug(slug)
    try:
        language = normalise_language_tag(language)
    except ValueError as exc:
        raise DraftingError(
            N_("Enter a language code such as en, ar, ckb or fr-CA (BCP 47)."), "language"
        ) from exc
    if slug != statement.slug and statement.status != "draft":
        raise DraftingError(N_("The address cannot change once the statement is open."), "slug")
    values = {
        "slug": slug,
        "language": language,
        "coalition": _clean_line(coalition),
        "press_name": _clean_line(press_name),
        "press_email": (press_email or "").strip(),
        "press_phone": _clean_line(press_phone),
    }
    changed = {k: v for k, v in values.items() if getattr(statement, k) != v}
    if not changed:
        return statement
    if "slug" in changed and session.scalar(
        select(Statement.id).where(Statement.slug == slug, Statement.id != statement.id)
    ) is not None:
        raise SlugTaken(slug)
    for key, value in changed.items():
        setattr(statement, key, value)
    if "language" in changed:  # withheld entries sort by country names in that language
        collation.recompute(session, statement)
    statement.updated_at = clock.now()
    statement.updated_by_id = actor_id
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, actor_id, "settings", changed=sorted(changed))
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise SlugTaken(slug) from exc
    return statement


def set_signature_goal(session: Session, statement: Statement, actor_id: int,
                       goal: int | None) -> Statement:
    """The number of signatories the coalition aims for, shown with the public counter
    (None: no goal). From 1 to :data:`MAX_SIGNATURE_GOAL`, else DraftingError and nothing
    is stored."""
    if goal is not None and (isinstance(goal, bool) or not isinstance(goal, int)
                             or not 1 <= goal <= MAX_SIGNATURE_GOAL):
        raise DraftingError(N_("Enter the goal as a whole number from 1 to 1,000,000, or leave "
                               "it empty for no goal."), "signature_goal")
    if statement.signature_goal == goal:
        return statement
    statement.signature_goal = goal
    statement.updated_at = clock.now()
    statement.updated_by_id = actor_id
    audit.record(session, statement.id, actor_id, "signature-goal", goal=goal)
    session.commit()
    return statement


# --- comments -----------------------------------------------------------------

def check_comment(body: str) -> str:
    """A comment's text, tidied, or DraftingError."""
    body = clean_text(body, multiline=True)
    if not body:
        raise DraftingError(N_("The comment is empty."), "body")
    if len(body) > MAX_COMMENT:
        raise DraftingError(N_("A comment may have at most %(max)d characters."), "body",
                            max=MAX_COMMENT)
    return body


def paragraph_excerpt(text: str, key: str) -> str:
    """The paragraph of ``text`` whose key is ``key`` (cut to 300 characters), or
    DraftingError when the text no longer has it."""
    by_key = {paragraph_key(p): p for p in paragraphs(text)}
    if key not in by_key:
        raise DraftingError(
            N_("That paragraph is no longer in the current text; reload the page."), "paragraph"
        )
    excerpt = by_key[key]
    return excerpt if len(excerpt) <= 300 else excerpt[:299] + "…"


def add_comment(
    session: Session, statement: Statement, author_id: int, key: str, body: str
) -> Comment:
    """Comment on the paragraph of the current revision whose key is ``key``."""
    body = check_comment(body)
    current = current_revision(session, statement)
    comment = Comment(
        statement_id=statement.id,
        revision_number=current.number,
        paragraph_key=key,
        excerpt=paragraph_excerpt(current.body, key),
        body=body,
        author_id=author_id,
        created_at=clock.now(),
    )
    session.add(comment)
    session.flush()
    audit.record(session, statement.id, author_id, "commented", comment=comment.id,
                 revision=current.number)
    session.commit()
    return comment


def resolve_comment(session: Session, statement: Statement, comment_id: int,
                    actor_id: int) -> Comment:
    comment = session.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.statement_id == statement.id)
    )
    if comment is None:
        raise StatementNotFound(f"comment {comment_id}")
    if comment.resolved_at is None:
        comment.resolved_at = clock.now()
        comment.resolved_by_id = actor_id
        audit.record(session, statement.id, actor_id, "resolved-comment", comment=comment.id)
        session.commit()
    return comment


def comments(session: Session, statement_id: int) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.statement_id == statement_id, Comment.translation_id.is_(None))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def open_comment_counts(session: Session, statement_ids: list[int]) -> dict[int, int]:
    if not statement_ids:
        return {}
    rows = session.execute(
        select(Comment.statement_id, func.count())
        .where(Comment.statement_id.in_(statement_ids), Comment.resolved_at.is_(None))
        .group_by(Comment.statement_id)
    )
    return {sid: n for sid, n in rows}


def statements_for_user(session: Session, user_id: int) -> list[tuple[Statement, str]]:
    """The user's statements with their role, most recently changed first."""
    rows = session.execute(
        select(Statement, Membership.role)
        .join(Membership, Membership.statement_id == Statement.id)
        .where(Membership.user_id == user_id)
        .order_by(Statement.updated_at.desc(), Statement.id.desc())
    )
    return [(statement, role) for statement, role in rows]
