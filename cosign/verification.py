"""Checking a PDF file offline: is it exactly one this site issued, is its certification whole?

What ``flask cosign verify FILE`` runs.  Two independent checks:

1. The records: the SHA-256 of the file against the ``issued_pdf`` rows (what
   ``/verify`` does).  Any change at all, one byte appended included, makes
   the file unknown.  This is the authority.
2. The certification (when the site has a certificate): pyHanko's signature
   check made strict by :func:`cosign.certification.validate`, which also
   rejects any incremental update but archive timestamps and any byte after
   the last revision.
3. When the PDF carries timestamps: pyHanko's AdES long-term (B-LTA)
   validation, offline (:func:`cosign.timestamping.long_term`). It is reported,
   not required: a genuine PDF whose archive was not extended in time is still
   this site's PDF.

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
    from cosign.timestamping import LongTerm, Stamps


@dataclass(frozen=True)
class FileCheck:
    """The outcome of :func:`check_file`; :attr:`ok` is the answer, :meth:`lines` the report."""

    sha256: str
    size: int
    issued: IssuedPdf | None
    verdict: Verdict | None  # None without a certificate
    cert_configured: bool
    stamps: Stamps | None = None  # None: not certified
    long_term: LongTerm | None = None  # None: no timestamp, or no trust anchors to check it
    earlier_copy: bool = False  # the issued PDF as it was before its archive was extended

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
        if issued is not None and self.earlier_copy:
            out.append("Copy: an earlier copy of this PDF, from before its archive timestamps "
                       "were extended; the current copy has the same content.")
        if self.verdict is not None:
            out.append(f"Certification: {self.verdict.summary}")
        stamps = self.stamps
        if stamps is not None and stamps.signed_at is not None:
            out.append(f"Timestamp: {stamps.signed_at:%Y-%m-%d %H:%M:%S} UTC by "
                       f"{stamps.authority} (RFC 3161)")
        if stamps is not None and stamps.archive_timestamps:
            until = f", to be extended before {stamps.renew_by:%Y-%m-%d}" if stamps.renew_by else ""
            out.append(f"Archive: {stamps.archive_timestamps} document timestamp(s){until}")
        if self.long_term is not None:
            out.append(f"Long-term validation (PAdES B-LTA, offline): {self.long_term.summary}")
        elif stamps is not None and stamps.timestamped:
            out.append("Long-term validation: not checked - no trust anchors for the "
                       "time-stamping authority (COSIGN_TSA_TRUST).")
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
    tsa_trust = [Path(p) for p in config.get("COSIGN_TSA_TRUST") or ()]
    verdict = stamps = long_term = None
    if cert_path is not None:
        # deferred: checking loads pyHanko (0.4 s) and OpenSSL's bindings (50 ms),
        # which the web app, importing this module, never needs
        from cosign import certification, timestamping

        verdict = certification.validate(data, cert_path=cert_path, tsa_trust=tsa_trust)
        stamps = timestamping.read(data)
        if stamps.timestamped and tsa_trust:
            anchors = [*certification.load_certificates([cert_path]),
                       *certification.load_certificates(tsa_trust)]
            long_term = timestamping.long_term(data, trust=anchors)
    issued = pdfs.by_file(session, data)
    return FileCheck(sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                     issued=issued, verdict=verdict,
                     cert_configured=cert_path is not None, stamps=stamps, long_term=long_term,
                     earlier_copy=issued is not None and pdfs.is_earlier_copy(issued, data))
