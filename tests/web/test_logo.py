"""The coalition's logo: uploaded on the settings page, checked, printed on the PDF."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from cosign import pdfs, signing
from cosign.models import AuditEvent, Statement
from tests.factories import login, make_statement, make_user


def png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (29, 78, 95)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def owner_statement(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    login(client, owner)
    return owner, statement


def upload(client, statement, data, name="logo.png"):
    return client.post(f"/desk/{statement.slug}/logo", data={"logo": (io.BytesIO(data), name), "upload": "1"},
                       content_type="multipart/form-data")


def test_upload_use_and_remove(client, session, app, owner_statement):
    owner, statement = owner_statement
    assert upload(client, statement, png()).status_code == 302
    session.expire_all()
    stored = session.get(Statement, statement.id)
    assert stored.logo_file.endswith(".png")
    assert b"A logo is printed" in client.get(f"/desk/{statement.slug}/settings").data
    signing.open_for_signature(session, stored, owner.id, signing.OpenOptions())
    issued = pdfs.issue(session, stored, app.config)
    data = pdfs.file_path(app.config, issued).read_bytes()
    assert b"/Subtype /Image" in data or b"/Image" in data
    response = client.post(f"/desk/{statement.slug}/logo", data={"remove": "1"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Statement, statement.id).logo_file == ""
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "logo")).all()
    assert len(actions) == 2


@pytest.mark.parametrize("data, message", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><image href='file:///etc/passwd'/></svg>", b"PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, b"damaged"),
    (b"", b"Choose an image file."),
    (png((4100, 10)), b"4000 pixels"),
    (b"\x89PNG\r\n\x1a\n" + b"x" * (600 * 1024), b"512 KB"),
])
def test_bad_logos_are_refused_and_nothing_changes(client, session, owner_statement, data, message):
    _owner, statement = owner_statement
    response = upload(client, statement, data)
    assert response.status_code == 422 and message in response.data
    session.expire_all()
    assert session.get(Statement, statement.id).logo_file == ""


def test_non_member_cannot_change_the_logo(client, session):
    owner, stranger = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    login(client, stranger)
    assert upload(client, statement, png()).status_code == 404
