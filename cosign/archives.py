"""Keeping issued PDFs verifiable for decades: extending their archive timestamps.

Each issued PDF certified with a time-stamping authority ends with a document timestamp,
good as long as that authority's certificate (``IssuedPdf.archive_until``). Before then,
:func:`extend` appends the validation data of the newest timestamp and a new document
timestamp (:func:`cosign.timestamping.refresh`); ``flask cosign refresh-timestamps`` runs it
for every PDF that is :func:`due`. A PDF certified while the authority could not be reached
(no timestamp at all) is due at once: its archive starts with the next run.

The new bytes get a new file name and the record is switched to them in one short write
transaction (the old file stays, for downloads already under way); the bytes it had before
are kept as an :class:`~cosign.models.EarlierCopy`, so a copy a journalist downloaded last
year still verifies as this site's PDF. The TSA and revocation services are reached with no
transaction open. Service module: no Flask.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cosign import clock, database, pdfs
from cosign.models import EarlierCopy, IssuedPdf


@dataclass(frozen=True)
class Extension:
    """What :func:`extend` did to one issued PDF."""

    code: str
    ok: bool
    message: str
    archive_until: dt.datetime | None = None


def due(session: Session, *, within_days: int, now: dt.datetime | None = None) -> list[int]:
    """Ids of certified PDFs whose archive must be extended: never timestamped, or whose
    newest timestamp's authority certificate expires within ``within_days``."""
    limit = (now or clock.now()) + dt.timedelta(days=within_days)
    ids = list(session.scalars(
        select(IssuedPdf.id).where(IssuedPdf.certified.is_(True),
                                   or_(IssuedPdf.archive_until.is_(None),
                                       IssuedPdf.archive_until <= limit))
        .order_by(IssuedPdf.archive_until, IssuedPdf.id)))
    session.rollback()
    return ids


def extend(session: Session, issued_id: int, config: Mapping) -> Extension:
    """Add an archive timestamp to the issued PDF ``issued_id`` (see the module's notes)."""
    from cosign import timestamping  # deferred: imports pyHanko (0.4 s); the web app never needs it

    authority = timestamping.Authority.from_config(config)
    record = session.get(IssuedPdf, issued_id)
    if record is None:
        session.rollback()
        return Extension("", False, "no such PDF")
    code, old_sha, old_name, count = (record.code, record.sha256, record.file_name,
                                      record.archive_timestamps)
    session.rollback()  # nothing stays open while the authority is asked
    if authority is None:
        return Extension(code, False, "no time-stamping authority (COSIGN_TSA_URL) is set")
    directory = pdfs.storage_dir(config)
    old_path = directory / old_name
    try:
        data = old_path.read_bytes()
    except OSError as exc:
        return Extension(code, False, f"the file is missing ({exc.strerror})")
    if hashlib.sha256(data).hexdigest() != old_sha:
        return Extension(code, False, "the file on disk is not the issued one; left alone")
    _, cert_path = pdfs.signing_files(config)
    try:
        extended = timestamping.refresh(data, authority, cert_path=cert_path)
    except timestamping.TimestampError as exc:
        return Extension(code, False, str(exc))
    stamps = timestamping.read(extended)
    stem = old_name.split(".")[0]
    new_name = f"{stem}.archive-{count + 1}-{secrets.token_hex(3)}.pdf"
    target = directory / new_name
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(extended)
    temporary.replace(target)

    database.begin_write(session)
    record = session.get(IssuedPdf, issued_id)
    if record is None or record.sha256 != old_sha:  # extended (or removed) meanwhile
        session.rollback()
        Path(target).unlink(missing_ok=True)
        return Extension(code, False, "changed meanwhile; left alone")
    session.add(EarlierCopy(issued_pdf_id=issued_id, sha256=old_sha, size=len(data),
                            replaced_at=clock.now()))
    record.sha256 = hashlib.sha256(extended).hexdigest()
    record.size = len(extended)
    record.file_name = new_name
    record.archive_timestamps = stamps.archive_timestamps
    record.archive_until = stamps.renew_by.replace(tzinfo=None) if stamps.renew_by else None
    session.commit()
    # the old file stays: a download that read the record a moment ago still finds it
    return Extension(code, True, "extended", record.archive_until)
