"""cosign.previews: the first page of a real PDF as a PNG by poppler's pdftoppm, made once,
and nothing left behind when poppler fails."""
import io
import logging

from PIL import Image

from cosign import previews


def two_page_pdf(path):
    pages = [Image.new("RGB", (595, 842), colour) for colour in ("white", "black")]
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", resolution=72, save_all=True, append_images=pages[1:])
    path.write_bytes(buffer.getvalue())
    return path


def test_the_path_is_the_cache_key_next_to_the_pdfs(tmp_path):
    assert previews.path(tmp_path, "abc123") == tmp_path / "abc123.png"


def test_the_first_page_becomes_a_small_png(tmp_path):
    pdf = two_page_pdf(tmp_path / "statement.pdf")
    target = previews.path(tmp_path, "key")
    assert previews.make(pdf, target) == target
    with Image.open(target) as image:
        assert image.format == "PNG"
        # an A4 page (595 × 842 points) at 50 dpi
        assert abs(image.width - 413) <= 1 and abs(image.height - 585) <= 1
        pixel = image.convert("L").getpixel((10, 10))
        assert isinstance(pixel, int) and pixel > 200  # page 1 is white, page 2 black
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.png", "statement.pdf"]


def test_the_resolution_comes_from_the_settings(tmp_path):
    pdf = two_page_pdf(tmp_path / "statement.pdf")
    target = previews.make(pdf, tmp_path / "k.png", {"COSIGN_PREVIEW_DPI": 20})
    assert target is not None
    with Image.open(target) as image:
        assert abs(image.width - 165) <= 1


def test_an_existing_preview_is_not_made_again(tmp_path):
    target = tmp_path / "key.png"
    target.write_bytes(b"already there")
    assert previews.make(tmp_path / "missing.pdf", target) == target
    assert target.read_bytes() == b"already there"


def test_a_broken_pdf_gives_none_a_warning_and_no_files(tmp_path, caplog):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really a PDF")
    logging.getLogger("cosign.previews").disabled = False  # Alembic's fileConfig disables it
    with caplog.at_level(logging.WARNING, logger="cosign.previews"):
        assert previews.make(broken, tmp_path / "key.png") is None
    assert "no preview of broken.pdf" in caplog.text
    assert [p.name for p in tmp_path.iterdir()] == ["broken.pdf"]
