"""PDF certification: key generation, certify, validate (API and pyhanko CLI).

No database, no app: cosign.certification is a plain service module.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import shlex
import stat
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cosign import certification
from cosign.certification import KeyExistsError, Verdict, certify, generate_key, validate
from tests.tampering import TAMPERS

PYHANKO = Path(sys.executable).with_name("pyhanko")


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    return generate_key(tmp_path_factory.mktemp("keys"), common_name="cosign.test",
                        organisation="Cosign Test")


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory) -> tuple[Path, Path]:
    # Same subject, different key: must not pass as the trusted certificate.
    return generate_key(tmp_path_factory.mktemp("other"), common_name="cosign.test",
                        organisation="Cosign Test")


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    from cosign.core.pdf import html_to_pdf

    return html_to_pdf("<p>hello</p>")


@pytest.fixture(scope="module")
def certified(plain_pdf, keys) -> bytes:
    key, cert = keys
    return certify(plain_pdf, key_path=key, cert_path=cert, location="Test")


def pyhanko(args: list[str]) -> subprocess.CompletedProcess:
    """pyHanko's command line, ``pyhanko ARGS``, run in this process: the click command the
    ``pyhanko`` script calls (``cli_root``), its exit status, standard output and error as
    the script's would be, without starting Python and loading pyHanko again for each file.
    The README's command runs as a real process once (the test of the certified file).
    The loggers it sets up (a handler on the root logger, each run) are put back."""
    if not PYHANKO.exists():
        pytest.skip("pyhanko-cli is not installed in this environment")
    from click.testing import CliRunner
    from pyhanko.cli import cli_root

    loggers = [logging.getLogger(), logging.getLogger("pyhanko_certvalidator.fetchers")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    try:
        result = CliRunner().invoke(cli_root, args, prog_name="pyhanko")
    finally:
        for logger, level, handlers in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash of the command, not a verdict: the test shows it
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def cli_validate(
    pdf: bytes, cert: Path, tmp_path: Path, *extra: str
) -> subprocess.CompletedProcess:
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    return pyhanko(["sign", "validate", "--no-revocation-check", "--trust", str(cert),
                    "--trust-replace", *extra, str(path)])


# ------------------------------------------------------------------ generate_key


def test_generate_key_files_and_permissions(keys):
    key, cert = keys
    assert key.name == "signing-key.pem" and cert.name == "signing-cert.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # unencrypted PKCS#8
    assert not any(p.name.endswith(".tmp") for p in key.parent.iterdir())


def test_generate_key_certificate_fields(keys):
    _, cert_path = keys
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert (cn, org) == ("cosign.test", "Cosign Test")
    assert cert.issuer == cert.subject
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=3650) <= lifetime <= dt.timedelta(days=3651)


def test_generate_key_refuses_overwrite(tmp_path):
    key, cert = generate_key(tmp_path, common_name="a", days=1)
    before = key.read_bytes(), cert.read_bytes()
    with pytest.raises(KeyExistsError, match="refusing to overwrite"):
        generate_key(tmp_path, common_name="b")
    assert (key.read_bytes(), cert.read_bytes()) == before
    # Only one of the two files present is refused as well.
    cert.unlink()
    with pytest.raises(FileExistsError):
        generate_key(tmp_path, common_name="b")

    generate_key(tmp_path, common_name="b", force=True)
    assert key.read_bytes() != before[0]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    new = x509.load_pem_x509_certificate(cert.read_bytes())
    assert new.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "b"


def test_generate_key_creates_directory(tmp_path):
    key, _ = generate_key(tmp_path / "new" / "dir", common_name="a", days=1)
    assert key.exists()


# ------------------------------------------------------------- certify + validate


def test_certify_and_validate_intact(plain_pdf, certified, keys):
    _, cert = keys
    assert certified.startswith(plain_pdf)  # incremental update: original bytes kept
    verdict = validate(certified, cert_path=cert)
    assert isinstance(verdict, Verdict)
    assert verdict.ok, verdict.summary
    assert verdict.signed and verdict.intact and verdict.trusted and verdict.certified
    assert verdict.covers_whole_file and not verdict.modified
    assert verdict.signer == "cosign.test"
    assert verdict.signed_at is not None
    assert abs(verdict.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)
    assert verdict.summary.startswith("VALID")


def test_certification_dictionary(certified):
    from pypdf import PdfReader
    reader = PdfReader(BytesIO(certified))
    root: Any = reader.trailer["/Root"]  # walked by name: pypdf types each step PdfObject
    sig_field = next(f for f in root["/AcroForm"]["/Fields"]
                     if f.get_object()["/T"] == "cosign").get_object()
    sig = sig_field["/V"].get_object()
    assert sig["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig["/Reason"] == "Issued by cosign" and sig["/Location"] == "Test"
    transform = sig["/Reference"][0].get_object()
    assert transform["/TransformMethod"] == "/DocMDP"
    assert transform["/TransformParams"]["/P"] == 1  # no changes allowed
    assert "/DocMDP" in root["/Perms"]


def test_certify_refuses_signed_pdf(certified, keys):
    key, cert = keys
    with pytest.raises(certification.CertificationError, match="signed already"):
        certify(certified, key_path=key, cert_path=cert)


def test_cli_validates_certified_pdf(certified, keys, tmp_path):
    _, cert = keys
    result = cli_validate(certified, cert, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(":INTACT:TRUSTED,UNTOUCHED")
    pretty = cli_validate(certified, cert, tmp_path, "--pretty-print")
    assert pretty.returncode == 0, pretty.stderr
    assert "The signature covers the entire file." in pretty.stdout
    assert "The signature is judged VALID." in pretty.stdout


# ------------------------------------------------------------------- tampering


def test_unsigned_pdf(plain_pdf, keys, tmp_path):
    _, cert = keys
    verdict = validate(plain_pdf, cert_path=cert)
    assert not verdict.ok and not verdict.signed
    assert "not signed" in verdict.summary
    # Gotcha: the CLI prints nothing and exits 0 for a file without signatures.
    result = cli_validate(plain_pdf, cert, tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == ""


def test_not_a_pdf(keys):
    _, cert = keys
    verdict = validate(b"hello, not a pdf", cert_path=cert)
    assert not verdict.ok and not verdict.signed


@pytest.mark.parametrize("tail", [b"\n", b"\n<< /Evil (appended after %%EOF) >>\n"])
def test_appended_bytes(certified, keys, tmp_path, tail):
    _, cert = keys
    tampered = certified + tail
    verdict = validate(tampered, cert_path=cert)
    assert not verdict.ok
    assert not verdict.covers_whole_file
    assert verdict.intact  # the signed byte range itself is untouched
    assert "extra data" in verdict.summary

    # The CLI calls this VALID (exit 0) but no longer says UNTOUCHED.
    result = cli_validate(tampered, cert, tmp_path)
    assert result.returncode == 0
    assert "UNTOUCHED" not in result.stdout
    assert "INTACT:TRUSTED,EXTENDED" in result.stdout
    pretty = cli_validate(tampered, cert, tmp_path, "--pretty-print")
    assert "The signature does not cover the entire file." in pretty.stdout


def _annotate_with_pypdf(pdf: bytes) -> bytes:
    from pypdf import PdfWriter
    from pypdf.annotations import FreeText

    writer = PdfWriter(BytesIO(pdf), incremental=True)
    writer.add_annotation(0, FreeText(text="retracted", rect=(50, 550, 200, 650)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _annotate_with_pyhanko(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    annot = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Text"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    map(generic.NumberObject, (50, 50, 70, 70))
                ),
                generic.NameObject("/Contents"): generic.TextStringObject("retracted"),
            }
        )
    )
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    annots = page.get("/Annots", generic.ArrayObject())
    annots = generic.ArrayObject(list(annots) + [annot])
    page[generic.NameObject("/Annots")] = annots
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("annotate", [_annotate_with_pypdf, _annotate_with_pyhanko])
def test_incremental_update_is_modified(certified, keys, tmp_path, annotate):
    _, cert = keys
    tampered = annotate(certified)
    assert tampered.startswith(certified) and len(tampered) > len(certified)
    verdict = validate(tampered, cert_path=cert)
    assert not verdict.ok
    assert verdict.modified
    assert not verdict.covers_whole_file
    assert "changed after certification" in verdict.summary

    result = cli_validate(tampered, cert, tmp_path, "--executive-summary")
    assert result.returncode != 0
    assert result.stdout.strip().endswith(":INVALID")
    assert "Validation failed" in result.stderr


def test_signed_with_another_key_is_not_trusted(plain_pdf, keys, other_keys, tmp_path):
    _, trusted_cert = keys
    other_key, other_cert = other_keys
    forged = certify(plain_pdf, key_path=other_key, cert_path=other_cert)
    assert validate(forged, cert_path=other_cert).ok  # fine against its own cert

    verdict = validate(forged, cert_path=trusted_cert)
    assert not verdict.ok
    assert verdict.intact and not verdict.trusted
    assert verdict.covers_whole_file and not verdict.modified
    assert "not the trusted certificate" in verdict.summary

    result = cli_validate(forged, trusted_cert, tmp_path)
    assert result.returncode != 0
    assert result.stdout.strip().endswith(":INTACT:UNTRUSTED,UNTOUCHED")
    assert "Validation failed" in result.stderr


def test_key_file_mode_survives_umask(tmp_path):
    old = os.umask(0)
    try:
        key, _ = generate_key(tmp_path, common_name="a", days=1)
    finally:
        os.umask(old)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_certify_and_validate_inside_a_running_loop(tmp_path):
    """Playwright's sync API (and any async caller) runs an event loop in the thread."""
    import asyncio

    from cosign.core.pdf import html_to_pdf

    key, cert = certification.generate_key(tmp_path, common_name="cosign test")
    pdf = html_to_pdf("<p>hello</p>")

    async def inside():
        signed = certification.certify(pdf, key_path=key, cert_path=cert)
        return certification.validate(signed, cert_path=cert)

    assert asyncio.run(inside()).ok


