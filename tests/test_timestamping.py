"""Issue 15, item 4: trusted time and long-term validation (PAdES B-T, B-LT, B-LTA).

Everything runs against a real PKI served on loopback by Certomancer (tests/pki.py): a CA
with OCSP and CRLs, and two RFC 3161 time-stamping authorities, the first with a
certificate that expires in 30 days. Results are validated with pyHanko's AdES LTA
validation, offline (cosign.timestamping.long_term), and with the site's own checks.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore

from cosign import archives, certification, moderation, pdfs, signing, timestamping
from cosign.core.pdf import PdfDocument, RenderOptions, render_statement
from cosign.core.signatory import Signatory
from cosign.models import EarlierCopy, IssuedPdf
from tests.factories import make_statement, make_user
from tests.tampering import TAMPERS

NOW = dt.datetime.now(dt.UTC)
AFTER_FIRST_TSA = NOW + dt.timedelta(days=60)  # the first TSA's certificate has expired


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    document = PdfDocument(title="Stop the killing of protesters", body="We condemn it.",
                           version=1, text_sha256="0" * 64, language="en")
    return render_statement(document, [Signatory(name="Union of Journalists", country="IQ")],
                            RenderOptions(verification_code="K7QM-3XWD-PA",
                                          verification_url="https://cosign.test/verify/K7QM3XWDPA"))


@pytest.fixture(scope="module")
def authority(pki):
    return timestamping.Authority(url=pki.tsa_url, trust=(pki.root_pem,))


@pytest.fixture(scope="module")
def next_authority(pki):
    return timestamping.Authority(url=pki.next_tsa_url, trust=(pki.root_pem,))


@pytest.fixture(scope="module")
def stamped(plain_pdf, pki, authority) -> bytes:
    """Certified by a CA-issued site certificate (OCSP + CRL) with the first TSA's time."""
    return timestamping.certify(plain_pdf, authority, key_path=pki.site_key,
                                cert_path=pki.site_cert, chain_path=pki.site_chain)


def roots(pki):
    return certification.load_certificates([pki.root_pem])


# ----------------------------------------------------------------- the library, offline


def test_certification_carries_the_tsa_time_and_the_proofs(stamped, pki):
    stamps = timestamping.read(stamped)
    assert stamps.authority == "Test Time Stamping Authority"
    assert stamps.signed_at is not None and stamps.renew_by is not None
    assert abs(stamps.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)
    assert stamps.archive_timestamps == 1  # B-LTA: a document timestamp over it all
    # renew before the TSA certificate's end (30 days)
    assert dt.timedelta(days=28) < stamps.renew_by - NOW < dt.timedelta(days=32)

    reader = PdfFileReader(BytesIO(stamped))
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps, "the OCSP answer for the site's certificate is in the DSS (B-LT)"
    assert dss.crls, "the CRLs of the chains are in the DSS (B-LT)"
    site_serial = pki.cert("site").serial_number
    from asn1crypto import ocsp

    answers = [ocsp.OCSPResponse.load(o.get_object().data) for o in dss.ocsps]
    assert any(a.basic_ocsp_response["tbs_response_data"]["responses"][0]["cert_id"]
               ["serial_number"].native == site_serial for a in answers)


def test_long_term_validation_offline_trusting_only_the_root(stamped, pki):
    result = timestamping.long_term(stamped, trust=roots(pki))
    assert result.ok, result.summary
    assert result.indication == "AdESPassed.OK"
    assert result.best_signature_time == timestamping.read(stamped).signed_at


def test_site_check_accepts_the_archive_updates(stamped, pki):
    verdict = certification.validate(stamped, cert_path=pki.site_cert, tsa_trust=[pki.root_pem])
    assert verdict.ok, verdict.summary
    assert verdict.archive_timestamps == 1 and verdict.later_revisions >= 1
    assert "but for 1 archive timestamp(s)" in verdict.summary


def test_archive_timestamps_from_an_untrusted_authority_are_refused(stamped, pki):
    verdict = certification.validate(stamped, cert_path=pki.site_cert)  # TSA root not trusted
    assert not verdict.ok
    assert "not trusted" in verdict.summary


def test_without_refresh_the_archive_dies_with_the_tsa_certificate(stamped, pki):
    result = timestamping.long_term(stamped, trust=roots(pki), at=AFTER_FIRST_TSA)
    assert not result.ok
    assert result.indication in {"AdESIndeterminate.NO_POE",
                                 "AdESIndeterminate.OUT_OF_BOUNDS_NO_POE"}, result.summary


