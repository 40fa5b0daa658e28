"""Issued PDFs are archival (PDF/A-3a) and accessible (PDF/UA-1), also in chunks.

Every kind of PDF cosign issues (English, Arabic, a translation, an embargoed copy, no
name, one name, a list long enough to be rendered in chunks and joined) goes through the
``pdfua`` checker (the machine-checkable part of PDF/UA-1, on pikepdf, no JVM) and
``tests/pdfa_check.py`` (the PDF/A-3 rules our PDFs could break: veraPDF is not available
here) and must give no finding; the joined document must have one structure tree that
covers every page, and the signatory list is tagged as a list, one item per signatory.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from pdfua import validate
from pypdf import PageObject, PdfReader

from cosign.core import pdf
from cosign.core.pdf.pagination import Block
from cosign.core.signatory import Signatory
from tests import pdfa_check

URL = "https://cosign.example/verify/ABCD-EFGH-JK"
OPTIONS = pdf.RenderOptions(verification_code="ABCD-EFGH-JK", verification_url=URL,
                            issued_at=dt.datetime(2026, 12, 7, 12, 0))
ENGLISH = pdf.PdfDocument(
    title="Joint statement on press freedom", body="We condemn the arrests.\n\nRelease them.",
    coalition="Coalition for Press Freedom", place="London", date=dt.date(2026, 12, 7),
    press_name="Press Office", press_email="press@example.org", version=2, text_sha256="ab" * 32)
ARABIC = dataclasses.replace(
    ENGLISH, title="بيان مشترك بشأن حرية الصحافة", body="ندين الاعتقالات.\n\nأفرجوا عنهم.",
    coalition="تحالف حرية الصحافة", place="بغداد", language="ar")
TRANSLATION = dataclasses.replace(
    ENGLISH, title="Déclaration commune sur la liberté de la presse", language="fr",
    body="Nous condamnons les arrestations.",
    translates=pdf.Original("ar", 2, "ab" * 32, outdated=True))
PEOPLE = [Signatory(name="منظمة NGO للحقوق", country="IQ", org_type="ngo"),
          Signatory(name="Amnesty International", country="GB", org_type="ngo"),
          Signatory(name="Syndicat national des journalistes", country="FR", org_type="union")]


def many(count: int) -> list[Signatory]:
    return [Signatory(name=f"Civic Organisation {n} for Rights", country="GB" if n % 2 else "IQ",
                      org_type="ngo") for n in range(count)]


# Lists of CHUNK_FROM names or more are rendered in chunks of one page where a test says so
# (`chunking`; the app's defaults are 200 names and 16 pages): CHUNKED names are 3 pages in 3
# chunks, two joins (300 names at the defaults gave 6 pages in two chunks, 1,200 names 20
# pages, still two chunks): what is checked is the joining, not the size.
CHUNK_FROM = 40
CHUNKED = 100


@pytest.fixture(scope="module")
def pool() -> pdf.RenderPool:
    """The process's default pool (2 workers, 120 s, what the app renders with): shared
    with the other modules instead of starting workers of its own; stopped at exit."""
    return pdf.default_pool()


@contextlib.contextmanager
def chunking(pool: pdf.RenderPool) -> Iterator[pdf.RenderPool]:
    """The pool chunking from CHUNK_FROM names at one page per chunk, meanwhile."""
    saved = pool.chunk_threshold, pool.pages_per_chunk
    pool.chunk_threshold, pool.pages_per_chunk = CHUNK_FROM, 1
    try:
        yield pool
    finally:
        pool.chunk_threshold, pool.pages_per_chunk = saved


KINDS = {
    "english": (ENGLISH, PEOPLE, OPTIONS),
    "arabic": (ARABIC, PEOPLE, OPTIONS),
    "translation": (TRANSLATION, PEOPLE, OPTIONS),
    "embargoed": (ENGLISH, PEOPLE, dataclasses.replace(
        OPTIONS, watermark="EMBARGOED UNTIL 8 December 2026, 09:00 UTC")),
    "no-names": (ENGLISH, [], OPTIONS),
    "one-name": (ARABIC, PEOPLE[:1], OPTIONS),
    "logo": (dataclasses.replace(ENGLISH, logo=b'<svg xmlns="http://www.w3.org/2000/svg" '
                                 b'width="10" height="10"><rect width="10" height="10"/></svg>'),
             PEOPLE, OPTIONS),
    "chunked": (ARABIC, many(CHUNKED), OPTIONS),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_of_pdf_is_pdf_a_3a_and_pdf_ua_1(pool, tmp_path, kind):
    document, people, options = KINDS[kind]
    if kind == "chunked":
        with chunking(pool):
            data = pool.render_statement(document, people, options)
        assert pool.timings.get("chunks", 0) >= 3, "not rendered in chunks"
    else:
        data = pool.render_statement(document, people, options)
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(data)
    report = validate(str(path))
    findings = [(f.rule_id, f.severity.name, f.message) for f in report.findings]
    assert not findings, findings
    assert pdfa_check.check(data) == []
    root = _trailer(PdfReader(io.BytesIO(data)))["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == document.language
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def _trailer(reader: PdfReader) -> Any:
    """The trailer, read as the nested dictionaries it is (pypdf types each step as a plain
    PDF object)."""
    return reader.trailer


def _page_number(page: PageObject) -> int:
    assert page.indirect_reference is not None
    return page.indirect_reference.idnum


def _elements(reader: PdfReader):
    """Every structure element under the tree's /Document element."""
    doc = _trailer(reader)["/Root"]["/StructTreeRoot"]["/K"][0].get_object()
    stack = [doc]
    while stack:
        element = stack.pop()
        yield element
        kids = element.get("/K")
        if kids is None:
            continue
        kids = kids.get_object()
        for kid in (kids if isinstance(kids, list) else [kids]):
            kid = kid.get_object()
            if hasattr(kid, "get") and kid.get("/Type") not in ("/MCR", "/OBJR"):
                stack.append(kid)


