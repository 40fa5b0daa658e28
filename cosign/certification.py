"""Certify issued PDFs with the site's own key, and check such certifications.

A certified PDF carries a PAdES signature with a DocMDP "no changes allowed"
transform (P=1).  What that does and does not give a reader:

* The signature covers every byte of the file as issued (its ``/ByteRange``
  runs from byte 0 to the last byte, minus the signature value itself), so
  flipping any of those bytes breaks it.
* It does *not* stop anyone from adding bytes: a PDF can be changed by an
  incremental update appended after the signed revision, and validators
  tolerate some of those.  pyHanko's diff analysis accepts an update that
  rewrites the Info dictionary (title, author, subject: "signed by 999
  signatories") or the XMP metadata as "LTA updates", and bytes appended after
  ``%%EOF`` without a new revision; the stock command line
  (``pyhanko sign validate``, from ``pyhanko-cli``) calls such files VALID and
  exits 0.  It rejects (exit 1) other updates, e.g. an added annotation or a
  replaced page content stream, and a broken or untrusted signature.

So "certified" is only worth something when the certified revision is the
whole file.  :func:`validate` demands exactly that: no revision after the
signed one (pyHanko's xref sections), the ``/ByteRange`` ending at the last
byte of the file, pyHanko's coverage level ``ENTIRE_FILE``, and the signature
value's hex string (the one unsigned gap) exactly as written, zero padding
included.  With the stock command line the nearest condition is its summary
line ending in ``:INTACT:TRUSTED,UNTOUCHED`` (``UNTOUCHED`` = the signature
covers the entire file; it does not look at the padding); an exit status of 0
alone proves nothing::

    pyhanko sign validate --no-revocation-check --trust signing-cert.pem \
        --trust-replace statement.pdf

The site's own check, ``/verify`` and ``flask cosign verify FILE``, compares
the file's SHA-256 with the PDFs it issued (and the latter runs
:func:`validate` as well).

Key storage: ``signing-key.pem`` is an *unencrypted* PKCS#8 PEM file.  Its only
protection is the file mode (0600, owner = the account running cosign) and the
directory it lives in; keep it out of the web root, backups that others can
read and version control.  Anyone who can read it can issue "certified"
statements in the site's name.

This is a service module: no Flask, no request or application context.  pyHanko
runs its own asyncio event loop inside :func:`certify` and :func:`validate`, so
call them from ordinary (non-async) code such as a request handler or a job.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import certifi
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from asn1crypto.parser import parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from defusedxml.ElementTree import fromstring

KEY_FILENAME = "signing-key.pem"
CERT_FILENAME = "signing-cert.pem"
FIELD_NAME = "cosign"


class CertificationError(Exception):
    """Base class for errors of this module."""


class KeyExistsError(CertificationError, FileExistsError):
    """The signing key or certificate exists already and ``force`` was not given."""


# --------------------------------------------------------------------------- keys


def _write_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically, created with ``mode`` (never wider)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def generate_key(
    directory: Path,
    *,
    common_name: str,
    organisation: str = "cosign",
    days: int = 3650,
    force: bool = False,
) -> tuple[Path, Path]:
    """Create the site's signing key and a self-signed certificate in ``directory``.

    Writes ``signing-key.pem`` (EC P-256, unencrypted PKCS#8, mode 0600: it is
    protected by file permissions only) and ``signing-cert.pem`` (self-signed,
    CA:TRUE so that validators can use it as its own trust root; key usage
    digitalSignature + contentCommitment, which pyHanko requires of signers).

    Refuses to replace existing files (:class:`KeyExistsError`) unless
    ``force=True``: replacing the key makes every PDF issued so far
    unverifiable against the new certificate.

    Returns ``(key_path, cert_path)``.
    """
    if not common_name.strip():
        raise ValueError("common_name must not be empty")
    if days < 1:
        raise ValueError("days must be at least 1")
    directory = Path(directory)
    key_path = directory / KEY_FILENAME
    cert_path = directory / CERT_FILENAME
    existing = [p for p in (key_path, cert_path) if p.exists() or p.is_symlink()]
    if existing and not force:
        raise KeyExistsError(
            f"refusing to overwrite {', '.join(str(p) for p in existing)}: "
            "replacing the signing key makes previously issued PDFs unverifiable "
            "against the new certificate (pass force=True to replace it anyway)"
        )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ])
    now = dt.datetime.now(dt.UTC)
    public_key = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )

    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_file(key_path, key_pem, 0o600)
    _write_file(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return key_path, cert_path


def _outside_event_loop(function):
    """pyHanko runs its own asyncio loop (``asyncio.run``); when this thread already
    runs one (an async caller, or a library such as Playwright's sync API), do the
    work in a short-lived thread of its own instead of failing."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(function, *args, **kwargs).result()

    return wrapper


# ------------------------------------------------------------------------ certify


@_outside_event_loop
def certify(
    pdf: bytes,
    *,
    key_path: Path,
    cert_path: Path,
    reason: str = "Issued by cosign",
    location: str = "",
    chain_path: Path | None = None,
    timestamper=None,
    validation_context=None,
) -> bytes:
    """Return ``pdf`` with a PAdES certification signature (DocMDP: no changes).

    The signature goes into a new invisible field named ``cosign`` in an
    incremental update; the original bytes are kept as they are.  Without
    ``timestamper`` the signing time is the one claimed by this machine; with one
    (a pyHanko timestamper and the ``validation_context`` to prove the chains
    with, see :func:`cosign.timestamping.certify`) the result is PAdES B-LTA.
    ``chain_path``: PEM file of the intermediate certificates of a CA-issued
    signing certificate. Raises :class:`CertificationError` if the PDF is
    already signed.
    """
    # deferred: pyHanko takes 0.6 s to import; only certifying and checking a PDF need it
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

    if PdfFileReader(BytesIO(pdf)).embedded_signatures:
        raise CertificationError(
            "the PDF is signed already; a certification signature must be the first one"
        )
    signer = signers.SimpleSigner.load(
        str(key_path), str(cert_path),
        ca_chain_files=(str(chain_path),) if chain_path is not None else None)
    if signer is None:  # pyHanko logs the cause and returns None
        raise CertificationError(f"could not load the signing key {key_path} / {cert_path}")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        # with a timestamper: B-T, B-LT (validation data in the DSS) and B-LTA (a document
        # timestamp over it all)
        embed_validation_info=timestamper is not None,
        use_pades_lta=timestamper is not None,
        validation_context=validation_context,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = signers.sign_pdf(
        writer,
        meta,
        signer=signer,
        timestamper=timestamper,
        new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME),
    )
    return out.getvalue()


