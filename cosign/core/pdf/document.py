"""What is printed and how: :class:`PdfDocument` (with :class:`EarlierSigners` and
:class:`Original`), :class:`RenderOptions`, :class:`RenderError` and the limits."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cosign.core.signatory import Signatory

DEFAULT_WORKERS = 2
DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_LIMIT = 1536 * 1024 * 1024
PAGE_SIZES = {"A4": "A4", "Letter": "letter"}


class RenderError(Exception):
    """A render that failed (time limit, memory limit, crash or bad input)."""


@dataclass(frozen=True)
class EarlierSigners:
    """Signatories bound to an earlier text ``version`` (SHA-256 ``text_sha256``) who have
    not re-confirmed the printed one: printed after the list in a section of their own,
    headed with that version and hash, never counted."""

    version: int
    text_sha256: str
    signatories: tuple[Signatory, ...] = ()


@dataclass(frozen=True)
class PdfDocument:
    title: str
    body: str                 # Markdown
    coalition: str = ""
    place: str = ""
    date: dt.date | None = None
    language: str = "en"      # BCP 47
    press_name: str = ""
    press_email: str = ""     # the coalition's public press contact (printed at the end)
    press_phone: str = ""
    version: int = 1          # text version number
    text_sha256: str = ""     # SHA-256 of the signed text
    logo: bytes | None = None  # PNG or SVG bytes of the coalition's logo, optional
    earlier: tuple[EarlierSigners, ...] = ()  # after the list, newest version first
    translates: Original | None = None  # a translation: the authoritative text it renders


@dataclass(frozen=True)
class Original:
    """The authoritative text a translation's PDF renders (printed on its first page)."""

    language: str
    version: int
    text_sha256: str
    outdated: bool = False  # the authoritative text changed since the translation was made


@dataclass(frozen=True)
class RenderOptions:
    page_size: str = "A4"            # or "Letter"
    columns: int = 2                 # 2 or 3
    grouping: str = "none"           # "none", "country", "type"
    order: str = "alphabetical"      # "alphabetical", "as-given"
    verification_code: str = ""      # printed in every footer with verification_url
    verification_url: str = ""       # page 1 carries a QR code of it
    issued_at: dt.datetime | None = None
    watermark: str = ""              # e.g. "EMBARGOED UNTIL 2026-12-01 09:00 UTC"
    site_name: str = "cosign"