# ------------------------------------- issue 13: every tamper case, and the README's command

README = Path(__file__).resolve().parent.parent / "README.md"
# what pyHanko's own verdict (exit status 0) lets through
PYHANKO_TOLERATES = {"info-subject", "xmp-metadata", "appended-bytes", "signature-padding"}
# what even the README's rule for pyHanko's output cannot see (it changes nothing shown)
README_RULE_MISSES = {"signature-padding"}


def readme_pyhanko(pdf: bytes, cert: Path, tmp_path: Path, *extra: str, process: bool = False):
    """Run the pyhanko command exactly as the README prints it (only the program's path,
    the certificate and the file are this test's), and apply the README's rule:
    exactly one line, ending in ``:INTACT:TRUSTED,UNTOUCHED``. ``process``: as a real
    process (the ``pyhanko`` script), else in this process (:func:`pyhanko`)."""
    if not PYHANKO.exists():
        pytest.skip("pyhanko-cli is not installed in this environment")
    commands = [line for line in README.read_text().splitlines()
                if line.startswith("pyhanko sign validate")]
    assert len(commands) == 1, commands
    args = shlex.split(commands[0])
    assert args[0] == "pyhanko" and args.count("signing-cert.pem") == 1
    assert args[-1] == "statement.pdf"
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    args = [*[str(cert) if a == "signing-cert.pem" else a for a in args[1:-1]], *extra, str(path)]
    result = (subprocess.run([str(PYHANKO), *args], capture_output=True, text=True, timeout=120)
              if process else pyhanko(args))
    lines = result.stdout.strip().splitlines()
    accepted = len(lines) == 1 and lines[0].endswith(":INTACT:TRUSTED,UNTOUCHED")
    return result, accepted