@pytest.fixture(scope="module")
def chunked_english(pool) -> bytes:
    """The English statement with a list rendered in chunks and joined (read by two tests)."""
    with chunking(pool):
        data = pool.render_statement(ENGLISH, many(CHUNKED), OPTIONS)
    assert pool.timings.get("chunks", 0) >= 3, "not rendered in chunks"
    return data


def test_a_chunked_render_has_one_structure_tree_over_every_page(chunked_english):
    people = many(CHUNKED)
    data = chunked_english
    reader = PdfReader(io.BytesIO(data))
    pages = {_page_number(page): n for n, page in enumerate(reader.pages)}
    tagged = {pages[e.raw_get("/Pg").idnum] for e in _elements(reader) if "/Pg" in e}
    assert tagged == set(range(len(reader.pages)))
    root = _trailer(reader)["/Root"]["/StructTreeRoot"]
    nums = root["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    keys: list[Any] = [page["/StructParents"] for page in reader.pages]
    assert len(set(keys)) == len(keys) and root["/ParentTreeNextKey"] > max(keys)
    for number, key in enumerate(keys):  # each page's marked content is its own
        owners = {pages[e.get_object().raw_get("/Pg").idnum]
                  for e in parents[key] if "/Pg" in e.get_object()}
        assert owners == {number}, (number, owners)
    text = " ".join(e.get("/ActualText", "") for e in _elements(reader))  # none is invented
    assert "Civic Organisation" not in text
    spans = sum(1 for e in _elements(reader) if e.get("/S") == "/Span")
    assert spans >= len(people)  # every name is in the tree


def test_the_qr_code_and_the_logo_have_alternative_text(pool):
    logo = KINDS["logo"][0]
    reader = PdfReader(io.BytesIO(pool.render_statement(logo, PEOPLE, OPTIONS)))
    figures = [e for e in _elements(reader) if e.get("/S") == "/Figure"]
    alts = sorted(str(e.get("/Alt", "")) for e in figures)
    assert alts == ["Logo of Coalition for Press Freedom",
                    f"QR code of the verification address {URL}"]
    arabic = PdfReader(io.BytesIO(pool.render_statement(ARABIC, PEOPLE, OPTIONS)))
    alt = next(str(e["/Alt"]) for e in _elements(arabic) if e.get("/S") == "/Figure")
    assert alt.startswith("رمز QR") and URL in alt


PARAGRAPH = ("We, the undersigned organisations, condemn the killing of peaceful protesters and "
             "call for an independent investigation into the events of the past week. ") * 2


@pytest.mark.parametrize("names, paragraphs", [(6, n) for n in range(9, 16)] +
                         [(40, n) for n in range(1, 4)] + [(120, 2)])
def test_the_closing_section_never_stands_alone_on_a_page(pool, names, paragraphs):
    """Around the lengths where the closing section (press contact, version, fingerprints)
    no longer fits on the page: the statement stays on one page when a tighter closing
    section fits, else the list's last row goes over with it; never a last page that holds
    only the closing section."""
    people = [Signatory(name=f"Organisation {n:03d}", country="GB", org_type="ngo")
              for n in range(names)]
    document = dataclasses.replace(ENGLISH, body="\n\n".join([PARAGRAPH] * paragraphs))
    reader = PdfReader(io.BytesIO(pool.render_statement(document, people, OPTIONS)))
    last = reader.pages[-1].extract_text()
    assert "Press contact" in last
    if len(reader.pages) > 1:
        assert "Organisation" in last, (names, paragraphs, len(reader.pages), last[:300])
    text = " ".join(page.extract_text() for page in reader.pages)
    assert all(f"Organisation {n:03d}" in text for n in range(names))  # nobody is lost


def test_a_statement_that_fits_with_a_tighter_closing_section_is_one_page(pool):
    """Some length of text whose normal closing section would stand alone on a last page
    of its own is a page shorter: the tighter closing section fits on the page before."""
    from cosign.core.pdf import markup
    from cosign.core.pdf.fetcher import run_weasyprint

    people = [Signatory(name=f"Organisation {n}", country="GB", org_type="ngo")
              for n in range(6)]

    def document(lines: int) -> pdf.PdfDocument:  # one short paragraph (a line and a gap) each
        return dataclasses.replace(ENGLISH, body="\n\n".join(
            f"Paragraph {n}: we call for the release of every detained journalist."
            for n in range(lines)))

    def normal_pages(lines: int) -> int:  # with the normal closing section
        job = markup._prepare(document(lines), people, OPTIONS)
        blocks: list[Block] = [{"columns": None, "entries": job.items, "next": False}]
        plain = markup._html(dataclasses.replace(job, items=[]), front=True, end=True,
                             blocks=blocks)
        # its pages as laid out (no PDF written: the same layout, half the time)
        return len(run_weasyprint(plain, pdf.SafeFetcher(), layout_only=True).pages)

    def issued_pages(lines: int) -> int:
        return len(PdfReader(io.BytesIO(
            pool.render_statement(document(lines), people, OPTIONS))).pages)

    # Only where the normal closing section has just gone over to a new page can the
    # tighter one save it. The normal page count grows with the text: bisect (instead of
    # rendering every length from 4 to 59 both ways) for the first length with two pages.
    low, high = 4, 59
    assert normal_pages(low) == 1 and normal_pages(high) >= 2
    while high - low > 1:  # normal_pages(low) == 1, normal_pages(high) >= 2
        middle = (low + high) // 2
        if normal_pages(middle) == 1:
            low = middle
        else:
            high = middle
    saved = next((lines for lines in (high, high + 1)
                  if issued_pages(lines) < normal_pages(lines)), None)
    assert saved is not None, \
        "no length was saved from a second page by the tighter closing section"


@pytest.mark.parametrize("kind", ["english", "grouped", "chunked"])
def test_the_signatory_list_is_tagged_as_a_list(pool, request, kind):
    people = {"english": PEOPLE, "grouped": many(40), "chunked": many(CHUNKED)}[kind]
    options = dataclasses.replace(OPTIONS, grouping="country") if kind == "grouped" else OPTIONS
    data = (request.getfixturevalue("chunked_english") if kind == "chunked"
            else pool.render_statement(ENGLISH, people, options))
    reader = PdfReader(io.BytesIO(data))
    roles: dict[str, int] = {}
    for element in _elements(reader):
        roles[element.get("/S")] = roles.get(element.get("/S"), 0) + 1
    assert roles.get("/LI") == len(people), roles  # one list item per signatory
    assert roles.get("/LBody") == len(people), roles
    assert roles.get("/L", 0) >= 1
    for element in _elements(reader):  # every list item sits in a list
        if element.get("/S") == "/LI":
            assert element["/P"].get_object().get("/S") == "/L"


PURE_ARABIC = ["جمعية النور لحقوق الإنسان", "نقابة الصحفيين العراقيين"]


@pytest.mark.parametrize("document", [ENGLISH, ARABIC], ids=["english", "arabic"])
def test_arabic_names_extract_in_logical_order(pool, tmp_path, document):
    """pypdf and pdftotext (what most viewers' copy and paste resembles) give each Arabic
    name as the same Unicode string, in logical order, in a document of either direction.
    (Names mixing directions do not: see README, "Text extraction".)"""
    import subprocess
    import unicodedata

    people = [Signatory(name=name, country="IQ") for name in PURE_ARABIC]
    data = pool.render_statement(document, people, OPTIONS)
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)

    def clean(text: str) -> str:  # bidi controls and compatibility forms out
        return unicodedata.normalize("NFKC", "".join(
            c for c in text if unicodedata.category(c) != "Cf"))

    by_pypdf = clean(" ".join(page.extract_text() for page in PdfReader(path).pages))
    by_poppler = clean(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                      text=True, check=True).stdout)
    for name in PURE_ARABIC:
        assert name in by_pypdf, ("pypdf", name)
        assert name in by_poppler, ("pdftotext", name)