# ----------------------------------------------------------------------- validate


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`validate`; :attr:`ok` is the one-word answer.

    * ``signed``: the file has a signature at all.
    * ``intact``: the signed bytes hash to the value in the signature, which is
      cryptographically valid.
    * ``trusted``: the signer's certificate is the trusted certificate (or
      chains to it) and was valid at validation time.
    * ``certified``: the (first) signature is a certification signature with
      DocMDP level "no changes".
    * ``covers_whole_file``: the certified revision is the whole file: it is
      the last revision (no xref section follows it), the ``/ByteRange`` ends
      at the last byte, and pyHanko's coverage level is ``ENTIRE_FILE``.  This
      catches bytes appended after ``%%EOF`` and metadata-only updates, both of
      which pyHanko's own verdict tolerates.
    * ``modified``: incremental updates follow the signed revision (whatever
      they change, metadata included), or diff analysis flagged changes, or
      DocMDP was violated.
    * ``later_revisions``: how many revisions (incremental updates) follow the
      certified one; archive updates (validation data and document timestamps,
      PAdES B-LTA) are the only ones accepted, counted in ``archive_timestamps``.
    * ``extra_bytes``: how many bytes follow the end of the signed range.
    * ``signer``: the signer certificate's common name (or whole subject).
    * ``signed_at``: the signing time *claimed by the signer* (no timestamp
      authority is involved), UTC.
    """

    intact: bool
    signed: bool
    covers_whole_file: bool
    modified: bool
    signer: str
    signed_at: dt.datetime | None
    summary: str
    trusted: bool = False
    certified: bool = False
    later_revisions: int = 0
    extra_bytes: int = 0
    archive_timestamps: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.signed
            and self.intact
            and self.trusted
            and self.certified
            and self.covers_whole_file
            and not self.modified
        )


def _unsigned(summary: str) -> Verdict:
    return Verdict(
        intact=False, signed=False, covers_whole_file=False, modified=False,
        signer="", signed_at=None, summary=summary,
    )


def certificate_name(cert) -> str:
    """A certificate's common name, else its whole subject (asn1crypto)."""
    try:
        cn = cert.subject.native.get("common_name")
    except Exception:  # noqa: BLE001 - a malformed subject  # pragma: no cover
        cn = None
    if isinstance(cn, list):
        cn = cn[0] if cn else None
    return cn or cert.subject.human_friendly