def test_refresh_carries_the_archive_past_the_tsa_certificate(stamped, pki, next_authority):
    refreshed = timestamping.refresh(stamped, next_authority)
    assert refreshed.startswith(stamped)  # incremental: the certified bytes are kept
    stamps = timestamping.read(refreshed)
    assert stamps.archive_timestamps == 2
    assert stamps.renew_by is not None and stamps.renew_by > AFTER_FIRST_TSA
    result = timestamping.long_term(refreshed, trust=roots(pki), at=AFTER_FIRST_TSA)
    assert result.ok, result.summary
    # proven to exist at the moment of certification (within the second that followed),
    # across the two authorities
    assert abs(result.best_signature_time - stamps.signed_at) < dt.timedelta(seconds=5)
    verdict = certification.validate(refreshed, cert_path=pki.site_cert,
                                      tsa_trust=[pki.root_pem])
    assert verdict.ok and verdict.archive_timestamps == 2, verdict.summary


def test_self_signed_site_key_with_a_tsa(plain_pdf, tmp_path, pki, authority):
    key, cert = certification.generate_key(tmp_path, common_name="cosign.test")
    stamped = timestamping.certify(plain_pdf, authority, key_path=key, cert_path=cert)
    anchors = certification.load_certificates([cert, pki.root_pem])
    assert timestamping.long_term(stamped, trust=anchors).ok
    assert certification.validate(stamped, cert_path=cert, tsa_trust=[pki.root_pem]).ok


def test_an_unreachable_tsa_is_an_error_not_a_pdf(plain_pdf, pki):
    nowhere = timestamping.Authority(url="http://127.0.0.1:9/tsa", trust=(pki.root_pem,),
                                     timeout=5)
    with pytest.raises(timestamping.TimestampError):
        timestamping.certify(plain_pdf, nowhere, key_path=pki.site_key,
                             cert_path=pki.site_cert, chain_path=pki.site_chain)


@pytest.mark.parametrize("tamper", TAMPERS, ids=list(TAMPERS))
def test_a_tampered_copy_laundered_with_a_trusted_timestamp_fails(stamped, pki, next_authority,
                                                                  tamper):
    """A forger changes the file, then adds a genuine archive timestamp from a trusted TSA
    on top: the site's check still refuses it."""
    tampered = TAMPERS[tamper](stamped)
    try:
        laundered = timestamping.refresh(tampered, next_authority)
    except timestamping.TimestampError:
        laundered = tampered  # pyHanko would not even timestamp it
    for data in (tampered, laundered):
        verdict = certification.validate(data, cert_path=pki.site_cert,
                                          tsa_trust=[pki.root_pem])
        assert not verdict.ok, (tamper, verdict.summary)


def test_stamps_of_an_unsigned_or_broken_file():
    assert timestamping.read(b"not a pdf") == timestamping.Stamps()
    assert not timestamping.read(b"not a pdf").timestamped
    result = timestamping.long_term(b"%PDF-1.7 broken", trust=[])
    assert not result.ok and "readable" in result.summary


# ------------------------------------------------------------------ through the app


@pytest.fixture
def tsa_app(app, pki):
    app.config.update(COSIGN_SIGNING_KEY=str(pki.site_key), COSIGN_SIGNING_CERT=str(pki.site_cert),
                      COSIGN_SIGNING_CHAIN=str(pki.site_chain), COSIGN_TSA_URL=pki.tsa_url,
                      COSIGN_TSA_TRUST=(str(pki.root_pem),), COSIGN_TSA_TIMEOUT=10)
    return app


def issue(session, app) -> IssuedPdf:
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(session, statement, signing.SignOn("Union of Journalists", "IQ", "", ""),
                   owner.id)
    return pdfs.issue(session, statement, app.config)


