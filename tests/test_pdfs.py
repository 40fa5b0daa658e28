"""Issuing PDFs: cache key, records, the real renderer, read back with pypdf."""
import hashlib
import io
import json
import re
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from cosign import drafting, moderation, pdfs, signing
from cosign.models import IssuedPdf, Signature
from tests.factories import make_statement, make_user


def _found(issued: IssuedPdf | None) -> IssuedPdf:
    assert issued is not None, "no issued PDF found"
    return issued


def _latest(session, statement_id: int) -> IssuedPdf:
    return _found(pdfs.latest(session, statement_id))


def sign_on(name, country="IQ", display="named", email="contact@example.org", **kw):
    return signing.SignOn(
        organisation=name,
        country=country,
        email=email,
        contact_name="Private Person",
        display=display,
        org_type=kw.pop("org_type", "ngo"),
        **kw,
    )


@pytest.fixture
def opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner, coalition="Coalition for Civic Freedom",
                               press_name="Press Officer")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    for name, country, display in [("Iraqi Democratic Association", "IQ", "named"),
                                   ("جمعية الأمل لحقوق الإنسان", "IQ", "named"),
                                   ("Diaspora Forum", "GB", "named"),
                                   ("Hidden Teachers", "IQ", "withheld")]:
        moderation.add(
            session,
            statement,
            sign_on(name, country, display, email=f"{abs(hash(name))}@secret.example.org"),
            owner.id,
        )
    pending = signing.sign(session, statement, sign_on("Pending Org", email="pending@example.org"),
                           secret_key="x", link_for=lambda p, v: v)
    rejected = signing.sign(session, statement, sign_on("Rejected Org", email="rej@example.org"),
                            secret_key="x", link_for=lambda p, v: v)
    moderation.reject(session, statement, [rejected.id], owner.id)
    assert pending.status == "unconfirmed"
    return statement, owner


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def test_issue_renders_records_and_caches(session, app, opened):
    """One render of the statement, read for everything an issued PDF is: its record and
    text, the cache, the JSON attachment, the look-ups by file and code; then a change of
    the list gives a new one."""
    statement, owner = opened
    issued = pdfs.issue(session, statement, app.config)
    data = pdfs.file_path(app.config, issued).read_bytes()
    assert issued.sha256 == hashlib.sha256(data).hexdigest() and issued.size == len(data)
    assert issued.signatory_count == 4 and issued.revision == statement.signed_revision
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", issued.code)
    text = text_of(data)
    for name in ["Iraqi Democratic Association", "Diaspora Forum"]:
        assert text.count(name) == 1
    assert "An organisation in Iraq (name withheld)" in text.replace("\n", " ")
    for absent in [
        "Hidden Teachers",
        "Pending Org",
        "Rejected Org",
        "Private Person",
        "secret.example.org",
        "pending@example.org",
    ]:
        assert absent not in text
        assert absent.encode() not in data
    assert issued.code in text
    # unchanged statement: same record, no new render
    again = pdfs.issue(session, statement, app.config,
                       render=lambda *a, **k: pytest.fail("rendered an unchanged statement"))
    assert again.id == issued.id
    assert session.scalar(select(func.count()).select_from(IssuedPdf)) == 1
    json_attachment_matches_the_public_list(data)
    lookup_by_file_and_code(session, issued, data)
    a_change_of_the_list_gives_a_new_pdf(session, app, statement, owner, issued)


def a_change_of_the_list_gives_a_new_pdf(session, app, statement, owner, first):
    moderation.add(session, statement, sign_on("Late Union", "FR", org_type="union"), owner.id)
    second = pdfs.issue(session, statement, app.config)
    assert second.id != first.id and second.signatory_count == 5 and second.code != first.code
    assert _latest(session, statement.id).id == second.id
    assert "Late Union" in text_of(pdfs.file_path(app.config, second).read_bytes())


def json_attachment_matches_the_public_list(data: bytes):
    reader = PdfReader(io.BytesIO(data))
    attachments = reader.attachments
    assert list(attachments) == ["signatories.json"]
    listed = json.loads(attachments["signatories.json"][0])
    rows = listed["signatories"] if isinstance(listed, dict) else listed
    names = sorted(r["name"] for r in rows if r["name"])
    assert names == sorted(
        ["Iraqi Democratic Association", "جمعية الأمل لحقوق الإنسان", "Diaspora Forum"]
    )
    assert sum(1 for r in rows if r["name"] is None) == 1
    assert "secret.example.org" not in json.dumps(listed) and "Private Person" not in json.dumps(
        listed
    )


