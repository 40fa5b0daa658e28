"""Issue 13, item 8: every tampered copy of an issued, certified PDF is rejected by what
the README tells people to use, ``/verify`` and ``flask cosign verify FILE``; the
untouched file passes both.

The PDFs are issued through the real pipeline (render + certify + record) on SQLite and
PostgreSQL; each tamper case is built with real bytes (tests/tampering.py).
"""
from __future__ import annotations

import hashlib
import io

import pytest

from cosign import moderation, pdfs, signing
from cosign.certification import generate_key
from tests.factories import make_statement, make_user
from tests.tampering import FORGED_SUBJECT, TAMPERS


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return generate_key(tmp_path_factory.mktemp("keys"), common_name="cosign.test")


@pytest.fixture
def issued_file(app, session, keys):
    """(issued record, file bytes) of a certified PDF issued by the app."""
    key, cert = keys
    app.config.update(COSIGN_SIGNING_KEY=str(key), COSIGN_SIGNING_CERT=str(cert))
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(
        session, statement, signing.SignOn("Union of Journalists", "IQ", "", ""), owner.id
    )
    issued = pdfs.issue(session, statement, app.config)
    assert issued.certified
    return issued, pdfs.file_path(app.config, issued).read_bytes()


def cli_verify(runner, tmp_path, data: bytes):
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return runner.invoke(args=["cosign", "verify", str(path)])


def web_verify(client, data: bytes) -> str:
    response = client.post("/verify", data={"file": (io.BytesIO(data), "statement.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_untouched_file_passes_both(runner, client, tmp_path, issued_file):
    issued, data = issued_file
    result = cli_verify(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "Result: GENUINE" in result.output
    assert f"verification code {issued.code}" in result.output
    assert "issued-PDF records in the database" in result.output  # it says what it compared
    assert "Certification: VALID: certified by cosign.test" in result.output
    assert hashlib.sha256(data).hexdigest() in result.output

    page = web_verify(client, data)
    assert "Genuine: this PDF was issued by this site" in page and issued.code in page
    assert "a signature that stays valid is not enough" in page  # no "any change breaks it"


def test_every_tampered_copy_fails_both(runner, client, tmp_path, issued_file):
    """Every case of tests/tampering.py on one issued file per database (verifying only
    reads: a file issued for each case would prove nothing more); every case is checked
    and the failing ones are reported together."""
    _issued, data = issued_file
    failed = {}
    for tamper in TAMPERS:
        try:
            _tampered_copy_fails_both(runner, client, tmp_path, data, tamper)
        except AssertionError as error:
            failed[tamper] = str(error)
    assert failed == {}


def _tampered_copy_fails_both(runner, client, tmp_path, data, tamper):
    tampered = TAMPERS[tamper](data)
    assert tampered != data
    if tamper not in {"flipped-signed-byte", "signature-padding"}:
        assert tampered.startswith(data)  # the certified revision kept, something added

    result = cli_verify(runner, tmp_path, tampered)
    assert result.exit_code == 1, result.output
    assert "Records: NOT ISSUED BY THIS SITE" in result.output
    assert "Certification: NOT VALID" in result.output
    assert "Result: NOT GENUINE" in result.output
    assert "Result: GENUINE" not in result.output
    if tamper == "flipped-signed-byte":
        assert "signature is broken" in result.output
    elif tamper == "appended-bytes":
        assert "extra data follows the signed part of the file" in result.output
    elif tamper == "signature-padding":
        assert "unsigned space around the signature value was altered" in result.output
    else:  # an incremental update, metadata-only ones included
        assert "changed after certification (1 incremental update(s))" in result.output

    page = web_verify(client, tampered)
    assert "Not issued by this site, or altered" in page
    assert hashlib.sha256(tampered).hexdigest() in page
    assert "Genuine" not in page and FORGED_SUBJECT not in page


def test_a_file_certified_by_the_site_but_not_issued_is_not_genuine(app, runner, tmp_path, keys,
                                                                     issued_file):
    """A validly certified file (same key) with no issued-PDF record: the records decide."""
    from cosign.certification import certify
    from cosign.core.pdf import html_to_pdf

    key, cert = keys
    stray = certify(html_to_pdf("<p>not issued</p>"), key_path=key, cert_path=cert)
    result = cli_verify(runner, tmp_path, stray)
    assert result.exit_code == 1, result.output
    assert "Certification: VALID" in result.output
    assert "Records: NOT ISSUED BY THIS SITE" in result.output
    assert "Result: NOT GENUINE" in result.output


def test_replaced_key_fails_the_certification_of_an_issued_file(app, runner, tmp_path, issued_file):
    """The bytes match the records, but the certificate now configured did not sign them."""
    _issued, data = issued_file
    _key, other_cert = generate_key(tmp_path / "other", common_name="cosign.test")
    app.config.update(COSIGN_SIGNING_CERT=str(other_cert))
    result = cli_verify(runner, tmp_path, data)
    assert result.exit_code == 1, result.output
    assert "Records: ISSUED BY THIS SITE" in result.output
    assert "not the trusted certificate" in result.output
    assert "was the key replaced?" in result.output


def test_without_a_certificate_the_records_decide(app, runner, tmp_path, issued_file):
    _issued, data = issued_file
    app.config.update(COSIGN_SIGNING_KEY="", COSIGN_SIGNING_CERT="")
    good = cli_verify(runner, tmp_path, data)
    assert good.exit_code == 0, good.output
    assert "Certification: not checked" in good.output
    bad = cli_verify(runner, tmp_path, TAMPERS["info-subject"](data))
    assert bad.exit_code == 1 and "Records: NOT ISSUED BY THIS SITE" in bad.output


def test_bad_input(runner, tmp_path, keys, app):
    _key, cert = keys
    app.config.update(COSIGN_SIGNING_CERT=str(cert))
    for data in (b"", b"hello, not a pdf", b"%PDF-1.7\n" + b"x" * 200):
        result = cli_verify(runner, tmp_path, data)
        assert result.exit_code == 1, result.output
        assert "Result: NOT GENUINE" in result.output
        assert "Traceback" not in result.output
    missing = runner.invoke(args=["cosign", "verify", str(tmp_path / "no-such.pdf")])
    assert missing.exit_code == 2 and "No such file" in missing.output
