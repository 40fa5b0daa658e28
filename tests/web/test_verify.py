"""/s/<slug>.pdf and /verify over HTTP."""
import io

import pytest
from sqlalchemy import func, select

from cosign import moderation, signing
from cosign.models import IssuedPdf
from tests.factories import make_statement, make_user


@pytest.fixture
def opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(session, statement, signing.SignOn("Union of Journalists", "IQ", "", ""), owner.id)
    return statement, owner


def test_pdf_download_with_etag_and_name(client, session, opened):
    statement, _owner = opened
    response = client.get(f"/s/{statement.slug}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    etag = response.headers["ETag"].strip('"')
    issued = session.scalar(select(IssuedPdf))
    assert etag == issued.sha256
    assert f'filename={statement.slug}-{issued.created_at.date().isoformat()}.pdf' in response.headers["Content-Disposition"]
    cached = client.get(f"/s/{statement.slug}.pdf", headers={"If-None-Match": f'"{etag}"'})
    assert cached.status_code == 304
    assert session.scalar(select(func.count()).select_from(IssuedPdf)) == 1
    assert client.get("/s/nothing.pdf").status_code == 404


def test_draft_pdf_is_not_public(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    assert client.get(f"/s/{statement.slug}.pdf").status_code == 404


def test_verify_upload_genuine_altered_and_not_pdf(client, session, opened):
    statement, _owner = opened
    data = client.get(f"/s/{statement.slug}.pdf").data
    page = client.get("/verify")
    assert page.status_code == 200 and b"never stored" in page.data
    ok = client.post("/verify", data={"file": (io.BytesIO(data), "x.pdf")}, content_type="multipart/form-data")
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "Genuine" in html and statement.title in html and "1</dd>" in html
    altered = client.post("/verify", data={"file": (io.BytesIO(data + b"%%EOF\n"), "x.pdf")},
                          content_type="multipart/form-data")
    assert altered.status_code == 200 and "Not issued by this site, or altered" in altered.get_data(as_text=True)
    not_pdf = client.post("/verify", data={"file": (io.BytesIO(b"hello"), "x.pdf")},
                          content_type="multipart/form-data")
    assert not_pdf.status_code == 422 and b"not a PDF" in not_pdf.data
    empty = client.post("/verify", data={})
    assert empty.status_code == 422


def test_verify_by_code_and_newer_version(client, session, opened):
    statement, owner = opened
    client.get(f"/s/{statement.slug}.pdf")
    first = session.scalar(select(IssuedPdf))
    response = client.get(f"/verify/{first.code}")
    assert response.status_code == 200 and "most recent PDF" in response.get_data(as_text=True)
    assert client.post("/verify", data={"code": first.code.lower()}).status_code == 302
    assert client.post("/verify", data={"code": "abc"}).status_code == 422
    assert client.get("/verify/ZZZZ-ZZZZ-ZZ").status_code == 404
    moderation.add(session, statement, signing.SignOn("Second Org", "FR", "", ""), owner.id)
    client.get(f"/s/{statement.slug}.pdf")
    assert "A newer version exists" in client.get(f"/verify/{first.code}").get_data(as_text=True)


class TestUploadLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_VERIFY_MAX_BYTES": 1000}

    def test_oversized_upload(self, client, session):
        response = client.post("/verify", data={"file": (io.BytesIO(b"%PDF-" + b"x" * 2000), "x.pdf")},
                               content_type="multipart/form-data")
        assert response.status_code == 422 and b"larger than" in response.data
