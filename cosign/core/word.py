"""A statement as a Word file (.docx), for the coalitions who work in Word.

:func:`statement_docx` writes the title, the dateline, the text (its Markdown headings,
paragraphs, lists, quotes, bold and italic kept; a link keeps its text, followed by its
address) and the list of signatories, one paragraph each. Right-to-left languages get
right-to-left paragraphs and runs. Nothing is fetched and no macro can be in the file.

Pure: no Flask, no database (python-docx and markdown-it-py only).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from markdown_it.token import Token

from cosign.core.language import text_direction

__all__ = ["statement_docx"]

_MARKDOWN = MarkdownIt("commonmark").disable(["html_block", "html_inline", "image"])


def statement_docx(*, title: str, body: str, language: str, dateline: str = "",
                   list_heading: str = "", entries: Sequence[tuple[str, str]] = (),
                   note: str = "") -> bytes:
    """The .docx bytes. ``entries``: ``(name, detail line)`` of each signatory, in print
    order; ``list_heading``: e.g. "Signatories (12)"; ``note``: a line at the end (the
    version and its fingerprint)."""
    rtl = text_direction(language) == "rtl"
    document = Document()
    document.core_properties.title = title
    document.core_properties.language = language
    style = document.styles["Normal"]
    style.font.size = Pt(11)
    _language(style.element, language)

    def finish(made: Paragraph) -> Paragraph:
        if rtl:
            _right_to_left(made)
        return made

    finish(document.add_heading(title, level=1))
    if dateline:
        line = document.add_paragraph()
        line.add_run(dateline).italic = True
        finish(line)
    _body(document, body, finish)
    if entries:
        finish(document.add_heading(list_heading, level=2))
        for name, detail in entries:
            item = document.add_paragraph()
            item.add_run(name).bold = True
            if detail:
                item.add_run(f" — {detail}")
            finish(item)
    if note:
        item = document.add_paragraph()
        item.add_run(note).font.size = Pt(8)
        finish(item)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _body(document: DocumentObject, markdown: str,
          finish: Callable[[Paragraph], Paragraph]) -> None:
    lists: list[str] = []  # "bullet" or "ordered", innermost last
    quote = 0
    heading = 0
    for token in _MARKDOWN.parse(markdown):
        if token.type == "heading_open":
            heading = min(int(token.tag[1]) + 1, 9)
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append("List Bullet" if token.type.startswith("bullet") else "List Number")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "blockquote_open":
            quote += 1
        elif token.type == "blockquote_close":
            quote -= 1
        elif token.type == "inline":
            if heading:
                made = document.add_heading("", level=heading)
                heading = 0
            else:
                made = document.add_paragraph(
                    style=lists[-1] if lists else "Quote" if quote else None)
            _inline(made, token.children or [])
            finish(made)
        elif token.type in ("fence", "code_block"):
            finish(document.add_paragraph(token.content.rstrip("\n")))
        elif token.type == "hr":
            finish(document.add_paragraph("* * *"))


def _inline(paragraph: Paragraph, children: Sequence[Token]) -> None:
    bold = italic = 0
    link: str | None = None
    for child in children:
        kind = child.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            link = str(child.attrs.get("href", ""))
        elif kind == "link_close":
            if link:
                paragraph.add_run(f" ({link})")
            link = None
        elif kind in ("text", "code_inline"):
            run = paragraph.add_run(child.content)
            run.bold, run.italic = bool(bold) or None, bool(italic) or None
        elif kind in ("softbreak", "hardbreak"):
            paragraph.add_run(" " if kind == "softbreak" else "\n")


def _right_to_left(paragraph: Paragraph) -> None:
    """A right-to-left paragraph (w:bidi) with right-to-left runs (w:rtl)."""
    properties = paragraph._p.get_or_add_pPr()
    properties.append(OxmlElement("w:bidi"))
    for run in paragraph.runs:
        run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def _language(style_element: BaseOxmlElement, language: str) -> None:
    """The language of the text (Word's spelling and fonts), for both script kinds."""
    properties = style_element.get_or_add_rPr()
    element = OxmlElement("w:lang")
    element.set(qn("w:val"), language)
    element.set(qn("w:bidi"), language)
    properties.append(element)
