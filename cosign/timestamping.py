"""Trusted time for issued PDFs: RFC 3161 timestamps and long-term validation (PAdES B-LTA).

Without a time-stamping authority (TSA) a certified PDF carries only the time this server
claims, and it can be checked only while the signing certificate is valid: once it expires
or is revoked, nothing shows that the PDF was certified while it was still good.

With ``COSIGN_TSA_URL`` set, :func:`cosign.certification.certify` makes each certification
PAdES B-LTA:

* B-T: the signature carries an RFC 3161 timestamp from the TSA (the time is the TSA's,
  not ours);
* B-LT: the certificates, OCSP responses and CRLs that prove the signer's and the TSA's
  chains were good at that time go into the PDF's document security store (DSS);
* B-LTA: a document timestamp (with its own validation data) covers all of it.

Each document timestamp is only as good as its TSA certificate: before that certificate
expires, :func:`refresh` adds the validation data of the newest timestamp and a new
document timestamp on top (``flask cosign refresh-timestamps``, run from cron). A PDF
refreshed in time can be validated decades later, offline, with nothing but the trust
anchors: :func:`long_term` runs pyHanko's AdES LTA validation that way.

These additions are incremental updates that PAdES and ISO 32000-2 allow after a
"no changes" certification (DSS and document timestamps); :func:`cosign.certification.validate`
accepts them and nothing else.

Service module: no Flask, no database. pyHanko is imported at the top: this module is itself
imported only where PDFs are certified or checked (the worker, the command line). The
network I/O (TSA, OCSP, CRL) happens here, so call it from the job worker or the command
line, never inside a request or a transaction.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import add_validation_info
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from cosign import certification
from cosign.certification import (
    CertificationError,
    _outside_event_loop,
    certificate_name,
    load_certificates,
    public_roots,
)

OFFLINE_REVINFO_AGE = dt.timedelta(days=365 * 100)


class TimestampError(CertificationError):
    """The TSA, or the OCSP/CRL services of a chain, could not be reached or gave bad data."""


@dataclass(frozen=True)
class Authority:
    """A time-stamping authority and what to trust when proving its chain.

    ``trust``: PEM files of trust anchors: the TSA's root, and the root of the site's
    signing certificate when a CA issued it. Empty: the public roots (Mozilla's, from
    ``certifi``), which many TSAs are not under.
    """

    url: str
    trust: tuple[Path, ...] = ()
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping) -> Authority | None:
        url = (config.get("COSIGN_TSA_URL") or "").strip()
        if not url:
            return None
        trust = tuple(Path(p) for p in config.get("COSIGN_TSA_TRUST") or () if str(p).strip())
        return cls(url=url, trust=trust, timeout=float(config.get("COSIGN_TSA_TIMEOUT", 30)))


def signing_context(authority: Authority, *, anchors: Sequence[asn1_x509.Certificate] = ()):
    """The validation context used while stamping: online (OCSP, CRL, issuer certificates), and
    hard-failing, so that a PDF is never called long-term verifiable without its proofs."""

    roots = load_certificates(authority.trust) or public_roots()
    return ValidationContext(trust_roots=[*roots, *anchors], allow_fetching=True,
                             revocation_mode="hard-fail")


def site_anchors(cert_path: Path | None) -> list[asn1_x509.Certificate]:
    """The site's certificate as a trust anchor when it is self-signed (``flask cosign
    generate-key``): nothing else vouches for it. A CA-issued one is proven through its CA."""
    if cert_path is None or not Path(cert_path).is_file():
        return []
    cert = load_certificates([cert_path])[0]
    return [cert] if cert.self_signed in ("maybe", "yes") else []


def timestamper(authority: Authority):
    return HTTPTimeStamper(authority.url, timeout=authority.timeout)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC) if value is not None else None


def certify(pdf: bytes, authority: Authority, *, key_path: Path, cert_path: Path,
            chain_path: Path | None = None, reason: str = "Issued by cosign") -> bytes:
    """:func:`cosign.certification.certify` made PAdES B-LTA with ``authority``'s time.

    Raises :class:`TimestampError` when the TSA, or a revocation service of the signer's
    or the TSA's chain, cannot be reached (hard fail: no PDF is called long-term
    verifiable without its proofs); the caller may then certify without a timestamp.
    """
    anchors = site_anchors(cert_path)
    try:
        return certification.certify(
            pdf, key_path=key_path, cert_path=cert_path, chain_path=chain_path, reason=reason,
            timestamper=timestamper(authority),
            validation_context=signing_context(authority, anchors=anchors))
    except CertificationError:
        raise
    except Exception as exc:  # network, TSA and validation errors alike
        raise TimestampError(
            f"could not timestamp the certification: {exc or type(exc).__name__}") from exc


# ------------------------------------------------------------------ what a file carries


@dataclass(frozen=True)
class Stamps:
    """The timestamps a PDF carries (read, not validated: see :func:`long_term`).

    * ``signed_at`` / ``authority``: the RFC 3161 time in the certification signature and
      the TSA that gave it (None / "" when the signature has none);
    * ``archive_timestamps``: how many document timestamps follow;
    * ``renew_by``: when the certificate of the newest timestamp's TSA expires: the
      archive must be extended (:func:`refresh`) before then.
    """

    signed_at: dt.datetime | None = None
    authority: str = ""
    archive_timestamps: int = 0
    renew_by: dt.datetime | None = None

    @property
    def timestamped(self) -> bool:
        return self.signed_at is not None or self.archive_timestamps > 0


def read(pdf: bytes) -> Stamps:
    """The timestamps in ``pdf``: cheap, offline, no validation."""

    try:
        reader = PdfFileReader(BytesIO(pdf))
        regular = reader.embedded_regular_signatures
        archive = reader.embedded_timestamp_signatures
    except Exception:  # noqa: BLE001 - an unreadable file carries no timestamps
        return Stamps()
    signed_at, authority, newest = None, "", None
    if regular:
        for token in extract_tst_data_iter(regular[0].signer_info, signed=False):
            info = token["encap_content_info"]["content"].parsed
            signed_at = _utc(info["gen_time"].native)
            cert = _token_signer(token)
            authority = certificate_name(cert) if cert is not None else ""
            newest = cert
            break
    for stamp in archive:
        cert = _token_signer(stamp.signed_data)
        newest = cert if cert is not None else newest
    renew_by = _utc(newest["tbs_certificate"]["validity"]["not_after"].native) if newest else None
    return Stamps(signed_at=signed_at, authority=authority, archive_timestamps=len(archive),
                  renew_by=renew_by)


def _token_signer(signed_data):
    """The certificate that signed a timestamp token (a CMS SignedData)."""

    try:
        info = extract_certificate_info(signed_data)
        return info.signer_cert
    except Exception:  # noqa: BLE001 - a token without its certificate
        return None


# ------------------------------------------------------------------------- refreshing


@_outside_event_loop
def refresh(pdf: bytes, authority: Authority, *, cert_path: Path | None = None) -> bytes:
    """``pdf`` with the validation data of its newest timestamp and a new document timestamp.

    A PDF certified without a timestamp (the TSA was down) first gets the validation data
    of its signature: its archive then starts here. Raises :class:`TimestampError` when the
    TSA or a revocation service cannot be reached; ``pdf`` is never changed in place.
    """

    anchors = site_anchors(cert_path)
    try:
        reader = PdfFileReader(BytesIO(pdf))
        if not reader.embedded_timestamp_signatures and reader.embedded_regular_signatures:
            out = add_validation_info(reader.embedded_regular_signatures[0],
                                      signing_context(authority, anchors=anchors),
                                      output=BytesIO())
            reader = PdfFileReader(out)
        out = PdfTimeStamper(timestamper(authority)).update_archival_timestamp_chain(
            reader, signing_context(authority, anchors=anchors), in_place=False,
            output=BytesIO())
    except CertificationError:
        raise
    except Exception as exc:  # network, TSA and validation errors alike
        raise TimestampError(
            f"could not extend the archive timestamps: {exc or type(exc).__name__}") from exc
    return out.getvalue()


# ------------------------------------------------------------------- validating it later


@dataclass(frozen=True)
class LongTerm:
    """Outcome of :func:`long_term`: pyHanko's AdES LTA validation, offline."""

    ok: bool
    indication: str  # e.g. "AdESPassed.OK", "AdESIndeterminate.NO_POE"
    best_signature_time: dt.datetime | None
    oldest_archive_timestamp: dt.datetime | None
    summary: str


