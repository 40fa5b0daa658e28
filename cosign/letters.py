"""Bringing an existing letter in: a new draft, and the organisations that already signed it.

The coordinator reads the letter into a preview (``cosign.core.letter.propose``), corrects
it, and confirms; only then is anything stored, all in one transaction: the draft (revision
1 is the letter's text) and one offline sign-on per listed organisation. They signed the
letter as it was brought in, so each is recorded against revision 1, "to review", with the
provenance "imported from the letter": the coordinator approves them once signing opens,
as with any sign-on. If the text changes before it opens, they are signatories of an
earlier version, shown and printed as such (never as signatories of the new text).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cosign import audit, clock, drafting
from cosign.core.countries import is_country
from cosign.core.letter import Listed
from cosign.core.names import InvalidName, check_scripts, clean_name, name_key
from cosign.errors import N_, UserError
from cosign.models import Signature, Statement
from cosign.signing import MAX_NAME, SignOn, fill

FROM_THE_LETTER = "imported from the letter"  # Signature.provenance_detail
MAX_SIGNATORIES = 2000


class LetterError(UserError):
    """The corrected letter cannot be imported; ``field`` names the preview's field."""


def check_signatories(rows: Sequence[Listed], country: str) -> list[tuple[SignOn, str, str]]:
    """(sign-on, name, key) for each row, or LetterError naming the first problem."""
    if len(rows) > MAX_SIGNATORIES:
        raise LetterError(N_("At most %(max)d signatories can be imported with a letter."),
                          "signatories", max=MAX_SIGNATORIES)
    out: list[tuple[SignOn, str, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            name = clean_name(row.name, MAX_NAME)
        except InvalidName as exc:
            if exc.reason == "too-long":
                raise LetterError(N_("Signatories, line %(line)d: a name may have at most "
                                     "%(max)d characters."), "signatories",
                                  line=row.line, max=MAX_NAME) from exc
            raise LetterError(N_("Signatories, line %(line)d: enter a name."), "signatories",
                              line=row.line) from exc
        try:
            check_scripts(name)
        except InvalidName as exc:
            raise LetterError(N_("Signatories, line %(line)d: “%(name)s” mixes letters of "
                                 "different alphabets in “%(word)s”. Type it again in one "
                                 "alphabet."), "signatories", line=row.line, name=name,
                              word=exc.word) from exc
        code = row.country or country.upper()
        if not code:
            raise LetterError(N_("Choose the country of the signatories, or add “| IQ” (the "
                                 "country's two-letter code) after each name."), "country")
        if not is_country(code):
            raise LetterError(N_("Signatories, line %(line)d: “%(code)s” is not a country "
                                 "code."), "signatories", line=row.line, code=code)
        key = name_key(name)
        if key in seen:
            raise LetterError(N_("Signatories, line %(line)d: “%(name)s” is already on line "
                                 "%(first)d."), "signatories", line=row.line, name=name,
                              first=seen[key])
        seen[key] = row.line
        out.append((SignOn(organisation=name, country=code, email="", contact_name=""), name,
                    key))
    return out


def import_letter(session: Session, author_id: int, text: drafting.Text, *,
                  signatories: Sequence[Listed], country: str = "", language: str = "en",
                  slug: str | None = None, coalition: str = "", press_name: str = "",
                  press_email: str = "", press_phone: str = "") -> Statement:
    """A new draft from the corrected letter, with its signatories waiting for review;
    nothing is stored when anything is refused."""
    prepared = check_signatories(signatories, country)
    statement = drafting.create_statement(
        session, author_id, text, slug=slug, language=language, coalition=coalition,
        press_name=press_name, press_email=press_email, press_phone=press_phone,
        commit=False)
    now = clock.now()
    for form, name, key in prepared:
        signature = Signature(statement_id=statement.id, name_key=key, status="confirmed",
                              revision=1, provenance="imported",
                              provenance_detail=FROM_THE_LETTER, created_at=now,
                              confirmed_at=now)
        fill(signature, form, name)
        session.add(signature)
    audit.record(session, statement.id, author_id, "letter-imported", count=len(prepared))
    session.commit()
    return statement


def waiting_from_letter(session: Session, statement: Statement) -> int:
    """How many organisations imported with the letter still wait for review."""
    return session.scalar(select(func.count()).select_from(Signature).where(
        Signature.statement_id == statement.id, Signature.status == "confirmed",
        Signature.provenance_detail == FROM_THE_LETTER)) or 0
