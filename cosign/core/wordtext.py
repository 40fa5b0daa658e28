"""The text of a Word file (``.docx``), as :func:`cosign.core.letter.propose` reads it.

mammoth converts the document to HTML (its headings, paragraphs and lists, not its looks);
this module turns that HTML into plain lines: a paragraph or heading per block, a blank line
between blocks, bulleted and numbered list items as ``- item`` and ``1. item``, line breaks
kept. Nothing else of the file is read (no images, no comments, no tracked changes).

Pure Python: no Flask, no database, no network.
"""
from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser

import mammoth

__all__ = ["NotAWordFile", "MAX_UNPACKED", "text_of"]

# a .docx is a ZIP: its parts may not unpack to more than this (a small file that unpacks to
# gigabytes is refused before it is read)
MAX_UNPACKED = 50 * 1024 * 1024


class NotAWordFile(ValueError):
    """The bytes are not a Word document that can be read (``reason``: "not-docx", "too-big")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "blockquote"}


class _Lines(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.lists: list[tuple[str, int]] = []  # (kind, next number) per open list
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self._flush()
            self.lists.append((tag, 1))
        elif tag == "li":
            self._flush()
            if self.lists:
                kind, number = self.lists[-1]
                self.prefix = "  " * (len(self.lists) - 1) + (
                    f"{number}. " if kind == "ol" else "- ")
                self.lists[-1] = (kind, number + 1)
        elif tag in _BLOCKS:
            self._flush()
        elif tag == "br":
            self.current.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self.blocks.append("")  # a blank line after the whole list
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self.current.append(data)

    def _flush(self) -> None:
        text = "".join(self.current).strip()
        self.current = []
        if text:
            lines = [" ".join(line.split()) for line in text.split("\n")]
            self.blocks.append(self.prefix + "\n".join(line for line in lines if line))
            if not self.lists:
                self.blocks.append("")
        self.prefix = ""

    def text(self) -> str:
        self._flush()
        out: list[str] = []
        for block in self.blocks:
            if block or (out and out[-1]):
                out.append(block)
        return "\n".join(out).strip() + "\n"


def text_of(data: bytes) -> str:
    """The text of the ``.docx`` file ``data``; :class:`NotAWordFile` when it is none."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise NotAWordFile("not-docx")
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise NotAWordFile("too-big")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        if isinstance(exc, NotAWordFile):
            raise
        raise NotAWordFile("not-docx") from exc
    try:
        html = mammoth.convert_to_html(io.BytesIO(data)).value
    except Exception as exc:  # mammoth raises many kinds on a damaged document
        raise NotAWordFile("not-docx") from exc
    parser = _Lines()
    parser.feed(html)
    parser.close()
    return parser.text()