def lookup_by_file_and_code(session, issued: IssuedPdf, data: bytes):
    assert _found(pdfs.by_file(session, data)).id == issued.id
    assert pdfs.by_file(session, data + b"\n%tampered") is None
    assert _found(pdfs.by_code(session, issued.code.lower().replace("-", " "))).id == issued.id
    assert pdfs.by_code(session, "NOPE") is None


def test_audit_marks_the_pdf_wanted_and_tick_renders_it(session, app, opened, runner):
    statement, owner = opened
    session.refresh(statement)
    assert statement.pdf_wanted_at is not None  # opening and additions marked it
    result = runner.invoke(args=["cosign", "tick"])
    assert result.exit_code == 0 and "rendered 1 PDF(s)" in result.output
    session.refresh(statement)
    assert statement.pdf_wanted_at is None
    assert _latest(session, statement.id).signatory_count == 4


def test_render_command(session, app, opened, runner, tmp_path):
    statement, _owner = opened
    out = tmp_path / "out.pdf"
    result = runner.invoke(args=["cosign", "render", statement.slug, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-") and "verification code" in result.output
    bad = runner.invoke(args=["cosign", "render", "no-such-statement", "-o", str(out)])
    assert bad.exit_code != 0 and "No statement" in bad.output


def test_a_draft_has_no_pdf(session, app):
    owner = make_user(session)
    statement = make_statement(session, owner)
    with pytest.raises(drafting.NotEditable):
        pdfs.issue(session, statement, app.config)


def test_keygen_then_issued_pdfs_are_certified(session, app, opened, runner, tmp_path):
    from cosign import certification

    app.config.update(COSIGN_SIGNING_KEY=str(tmp_path / "keys" / "signing-key.pem"),
                      COSIGN_SIGNING_CERT=str(tmp_path / "keys" / "signing-cert.pem"))
    (tmp_path / "keys").mkdir()
    result = runner.invoke(args=["cosign", "keygen"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["cosign", "keygen"])
    assert again.exit_code != 0  # never overwrites a key by accident
    statement, _owner = opened
    issued = pdfs.issue(session, statement, app.config)
    assert issued.certified
    data = pdfs.file_path(app.config, issued).read_bytes()
    verdict = certification.validate(data, cert_path=tmp_path / "keys" / "signing-cert.pem")
    assert verdict.ok and verdict.intact and verdict.covers_whole_file
    assert _found(pdfs.by_file(session, data)).id == issued.id
    assert not certification.validate(
        data + b"\n", cert_path=tmp_path / "keys" / "signing-cert.pem"
    ).ok


def test_lead_signatories_come_first_then_the_chosen_order(session, app, opened):
    statement, owner = opened
    names = lambda: [s.name for s in pdfs.signatories_for(session, statement)]  # noqa: E731
    assert names()[:3] == [
        "Diaspora Forum",
        "Iraqi Democratic Association",
        "جمعية الأمل لحقوق الإنسان",
    ]
    assert names()[-1] == "Hidden Teachers"  # withheld last (its name is never printed)
    arabic = session.scalar(select(Signature).where(Signature.public_name.like("جمعية%")))
    iraqi = session.scalar(
        select(Signature).where(Signature.public_name == "Iraqi Democratic Association")
    )
    moderation.set_lead_rank(session, statement, arabic.id, 1, owner.id)
    moderation.set_lead_rank(session, statement, iraqi.id, 2, owner.id)
    assert names()[:3] == [
        "جمعية الأمل لحقوق الإنسان",
        "Iraqi Democratic Association",
        "Diaspora Forum",
    ]
    with pytest.raises(signing.SigningError):
        moderation.set_lead_rank(session, statement, iraqi.id, 0, owner.id)
    issued = pdfs.issue(session, statement, app.config)
    text = text_of(pdfs.file_path(app.config, issued).read_bytes())
    assert text.index("Iraqi Democratic Association") < text.index("Diaspora Forum")