def upload(client, data: bytes) -> str:
    response = client.post("/verify", data={"file": (io.BytesIO(data), "statement.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cli_verify(runner, tmp_path, data: bytes):
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return runner.invoke(args=["cosign", "verify", str(path)])


def issued_pdf_is_timestamped_and_verify_says_by_whom(tsa_app, session, client, runner,
                                                      tmp_path, issued):
    """Checked on the PDF `test_refresh_timestamps_extends_...` issues (one render, one TSA
    round, for the life of a timestamped PDF)."""
    data = pdfs.file_path(tsa_app.config, issued).read_bytes()
    assert issued.certified and issued.timestamp_authority == "Test Time Stamping Authority"
    assert issued.timestamped_at is not None and issued.archive_timestamps == 1
    assert issued.archive_until is not None
    assert issued.archive_until > issued.created_at + dt.timedelta(days=28)

    page = client.get(f"/verify/{issued.code}").get_data(as_text=True)
    assert "Trusted time" in page and "Test Time Stamping Authority" in page
    assert "1 archive timestamp with the validation data" in page
    assert "Genuine" in upload(client, data)

    result = cli_verify(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "Timestamp: " in result.output and "by Test Time Stamping Authority" in result.output
    assert "Long-term validation (PAdES B-LTA, offline): VALID" in result.output


def test_refresh_timestamps_extends_due_archives_and_old_copies_still_verify(
        tsa_app, session, client, runner, tmp_path, pki):
    """The life of a timestamped PDF: issued with the TSA's time (and verified so), not due,
    a refresh that fails and changes nothing, a refresh that extends it; the old copy
    still verifies."""
    issued = issue(session, tsa_app)
    issued_pdf_is_timestamped_and_verify_says_by_whom(tsa_app, session, client, runner,
                                                      tmp_path, issued)
    issued_id, old = issued.id, pdfs.file_path(tsa_app.config, issued).read_bytes()
    session.rollback()

    # not due yet when the margin is shorter than the TSA certificate's 30 days
    result = runner.invoke(args=["cosign", "refresh-timestamps", "--within-days", "5"])
    assert result.exit_code == 0 and "0 of 0 archive(s) extended" in result.output

    refresh_failure_is_reported_and_changes_nothing(tsa_app, session, runner, issued_id)

    tsa_app.config["COSIGN_TSA_URL"] = pki.next_tsa_url  # the authority renewed its certificate
    result = runner.invoke(args=["cosign", "refresh-timestamps", "--within-days", "60"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 archive(s) extended" in result.output

    session.expire_all()
    issued = session.get(IssuedPdf, issued_id)
    new = pdfs.file_path(tsa_app.config, issued).read_bytes()
    assert new.startswith(old) and issued.sha256 == hashlib.sha256(new).hexdigest()
    assert issued.archive_timestamps == 2
    assert issued.archive_until > dt.datetime.now() + dt.timedelta(days=365)
    assert session.query(EarlierCopy).filter_by(issued_pdf_id=issued_id).one().sha256 \
        == hashlib.sha256(old).hexdigest()
    assert timestamping.long_term(new, trust=roots(pki), at=AFTER_FIRST_TSA).ok

    # the copy a journalist downloaded before is still this site's PDF, and says so
    page = upload(client, old)
    assert "Genuine" in page and "before the PDF’s archive timestamps were last renewed" in page
    assert "last renewed" not in upload(client, new)
    for data in (old, new):
        result = cli_verify(runner, tmp_path, data)
        assert result.exit_code == 0 and "Result: GENUINE" in result.output, result.output

    # now nothing is due
    result = runner.invoke(args=["cosign", "refresh-timestamps", "--within-days", "60"])
    assert "0 of 0 archive(s) extended" in result.output


def test_tsa_down_pdf_is_certified_and_gets_its_archive_later(tsa_app, session, client, runner,
                                                             pki, caplog):
    tsa_app.config["COSIGN_TSA_URL"] = "http://127.0.0.1:9/tsa"
    tsa_app.config["COSIGN_TSA_TIMEOUT"] = 5
    logging.getLogger("cosign.pdfs").disabled = False  # Alembic's fileConfig disables loggers
    with caplog.at_level("WARNING", logger="cosign.pdfs"):
        issued = issue(session, tsa_app)
    assert issued.certified and issued.timestamped_at is None and issued.archive_timestamps == 0
    assert "without a trusted timestamp" in caplog.text
    page = client.get(f"/verify/{issued.code}").get_data(as_text=True)
    assert "the time of certification is this site’s own claim" in page
    issued_id = issued.id
    session.rollback()

    tsa_app.config["COSIGN_TSA_URL"] = pki.next_tsa_url  # back up
    result = runner.invoke(args=["cosign", "refresh-timestamps"])
    assert result.exit_code == 0 and "1 of 1 archive(s) extended" in result.output, result.output
    session.expire_all()
    issued = session.get(IssuedPdf, issued_id)
    assert issued.archive_timestamps == 1 and issued.timestamped_at is None
    data = pdfs.file_path(tsa_app.config, issued).read_bytes()
    # certified and archived: the document timestamp proves the PDF existed by then ...
    anchors = certification.load_certificates([pki.site_cert, pki.root_pem])
    assert certification.validate(data, cert_path=pki.site_cert, tsa_trust=[pki.root_pem]).ok
    # ... but it is not B-LTA: pyHanko's AdES validation wants a timestamp in the signature
    # itself, which only a TSA reachable at certification gives (README, "Trusted time")
    late = timestamping.long_term(data, trust=anchors)
    assert not late.ok and late.indication == "AdESIndeterminate.SIG_CONSTRAINTS_FAILURE"
    assert "No signature timestamp present" in late.summary


def refresh_failure_is_reported_and_changes_nothing(tsa_app, session, runner, issued_id):
    """With the PDF `test_refresh_timestamps_extends_...` issued, due, and no TSA reachable."""
    sha = session.get(IssuedPdf, issued_id).sha256
    session.rollback()
    tsa_app.config["COSIGN_TSA_URL"] = "http://127.0.0.1:9/tsa"
    tsa_app.config["COSIGN_TSA_TIMEOUT"] = 5
    result = runner.invoke(args=["cosign", "refresh-timestamps", "--within-days", "60"])
    assert result.exit_code == 1
    assert "could not extend the archive timestamps" in result.output
    assert "0 of 1 archive(s) extended" in result.output
    session.expire_all()
    assert session.get(IssuedPdf, issued_id).sha256 == sha
    assert session.query(EarlierCopy).count() == 0


def test_refresh_timestamps_needs_a_tsa(app, runner):
    result = runner.invoke(args=["cosign", "refresh-timestamps"])
    assert result.exit_code != 0 and "COSIGN_TSA_URL" in result.output


def test_due_skips_uncertified_pdfs(app, session):
    issued = issue(session, app)  # no key: not certified
    assert not issued.certified
    assert archives.due(session, within_days=10_000) == []


def test_doctor_on_trusted_time(tsa_app, session, runner, pki):
    def line():
        result = runner.invoke(args=["cosign", "doctor"])
        return next(x for x in result.output.splitlines() if "trusted time" in x)

    assert line().startswith("OK") and pki.tsa_url.split("/")[2] in line()
    issue(session, tsa_app)  # its TSA certificate expires in 30 days: due within 180
    session.rollback()
    assert line().startswith("WARNING") and "refresh-timestamps" in line()
    tsa_app.config["COSIGN_TSA_TRUST"] = ("/nonexistent/root.pem",)
    assert line().startswith("PROBLEM") and "/nonexistent/root.pem" in line()


def test_readme_online_check_with_pyhanko(stamped, pki, tmp_path):
    """The README's online check: pyHanko's own AdES command, fetching today's revocation
    data from the (loopback) PKI."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "statement.pdf"
    path.write_bytes(stamped)
    pyhanko = Path(sys.executable).with_name("pyhanko")
    result = subprocess.run([str(pyhanko), "sign", "adesverify", "--trust", str(pki.root_pem),
                             "--trust-replace", str(path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES" \
        in result.stdout


def test_certified_timestamped_and_refreshed_pdfs_stay_pdf_a_3a_and_pdf_ua_1(
        stamped, plain_pdf, next_authority, tmp_path, pki):
    """Certification and archive timestamps are incremental updates: what they add (the
    signature field, the DSS, pyHanko's rewrite of the XMP metadata) must keep the file
    PDF/A-3a and PDF/UA-1 (tests/pdfa_check.py: the rules veraPDF would check that these
    updates could break; pdfua: PDF/UA-1's machine-checkable part)."""
    from pdfua import validate

    from tests import pdfa_check

    certified = certification.certify(plain_pdf, key_path=pki.site_key, cert_path=pki.site_cert,
                                      chain_path=pki.site_chain)
    refreshed = timestamping.refresh(stamped, next_authority)
    for name, data in (("plain", plain_pdf), ("certified", certified), ("stamped", stamped),
                       ("refreshed", refreshed)):
        assert pdfa_check.check(data) == [], name
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        findings = [(f.rule_id, f.message) for f in validate(str(path)).findings]
        assert findings == [], (name, findings)
        info = PdfFileReader(BytesIO(data)).trailer_view.get("/Info")
        info = info.get_object() if info is not None else {}
        assert set(info) <= {"/Title", "/Producer", "/ModDate"}, (name, info)
