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
import secrets
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import clock, database, drafting, logos
from cosign.core.pdf import TEMPLATE_VERSION, PdfDocument, RenderOptions, render_statement
from cosign.core.ordering import order_signatories
from cosign.core.signatory import Signatory
from cosign.models import IssuedPdf, Signature, Statement

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code() -> str:
    """A short, unguessable verification code such as ``K7QM-3XWD-PA``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(value: str) -> str:
    raw = "".join(c for c in (value or "").upper() if c.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 10 else ""


def document_for(session: Session, statement: Statement, storage: str | Path | None = None) -> PdfDocument:
    revision = drafting.get_revision(session, statement.id, statement.signed_revision)
    return PdfDocument(
        logo=logos.read(statement, storage) if storage else None,
        title=revision.title, body=revision.body, coalition=statement.coalition,
        place=revision.place, date=revision.date, language=statement.language,
        press_name=statement.press_name, press_email=statement.press_email,
        press_phone=statement.press_phone, version=revision.number, text_sha256=revision.sha256,
    )


def signatories_for(session: Session, statement: Statement) -> list[Signatory]:
    """Approved signatories, public fields only, in print order: lead signatories
    first (by the coordinators' rank), then the rest alphabetically or by time
    of signing; withheld ones last."""
    rows = session.execute(
        select(Signature.public_name, Signature.country, Signature.org_type, Signature.display,
               Signature.city, Signature.lead_rank)
        .where(Signature.statement_id == statement.id, Signature.status == "approved",
               Signature.flagged.is_(False))
        .order_by(Signature.created_at, Signature.id)
    ).all()
    leads, rest = [], []
    for name, country, org_type, display, city, rank in rows:
        signatory = Signatory(name=name, country=country, org_type=org_type, display=display,
                              city="" if display == "withheld" else city)
        (leads if rank is not None and display == "named" else rest).append((rank, signatory))
    leads.sort(key=lambda pair: pair[0])
    order = "as-given" if statement.pdf_order == "signed" else "alphabetical"
    ordered_rest = order_signatories([s for _rank, s in rest], order, statement.language)
    return [s for _rank, s in leads] + ordered_rest


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


def issue(
    session: Session,
    statement: Statement,
    config: Mapping,
    *,
    watermark: str = "",
    render: Callable[..., bytes] = render_statement,
) -> IssuedPdf:
    """The PDF for the statement as it is now: the stored one, or a new render."""
    if statement.signed_revision is None:
        raise drafting.NotEditable()
    document = document_for(session, statement, config["COSIGN_STORAGE_DIR"])
    signatories = signatories_for(session, statement)
    options = options_for(statement)
    key = cache_key(document, signatories, options, watermark)
    existing = session.scalar(select(IssuedPdf).where(IssuedPdf.cache_key == key))
    if existing is not None and file_path(config, existing).exists():
        return existing
    code = existing.code if existing is not None else new_code()
    statement_id = statement.id
    # No transaction stays open during the render (seconds for long lists); the
    # record is then written in a short write transaction.
    database.begin_write(session)
    site = config["COSIGN_SITE_URL"].rstrip("/")
    now = clock.now()
    options = replace(options, verification_code=code, verification_url=f"{site}/verify/{code}",
                      issued_at=now, watermark=watermark,
                      site_name=config.get("COSIGN_SITE_NAME", "cosign"))
    pdf = render(document, signatories, options)
    certified = False
    key_path, cert_path = signing_files(config)
    if key_path is not None:
        from cosign import certification

        pdf = certification.certify(pdf, key_path=key_path, cert_path=cert_path,
                                    reason=f"Issued by {options.site_name}")
        certified = True
    file_name = f"{key}.pdf"
    target = storage_dir(config) / file_name
    temporary = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(pdf)
    temporary.replace(target)
    if existing is not None:  # the file had gone missing: same inputs, new bytes
        existing.sha256, existing.size, existing.certified = _digest(pdf), len(pdf), certified
        session.commit()
        return existing
    issued = IssuedPdf(
        statement_id=statement_id, cache_key=key, code=code, sha256=_digest(pdf),
        revision=document.version, text_sha256=document.text_sha256,
        signatory_count=len(signatories), template_version=TEMPLATE_VERSION,
        file_name=file_name, size=len(pdf), certified=certified, watermark=watermark,
        created_at=now,
    )
    session.add(issued)
    try:
        session.commit()
    except IntegrityError:  # another process issued the same PDF meanwhile
        session.rollback()
        return session.scalar(select(IssuedPdf).where(IssuedPdf.cache_key == key))
    return issued


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signing_files(config: Mapping) -> tuple[Path | None, Path | None]:
    key, cert = config.get("COSIGN_SIGNING_KEY"), config.get("COSIGN_SIGNING_CERT")
    if key and cert and Path(key).exists() and Path(cert).exists():
        return Path(key), Path(cert)
    return None, None


def latest(session: Session, statement_id: int, *, watermarked: bool = False) -> IssuedPdf | None:
    query = select(IssuedPdf).where(IssuedPdf.statement_id == statement_id)
    query = query.where(IssuedPdf.watermark != "") if watermarked else query.where(IssuedPdf.watermark == "")
    return session.scalars(query.order_by(IssuedPdf.created_at.desc(), IssuedPdf.id.desc())).first()


def by_code(session: Session, code: str) -> IssuedPdf | None:
    code = normalise_code(code)
    return session.scalar(select(IssuedPdf).where(IssuedPdf.code == code)) if code else None


def by_file(session: Session, data: bytes) -> IssuedPdf | None:
    return session.scalars(select(IssuedPdf).where(IssuedPdf.sha256 == _digest(data))
                           .order_by(IssuedPdf.id)).first()


def want(session: Session, statement_ids) -> None:
    """Mark statements whose PDF should be made again (in the caller's transaction)."""
    for statement in session.scalars(select(Statement).where(Statement.id.in_(list(statement_ids)))):
        statement.pdf_wanted_at = clock.now()


def render_wanted(session: Session, statement_id: int, config: Mapping) -> IssuedPdf | None:
    """Issue the PDF of a statement marked as wanted; clear the mark if nothing changed meanwhile."""
    statement = session.get(Statement, statement_id)
    if statement is None or statement.pdf_wanted_at is None or statement.signed_revision is None:
        return None
    wanted_at = statement.pdf_wanted_at
    issued = issue(session, statement, config)
    session.refresh(statement)
    if statement.pdf_wanted_at == wanted_at:
        statement.pdf_wanted_at = None
        session.commit()
    return issued


def wanted(session: Session) -> list[int]:
    return list(session.scalars(select(Statement.id).where(Statement.pdf_wanted_at.is_not(None))))
