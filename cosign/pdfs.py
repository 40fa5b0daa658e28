"""Issuing the statement's PDF: inputs, cache key, render, certification, records.

A PDF is a pure function of (signed text, ordered public signatory data,
template version, layout). Its SHA-256 cache key names the stored file, so an
unchanged statement is never rendered twice. Every issued file is recorded
with the SHA-256 of its bytes and a short verification code printed in its
footer, so anyone can check a copy at /verify.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnExpressionArgument, and_, bindparam, case, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import cards, clock, database, drafting, logos, previews, translating
from cosign.core.ordering import order_signatories
from cosign.core.pdf import (
    TEMPLATE_VERSION,
    EarlierSigners,
    Original,
    PdfDocument,
    RenderOptions,
    render_statement,
)
from cosign.core.signatory import Signatory
from cosign.models import EarlierCopy, IssuedPdf, Revision, Signature, Statement, Translation

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code() -> str:
    """A short, unguessable verification code such as ``K7QM-3XWD-PA``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(value: str) -> str:
    raw = "".join(c for c in (value or "").upper() if c.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 10 else ""


def document_for(session: Session, statement: Statement,
                 storage: str | Path | None = None) -> PdfDocument:
    revision = drafting.signed_revision(session, statement)
    return PdfDocument(
        logo=logos.read(statement, storage) if storage else None,
        title=revision.title, body=revision.body, coalition=statement.coalition,
        place=revision.place, date=revision.date, language=statement.language,
        press_name=statement.press_name, press_email=statement.press_email,
        press_phone=statement.press_phone, version=revision.number, text_sha256=revision.sha256,
    )


def translation_document_for(session: Session, statement: Statement, language: str,
                             storage: str | Path | None = None) -> PdfDocument:
    """A translation's PDF: its current text, the same list, the authoritative text's version
    and fingerprint (what the signatories signed), and a note on its first page."""
    translation = translating.get(session, statement.id, language)
    row = translating.current_revision(session, translation)
    version = statement.signed_revision
    if version is None:  # nothing signed: nothing to translate
        raise drafting.StatementNotFound("no signed revision")
    return PdfDocument(
        logo=logos.read(statement, storage) if storage else None,
        title=row.title, body=row.body, coalition=statement.coalition, place=row.place,
        date=row.date, language=translation.language, press_name=statement.press_name,
        press_email=statement.press_email, press_phone=statement.press_phone,
        version=version, text_sha256=statement.signed_sha256,
        translates=Original(statement.language, version, statement.signed_sha256,
                            outdated=translating.is_outdated(row, statement.signed_sha256)),
    )


def translation_languages(session: Session, statement_id: int) -> list[str]:
    return list(session.scalars(select(Translation.language)
                                .where(Translation.statement_id == statement_id)
                                .order_by(Translation.language)))


def signatories_for(session: Session, statement: Statement) -> list[Signatory]:
    """The signatories of the signed text version (see :func:`print_lists`)."""
    return print_lists(session, statement)[0]


def print_lists(session: Session, statement: Statement
                ) -> tuple[list[Signatory], tuple[EarlierSigners, ...]]:
    """What the PDF prints: (the approved signatories bound to the signed text version,
    public fields only, in print order: lead signatories first (by the coordinators'
    rank), then the rest alphabetically (by the stored collation key: nothing is
    collated here) or by time of signing, withheld ones last; the approved signatories
    of earlier versions who have not re-confirmed, one group per version, newest
    first, in the same order, or none when the coordinators leave them out
    (``Statement.earlier_signers``)). Printed = signed: nobody bound to another
    version is in the first list."""
    alphabetical = statement.pdf_order != "signed"
    order: tuple[ColumnExpressionArgument[Any], ...] = (
        (Signature.sort_key, Signature.id) if alphabetical
        else (Signature.created_at, Signature.id))
    if alphabetical and session.get_bind().dialect.name == "postgresql":
        order = (Signature.sort_key.collate("C"), Signature.id)
    rows = session.execute(
        select(Signature.public_name, Signature.country, Signature.org_type, Signature.display,
               Signature.city, Signature.lead_rank, Signature.revision)
        .where(Signature.statement_id == statement.id, Signature.status == "approved",
               Signature.flagged.is_(False))
        .order_by(*order)
    ).all()
    leads: list[tuple[int, Signatory]] = []
    named: list[Signatory] = []
    withheld: list[Signatory] = []
    current, show_earlier = statement.signed_revision, statement.earlier_signers != "omit"
    earlier: dict[int, tuple[list[Signatory], list[Signatory]]] = {}
    for name, country, org_type, display, city, rank, revision in rows:
        signatory = Signatory(name=name, country=country, org_type=org_type, display=display,
                              city="" if display == "withheld" else city)
        if revision != current:
            if show_earlier:
                group = earlier.setdefault(revision, ([], []))
                group[display == "withheld"].append(signatory)
            continue
        if rank is not None and display == "named":
            leads.append((rank, signatory))
        else:
            (withheld if display == "withheld" else named).append(signatory)
    leads.sort(key=lambda pair: pair[0])
    if not alphabetical:  # withheld ones after the named, by country and type, in any order
        withheld = order_signatories(withheld, "as-given", statement.language)
    hashes = dict(session.execute(select(Revision.number, Revision.sha256).where(
        Revision.statement_id == statement.id, Revision.number.in_(sorted(earlier)))).all()
    ) if earlier else {}
    groups = tuple(
        EarlierSigners(version=version, text_sha256=hashes.get(version, ""),
                       signatories=tuple(earlier[version][0] + (
                           earlier[version][1] if alphabetical else order_signatories(
                               earlier[version][1], "as-given", statement.language))))
        for version in sorted(earlier, reverse=True))
    return [s for _rank, s in leads] + named + withheld, groups


def options_for(statement: Statement) -> RenderOptions:
    # signatories_for has put the list in print order already
    return RenderOptions(page_size=statement.pdf_page_size, columns=statement.pdf_columns,
                         grouping=statement.pdf_grouping, order="as-given")


def cache_key(document: PdfDocument, signatories: list[Signatory], options: RenderOptions,
              watermark: str = "") -> str:
    payload = {
        "template": TEMPLATE_VERSION,
        "document": {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                     for k, v in asdict(document).items() if k != "logo"},
        "logo": hashlib.sha256(document.logo).hexdigest() if document.logo else "",
        "options": {k: v for k, v in asdict(options).items()
                    if k in ("page_size", "columns", "grouping", "order")},
        "watermark": watermark,
        "signatories": [asdict(s) for s in signatories],
    }
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def storage_dir(config: Mapping) -> Path:
    path = Path(config["COSIGN_STORAGE_DIR"]) / "pdfs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(config: Mapping, issued: IssuedPdf) -> Path:
    return storage_dir(config) / issued.file_name


@dataclass(frozen=True)
class Snapshot:
    """Everything a render needs, read in one consistent read transaction."""

    statement_id: int
    document: PdfDocument
    signatories: list[Signatory]
    options: RenderOptions
    key: str
    listing_version: int
    existing: tuple[int, str, str, int] | None  # (id, file name, code, listing version)
    translation: str | None = None  # a translation's language; None: the authoritative text


def read_snapshot(session: Session, statement_id: int, config: Mapping, *,
                  watermark: str = "", language: str | None = None) -> Snapshot:
    """Read the statement's PDF inputs in one read-only transaction, then end it.

    SQLite: a deferred transaction (a WAL snapshot: no lock that blocks
    writers); PostgreSQL: REPEATABLE READ, so the text, the settings and the
    list come from one moment even while sign-ons commit.
    """
    session.rollback()
    with database.write_intent(False):
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        statement = session.get(Statement, statement_id)
        if statement is None:
            session.rollback()
            raise LookupError(f"no statement {statement_id}")
        if statement.signed_revision is None:
            session.rollback()
            raise drafting.NotEditable()
        signatories, earlier = print_lists(session, statement)
        storage = config["COSIGN_STORAGE_DIR"]
        try:
            base = (document_for(session, statement, storage) if language is None
                    else translation_document_for(session, statement, language, storage))
        except drafting.StatementNotFound:
            session.rollback()
            raise LookupError(f"no {language} translation of statement {statement_id}") from None
        document = replace(base, earlier=earlier)
        options = options_for(statement)
        key = cache_key(document, signatories, options, watermark)
        existing = session.execute(
            select(IssuedPdf.id, IssuedPdf.file_name, IssuedPdf.code, IssuedPdf.listing_version)
            .where(IssuedPdf.cache_key == key)).first()
        snapshot = Snapshot(statement_id, document, signatories, options, key,
                            statement.listing_version, (*existing,) if existing else None,
                            language)
        session.rollback()  # end the read: nothing stays open during the render
    return snapshot


def issue(
    session: Session,
    statement: Statement,
    config: Mapping,
    *,
    watermark: str = "",
    render: Callable[..., bytes] = render_statement,
    language: str | None = None,
) -> IssuedPdf:
    """The PDF for the statement as it is now: the stored one, or a new render.

    For the job worker (and the command line), never a web request. The inputs
    are read in a read-only transaction that ends before the render; the
    render, the certification and the file write run with no transaction open;
    the record is then written in a short write transaction of its own. ``language``: the
    PDF of that translation (same list, same verification, its own code).
    """
    identity = inspect(statement).identity  # the id without loading the statement again
    if identity is None:
        raise ValueError("only a statement from the database has a PDF")
    statement_id = identity[0]
    snapshot = read_snapshot(session, statement_id, config, watermark=watermark,
                             language=language)
    existing = snapshot.existing
    if existing is not None and (storage_dir(config) / existing[1]).exists():
        # the same PDF (an unchanged list, or a change undone): it shows this version too
        _preview(config, snapshot, storage_dir(config) / existing[1], watermark)
        database.begin_write(session)
        if existing[3] < snapshot.listing_version:
            session.execute(update(IssuedPdf).where(IssuedPdf.id == existing[0])
                            .values(listing_version=snapshot.listing_version))
            session.commit()
        return session.get_one(IssuedPdf, existing[0])
    code = existing[2] if existing is not None else new_code()
    site = config["COSIGN_SITE_URL"].rstrip("/")
    now = clock.now()
    options = replace(snapshot.options, verification_code=code,
                      verification_url=f"{site}/verify/{code}", issued_at=now,
                      watermark=watermark, site_name=config.get("COSIGN_SITE_NAME", "cosign"))
    pdf = render(snapshot.document, snapshot.signatories, options)
    pdf, certified, stamps = certify(pdf, config, reason=f"Issued by {options.site_name}")
    file_name = f"{snapshot.key}.pdf"
    target = storage_dir(config) / file_name
    temporary = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(pdf)
    temporary.replace(target)
    _preview(config, snapshot, target, watermark)
    # the record: a short write transaction
    database.begin_write(session)
    if existing is not None:  # the file had gone missing: same inputs, new bytes
        record = session.get_one(IssuedPdf, existing[0])
        record.sha256, record.size, record.certified = _digest(pdf), len(pdf), certified
        _record_stamps(record, stamps)
        record.listing_version = max(record.listing_version, snapshot.listing_version)
        session.commit()
        return record
    document = snapshot.document
    issued = IssuedPdf(
        statement_id=snapshot.statement_id, cache_key=snapshot.key, code=code,
        sha256=_digest(pdf), revision=document.version, text_sha256=document.text_sha256,
        signatory_count=len(snapshot.signatories), template_version=TEMPLATE_VERSION,
        file_name=file_name, size=len(pdf), certified=certified, watermark=watermark,
        listing_version=snapshot.listing_version, created_at=now,
        language=document.language, authoritative=snapshot.translation is None,
    )
    _record_stamps(issued, stamps)
    session.add(issued)
    try:
        session.commit()
    except IntegrityError:  # another process issued the same PDF meanwhile
        session.rollback()
        theirs = session.scalar(select(IssuedPdf).where(IssuedPdf.cache_key == snapshot.key))
        if theirs is None:  # not the same PDF after all
            raise
        return theirs
    return issued


def _preview(config: Mapping, snapshot: Snapshot, pdf_path: Path, watermark: str) -> None:
    """The first page as an image for the publication summary (the authoritative PDF as
    the public gets it; made once per PDF, by the worker, with no transaction open)."""
    if snapshot.translation is None and not watermark:
        previews.make(pdf_path, previews.path(storage_dir(config), snapshot.key), config)


def preview_path(config: Mapping, issued: IssuedPdf) -> Path:
    """Where the first page of ``issued`` is stored as a PNG (it may not exist)."""
    return previews.path(storage_dir(config), issued.cache_key)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signing_files(config: Mapping) -> tuple[Path | None, Path | None]:
    key, cert = config.get("COSIGN_SIGNING_KEY"), config.get("COSIGN_SIGNING_CERT")
    if key and cert and Path(key).exists() and Path(cert).exists():
        return Path(key), Path(cert)
    return None, None


def certify(pdf: bytes, config: Mapping, *, reason: str):
    """``(pdf, certified, stamps)``: ``pdf`` certified with the site's key when it has one, and
    timestamped (PAdES B-LTA) when a TSA is configured. When the TSA or a revocation service
    cannot be reached the PDF is still certified, without a timestamp, and the reason is
    logged: publication does not wait for it; ``flask cosign refresh-timestamps`` adds the
    archive timestamp later. Network I/O: the worker's, never a request's."""
    key_path, cert_path = signing_files(config)
    if key_path is None or cert_path is None:
        return pdf, False, None
    # deferred: certifying loads pyHanko (0.4 s) and OpenSSL's bindings (50 ms),
    # which the web app, importing this module, never needs
    from cosign import certification, timestamping

    chain = config.get("COSIGN_SIGNING_CHAIN") or None
    chain_path = Path(chain) if chain else None
    authority = timestamping.Authority.from_config(config)
    if authority is not None:
        try:
            stamped = timestamping.certify(pdf, authority, key_path=key_path,
                                           cert_path=cert_path, chain_path=chain_path,
                                           reason=reason)
            return stamped, True, timestamping.read(stamped)
        except timestamping.TimestampError as exc:
            log.warning("PDF certified without a trusted timestamp: %s", exc)
    return (certification.certify(pdf, key_path=key_path, cert_path=cert_path,
                                  chain_path=chain_path, reason=reason), True, None)


def _record_stamps(record: IssuedPdf, stamps) -> None:
    """Copy what :func:`cosign.timestamping.read` found onto the issued-PDF record."""
    record.timestamped_at = stamps.signed_at.replace(tzinfo=None) if stamps and stamps.signed_at \
        else None
    record.timestamp_authority = stamps.authority if stamps else ""
    record.archive_timestamps = stamps.archive_timestamps if stamps else 0
    record.archive_until = stamps.renew_by.replace(tzinfo=None) if stamps and stamps.renew_by \
        else None


def latest(session: Session, statement_id: int, *, watermarked: bool = False,
           language: str | None = None) -> IssuedPdf | None:
    """The newest PDF of the authoritative text (``language``: of that translation)."""
    query = select(IssuedPdf).where(IssuedPdf.statement_id == statement_id)
    query = (query.where(IssuedPdf.authoritative.is_(True)) if language is None
             else query.where(IssuedPdf.authoritative.is_(False), IssuedPdf.language == language))
    query = (query.where(IssuedPdf.watermark != "") if watermarked
             else query.where(IssuedPdf.watermark == ""))
    # the newest list first: a PDF whose list came back (a change undone) is current again
    return session.scalars(query.order_by(IssuedPdf.listing_version.desc(),
                                          IssuedPdf.id.desc()).limit(1)).first()


def by_code(session: Session, code: str) -> IssuedPdf | None:
    code = normalise_code(code)
    return session.scalar(select(IssuedPdf).where(IssuedPdf.code == code)) if code else None


def by_file(session: Session, data: bytes) -> IssuedPdf | None:
    """The issued PDF whose bytes ``data`` are, now or before its archive was extended."""
    digest = _digest(data)
    found = session.scalars(select(IssuedPdf).where(IssuedPdf.sha256 == digest)
                            .order_by(IssuedPdf.id)).first()
    if found is None:
        found = session.scalars(select(IssuedPdf).join(EarlierCopy)
                                .where(EarlierCopy.sha256 == digest)
                                .order_by(IssuedPdf.id)).first()
    return found


def is_earlier_copy(issued: IssuedPdf, data: bytes) -> bool:
    """``data`` is ``issued`` as it was before an archive timestamp was added."""
    return issued.sha256 != _digest(data)


@dataclass(frozen=True)
class Download:
    """What a PDF download needs, read in one query (no ORM objects)."""

    statement_id: int
    status: str
    visibility: str
    publish_at: dt.datetime | None
    signed_revision: int | None
    listing_version: int
    pdf_wanted_at: dt.datetime | None
    file_name: str | None  # None: no PDF issued yet
    sha256: str = ""
    code: str = ""
    created_at: dt.datetime | None = None
    current: bool = False


@lru_cache(maxsize=2)
def _download_query(translated: bool = False):
    """Built once: constructing a statement costs more than running it (a download is
    the busiest request there is). ``translated``: a translation's PDF (``:language``)."""
    which = ((IssuedPdf.authoritative.is_(False), IssuedPdf.language == bindparam("language"))
             if translated else (IssuedPdf.authoritative.is_(True),))
    newest = (select(IssuedPdf.id).where(IssuedPdf.statement_id == Statement.id,
                                         IssuedPdf.watermark == "", *which)
              .order_by(IssuedPdf.listing_version.desc(), IssuedPdf.id.desc())
              .limit(1).correlate(Statement).scalar_subquery())
    return (select(Statement.id, Statement.status, Statement.visibility, Statement.publish_at,
                   Statement.signed_revision, Statement.listing_version, Statement.pdf_wanted_at,
                   IssuedPdf.file_name, IssuedPdf.sha256, IssuedPdf.code, IssuedPdf.created_at,
                   IssuedPdf.listing_version, IssuedPdf.revision, IssuedPdf.template_version)
            .outerjoin(IssuedPdf, IssuedPdf.id == newest)
            .where(Statement.slug == bindparam("slug")))


def download(session: Session, slug: str, language: str | None = None) -> Download | None:
    """The statement at ``slug`` and its newest issued PDF (no watermark; ``language``: of
    that translation), in one indexed query; None for an unknown slug."""
    params = {"slug": slug} if language is None else {"slug": slug, "language": language}
    row = session.execute(_download_query(language is not None), params).first()
    if row is None:
        return None
    (statement_id, status, visibility, publish_at, signed_revision, version, wanted_at,
     file_name, sha256, code, created_at, pdf_version, revision, template) = row
    current = (file_name is not None and pdf_version == version and revision == signed_revision
               and template == TEMPLATE_VERSION)
    return Download(statement_id, status, visibility, publish_at, signed_revision, version,
                    wanted_at, file_name, sha256 or "", code or "", created_at, current)


def is_current(statement: Statement, issued: IssuedPdf | None) -> bool:
    """Whether ``issued`` shows the statement as it is now (no render is owed)."""
    return (issued is not None and issued.listing_version == statement.listing_version
            and issued.revision == statement.signed_revision
            and issued.template_version == TEMPLATE_VERSION)


def request_render(session: Session, statement: Statement | Download) -> bool:
    """Ask for a render of a statement whose PDF is missing or out of date (a short
    write; the change signals do this themselves). True if the mark was set now."""
    if statement.signed_revision is None or statement.pdf_wanted_at is not None:
        return False
    statement_id = statement.statement_id if isinstance(statement, Download) else statement.id
    database.begin_write(session)
    changed = database.rowcount(session.execute(
        update(Statement).where(Statement.id == statement_id, Statement.pdf_wanted_at.is_(None))
        .values(pdf_wanted_at=clock.now()).execution_options(synchronize_session=False)
    ))
    session.commit()
    return bool(changed)


# --- the render lease: one render of a statement at a time, on every host -----------------

def _seconds(config: Mapping, name: str, default: float) -> float:
    value = config.get(name)
    return float(value) if value is not None else default


def timing(config: Mapping) -> tuple[float, float, float]:
    """(debounce, minimum interval, lease) in seconds, from the configuration."""
    return (_seconds(config, "COSIGN_PDF_DEBOUNCE", 2.0),
            _seconds(config, "COSIGN_PDF_MIN_INTERVAL", 30.0),
            _seconds(config, "COSIGN_PDF_LEASE", 600.0))


def _due_condition(now: dt.datetime, config: Mapping, *, force: bool = False):
    debounce, interval, _lease = timing(config)
    if force:  # `flask cosign tick`: whatever is owed, unless a render is running
        return and_(Statement.pdf_wanted_at.is_not(None), Statement.signed_revision.is_not(None),
                    or_(Statement.pdf_lease_until.is_(None), Statement.pdf_lease_until < now))
    return and_(
        Statement.pdf_wanted_at.is_not(None),
        Statement.signed_revision.is_not(None),
        Statement.pdf_wanted_at <= now - dt.timedelta(seconds=debounce),
        or_(Statement.pdf_lease_until.is_(None), Statement.pdf_lease_until < now),
        or_(Statement.pdf_rendered_at.is_(None),
            Statement.pdf_rendered_at <= now - dt.timedelta(seconds=interval)),
    )


def due(session: Session, config: Mapping) -> list[int]:
    """Statements whose render is owed and may start now (read only)."""
    return list(session.scalars(select(Statement.id).where(_due_condition(clock.now(), config))
                                .order_by(Statement.pdf_wanted_at)))


def next_due(session: Session, statement_id: int, config: Mapping) -> dt.datetime | None:
    """When a render of the statement may start (None: none is owed)."""
    debounce, interval, _lease = timing(config)
    row = session.execute(select(Statement.pdf_wanted_at, Statement.pdf_rendered_at,
                                 Statement.pdf_lease_until, Statement.signed_revision)
                          .where(Statement.id == statement_id)).first()
    if row is None:
        return None
    wanted_at, rendered_at, lease_until, revision = row
    if wanted_at is None or revision is None:
        return None
    times = [wanted_at + dt.timedelta(seconds=debounce)]
    if rendered_at is not None:
        times.append(rendered_at + dt.timedelta(seconds=interval))
    if lease_until is not None:
        times.append(lease_until)
    return max(times)


def claim(session: Session, statement_id: int, config: Mapping, owner: str, *,
          force: bool = False) -> bool:
    """Take the render lease if the statement's render is due and nobody holds it.

    One conditional UPDATE in a short write transaction: on SQLite the write
    lock, on PostgreSQL the row lock, make two claimants take turns, and the
    second finds the condition false. The lease expires by itself
    (``COSIGN_PDF_LEASE``), so a render process killed mid-render delays the
    next render, never stops it.
    """
    _debounce, _interval, lease = timing(config)
    now = clock.now()
    session.rollback()
    database.begin_write(session)
    claimed = database.rowcount(session.execute(
        update(Statement).where(Statement.id == statement_id,
                                _due_condition(now, config, force=force))
        .values(pdf_lease_until=now + dt.timedelta(seconds=lease), pdf_lease_owner=owner,
                pdf_rendered_at=now)
        .execution_options(synchronize_session=False)
    ))
    session.commit()
    return bool(claimed)


def release(session: Session, statement_id: int, owner: str, rendered_version: int | None) -> None:
    """Give the lease back; clear the wish if the render covered every change made so far
    (changes committed during the render keep it, and one more render follows)."""
    session.rollback()
    database.begin_write(session)
    values: dict = {"pdf_lease_until": None, "pdf_lease_owner": ""}
    if rendered_version is not None:
        values["pdf_wanted_at"] = case(
            (Statement.listing_version == rendered_version, None),
            else_=Statement.pdf_wanted_at)
    session.execute(update(Statement)
                    .where(Statement.id == statement_id, Statement.pdf_lease_owner == owner)
                    .values(**values).execution_options(synchronize_session=False))
    session.commit()


def render_wanted(session: Session, statement_id: int, config: Mapping, *,
                  render: Callable[..., bytes] = render_statement,
                  force: bool = False) -> IssuedPdf | None:
    """Render the statement's PDF if one is owed and due, under the lease; None if not
    (not wanted, not due yet, or another process is rendering it). ``force``: due now,
    whatever the debounce and the minimum interval say."""
    owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
    if not claim(session, statement_id, config, owner, force=force):
        return None
    rendered_version = None
    try:
        with database.write_intent(False):  # reading it must not take the write lock
            statement = session.get_one(Statement, statement_id)  # claimed: it exists
        issued = issue(session, statement, config, render=render)
        with database.write_intent(False):
            languages = translation_languages(session, statement_id)
            session.rollback()
        for language in languages:  # each translation's PDF prints the same list
            issue(session, statement, config, render=render, language=language)
        rendered_version = issued.listing_version
        cards.refresh_quietly(session, statement_id, config)  # the share card, same lease
        return issued
    finally:
        release(session, statement_id, owner, rendered_version)


def wanted(session: Session) -> list[int]:
    return list(session.scalars(select(Statement.id).where(Statement.pdf_wanted_at.is_not(None))))