def test_readme_pyhanko_rule_accepts_the_certified_file(certified, keys, tmp_path):
    _, cert = keys
    result, accepted = readme_pyhanko(certified, cert, tmp_path, process=True)
    assert result.returncode == 0 and accepted, result.stdout + result.stderr


def test_readme_pyhanko_rule_rejects_an_unsigned_file(plain_pdf, keys, tmp_path):
    _, cert = keys
    result, accepted = readme_pyhanko(plain_pdf, cert, tmp_path)
    assert result.returncode == 0 and not accepted  # exit 0, no line: the README says so


@pytest.mark.parametrize("tamper", TAMPERS, ids=list(TAMPERS))
def test_every_tamper_case(certified, keys, tmp_path, tamper):
    _, cert = keys
    tampered = TAMPERS[tamper](certified)
    verdict = validate(tampered, cert_path=cert)
    assert not verdict.ok, verdict.summary
    assert verdict.summary.startswith("NOT VALID")
    if tamper == "flipped-signed-byte":
        assert not verdict.intact
    elif tamper == "signature-padding":
        assert verdict.intact and not verdict.covers_whole_file
        assert verdict.later_revisions == 0 and verdict.extra_bytes == 0
        assert "unsigned space around the signature value" in verdict.summary
    else:
        assert verdict.intact and verdict.trusted and verdict.certified  # the signed part is fine
        assert not verdict.covers_whole_file
        if tamper == "appended-bytes":
            assert verdict.later_revisions == 0 and verdict.extra_bytes == len(tampered) - len(
                certified
            )
        else:
            assert verdict.later_revisions == 1 and verdict.modified

    result, accepted = readme_pyhanko(tampered, cert, tmp_path)
    # the README's rule catches every case but the one it names as out of its reach
    assert accepted == (tamper in README_RULE_MISSES), result.stdout
    if tamper in PYHANKO_TOLERATES:
        # ... while the exit status does not, with or without diff analysis (as the README says)
        assert result.returncode == 0, result.stderr
        no_diff, _ = readme_pyhanko(tampered, cert, tmp_path, "--no-diff-analysis")
        assert no_diff.returncode == 0
    else:
        assert result.returncode == 1 and "Validation failed" in result.stderr


def test_validate_counts_a_second_incremental_update(certified, keys):
    _, cert = keys
    twice = TAMPERS["xmp-metadata"](TAMPERS["info-subject"](certified))
    verdict = validate(twice, cert_path=cert)
    assert not verdict.ok and verdict.later_revisions == 2
    assert "(2 incremental update(s))" in verdict.summary


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)),
                        min_size=1, max_size=4))
def test_any_changed_byte_fails_and_never_crashes(certified, keys, changes):
    _, cert = keys
    data = bytearray(certified)
    for at, value in changes:
        data[at % len(data)] = value
    assume(bytes(data) != certified)
    verdict = validate(bytes(data), cert_path=cert)  # must not raise, whatever the damage
    assert not verdict.ok, verdict.summary
