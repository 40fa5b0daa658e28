"""cosign.verification.check_file on the service (SQLite and PostgreSQL), with PDFs issued by the
real pipeline: the records decide (one byte more and the file is unknown), and a certified PDF
passes only if its certification holds against the site's current certificate."""
from __future__ import annotations

import pytest

from cosign import moderation, pdfs, signing, verification
from cosign.certification import generate_key
from tests.factories import make_statement, make_user


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return generate_key(tmp_path_factory.mktemp("keys"), common_name="cosign.test")


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory):
    return generate_key(tmp_path_factory.mktemp("other-keys"), common_name="cosign.test")


def issue(app, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(session, statement, signing.SignOn("Union of Journalists", "IQ", "", ""),
                   owner.id)
    issued = pdfs.issue(session, statement, app.config)
    return issued, pdfs.file_path(app.config, issued).read_bytes()


def test_an_uncertified_issued_pdf_is_vouched_for_by_the_records(app, session):
    issued, data = issue(app, session)
    assert not issued.certified
    check = verification.check_file(session, data, app.config)
    assert check.ok and check.issued is not None and check.issued.id == issued.id
    assert check.size == len(data)
    assert check.verdict is None and not check.cert_configured and not check.earlier_copy
    lines = check.lines()
    assert lines[0] == f"File: {len(data)} bytes, SHA-256 {check.sha256}"
    assert f"verification code {issued.code}" in lines[1]
    assert any(line.startswith("Note: this PDF was issued without a certification")
               for line in lines)
    assert lines[-1] == "Result: GENUINE - exactly the PDF this site issued."


def test_one_byte_more_and_the_file_is_unknown(app, session):
    _issued, data = issue(app, session)
    check = verification.check_file(session, data + b"\n", app.config)
    assert not check.ok and check.issued is None
    assert check.lines()[1].startswith("Records: NOT ISSUED BY THIS SITE")
    assert check.lines()[-1].startswith("Result: NOT GENUINE - not a PDF issued by this site")


def test_a_certified_pdf_passes_with_the_sites_certificate_only(app, session, keys, other_keys):
    key, cert = keys
    app.config.update(COSIGN_SIGNING_KEY=str(key), COSIGN_SIGNING_CERT=str(cert))
    issued, data = issue(app, session)
    assert issued.certified
    check = verification.check_file(session, data, app.config)
    assert check.ok and check.cert_configured and check.verdict is not None and check.verdict.ok
    assert any(line.startswith("Certification: VALID: certified by cosign.test")
               for line in check.lines())
    replaced = {**app.config, "COSIGN_SIGNING_CERT": str(other_keys[1])}  # the key was replaced
    check = verification.check_file(session, data, replaced)
    assert check.issued is not None and check.certification_required
    assert check.verdict is not None and not check.verdict.ok and not check.ok
    assert check.lines()[-1].startswith("Result: NOT GENUINE - the bytes match an issued PDF")
    missing = {**app.config, "COSIGN_SIGNING_CERT": str(cert) + ".missing"}
    check = verification.check_file(session, data, missing)
    assert check.ok and not check.cert_configured  # the records alone, as the CLI says
    assert any("Certification: not checked" in line for line in check.lines())