def _claims(emb) -> tuple[str, dt.datetime | None, bool]:
    """What the signature says of itself: (signer's name, signing time in UTC, whether it
    is a 'no changes allowed' certification); unknown ("", None, False) where it is
    malformed."""
    from pyhanko.sign.fields import MDPPerm  # deferred: pyHanko takes 0.6 s to import

    try:
        signer = certificate_name(emb.signer_cert)
    except Exception:  # noqa: BLE001 - a malformed certificate: no name
        signer = ""
    try:
        signed_at = emb.self_reported_timestamp
    except Exception:  # noqa: BLE001 - a malformed signing time: none
        signed_at = None
    if signed_at is not None:
        signed_at = signed_at.astimezone(dt.UTC)
    try:
        certified = emb.docmdp_level == MDPPerm.NO_CHANGES
    except Exception:  # noqa: BLE001 - a malformed permission: not certified
        certified = False
    return signer, signed_at, certified


def _problems(*, intact: bool, trusted: bool, certified: bool, modified: bool,
              later_revisions: int, archive: _Archive | None, covers_whole_file: bool,
              extra_bytes: int, clean_container: bool) -> list[str]:
    """Why the certification does not hold, in the words of :attr:`Verdict.summary`."""
    problems = []
    if not intact:
        problems.append("the signed content was altered or the signature is broken")
    if intact and not trusted:
        problems.append("the signer's certificate is not the trusted certificate")
    if not certified:
        problems.append("it is not a 'no changes allowed' certification")
    if modified:
        updates = f" ({later_revisions} incremental update(s))" if later_revisions else ""
        if archive is not None and archive.problem:
            problems.append(f"what follows the certified revision{updates} is not only "
                            f"archive timestamps: {archive.problem}")
        else:
            problems.append(f"the document was changed after certification{updates}")
    elif not covers_whole_file:
        if extra_bytes > 0:
            problems.append(f"extra data follows the signed part of the file ({extra_bytes} bytes)")
        elif not clean_container:
            problems.append("the unsigned space around the signature value was altered")
        else:
            problems.append("the signature does not cover the whole file")
    return problems


