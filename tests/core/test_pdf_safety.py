"""The PDF renderer fetches nothing but the app's own stylesheet and the logo, embeds
nothing but signatories.json, and survives hostile documents (time, memory, crashes)."""
from __future__ import annotations

import ast
import datetime as dt
import io
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from cosign.core import pdf
from cosign.core.pdf import markup
from cosign.core.pdf.fetcher import FetchRefused, run_weasyprint
from cosign.core.signatory import Signatory

ROOT = Path(__file__).resolve().parents[2]
PASSWD = "root:x:0:0"
ALLOWED = {"cosign-static:css/print.css", "cosign-logo:"}


@pytest.fixture(scope="module")
def server():
    """A web server on loopback that must never be asked for anything."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            body = b"p { color: red }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_HEAD = do_GET

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{httpd.server_address[1]}", hits=hits)
    httpd.shutdown()
    httpd.server_close()


def everything_in(data: bytes) -> bytes:
    """The PDF's bytes plus every stream decompressed (fonts, pages, attachments)."""
    reader = PdfReader(io.BytesIO(data))
    parts = [data]
    numbers = {(number, generation) for generation, entries in reader.xref.items()
               for number in entries}
    numbers |= {(number, 0) for number in reader.xref_objStm}
    for number, generation in sorted(numbers):
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if isinstance(obj, StreamObject):
            parts.append(obj.get_data())
    parts += [page.extract_text().encode() for page in reader.pages]
    return b"\n".join(parts)


def assert_clean(data: bytes, attachments=()):
    reader = PdfReader(io.BytesIO(data))
    assert sorted(reader.attachments) == sorted(attachments)
    assert PASSWD.encode() not in everything_in(data)
    for page in reader.pages:  # no file attachment annotations either
        for annotation in page.get("/Annots") or []:
            assert annotation.get_object().get("/Subtype") != "/FileAttachment"


