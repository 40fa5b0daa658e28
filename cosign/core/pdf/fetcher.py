"""WeasyPrint behind one guarded URL fetcher: the only way cosign renders HTML.

:class:`SafeFetcher` serves the app's own stylesheet and the coalition's logo
by internal URLs (``cosign-static:``, ``cosign-logo:``) and refuses everything
else: ``file:``, ``data:``, every ``http(s)`` host, redirects and
attachments. :func:`run_weasyprint` is the one function that calls
WeasyPrint, always with that fetcher, and strips ``<link rel=attachment>``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:  # WeasyPrint and pydyf are untyped: these names stand for Any to mypy
    from pydyf import PDF
    from weasyprint import Document
    from weasyprint.formatting_structure.boxes import Box
    from weasyprint.urls import URLFetcherResponse

ROOT = Path(__file__).resolve().parents[3]
BASE_URL = "cosign-static:"
LOGO_URL = "cosign-logo:"
STATIC_FILES = {"cosign-static:css/print.css": (ROOT / "static" / "css" / "print.css", "text/css"),
                "cosign-static:css/card.css": (ROOT / "static" / "css" / "card.css", "text/css")}
ATTACHMENT_NAME = "signatories.json"


class FetchRefused(Exception):
    """The fetcher does not serve this URL (WeasyPrint then skips the resource)."""


def logo_type(data: bytes) -> str | None:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096]:
        return "image/svg+xml"
    return None


class SafeFetcher:
    """WeasyPrint's URL fetcher for every render: the only source of resources.

    Serves :data:`STATIC_FILES` (exact URLs, no path joining) and the logo at
    :data:`LOGO_URL`; raises :class:`FetchRefused` for anything else. Every
    URL asked for is recorded in :attr:`requested` (tests read it).
    """

    _fail_on_errors = False  # WeasyPrint's fetch() reads it: refusals only skip the resource

    def __init__(self, logo: bytes | None = None):
        self.logo = logo
        self.requested: list[str] = []
        self.served: list[str] = []

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        # deferred: WeasyPrint takes ~1 s to import; only processes that render load it
        from weasyprint.urls import URLFetcherResponse

        self.requested.append(url)
        if url in STATIC_FILES:
            path, mime = STATIC_FILES[url]
            body = path.read_bytes()
        elif url == LOGO_URL and self.logo and (logo_mime := logo_type(self.logo)):
            body, mime = self.logo, logo_mime
        else:
            raise FetchRefused(f"cosign does not fetch {url[:200]!r}")
        self.served.append(url)
        return URLFetcherResponse(url, body, {"Content-Type": mime})


# The variant of issued PDFs: PDF/A-3a (archival, tagged, /Lang, the title shown, the
# signatory list an associated file) that also declares PDF/UA-1 (see _archival).
ARCHIVAL = "pdf/a-3a"

# PDF/UA-1 identification in the XMP metadata, with the extension schema PDF/A demands for
# a namespace it does not predefine (ISO 19005-3, 6.6.2.3.2)
_UA_XMP = (
    b'<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
    b'pdfuaid:part="1"/>'
    b'<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
    b'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
    b'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    b'<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
    b'<pdfaSchema:schema>PDF/UA identification</pdfaSchema:schema>'
    b'<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>'
    b'<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>'
    b'<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">'
    b'<pdfaProperty:name>part</pdfaProperty:name>'
    b'<pdfaProperty:valueType>Integer</pdfaProperty:valueType>'
    b'<pdfaProperty:category>internal</pdfaProperty:category>'
    b'<pdfaProperty:description>The part of ISO 14289 the document conforms to'
    b'</pdfaProperty:description>'
    b'</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas>'
    b'</rdf:Description>'
)


def _archival(document: Document, pdf: PDF) -> None:
    """WeasyPrint's finisher for :data:`ARCHIVAL`: PDF/A-3a made PDF/UA-1 as well.

    * The XMP metadata declares PDF/UA-1 (with its extension schema). WeasyPrint's
      ``pdf/a-3a`` already tags the document, sets ``/Lang``, ``/MarkInfo`` and
      ``DisplayDocTitle``.
    * The document information dictionary keeps only the title (screen readers and
      checkers look for it there): everything else in it is in the XMP too, and pyHanko,
      certifying later, would append its name to the dictionary's producer but write
      another one into the XMP, where PDF/A wants the two equal. With no producer in the
      dictionary, pyHanko writes the same one into both.
    """
    title = pdf.info.get("Title")
    pdf.info.clear()
    if title is not None:
        pdf.info["Title"] = title
    number = int(pdf.catalog["Metadata"].split()[0])
    stream = pdf.objects[number]
    xmp = b"".join(part if isinstance(part, bytes) else str(part).encode()
                   for part in stream.stream)
    stream.stream = [xmp.replace(b"</rdf:RDF>", _UA_XMP + b"</rdf:RDF>", 1)]


@overload
def run_weasyprint(html: str, fetcher: SafeFetcher, attachment: bytes | None = None,
                   created: dt.datetime | None = None, *, layout_only: Literal[True],
                   variant: str | None = None, accept: None = None) -> Document: ...
@overload
def run_weasyprint(html: str, fetcher: SafeFetcher, attachment: bytes | None = None,
                   created: dt.datetime | None = None, layout_only: Literal[False] = False,
                   variant: str | None = None, accept: None = None) -> tuple[bytes, int]: ...
@overload
def run_weasyprint(html: str, fetcher: SafeFetcher, attachment: bytes | None = None,
                   created: dt.datetime | None = None, layout_only: Literal[False] = False,
                   variant: str | None = None, *,
                   accept: Callable[[Document], bool] | None) -> tuple[bytes | None, int]: ...
def run_weasyprint(html: str, fetcher: SafeFetcher, attachment: bytes | None = None,
                   created: dt.datetime | None = None, layout_only: bool = False,
                   variant: str | None = None, accept: Callable[[Document], bool] | None = None
                   ) -> Document | tuple[bytes | None, int]:
    """The one place that calls WeasyPrint: ``(pdf bytes, page count)`` or, with
    ``layout_only``, the laid-out ``Document``. ``variant``: a WeasyPrint PDF variant
    (:data:`ARCHIVAL` for issued PDFs: PDF/A-3a and PDF/UA-1). ``accept(document)``: when
    it says no to the layout, nothing is written and the answer is ``(None, page count)``."""
    import weasyprint  # deferred: ~1 s to import; only processes that render load it

    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    if layout_only:
        return document
    if accept is not None and not accept(document):
        return None, len(document.pages)
    document.metadata.attachments = []  # <link rel=attachment>: never embedded
    for page in document.pages:
        page.links[:] = [link for link in page.links if link[0] != "attachment"]
    attachments = []
    if attachment is not None:
        stamp = created or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        attachments.append(weasyprint.Attachment(
            string=attachment, name=ATTACHMENT_NAME, url_fetcher=fetcher,
            description="Signatories (public fields)", created=stamp, modified=stamp,
            relationship="Data"))
    options: dict[str, object] = {"pdf_variant": variant} if variant else {}
    if variant == ARCHIVAL:
        options["finisher"] = _archival
    pdf: bytes = document.write_pdf(attachments=attachments, **options)
    return pdf, len(document.pages)


def html_to_pdf(html: str, *, logo: bytes | None = None, attachment: bytes | None = None,
                fetcher: SafeFetcher | None = None) -> bytes:
    """Render raw HTML in this process through the safe fetcher (internal; tests)."""
    return run_weasyprint(html, fetcher or SafeFetcher(logo), attachment)[0]


def closing_alone(document: Document) -> bool:
    """Whether the last page of a laid-out document holds nothing but the closing section
    (``section.press``) and the page's margins: a page of its own without reason."""
    # deferred: WeasyPrint takes ~1 s to import; only processes that render load it
    from weasyprint.formatting_structure import boxes

    if len(document.pages) < 2:
        return False

    def alone(box: Box, inside: bool) -> bool:
        if isinstance(box, boxes.MarginBox):
            return True
        element = getattr(box, "element", None)
        if element is not None and "press" in (element.get("class") or "").split():
            inside = True
        if isinstance(box, boxes.TextBox) and box.text.strip() and not inside:
            return False
        if isinstance(box, (boxes.ReplacedBox, boxes.InlineReplacedBox)) and not inside:
            return False
        return all(alone(child, inside) for child in getattr(box, "children", ()))

    return alone(document.pages[-1]._page_box, False)