LONGEST = 200  # the list lengths searched (the row moves at about 100 and 160 names)


def test_a_chunked_render_never_leaves_the_closing_section_alone(pool):
    """Item 5 for long lists: where the closing section would not fit under the list's
    last page, the planner sends the last row with it; the rendered PDF has that row on
    its last page, and the page count is the plan's."""
    import time

    from cosign.core.pdf.pagination import plan

    measured = pool._measure(pool.executor(), ENGLISH, many(LONGEST), OPTIONS,
                             time.monotonic() + 120, time.monotonic())
    margins = [measured.front["margin"]] * LONGEST
    found = None
    for count in range(CHUNK_FROM, LONGEST):  # every item has the same height
        layout = plan(measured.heights[:count], margins[:count], measured.geometry)
        # only a moved row makes the last two pages both balanced ones
        if len(layout.pages) > 2 and layout.pages[-2].balanced is not None:
            last = layout.pages[-1].balanced
            assert last is not None and last[1] - last[0] <= 2
            found = count, layout
            break
    assert found, "no list length in range makes the closing section move"
    count, layout = found
    with chunking(pool):
        data = pool.render_statement(ENGLISH, many(count), OPTIONS)
    assert pool.timings.get("chunks", 0) >= 2
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == layout.total_pages and not layout.press_on_new_page
    last_page = reader.pages[-1].extract_text()
    assert "Civic Organisation" in last_page and "Text version 2" in last_page
