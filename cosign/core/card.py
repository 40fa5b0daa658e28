"""The share card: a 1200 × 630 PNG of a statement for link previews (Open Graph).

It shows the statement's title, the coalition and how many have signed, in the
statement's language and direction, nothing else: no names, no contact data.
:func:`card_html` fills ``templates/card/card.html`` (with ``static/css/card.css``);
:func:`card_pdf` lays it out as a one-page PDF with WeasyPrint, in the render pool
and through the safe fetcher like every render; :func:`card_png` rasterises that
page with poppler's ``pdftoppm`` and records the card's :func:`card_key` in the PNG
(a ``tEXt`` chunk), so whoever stores it can tell whether it is still current
(:func:`stored_key`).
"""
from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from PIL.PngImagePlugin import PngImageFile, PngInfo

from cosign.core.language import text_direction
from cosign.core.pdf.fetcher import STATIC_FILES
from cosign.core.pdf.labels import _environment, _format_number
from cosign.core.pdf.pool import RenderPool, default_pool

WIDTH, HEIGHT = 1200, 630
KEY_CHUNK = "cosign-card"
CSS_URL = "cosign-static:css/card.css"
# bump when the card's output changes for reasons its template and stylesheet do not show
LAYOUT_REVISION = 1
TITLE_LIMIT = 220  # characters shown of a very long title
RASTER_TIMEOUT = 30  # seconds


@dataclass(frozen=True)
class Card:
    """What a card shows: public data only."""

    title: str
    coalition: str
    count: int
    language: str
    site_name: str = "cosign"


def _title(text: str) -> tuple[str, str]:
    """The title as shown (one line of text, a very long one cut at a word) and its size
    class: shorter titles are set larger."""
    text = " ".join(text.split())
    if len(text) > TITLE_LIMIT:
        text = text[:TITLE_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    size = "xl" if len(text) <= 45 else "l" if len(text) <= 90 else "m" if len(text) <= 170 \
        else "s"
    return text, size


def card_html(card: Card) -> str:
    """The card's HTML, its words in the statement's language."""
    title, size = _title(card.title)
    return _environment(card.language).get_template("card/card.html").render(
        lang=card.language, dir=text_direction(card.language), title=title, size=size,
        coalition=" ".join(card.coalition.split()), count=card.count,
        count_text=_format_number(card.count, card.language), site_name=card.site_name)


def card_key(card: Card) -> str:
    """A SHA-256 of everything the card's pixels depend on: its HTML (the words, the
    numbers, the labels in their language), the stylesheet and the layout revision."""
    digest = hashlib.sha256(f"card-{LAYOUT_REVISION}\n".encode())
    digest.update(STATIC_FILES[CSS_URL][0].read_bytes())
    digest.update(card_html(card).encode())
    return digest.hexdigest()


def card_pdf(card: Card, *, pool: RenderPool | None = None) -> bytes:
    """The card as a one-page PDF (WeasyPrint in the render pool, the safe fetcher)."""
    pdf, _requested = (pool or default_pool()).render_html(card_html(card))
    return pdf


def rasterise(pdf: bytes) -> bytes:
    """The PDF's first page as a PNG of exactly :data:`WIDTH` × :data:`HEIGHT` pixels
    (``pdftoppm``, poppler)."""
    with tempfile.TemporaryDirectory(prefix="cosign-card-") as folder:
        source = Path(folder) / "card.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-singlefile", "-f", "1", "-l", "1",
                        "-scale-to-x", str(WIDTH), "-scale-to-y", str(HEIGHT),
                        str(source), str(Path(folder) / "card")],
                       check=True, capture_output=True, timeout=RASTER_TIMEOUT)
        return (Path(folder) / "card.png").read_bytes()


def card_png(card: Card, *, pool: RenderPool | None = None) -> bytes:
    """The card as a PNG, with its :func:`card_key` in a ``tEXt`` chunk."""
    raw = rasterise(card_pdf(card, pool=pool))
    with Image.open(io.BytesIO(raw)) as image:
        info = PngInfo()
        info.add_text(KEY_CHUNK, card_key(card))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def stored_key(path: str | Path) -> str | None:
    """The key recorded in a stored card, or None (no file, not a card)."""
    try:
        with Image.open(path) as image:
            if not isinstance(image, PngImageFile):  # only a PNG has text chunks
                return None
            return image.text.get(KEY_CHUNK)
    except (OSError, UnidentifiedImageError):
        return None


__all__ = ["HEIGHT", "WIDTH", "Card", "card_html", "card_key", "card_pdf", "card_png",
           "rasterise", "stored_key"]
