"""What coordinators do with signatures: list, approve, reject, rename, merge, add, import."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cosign import audit, clock, database, dispatch, similarity
from cosign.core.importer import ImportedRow
from cosign.core.names import InvalidName, check_scripts, clean_name
from cosign.core.paging import Page
from cosign.drafting import StatementNotFound
from cosign.errors import N_
from cosign.models import SIGNATURE_STATUSES, Signature, Statement, User
from cosign.signing import (
    LinkFor,
    SigningError,
    SignOn,
    approve_one,
    check_sign_on,
    fill,
    waits_for_domain,
)

PER_PAGE = 50


def status_counts(session: Session, statement_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Signature.status, func.count())
        .where(Signature.statement_id == statement_id, Signature.flagged.is_(False))
        .group_by(Signature.status)
    )
    counts = {status: 0 for status in SIGNATURE_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


def flagged_count(session: Session, statement_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Signature).where(
        Signature.statement_id == statement_id, Signature.flagged.is_(True))) or 0


@dataclass(frozen=True)
class Filter:
    """Which of a statement's signatures the desk shows: one status, narrowed by a text, a
    country, an organisation type, "possibly the same" (``similar``) and domain-verified."""

    status: str
    text: str = ""
    country: str = ""
    org_type: str = ""
    similar: bool = False
    verified: bool = False


def _filtered(statement_id: int, where: Filter):
    query = select(Signature).where(Signature.statement_id == statement_id,
                                    Signature.status == where.status,
                                    Signature.flagged.is_(False))
    if where.text.strip():
        like = f"%{where.text.strip().lower()}%"
        query = query.where(or_(func.lower(Signature.name).like(like),
                                func.lower(Signature.public_name).like(like),
                                func.lower(Signature.city).like(like),
                                func.lower(Signature.email).like(like)))
    if where.country:
        query = query.where(Signature.country == where.country.upper())
    if where.org_type:
        query = query.where(Signature.org_type == where.org_type)
    if where.similar:
        query = query.where(Signature.similar_to_id.is_not(None))
    if where.verified:
        query = query.where(Signature.domain_verified.is_(True))
    return query


def search(
    session: Session, statement_id: int, *, status: str, text: str = "", country: str = "",
    page: int = 1, per_page: int = PER_PAGE, similar: bool = False, verified: bool = False,
    org_type: str = "",
) -> Page[Signature]:
    """One page of a statement's signatures in one status, filtered (``similar``: only those
    "possibly the same" as another; ``verified``: only domain-verified ones)."""
    query = _filtered(statement_id, Filter(status, text, country, org_type, similar, verified))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    items = session.scalars(
        query.order_by(Signature.created_at.desc(), Signature.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def newest_id(session: Session, statement_id: int, where: Filter) -> int:
    """The highest id among the signatures ``where`` selects (0: none): a bulk decision on
    "all that match" stops there, so sign-ons that arrive after the count was shown are
    left for the coordinator to see."""
    query = _filtered(statement_id, where).with_only_columns(func.max(Signature.id))
    return session.scalar(query) or 0


def matching(session: Session, statement_id: int, where: Filter, *, upto: int) -> list[Signature]:
    """Every signature ``where`` selects, up to the id ``upto``, newest first."""
    return list(session.scalars(
        _filtered(statement_id, where).where(Signature.id <= upto)
        .order_by(Signature.created_at.desc(), Signature.id.desc())))


def _selected(session: Session, statement: Statement, ids: Iterable[int]) -> list[Signature]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.scalars(select(Signature).where(
        Signature.statement_id == statement.id, Signature.id.in_(ids),
        Signature.flagged.is_(False))))


def approve(session: Session, statement: Statement, ids: Sequence[int], actor_id: int, *,
            secret_key: str, link_for: LinkFor) -> int:
    """Approve confirmed (or earlier rejected, confirmed) signatures; returns how many.

    When the coalition requires domain-verified sign-ons, a selection with any sign-on that
    is not is refused as a whole (nothing approved) with a message saying which."""
    selected = _selected(session, statement, ids)
    waiting = [s for s in selected if _approvable(s) and waits_for_domain(statement, s)]
    if waiting:
        session.rollback()
        raise SigningError(
            N_("This statement requires the e-mail address to be at the organisation's website "
               "domain; not domain-verified: %(names)s. Nothing was approved."),
            names=", ".join(s.public_name for s in waiting[:5])
            + (" …" if len(waiting) > 5 else ""))
    done = 0
    for signature in selected:
        if _approvable(signature):
            approve_one(session, statement, signature, actor_id, secret_key, link_for)
            done += 1
    session.commit()
    return done


def _approvable(signature: Signature) -> bool:
    return signature.status == "confirmed" or (signature.status == "rejected"
                                               and signature.confirmed_at is not None)


def reject(session: Session, statement: Statement, ids: Sequence[int], actor_id: int) -> int:
    done = 0
    for signature in _selected(session, statement, ids):
        if signature.status in ("unconfirmed", "confirmed", "approved"):
            signature.status = "rejected"
            signature.decided_at, signature.decided_by_id = clock.now(), actor_id
            dispatch.listing_changed(session, statement.id)
            audit.record(session, statement.id, actor_id, "rejected", signature=signature.id,
                         name=signature.public_name)
            done += 1
    session.commit()
    return done


def _locked(session: Session, statement_id: int) -> Statement:
    """The statement read again under the write lock (deleted meanwhile: not found)."""
    database.begin_write(session)
    statement = session.get(Statement, statement_id)
    if statement is None:
        session.rollback()
        raise StatementNotFound(statement_id)
    return statement


def get(session: Session, statement: Statement, signature_id: int) -> Signature:
    found = _selected(session, statement, [signature_id])
    if not found:

        raise StatementNotFound(f"signature {signature_id}")
    return found[0]


def rename(session: Session, statement: Statement, signature_id: int, public_name: str,
           actor_id: int) -> Signature:
    """Change how the name is shown (e.g. capitalisation); the original stays in the audit log."""
    signature = get(session, statement, signature_id)
    try:
        new = check_scripts(clean_name(public_name))
    except InvalidName as exc:
        if exc.reason == "mixed-scripts":
            raise SigningError(N_("The name mixes letters of different alphabets in "
                                  "“%(word)s”. Type the name again in one alphabet."),
                               "public_name", word=exc.word) from exc
        raise SigningError(N_("Enter the name as it should be shown."), "public_name") from exc
    if new != signature.public_name:
        dispatch.listing_changed(session, statement.id)
        audit.record(session, statement.id, actor_id, "renamed", signature=signature.id,
                     original=signature.public_name, new=new)
        signature.public_name = new
    session.commit()
    return signature


def mark_duplicate(session: Session, statement: Statement, signature_id: int, of_id: int,
                   actor_id: int) -> Signature:
    """Reject ``signature_id`` as a duplicate of ``of_id`` (same statement)."""
    if signature_id == of_id:
        raise SigningError(N_("A signature cannot duplicate itself."), "duplicate_of")
    signature = get(session, statement, signature_id)
    original = get(session, statement, of_id)
    if signature.status == "withdrawn":
        # only the signatory may bring a withdrawn signature back, by signing again
        raise SigningError(N_("A withdrawn signature stays withdrawn."), "duplicate_of")
    signature.duplicate_of_id = original.id
    signature.similar_to_id, signature.similar_reason = None, ""
    signature.status = "rejected"
    signature.decided_at, signature.decided_by_id = clock.now(), actor_id
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, actor_id, "duplicate", signature=signature.id,
                 name=signature.public_name, of=original.id, of_name=original.public_name)
    session.commit()
    return signature


def require_domain_verified(session: Session, statement: Statement, required: bool,
                            actor_id: int) -> Statement:
    """The coalition's choice: approve only sign-ons whose e-mail domain is the website's."""
    if bool(statement.require_domain_verified) != required:
        statement.require_domain_verified = required
        audit.record(session, statement.id, actor_id, "require-domain", required=required)
        session.commit()
    return statement


def not_the_same(session: Session, statement: Statement, signature_id: int,
                 actor_id: int) -> Signature:
    """A moderator says a "possibly the same" sign-on is another organisation: the warning goes."""
    signature = get(session, statement, signature_id)
    if signature.similar_to_id is not None:
        other = session.get(Signature, signature.similar_to_id)
        audit.record(session, statement.id, actor_id, "not-duplicate", signature=signature.id,
                     name=signature.public_name, of=signature.similar_to_id,
                     of_name=other.public_name if other else "")
        signature.similar_to_id, signature.similar_reason = None, ""
    session.commit()
    return signature


def similar_names(session: Session, statement_id: int,
                  signatures: Iterable[Signature]) -> dict[int, str]:
    """{id: public name} of the signatures that the given ones are "possibly the same" as."""
    ids = {s.similar_to_id for s in signatures if s.similar_to_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Signature.id, Signature.public_name).where(
        Signature.statement_id == statement_id, Signature.id.in_(ids))).all())


def _coordinator_name(session: Session, actor_id: int) -> str:
    user = session.get(User, actor_id)
    return user.name if user else "?"


def add(session: Session, statement: Statement, form: SignOn, actor_id: int) -> Signature:
    """A signature collected elsewhere (by e-mail, on paper), added as approved."""
    if statement.status not in ("open", "closed", "published"):
        raise SigningError(N_("Open the statement for signature before adding signatures."))
    name, key = check_sign_on(statement, form)
    if session.scalar(select(Signature.id).where(Signature.statement_id == statement.id,
                                                 Signature.name_key == key)):
        raise SigningError(N_("“%(name)s” is already on the list."), "organisation", name=name)
    similar = similarity.find(session, statement.id, similarity.Probe(  # reads, before the lock
        name, key, form.website or "", form.email or ""))
    coordinator = _coordinator_name(session, actor_id)
    statement = _locked(session, statement.id)
    if session.scalar(select(Signature.id).where(Signature.statement_id == statement.id,
                                                 Signature.name_key == key)):
        session.rollback()
        raise SigningError(N_("“%(name)s” is already on the list."), "organisation", name=name)
    signature = _new_added(statement, form, name, key, actor_id, "added", coordinator)
    similarity.store(signature, similar)
    session.add(signature)
    session.flush()
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, actor_id, "added", signature=signature.id, name=name)
    session.commit()
    return signature


def _new_added(statement, form, name, key, actor_id, provenance, detail) -> Signature:
    now = clock.now()
    statement.contacts_erased_at = None  # the retention job must look at this statement again
    signature = Signature(statement_id=statement.id, name_key=key, status="approved",
                          revision=statement.signed_revision, provenance=provenance,
                          provenance_detail=detail[:200], created_at=now, confirmed_at=now,
                          decided_at=now, decided_by_id=actor_id)
    fill(signature, form, name)
    return signature


def import_rows(session: Session, statement: Statement, rows: Sequence[SignOn], filename: str,
                actor_id: int, lines: Sequence[int] | None = None) -> int:
    """Add every row as approved, or none: a problem in any row stores nothing.

    ``lines`` are the rows' line numbers in the file, for the messages.
    """
    lines = list(lines) if lines is not None else list(range(1, len(rows) + 1))
    if statement.status not in ("open", "closed", "published"):
        raise SigningError(N_("Open the statement for signature before adding signatures."))
    seen: dict[str, int] = {}
    existing = set(session.scalars(select(Signature.name_key).where(
        Signature.statement_id == statement.id, Signature.name_key.is_not(None))))
    prepared = []
    for number, form in zip(lines, rows, strict=True):
        name, key = check_sign_on(statement, form)
        if key in existing:
            raise SigningError(N_("Row %(row)d: “%(name)s” is already on the list."),
                               row=number, name=name)
        if key in seen:
            raise SigningError(
                N_("Row %(row)d: “%(name)s” appears twice in the file (row %(first)d)."),
                row=number, name=name, first=seen[key])
        seen[key] = number
        prepared.append((form, name, key))
    detail = f"imported from {filename}"
    matches = similarity.find_many(session, statement.id, [  # reads, before the write lock
        similarity.Probe(name, key, form.website or "", form.email or "")
        for form, name, key in prepared])
    statement = _locked(session, statement.id)
    taken = set(session.scalars(select(Signature.name_key).where(
        Signature.statement_id == statement.id, Signature.name_key.in_(list(seen)))))
    if taken:  # signed meanwhile
        session.rollback()
        number = next(seen[key] for key in seen if key in taken)
        name = next(name for _form, name, key in prepared if key in taken)
        raise SigningError(N_("Row %(row)d: “%(name)s” is already on the list."),
                           row=number, name=name)
    for (form, name, key), match in zip(prepared, matches, strict=True):
        signature = _new_added(statement, form, name, key, actor_id, "imported", detail)
        similarity.store(signature, match)
        session.add(signature)
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, actor_id, "imported", count=len(prepared), file=filename)
    session.commit()
    return len(prepared)


def sign_on_of(row: ImportedRow) -> SignOn:
    """A row of a coordinator's CSV file as a sign-on (individuals sign as individuals)."""
    return SignOn(organisation=row.name, country=row.country, email=row.email,
                  contact_name=row.contact_name, org_type=row.org_type, city=row.city,
                  website=row.website, display=row.display,
                  kind="individual" if row.org_type == "individual" else "organisation")