ATTACKS = {
    "img file": '<img src="file:///etc/passwd">',
    "img absolute path": '<img src="/etc/passwd">',
    "img relative": '<img src="../../../../etc/passwd">',
    "img internal traversal": '<img src="cosign-static:../../../../etc/passwd">',
    "link attachment": '<link rel="attachment" href="file:///etc/passwd">',
    "anchor attachment": '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
    "internal attachment": '<link rel="attachment" href="cosign-static:css/print.css">',
    "css url": "<style>body { background: url(file:///etc/passwd) }</style>",
    "css import": "<style>@import url(http://127.0.0.1:1/x.css);</style>",
    "css import local": "<style>@import url({srv}/import.css);</style>",
    "stylesheet link": '<link rel="stylesheet" href="{srv}/style.css">',
    "stylesheet file": '<link rel="stylesheet" href="file:///etc/passwd">',
    "font face": "<style>@font-face { font-family: Evil; src: url(file:///etc/passwd) }"
    " p { font-family: Evil }</style>",
    "font face http": "<style>@font-face { font-family: Evil2; src: url({srv}/font.ttf) }"
    " p { font-family: Evil2 }</style>",
    "svg image": '<svg width="20" height="20"><image href="file:///etc/passwd" width="20" '
    'height="20"/></svg>',
    "svg xlink image": '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">'
    '<image xlink:href="{srv}/svg.png" width="20" height="20"/></svg>',
    "svg use": '<svg width="20" height="20"><use href="file:///etc/passwd#x"/></svg>',
    "object": '<object data="file:///etc/passwd" type="text/plain"></object>',
    "object http": '<object data="{srv}/object.svg" type="image/svg+xml"></object>',
    "embed": '<embed src="file:///etc/passwd">',
    "iframe": '<iframe src="file:///etc/passwd"></iframe>',
    "loopback": '<img src="{srv}/image.png">',
    "metadata service": '<img src="http://169.254.169.254/latest/meta-data/">',
    "https": '<img src="https://example.com/logo.png">',
    "data url": '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    "base href": '<base href="file:///etc/"><img src="passwd">',
    "list image": (
        "<style>li { list-style-image: url({srv}/bullet.png) }</style><ul><li>x</li></ul>"
    ),
    "content url": "<style>p::before { content: url(file:///etc/passwd) }</style>",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_raw_html_attack_fetches_and_embeds_nothing(name, server):
    html = ("<html><head><link rel='stylesheet' href='cosign-static:css/print.css'></head>"
            f"<body><p>Before</p>{ATTACKS[name].replace('{srv}', server.url)}<p>After</p>"
            "</body></html>")
    fetcher = pdf.SafeFetcher()
    data = pdf.html_to_pdf(html, fetcher=fetcher)
    assert set(fetcher.served) <= ALLOWED
    refused = [url for url in fetcher.requested if url not in ALLOWED]
    assert all(url not in fetcher.served for url in refused)
    assert_clean(data)
    assert "Before" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert server.hits == []


def test_the_fetcher_was_really_asked_and_refused(server):
    """The attacks above reach the fetcher (so the test proves refusal, not absence)."""
    fetcher = pdf.SafeFetcher()
    html = "".join(ATTACKS[name].replace("{srv}", server.url) for name in
                   ["img file", "css url", "css import", "font face", "svg image", "object",
                    "embed", "loopback", "metadata service", "data url", "base href"])
    pdf.html_to_pdf(f"<html><body>{html}</body></html>", fetcher=fetcher)
    for url in ["file:///etc/passwd", "http://127.0.0.1:1/x.css", f"{server.url}/image.png",
                "http://169.254.169.254/latest/meta-data/"]:
        assert url in fetcher.requested
    assert any(url.startswith("data:") for url in fetcher.requested)
    assert fetcher.served == []
    assert server.hits == []


def test_fetcher_serves_only_exact_internal_urls():
    fetcher = pdf.SafeFetcher(logo=b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    assert fetcher.fetch("cosign-static:css/print.css").read().startswith(b"/*")
    assert fetcher.fetch("cosign-logo:").read().startswith(b"\x89PNG")
    for url in ["cosign-static:css/../css/print.css", "cosign-static:../static/css/print.css",
                "cosign-static:/etc/passwd", "cosign-static:css/site.css", "file:///etc/passwd",
                "css/print.css", "http://127.0.0.1/", "https://example.com/", "data:,x",
                "cosign-logo:x", "COSIGN-STATIC:css/print.css"]:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    with pytest.raises(FetchRefused):
        pdf.SafeFetcher(logo=None).fetch("cosign-logo:")
    with pytest.raises(FetchRefused):
        pdf.SafeFetcher(logo=b"not an image").fetch("cosign-logo:")


def hostile_document(server) -> tuple[pdf.PdfDocument, pdf.RenderOptions]:
    body = "\n\n".join([
        "Text ![x](file:///etc/passwd) and ![y](http://169.254.169.254/latest/meta-data/).",
        f"[link]({server.url}/link) [file](file:///etc/passwd) <{server.url}/autolink>",
        '<img src="file:///etc/passwd"> <link rel="attachment" href="file:///etc/passwd">',
        "<style>@import url(http://127.0.0.1:1/x.css);</style>",
        f'<object data="{server.url}/o"></object><embed src="file:///etc/passwd">',
        f"[ref]\n\n[ref]: {server.url}/ref",
    ])
    logo = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="40" height="20"><style>@import url({server.url}/svg.css);</style>'
            f'<rect width="40" height="20" fill="#235"/>'
            f'<image href="file:///etc/passwd" width="10" height="10"/>'
            f'<image xlink:href="{server.url}/logo.png" width="10" height="10"/>'
            f'<use href="file:///etc/passwd#a"/></svg>').encode()
    document = pdf.PdfDocument(
        title='Title </title><link rel="attachment" href="file:///etc/passwd">',
        body=body, coalition='Coalition"><img src="file:///etc/passwd">', logo=logo,
        place="<style>@import url(file:///etc/passwd)</style>", press_name="</style>x")
    options = pdf.RenderOptions(
        verification_code='X"; } @import url(file:///etc/passwd); p { x: "',
        verification_url=f"{server.url}/verify</style><link rel=stylesheet href={server.url}/s>",
        watermark='"; } @page { @top-left { content: url(file:///etc/passwd) } } x { y: "')
    return document, options


PEOPLE = [Signatory('<img src="file:///etc/passwd">', "IQ"),
          Signatory("Hidden </div><link rel=attachment href=file:///etc/passwd>", "IQ",
                    display="withheld")]


def test_hostile_statement_in_process_asks_only_for_the_stylesheet_and_logo(server):
    document, options = hostile_document(server)
    job = markup._prepare(document, PEOPLE, options)
    html = markup._html(job, front=True, end=True,
                        blocks=[{"columns": None, "entries": job.items, "next": False}])
    fetcher = pdf.SafeFetcher(document.logo)
    data, _ = run_weasyprint(html, fetcher, job.attachment, job.created)
    assert set(fetcher.served) == ALLOWED
    requested_from_document = [u for u in fetcher.requested if u not in ALLOWED]
    # only what the SVG logo itself asks for: the Markdown and the fields are inert
    assert all("svg.css" in u or "logo.png" in u or u.startswith("file:///etc/passwd")
               for u in requested_from_document), requested_from_document
    assert_clean(data, ["signatories.json"])
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert '<img src="file:///etc/passwd">' in text  # a name is text, not markup
    assert server.hits == []


def test_hostile_statement_through_the_worker_pool(server, small_pool):
    document, options = hostile_document(server)
    data = small_pool.render_statement(document, PEOPLE, options)
    assert_clean(data, ["signatories.json"])
    assert server.hits == []


def test_every_weasyprint_call_goes_through_one_function():
    """HTML(, CSS( and write_pdf( appear only in cosign/core/pdf/fetcher.py's run_weasyprint."""
    found = []
    for path in (ROOT / "cosign").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for function in [None, *[n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]]:
            nodes = ast.walk(function) if function else ast.iter_child_nodes(tree)
            for node in nodes:
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                    if name in {"HTML", "CSS", "write_pdf"}:
                        found.append((path.relative_to(ROOT).as_posix(),
                                      function.name if function else None))
    assert found and set(found) == {("cosign/core/pdf/fetcher.py", "run_weasyprint")}


# --- isolation: time, memory, crashes ----------------------------------------------------------

@pytest.fixture(scope="module")
def small_pool():
    """One worker process, 30 s and 600 MB, for this module's renders through a pool (the
    hostile statement's above too)."""
    pool = pdf.RenderPool(workers=1, timeout=30, memory_limit=600 * 2**20)
    yield pool
    pool.shutdown()


def still_works(pool):
    data, requested = pool.render_html("<p>Still working</p>", timeout=30)
    assert "Still working" in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_deeply_nested_document_fails_cleanly(small_pool):
    # 1,000 levels: five times as deep as the first that fails (200); 5,000 levels took
    # 2 s more to parse and failed the same way
    with pytest.raises(pdf.RenderError, match="nested too deeply"):
        small_pool.render_html("<div>" * 1000 + "x" + "</div>" * 1000)
    still_works(small_pool)


def test_absurd_font_size_fails_cleanly(small_pool):
    with pytest.raises(pdf.RenderError):
        small_pool.render_html('<p style="font-size: 1e9px">Huge text here</p>')
    still_works(small_pool)


def test_time_limit_stops_the_render_and_replaces_the_worker(small_pool):
    small_pool.start()  # a warm worker: the time limit stops the render, not a start-up
    with pytest.raises(pdf.RenderError, match="time limit"):  # 5,000 pages take far longer
        small_pool.render_html("<p style='break-after: page'>x</p>" * 5000, timeout=0.5)
    still_works(small_pool)


def test_memory_limit_stops_the_render(small_pool):
    with pytest.raises(pdf.RenderError, match="memory"):
        small_pool.render_html("<p>Lorem ipsum dolor sit amet, consectetur</p>" * 80000,
                               timeout=60)
    still_works(small_pool)


def test_a_crashed_worker_is_replaced_by_a_new_executor(small_pool):
    before = small_pool.executor()
    with pytest.raises(pdf.RenderError, match="stopped unexpectedly"):
        small_pool.run(os._exit, 3, deadline=time.monotonic() + 30)
    assert small_pool.executor() is not before
    still_works(small_pool)


def test_timeout_of_a_whole_statement_render(small_pool):
    people = [Signatory(f"Organisation number {i}", "IQ") for i in range(3000)]
    document = pdf.PdfDocument(title="T", body="Text")
    with pytest.raises(pdf.RenderError, match="time limit"):
        small_pool.render_statement(document, people, timeout=0.5)
    data = small_pool.render_statement(document, people[:3], pdf.RenderOptions(
        issued_at=dt.datetime(2026, 1, 1)))
    assert "Organisation number 2" in PdfReader(io.BytesIO(data)).pages[0].extract_text()



def test_server_was_never_contacted(server):
    assert server.hits == []
