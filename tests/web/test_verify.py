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
    moderation.add(
        session, statement, signing.SignOn("Union of Journalists", "IQ", "", ""), owner.id
    )
    return statement, owner


def test_pdf_download_with_etag_and_name(client, session, opened, render_pdfs):
    statement, _owner = opened
    assert render_pdfs() == 1
    response = client.get(f"/s/{statement.slug}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["X-Cosign-PDF"] == "current"
    etag = response.headers["ETag"].strip('"')
    issued = session.scalar(select(IssuedPdf))
    assert etag == issued.sha256
    assert (
        f"filename={statement.slug}-{issued.created_at.date().isoformat()}.pdf"
        in response.headers["Content-Disposition"]
    )
    cached = client.get(f"/s/{statement.slug}.pdf", headers={"If-None-Match": f'"{etag}"'})
    assert cached.status_code == 304
    since = client.get(f"/s/{statement.slug}.pdf",
                       headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    part = client.get(f"/s/{statement.slug}.pdf", headers={"Range": "bytes=0-4"})
    assert part.status_code == 206 and part.data == b"%PDF-"
    assert part.headers["Content-Range"].startswith("bytes 0-4/")
    assert session.scalar(select(func.count()).select_from(IssuedPdf)) == 1
    assert client.get("/s/nothing.pdf").status_code == 404


def test_requests_never_render(client, session, opened, render_pdfs):
    """Before the first render: 503 with Retry-After and a page that reloads itself;
    after a change: the previous PDF, marked so, until the worker has made the new one."""
    statement, owner = opened
    pending = client.get(f"/s/{statement.slug}.pdf")
    assert pending.status_code == 503 and pending.headers["Retry-After"].isdigit()
    assert "pdf-pending.js" in pending.get_data(as_text=True)  # asks again by itself
    assert session.scalar(select(func.count()).select_from(IssuedPdf)) == 0  # nothing rendered
    render_pdfs()
    first = client.get(f"/s/{statement.slug}.pdf")
    moderation.add(session, statement, signing.SignOn("Second Org", "FR", "", ""), owner.id)
    stale = client.get(f"/s/{statement.slug}.pdf")
    assert stale.status_code == 200 and stale.headers["X-Cosign-PDF"] == "previous"
    assert stale.headers["ETag"] == first.headers["ETag"]
    assert session.scalar(select(func.count()).select_from(IssuedPdf)) == 1
    assert render_pdfs() == 1 and render_pdfs() == 0  # the change asked for one render
    fresh = client.get(f"/s/{statement.slug}.pdf")
    assert (
        fresh.headers["X-Cosign-PDF"] == "current"
        and fresh.headers["ETag"] != first.headers["ETag"]
    )


class TestAccelRedirect:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_PDF_ACCEL_REDIRECT": "/_protected/pdfs"}

    def test_nginx_sends_the_file(self, client, session, opened, render_pdfs):
        statement, _owner = opened
        render_pdfs()
        issued = session.scalar(select(IssuedPdf))
        response = client.get(f"/s/{statement.slug}.pdf")
        assert response.status_code == 200 and response.data == b""
        assert response.headers["X-Accel-Redirect"] == f"/_protected/pdfs/{issued.file_name}"
        assert response.headers["ETag"] == f'"{issued.sha256}"'
        assert response.mimetype == "application/pdf"


def test_draft_pdf_is_not_public(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    assert client.get(f"/s/{statement.slug}.pdf").status_code == 404


def test_verify_upload_genuine_altered_and_not_pdf(client, session, opened, render_pdfs):
    statement, _owner = opened
    render_pdfs()
    data = client.get(f"/s/{statement.slug}.pdf").data
    page = client.get("/verify")
    assert page.status_code == 200 and b"never stored" in page.data
    ok = client.post(
        "/verify", data={"file": (io.BytesIO(data), "x.pdf")}, content_type="multipart/form-data"
    )
    html = ok.get_data(as_text=True)
    assert (
        ok.status_code == 200 and "Genuine" in html and statement.title in html and "1</dd>" in html
    )
    altered = client.post("/verify", data={"file": (io.BytesIO(data + b"%%EOF\n"), "x.pdf")},
                          content_type="multipart/form-data")
    assert altered.status_code == 200 and "Not issued by this site, or altered" in altered.get_data(
        as_text=True
    )
    not_pdf = client.post("/verify", data={"file": (io.BytesIO(b"hello"), "x.pdf")},
                          content_type="multipart/form-data")
    assert not_pdf.status_code == 422 and b"not a PDF" in not_pdf.data
    empty = client.post("/verify", data={})
    assert empty.status_code == 422


def test_verify_by_code_and_newer_version(client, session, opened, render_pdfs):
    statement, owner = opened
    render_pdfs()
    first = session.scalar(select(IssuedPdf))
    response = client.get(f"/verify/{first.code}")
    assert response.status_code == 200 and "most recent PDF" in response.get_data(as_text=True)
    assert client.post("/verify", data={"code": first.code.lower()}).status_code == 302
    assert client.post("/verify", data={"code": "abc"}).status_code == 422
    assert client.get("/verify/ZZZZ-ZZZZ-ZZ").status_code == 404
    moderation.add(session, statement, signing.SignOn("Second Org", "FR", "", ""), owner.id)
    render_pdfs()
    assert "A newer version exists" in client.get(f"/verify/{first.code}").get_data(as_text=True)


class TestUploadLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_VERIFY_MAX_BYTES": 1000}

    def test_oversized_upload(self, client, session):
        response = client.post(
            "/verify",
            data={"file": (io.BytesIO(b"%PDF-" + b"x" * 2000), "x.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422 and b"larger than" in response.data
