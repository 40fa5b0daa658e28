"""The coalition's logo: uploaded on the settings page, checked, re-encoded, printed on the PDF."""
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from cosign import logos, pdfs, signing
from cosign.models import AuditEvent, Statement
from tests.factories import login, make_statement, make_user

COLOUR = (29, 78, 95)
SECRET = b"SECRET-MARKER-7f3a"
PAYLOAD = b"<script>alert(1)</script><?php system($_GET['c']); ?>" + SECRET


def png(size=(40, 20), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, COLOUR).save(out, "PNG", **save)
    return out.getvalue()


def jpeg(size=(40, 20), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, COLOUR).save(out, "JPEG", **save)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""
    data = bytearray(png((1, 1)))
    ihdr = data[12:29]  # type + 13 bytes of header
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


@pytest.fixture
def owner_statement(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    login(client, owner)
    return owner, statement


def upload(client, statement, data, name="logo.png", mimetype=None):
    file = (io.BytesIO(data), name, mimetype) if mimetype else (io.BytesIO(data), name)
    return client.post(f"/desk/{statement.slug}/logo", data={"logo": file, "upload": "1"},
                       content_type="multipart/form-data")


def stored(session, app, statement) -> tuple[str, bytes]:
    session.expire_all()
    name = session.get(Statement, statement.id).logo_file
    return name, (Path(app.config["COSIGN_STORAGE_DIR"]) / "logos" / name).read_bytes()


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
    (b"<svg xmlns='http://www.w3.org/2000/svg'><image href='file:///etc/passwd'/></svg>",
     b"PNG or JPEG"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", b"PNG or JPEG"),
    (b"%PDF-1.7\n" + b"x" * 100, b"PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, b"PNG or JPEG"),
    (png()[:60], b"damaged"),  # a truncated PNG
    (b"", b"Choose an image file."),
    (png((2001, 10)), b"2000 pixels"),
    (jpeg((10, 2001)), b"2000 pixels"),
    (b"\x89PNG\r\n\x1a\n" + b"x" * (1024 * 1024), b"1 MB"),
], ids=["svg", "gif", "pdf", "png-magic-only", "truncated", "empty", "too-wide", "too-high",
        "too-large"])
def test_bad_logos_are_refused_and_nothing_changes(client, session, app, owner_statement, data,
                                                   message):
    _owner, statement = owner_statement
    response = upload(client, statement, data)
    assert response.status_code == 422 and message in response.data
    session.expire_all()
    assert session.get(Statement, statement.id).logo_file == ""
    logo_dir = Path(app.config["COSIGN_STORAGE_DIR"]) / "logos"
    assert not logo_dir.exists() or list(logo_dir.iterdir()) == []


@pytest.mark.parametrize("data", [png((300, 300))[:-30], jpeg((300, 300))[:-200]],
                         ids=["png", "jpeg"])
def test_a_truncated_image_is_refused_even_after_weasyprint_relaxed_pillow(monkeypatch, data):
    """WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True when it is imported."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(logos.LogoError, match="damaged"):
        logos.reencode(data)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # put back as it was


def test_the_largest_allowed_logo_is_accepted(client, session, app, owner_statement):
    _owner, statement = owner_statement
    assert upload(client, statement, png((2000, 2000))).status_code == 302
    with Image.open(io.BytesIO(stored(session, app, statement)[1])) as image:
        assert image.size == (2000, 2000)


@pytest.mark.parametrize("width, height",
                         [(2_001, 1), (30_000, 30_000), (2_000, 1_000_000), (65_535, 65_535)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, session, owner_statement,
                                                              width, height):
    """The header claims billions of pixels; the data is a few bytes: decoding it would
    fail ("damaged"), so the size message proves the size is checked first."""
    _owner, statement = owner_statement
    response = upload(client, statement, png_claiming(width, height))
    assert response.status_code == 422 and b"2000 pixels" in response.data
    with pytest.raises(logos.LogoError, match="2000 pixels"):
        logos.reencode(png_claiming(width, height))


def test_the_kind_is_read_from_the_content_not_the_name_or_type(client, session, app,
                                                               owner_statement):
    _owner, statement = owner_statement
    response = upload(client, statement, jpeg(), name="logo.png", mimetype="image/png")
    assert response.status_code == 302
    name, data = stored(session, app, statement)
    assert name.endswith(".jpg") and data.startswith(b"\xff\xd8\xff")
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    response = upload(client, statement, svg, name="logo.png", mimetype="image/png")
    assert response.status_code == 422 and b"PNG or JPEG" in response.data
    assert stored(session, app, statement)[0] == name


def test_png_text_chunks_and_bytes_after_the_image_are_dropped(client, session, app,
                                                              owner_statement):
    _owner, statement = owner_statement
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET.decode())
    info.add_text("Author", "Jane Doe, +44 20 7946 0000", zip=True)
    data = png(pnginfo=info) + PAYLOAD  # a polyglot: PNG, then script after IEND
    with Image.open(io.BytesIO(data)) as original:  # the upload really carries them
        assert isinstance(original, PngImagePlugin.PngImageFile)
        assert original.text["Comment"] == SECRET.decode()
    assert upload(client, statement, data).status_code == 302
    name, clean = stored(session, app, statement)
    assert name.endswith(".png") and clean != data
    assert SECRET not in clean and b"<script>" not in clean and b"Jane Doe" not in clean
    assert b"tEXt" not in clean and b"zTXt" not in clean and b"iTXt" not in clean
    assert clean.endswith(b"IEND\xaeB`\x82")  # nothing after the image's last chunk
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "PNG" and image.size == (40, 20)
        assert isinstance(image, PngImagePlugin.PngImageFile) and not image.text
        assert image.convert("RGB").getpixel((5, 5)) == COLOUR


def test_jpeg_exif_with_gps_and_trailing_bytes_are_dropped(client, session, app, owner_statement):
    _owner, statement = owner_statement
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}  # GPS IFD
    data = jpeg(exif=exif.tobytes(), comment=SECRET) + PAYLOAD
    with Image.open(io.BytesIO(data)) as original:  # the upload really carries them
        assert original.getexif().get_ifd(0x8825)[1] == "N"
    assert upload(client, statement, data, name="holiday.jpeg").status_code == 302
    name, clean = stored(session, app, statement)
    assert name.endswith(".jpg")
    assert b"Exif" not in clean and b"CameraMaker" not in clean and SECRET not in clean
    assert b"<script>" not in clean and clean.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "JPEG" and image.size == (40, 20)
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info


def test_exif_orientation_is_applied_before_it_is_dropped(client, session, app, owner_statement):
    _owner, statement = owner_statement
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise
    assert upload(client, statement, jpeg((40, 20), exif=exif.tobytes())).status_code == 302
    with Image.open(io.BytesIO(stored(session, app, statement)[1])) as image:
        assert image.size == (20, 40)


def test_stored_under_a_server_generated_name_only(client, session, app, owner_statement, tmp_path):
    _owner, statement = owner_statement
    for hostile in ["../../x.png", "/etc/cron.d/x.png", "..\\..\\x.png", "<script>.png",
                    "x.png;.php", "\u202egnp.php"]:
        assert upload(client, statement, png(), name=hostile).status_code == 302
    assert upload(client, statement, png((9, 9)), name="x.png\x00.php").status_code == 400  # NUL
    name, data = stored(session, app, statement)
    assert logos.STORED_NAME.fullmatch(name)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and "logos" in p.parts]
    assert [p.name for p in files] == [name]  # the same image: one file, named by its hash
    assert not any(p.name in ("x.png", "x.png.php") for p in tmp_path.rglob("*"))
    assert b"x.png" not in client.get(f"/desk/{statement.slug}/settings").data


def test_a_stored_name_that_is_not_ours_is_never_read(session, app, tmp_path):
    owner = make_user(session)
    statement = make_statement(session, owner)
    secret = tmp_path / "secret.png"
    secret.write_bytes(png())
    for name in ["../secret.png", "../../secret.png", str(secret), "x" * 64 + ".svg"]:
        statement.logo_file = name
        assert logos.read(statement, app.config["COSIGN_STORAGE_DIR"]) is None


def test_non_member_cannot_change_the_logo(client, session):
    owner, stranger = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    login(client, stranger)
    assert upload(client, statement, png()).status_code == 404
