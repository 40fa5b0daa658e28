"""cosign.logos on the service (SQLite and PostgreSQL): a logo is re-encoded from its pixels,
stored under the hash of the new bytes, set on the statement (a listing change, audited) and
read back; bad files are refused with a message for the form's ``logo`` field."""
import hashlib
import io

import pytest
from PIL import Image

from cosign import audit, logos
from cosign.models import Statement
from tests.factories import make_statement, make_user


def png(size=(40, 20), colour=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG", **save)
    return out.getvalue()


def jpeg(size=(30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_reencode_keeps_the_pixels_and_drops_what_came_with_them():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location")
    data = png(pnginfo=info) + b"<script>hidden after the image</script>"
    clean, extension = logos.reencode(data)
    assert extension == ".png"
    assert b"secret location" not in clean and b"<script>" not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (40, 20) and image.getpixel((0, 0)) == (200, 30, 30)
    assert logos.reencode(jpeg())[1] == ".jpg"


@pytest.mark.parametrize("data, message", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "must be a PNG or JPEG"),
    (b"GIF89a" + b"\0" * 20, "must be a PNG or JPEG"),
    (png()[:60], "damaged"),
    (b"x" * (logos.MAX_BYTES + 1), "at most 1 MB"),
])
def test_bad_files_are_refused_for_the_logo_field(data, message):
    with pytest.raises(logos.LogoError, match=message) as caught:
        logos.reencode(data)
    assert caught.value.field == "logo"


def test_too_many_pixels_are_refused():
    with pytest.raises(logos.LogoError, match="pixels") as caught:
        logos.reencode(png(size=(logos.MAX_SIDE + 1, 1)))
    assert caught.value.params == {"max": logos.MAX_SIDE}


def test_set_read_and_remove_a_logo(session, tmp_path, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    version = statement.listing_version
    logos.set_logo(session, statement, owner.id, png(), tmp_path)
    clean, _extension = logos.reencode(png())
    name = hashlib.sha256(clean).hexdigest() + ".png"
    session.expire_all()
    statement = session.get(Statement, statement.id)
    assert statement.logo_file == name and statement.listing_version == version + 1
    assert (tmp_path / "logos" / name).read_bytes() == clean
    assert logos.read(statement, tmp_path) == clean
    assert [p.name for p in (tmp_path / "logos").iterdir()] == [name]  # no temporary left
    logos.set_logo(session, statement, owner.id, png(), tmp_path)  # the same logo: no change
    assert statement.listing_version == version + 1
    logos.set_logo(session, statement, owner.id, None, tmp_path)
    assert statement.logo_file == "" and logos.read(statement, tmp_path) is None
    assert audit.details(session, statement.id, ["logo"]) == [{"removed": False},
                                                              {"removed": True}]


def test_a_bad_logo_changes_nothing(session, tmp_path):
    owner = make_user(session)
    statement = make_statement(session, owner)
    with pytest.raises(logos.LogoError):
        logos.set_logo(session, statement, owner.id, b"not an image", tmp_path)
    session.rollback()
    assert session.get(Statement, statement.id).logo_file == ""
    assert audit.details(session, statement.id, ["logo"]) == []


def test_only_names_the_site_made_are_read(session, tmp_path):
    owner = make_user(session)
    statement = make_statement(session, owner)
    (tmp_path / "secret.txt").write_text("not a logo")
    for name in ("../secret.txt", "a" * 64 + ".gif", "A" * 64 + ".png"):
        statement.logo_file = name
        assert logos.read(statement, tmp_path) is None
    statement.logo_file = "b" * 64 + ".png"  # our form of name, but no such file
    assert logos.read(statement, tmp_path) is None
    session.rollback()
