"""Checking a PDF file offline: is it exactly one this site issued, is its certification whole?

What ``flask cosign verify FILE`` runs.  Two independent checks:

1. The records: the SHA-256 of the file against the ``issued_pdf`` rows (what
   ``/verify`` does).  Any change at all, one byte appended included, makes
   the file unknown.  This is the authority.
2. The certification (when the site has a certificate): pyHanko's signature
   check made strict by :func:`cosign.certification.validate`, which also
   rejects any incremental update and any byte after the certified revision.

A file passes only if it is an issued PDF and, when that PDF was certified, its
certification holds against the site's current certificate.  Service module:
no Flask, no request.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from cosign import pdfs
from cosign.models import IssuedPdf

if TYPE_CHECKING:
    from cosign.certification import Verdict


@dataclass(frozen=True)
class FileCheck:
    """The outcome of :func:`check_file`; :attr:`ok` is the answer, :meth:`lines` the report."""

    sha256: str
    size: int
    issued: IssuedPdf | None
    verdict: Verdict | None  # None without a certificate
    cert_configured: bool

    @property
    def certification_required(self) -> bool:
        return self.issued is not None and self.issued.certified

    @property
    def ok(self) -> bool:
        if self.issued is None:
            return False
        if self.certification_required and self.verdict is not None:
            return self.verdict.ok
        return True

    def lines(self) -> list[str]:
        out = [f"File: {self.size} bytes, SHA-256 {self.sha256}"]
        issued = self.issued
        if issued is None:
            out.append("Records: NOT ISSUED BY THIS SITE - no PDF issued here has exactly these "
                       "bytes (checked against the issued-PDF records in the database). The file "
                       "was changed after it was issued, or it comes from elsewhere.")
        else:
            out.append(f"Records: ISSUED BY THIS SITE - statement {issued.statement.slug!r}, text "
                       f"version {issued.revision}, {issued.signatory_count} signatories, "
                       f"verification code {issued.code}, issued "
                       f"{issued.created_at:%Y-%m-%d %H:%M} UTC (byte-for-byte match with the "
                       "issued-PDF records in the database).")
        if self.verdict is not None:
            out.append(f"Certification: {self.verdict.summary}")
        elif not self.cert_configured:
            out.append("Certification: not checked - the signing certificate (COSIGN_SIGNING_CERT) "
                       "is not configured or not found.")
        if issued is not None and not issued.certified:
            out.append("Note: this PDF was issued without a certification signature; the "
                       "records alone vouch for it.")
        if self.ok:
            out.append("Result: GENUINE - exactly the PDF this site issued.")
        elif issued is None:
            out.append("Result: NOT GENUINE - not a PDF issued by this site, or altered.")
        else:
            out.append("Result: NOT GENUINE - the bytes match an issued PDF but its certification "
                       "does not hold against the current certificate (was the key replaced?).")
        return out


def check_file(session: Session, data: bytes, config: Mapping) -> FileCheck:
    """Check ``data`` against the issued-PDF records and, with a certificate, its certification."""
    cert = config.get("COSIGN_SIGNING_CERT")
    cert_path = Path(cert) if cert and Path(cert).is_file() else None
    verdict = None
    if cert_path is not None:
        from cosign import certification  # pyHanko: loaded only where it is needed

        verdict = certification.validate(data, cert_path=cert_path)
    return FileCheck(sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                     issued=pdfs.by_file(session, data), verdict=verdict,
                     cert_configured=cert_path is not None)