@_outside_event_loop
def long_term(pdf: bytes, *, trust: Sequence[asn1_x509.Certificate],
              at: dt.datetime | None = None) -> LongTerm:
    """Validate the certification of ``pdf`` the PAdES B-LTA way, with no network access.

    Everything needed must be in the file (DSS, timestamps); ``trust`` are the only trust
    anchors. ``at``: validate as on that day (e.g. after the TSA's certificate expired);
    default now. Never raises for a bad file: ``ok`` is false and ``summary`` says why.
    """

    try:
        reader = PdfFileReader(BytesIO(pdf))
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # noqa: BLE001
        return LongTerm(False, "unreadable", None, None, f"Not a readable PDF: {exc}")
    if not signatures:
        return LongTerm(False, "unsigned", None, None, "The PDF is not signed.")
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(trust)),
        # offline, the newest timestamp can only be checked against the revocation data in
        # the file, however old: revocation data must be there and say "good", at any age
        # (a validator online checks it against today's instead)
        revinfo_policy=CertRevTrustPolicy(
            REQUIRE_REVINFO, freshness=OFFLINE_REVINFO_AGE,
            freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION),
    )
    spec = PdfSignatureValidationSpec(
        signature_validation_spec=SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
        ),
        diff_policy=DEFAULT_DIFF_POLICY,
    )
    if at is None:
        timing = ValidationTimingInfo.now()
    else:
        timing = ValidationTimingInfo(at, at, point_in_time_validation=True)
    try:
        result = asyncio.run(ades_lta_validation(signatures[0], spec, timing_info=timing))
    except Exception as exc:  # noqa: BLE001 - pyHanko's AdES API is incubating
        return LongTerm(False, "error", None, None, f"validation failed: {exc}")
    ok = result.ades_subindic == AdESPassed.OK
    subindic = result.ades_subindic  # each of pyHanko's kinds of sub-indication is an enum
    name = subindic.name if isinstance(subindic, enum.Enum) else str(subindic)
    indication = f"{type(subindic).__name__}.{name}"
    reason = getattr(result, "failure_msg", None) or ""
    if not ok and not any(True for _ in extract_tst_data_iter(signatures[0].signer_info,
                                                              signed=False)):
        # pyHanko's own message ("No signature timestamp present") stays in an inner result
        reason = ("No signature timestamp present: the PDF was certified while the "
                  "time-stamping authority could not be reached")
    summary = ("VALID for the long term" if ok
               else f"NOT VALID for the long term: {indication}"
               + (f" ({reason})" if reason else ""))
    return LongTerm(ok, indication, _utc(result.best_signature_time),
                    _utc(result.oldest_evidence_record_timestamp), summary)