@_outside_event_loop
def validate(pdf: bytes, *, cert_path: Path, tsa_trust: Sequence[Path] = ()) -> Verdict:
    """Check the certification of ``pdf`` offline, trusting only ``cert_path``.

    No revocation data (CRL/OCSP) is fetched.  Revisions after the certified one
    are accepted only when they are archive updates (PAdES B-LTA, see
    :mod:`cosign.timestamping`): pyHanko's diff analysis finds nothing but
    validation data and document timestamps, the document's metadata (Info,
    XMP) is that of the certified revision, and every document timestamp is
    intact and from a TSA that ``tsa_trust`` (PEM files; empty: the system's
    trust store) vouches for.  Any problem yields a :class:`Verdict` with ``ok``
    false and a human-readable ``summary``; this function does not raise for
    bad input.
    """
    # deferred: pyHanko takes 0.6 s to import; only certifying and checking a PDF need it
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    data = Path(cert_path).read_bytes()
    if asn1_pem.detect(data):
        _, _, data = asn1_pem.unarmor(data)
    trust_root = asn1_x509.Certificate.load(data)

    try:
        reader = PdfFileReader(BytesIO(pdf))
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # noqa: BLE001 - a damaged file fails, it never crashes the check
        return _unsigned(f"Not a readable PDF: {exc or type(exc).__name__}")
    if not signatures:
        return _unsigned("The PDF is not signed.")

    emb = signatures[0]  # signing order: the certification signature comes first
    signer, signed_at, certified = _claims(emb)

    vc = ValidationContext(
        trust_roots=[trust_root], allow_fetching=False, revocation_mode="soft-fail"
    )
    tsa_roots = load_certificates(tsa_trust)
    ts_vc = ValidationContext(trust_roots=[trust_root, *tsa_roots], allow_fetching=False,
                              revocation_mode="soft-fail") if tsa_roots else None
    try:
        status = validate_pdf_signature(emb, signer_validation_context=vc,
                                        ts_validation_context=ts_vc)
    except Exception as exc:  # noqa: BLE001 - SignatureValidationError, PdfError, zlib.error, ...
        return Verdict(
            intact=False, signed=True, covers_whole_file=False, modified=False,
            signer=signer, signed_at=signed_at, certified=certified,
            summary=f"NOT VALID: the signature could not be validated: {exc or type(exc).__name__}",
        )

    intact = bool(status.intact and status.valid)
    trusted = bool(status.trusted)
    later_revisions, extra_bytes = _beyond_signed_revision(reader, emb, len(pdf))
    clean_container = _signature_container_is_clean(pdf, emb)
    archive = _archive_updates(pdf, reader, emb, status, trust_root, tsa_trust) \
        if later_revisions else None
    if archive is not None and archive.acceptable:
        # the certified revision, then archive updates only, up to the last byte
        covers_whole_file = (
            status.coverage in (SignatureCoverageLevel.ENTIRE_REVISION,
                                SignatureCoverageLevel.ENTIRE_FILE)
            and archive.trailing_bytes == 0
            and clean_container
            and len(signatures) == 1
        )
        extra_bytes = archive.trailing_bytes
        changed_revisions = 0
    else:
        covers_whole_file = (
            status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            and later_revisions == 0
            and extra_bytes == 0
            and clean_container
            and len(signatures) == 1
        )
        changed_revisions = later_revisions
    level = status.modification_level
    allowed = (ModificationLevel.NONE,) if not archive or not archive.acceptable \
        else (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
    modified = bool(
        len(signatures) > 1
        or changed_revisions > 0
        or status.docmdp_ok is False
        or level is None
        or level not in allowed
    )

    problems = _problems(intact=intact, trusted=trusted, certified=certified,
                         modified=modified, later_revisions=later_revisions, archive=archive,
                         covers_whole_file=covers_whole_file, extra_bytes=extra_bytes,
                         clean_container=clean_container)
    if problems:
        summary = "NOT VALID: " + "; ".join(problems) + f" (pyHanko: {status.summary()})."
    else:
        when = f" on {signed_at:%Y-%m-%d %H:%M} UTC" if signed_at else ""
        kept = (f" but for {archive.timestamps} archive timestamp(s) with their validation data"
                if archive is not None else "")
        summary = f"VALID: certified by {signer}{when}; the file is unchanged{kept}."
    verdict = Verdict(
        intact=intact, signed=True, covers_whole_file=covers_whole_file,
        modified=modified, signer=signer, signed_at=signed_at, summary=summary,
        trusted=trusted, certified=certified,
        later_revisions=later_revisions, extra_bytes=extra_bytes,
        archive_timestamps=archive.timestamps if archive is not None else 0,
    )
    return verdict


def _signature_container_is_clean(pdf: bytes, emb) -> bool:
    """The one part of the file the signature cannot cover, the ``/Contents`` hex string
    between the two byte ranges, holds the signature value exactly as a signer writes it:
    hex digits of one case, the DER-encoded CMS object, then zero bytes of padding only.
    (Otherwise its padding or letter case could be changed and the copy differ from the
    issued file while the signature still checks out.)"""
    try:
        _, len1, start2, _ = (int(v) for v in emb.byte_range)
        raw = emb.pkcs7_content
        _, _, _, header, contents, _ = parse(raw)
    except Exception:  # noqa: BLE001 - not a standard signature value: not clean
        return False
    gap = pdf[len1:start2]
    if gap not in (b"<" + raw.hex().upper().encode() + b">", b"<" + raw.hex().encode() + b">"):
        return False
    return raw[len(header) + len(contents):].strip(b"\x00") == b""


def _beyond_signed_revision(reader, emb, size: int) -> tuple[int, int]:
    """``(revisions, bytes)`` that follow the revision ``emb`` signed.

    Revisions are counted from pyHanko's xref sections (one per incremental
    update); bytes from the end of the signature's ``/ByteRange``, which must
    be a standard one (``[0 a b c]`` with ``a < b``) ending at the last byte.
    An odd byte range counts as ``size`` extra bytes: nothing it covers can be
    trusted to be the whole file.
    """
    later = max(0, reader.xrefs.total_revisions - 1 - emb.signed_revision)
    try:
        start1, len1, start2, len2 = (int(v) for v in emb.byte_range)
    except (TypeError, ValueError):
        return later, size
    if start1 != 0 or min(len1, start2, len2) < 0 or start2 < len1:
        return later, size
    return later, size - (start2 + len2)


@dataclass(frozen=True)
class _Archive:
    """What follows a certified revision, judged as PAdES archive updates."""

    acceptable: bool
    timestamps: int
    trailing_bytes: int
    problem: str = ""


def _archive_updates(pdf: bytes, reader, emb, status, site_cert, tsa_trust) -> _Archive | None:
    """Are the revisions after ``emb``'s all archive updates? pyHanko's diff analysis must
    see only validation data and document timestamps; the metadata (which pyHanko would
    let through) must be the certified revision's; every document timestamp must be intact,
    cover its own revision exactly and come from a trusted TSA; and nothing may follow the
    last revision's ``%%EOF``. None: no document timestamp follows (not an archive)."""
    # deferred: pyHanko takes 0.6 s to import; only certifying and checking a PDF need it
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    stamps = [s for s in reader.embedded_timestamp_signatures
              if s.signed_revision > emb.signed_revision]
    tail = pdf.rstrip(b"\r\n\t \x00")
    trailing = 0 if tail.endswith(b"%%EOF") else len(pdf) - (pdf.rfind(b"%%EOF") + 5)

    def refuse(problem: str) -> _Archive:
        return _Archive(False, len(stamps), trailing, problem)

    if not stamps:  # no archive at all: an ordinary change
        return None
    stray = _stray_bytes(pdf, reader, emb.signed_revision + 1)
    if stray:
        return refuse(f"{stray} bytes between revisions belong to no object of the document")
    if status.modification_level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return refuse("it is not only validation data and document timestamps")
    if _metadata(reader.get_historical_resolver(emb.signed_revision)) != _metadata(reader):
        return refuse("the document's metadata differs from the certified revision's")
    roots = load_certificates(tsa_trust) or public_roots()
    context = ValidationContext(trust_roots=[site_cert, *roots], allow_fetching=False,
                                revocation_mode="soft-fail")
    for stamp in stamps:
        try:
            checked = validate_pdf_timestamp(stamp, validation_context=context, skip_diff=True)
        except Exception as exc:  # noqa: BLE001 - a broken token is a refusal, not a crash
            return refuse(f"a document timestamp could not be checked ({exc})")
        if not (checked.intact and checked.valid):
            return refuse("a document timestamp is broken")
        if not checked.trusted:
            return refuse("a document timestamp comes from an authority that is not trusted "
                          "(COSIGN_TSA_TRUST)")
        if not _signature_container_is_clean(pdf, stamp):
            return refuse("the unsigned space around a document timestamp was altered")
    return _Archive(True, len(stamps), trailing)


def _stray_bytes(pdf: bytes, reader, first: int) -> int:
    """Non-blank bytes in revisions ``first``.. that no object or cross-reference section of
    that revision accounts for (a comment or an unreferenced object slipped in between two
    revisions, which pyHanko's diff analysis, reading only referenced objects, never sees)."""
    xrefs = reader.xrefs
    stray = 0
    for revision in range(first, xrefs.total_revisions):
        previous_xref = xrefs.get_startxref_for_revision(revision - 1)
        start = pdf.find(b"%%EOF", previous_xref) + 5
        xref_at = xrefs.get_startxref_for_revision(revision)
        end = pdf.find(b"%%EOF", xref_at) + 5
        if start < 5 or end < 5:
            return len(pdf)
        offsets = sorted(
            at for at in (xrefs.get_historical_ref(ref, revision)
                          for ref in xrefs.explicit_refs_in_revision(revision))
            if isinstance(at, int) and start <= at < xref_at)
        stray += len(pdf[start:offsets[0] if offsets else xref_at].strip())
        for at, following in zip(offsets, [*offsets[1:], xref_at], strict=True):
            chunk = pdf[at:following].rstrip()
            if not chunk.endswith(b"endobj"):
                stray += len(chunk)
    return stray


def _metadata(resolver) -> tuple:
    """The document's Info dictionary and XMP metadata as seen by ``resolver`` (the reader,
    or one of its historical revisions: references are resolved in that revision)."""
    # deferred: pyHanko takes 0.6 s to import; only certifying and checking a PDF need it
    from pyhanko.pdf_utils import generic

    def resolve(value):
        while isinstance(value, generic.IndirectObject):
            value = resolver.get_object(value.reference)
        return value

    trailer = resolver.trailer_view
    info = resolve(trailer.raw_get("/Info")) if "/Info" in trailer else generic.DictionaryObject()
    root = resolve(trailer.raw_get("/Root"))
    xmp = resolve(root.raw_get("/Metadata")) if "/Metadata" in root else None
    # the modification date is the one thing every incremental update may set (pyHanko does)
    return (sorted((str(k), str(resolve(info.raw_get(k)))) for k in info if k != "/ModDate"),
            _xmp_facts(xmp.data) if xmp is not None else None)


_XMP_DATES = {"{http://ns.adobe.com/xap/1.0/}ModifyDate",
              "{http://ns.adobe.com/xap/1.0/}MetadataDate"}


def _xmp_facts(data: bytes):
    """What XMP metadata says, whatever its serialisation: pyHanko writes the same facts
    again on each update, with namespace declarations moved about. Elements and
    attributes with their expanded names and text, the modification dates left out
    (parsed with defusedxml: the file may come from anyone)."""
    try:
        root = fromstring(data.strip())
    except Exception:  # noqa: BLE001 - not XML: compare the bytes themselves
        return data

    def facts(element):
        attributes = tuple(sorted((k, v) for k, v in element.attrib.items()
                                  if k not in _XMP_DATES))
        children = tuple(sorted(facts(child) for child in element
                                if child.tag not in _XMP_DATES))
        return (element.tag, attributes, (element.text or "").strip(), children)

    return facts(root)


@functools.lru_cache(maxsize=1)
def public_roots() -> tuple:
    """The public trust anchors (Mozilla's, as shipped by ``certifi``): what trusts a
    time-stamping authority when ``COSIGN_TSA_TRUST`` names none (read once: some 150
    certificates)."""
    return tuple(load_certificates([Path(certifi.where())]))


def load_certificates(paths: Iterable[Path]) -> list:
    """Every certificate (asn1crypto) in the PEM or DER files ``paths``."""
    out: list[asn1_x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        if asn1_pem.detect(data):
            out.extend(asn1_x509.Certificate.load(der)
                       for _, _, der in asn1_pem.unarmor(data, multiple=True))
        else:
            out.append(asn1_x509.Certificate.load(data))
    return out