def import_file(session: Session, statement: Statement, rows: Sequence[ImportedRow],
                filename: str, actor_id: int) -> int:
    """The rows of a CSV file read by :func:`cosign.core.importer.read_csv`, added as
    approved by :func:`import_rows` (all or none; messages name the file's lines)."""
    return import_rows(session, statement, [sign_on_of(row) for row in rows], filename,
                       actor_id, lines=[row.line for row in rows])


def timeline(session: Session, statement_id: int) -> list[tuple[dt.date, int]]:
    """Sign-ons per day (not flagged), oldest first, days without sign-ons included."""
    day = func.date(Signature.created_at)
    rows = session.execute(
        select(day, func.count()).where(Signature.statement_id == statement_id,
                                        Signature.flagged.is_(False))
        .group_by(day).order_by(day)
    ).all()
    counts = {(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))): n for d, n in rows}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [(first + dt.timedelta(days=i), counts.get(first + dt.timedelta(days=i), 0))
            for i in range((last - first).days + 1)]


def set_pdf_layout(session: Session, statement: Statement, actor_id: int, *, page_size: str,
                   columns: int, grouping: str, order: str) -> Statement:
    if (page_size not in ("A4", "Letter") or columns not in (2, 3)
            or grouping not in ("none", "country", "type")
            or order not in ("alphabetical", "signed")):
        raise SigningError(N_("Choose one of the offered layouts."))
    statement.pdf_page_size, statement.pdf_columns = page_size, columns
    statement.pdf_grouping, statement.pdf_order = grouping, order
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, actor_id, "pdf-settings", page_size=page_size,
                 columns=columns, grouping=grouping, order=order)
    session.commit()
    return statement


def set_lead_rank(session: Session, statement: Statement, signature_id: int, rank: int | None,
                  actor_id: int) -> Signature:
    """Make a signatory a lead signatory (printed first, by rank), or an ordinary one."""
    signature = get(session, statement, signature_id)
    if rank is not None and not 1 <= rank <= 999:
        raise SigningError(N_("The position must be a number from 1 to 999."), "lead_rank")
    if signature.lead_rank != rank:
        signature.lead_rank = rank
        dispatch.listing_changed(session, statement.id)
        audit.record(session, statement.id, actor_id, "lead", signature=signature.id,
                     name=signature.public_name, rank=rank)
    session.commit()
    return signature
