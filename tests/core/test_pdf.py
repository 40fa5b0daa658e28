"""The printed statement, read back from the PDF (pypdf, poppler): names, counts,
pages, footers, metadata, the JSON attachment, right-to-left text, the command line,
and chunked rendering against a single render."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import json
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import DocumentInformation, PdfReader

from cosign.core import pdf
from cosign.core.frontmatter import FrontMatter, FrontMatterError, parse_front_matter
from cosign.core.ordering import order_signatories
from cosign.core.pdf import markup
from cosign.core.pdf import pool as pdf_pool
from cosign.core.pdf.__main__ import main as cli_main
from cosign.core.pdf.pagination import Geometry, Page, balanced_height, plan, split_chunks
from cosign.core.signatory import Signatory

ROOT = Path(__file__).resolve().parents[2]
URL = "https://cosign.example/verify/ABCD2345"
CODE = "ABCD2345"

LATIN = [
    "Sahel al-Nour Teachers' Union", "Diaspora Forum for Democracy",
    "Riverside Press Freedom Network", "Centre for Civic Studies", "Émile Zola Institute",
    "Open Society Lawyers", "Basra Water Committee", "Kurdish Women's Solidarity Group",
    "Nairobi Legal Aid Bureau", "Porto Alegre Youth Assembly", "Kraków Free Speech Circle",
    "Montréal Migrant Workers Centre", "Leeds Trades Council",
    "The International Federation of Independent Journalists and Photographers",
    "Tunis Observatory of Public Liberties", "Zürich Peace Office", "Amman Press Club",
    "Erbil Students Network", "Lyon Human Rights League", "Berlin Refugee Council",
    "Coalition for Clean Water", "Ciudad Juárez Mothers' Collective", "Saint-Étienne Unionists",
    "Quaker Peace Witness", "Observatoire des libertés", "Gdańsk Dockworkers",
    "Oslo Fjord Environmental Trust", "Yerevan Civic Initiative", "Accra Teachers Guild",
]
ARABIC = ["جمعية النور لحقوق الإنسان", "مركز الدفاع عن الصحفيين", "رابطة المرأة العاملة",
          "سازمان دفاع از حقوق بشر", "ڕێکخراوی مافی مرۆڤ"]
MIXED = "جمعية الأمل – Hope Association"
PEOPLE = (
    [Signatory(name, country, org_type, "named", city) for name, country, org_type, city in
     zip(LATIN, ["IQ", "GB", "DE", "FR", "FR", "JO", "IQ", "IQ", "KE", "BR"] * 3,
         ["union", "association", "media", "academic", "ngo", "ngo", "other", "association",
          "ngo", "association"] * 3, ["Sahel al-Nour", "London", "Berlin", "Lyon", ""] * 6,
         strict=False)]  # as many as there are names
    + [Signatory(name, "IQ" if i % 2 else "IR", "ngo", "named", "")
       for i, name in enumerate(ARABIC)]
    + [Signatory(MIXED, "IQ", "ngo", "named", "Basra"),
       Signatory("Coalition of Student Unions", "IQ", "union", "withheld", "Nasiriya"),
       Signatory("Secret Syrian Group", "SY", "ngo", "withheld", ""),
       Signatory("Hidden Iraqi Lawyers", "IQ", "ngo", "withheld", "")]
)
WITHHELD_NAMES = ["Coalition of Student Unions", "Secret Syrian Group", "Hidden Iraqi Lawyers"]
BODY = (ROOT / "cosign" / "demo_texts" / "r3.md").read_text()
DOC = pdf.PdfDocument(
    title="Joint statement on the killing of protesters in Sahel al-Nour", body=BODY,
    coalition="Coalition for Civic Freedom in Sahel al-Nour", place="London",
    date=dt.date(2026, 11, 16), press_name="Amira Haddad", press_email="press@example.org",
    press_phone="+44 20 7946 0000", version=3, text_sha256="ab" * 32)
AR_DOC = pdf.PdfDocument(
    title="بيان مشترك بشأن قتل المتظاهرين في ساحل النور",
    body="نحن، المنظمات الموقعة أدناه، ندين بشدة قتل المتظاهرين السلميين في ساحة الشهداء.\n\n"
         "نطالب السلطات بالإفراج عن جميع المعتقلين بسبب مشاركتهم في الاحتجاج السلمي.\n",
    coalition="تحالف الحريات المدنية في ساحل النور", place="لندن", date=dt.date(2026, 11, 16),
    language="ar", press_name="أميرة حداد", press_email="press@example.org")
OPTIONS = pdf.RenderOptions(verification_code=CODE, verification_url=URL,
                            issued_at=dt.datetime(2026, 11, 16, 9, 30))


def nfkc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def all_text(data: bytes) -> str:
    return nfkc(" ".join(page_texts(data)))


@pytest.fixture(scope="module")
def pool() -> pdf.RenderPool:
    """The process's default pool (2 workers, 120 s, what the app renders with): shared
    with the other modules instead of starting workers of its own; stopped at exit."""
    return pdf.default_pool()


# Lists of this many names or more are rendered in chunks of about one page each in the
# tests that compare chunks with one render (the app's defaults: 200 names, 16 pages): every
# page boundary is a join, reached with a few pages of names instead of hundreds.
CHUNK_FROM = 40


@pytest.fixture
def chunking(pool, monkeypatch) -> pdf.RenderPool:
    """The pool, chunking from CHUNK_FROM names at one page per chunk (for this test)."""
    monkeypatch.setattr(pool, "chunk_threshold", CHUNK_FROM)
    monkeypatch.setattr(pool, "pages_per_chunk", 1)
    return pool


@pytest.fixture(scope="module")
def english(pool) -> bytes:
    return pool.render_statement(DOC, PEOPLE, OPTIONS)


@pytest.fixture(scope="module")
def arabic(pool) -> bytes:
    return pool.render_statement(AR_DOC, PEOPLE, OPTIONS)


# --- the list ------------------------------------------------------------------------

def test_every_name_appears_exactly_once(english):
    text = all_text(english)
    for name in LATIN + ARABIC:
        assert text.count(nfkc(name)) == 1, name
    # a mixed name is shown in visual order; each of its runs is there once
    assert text.count("Hope Association") == 1 and text.count(nfkc("جمعية الأمل")) == 1


def test_signatory_count_includes_withheld(english):
    assert f"Signatories ({len(PEOPLE)})" in all_text(english)


def test_withheld_signatories_show_only_their_country(english):
    text = all_text(english)
    assert text.count("An organisation in Iraq (name withheld)") == 2
    assert text.count("An organisation in Syria (name withheld)") == 1
    for name in WITHHELD_NAMES + ["Nasiriya"]:
        assert name not in text
    assert b"Secret Syrian" not in english


def test_withheld_come_after_all_named_ones(english):
    text = all_text(english)
    last_named = max(text.index(nfkc(name)) for name in LATIN + ARABIC)
    assert text.index("An organisation in") > last_named


def test_countries_and_cities_are_printed(english):
    text = all_text(english)
    assert "Sahel al-Nour, Iraq" in text and "Germany" in text and "Kenya" in text


# --- pages and footers -------------------------------------------------------------------

def test_page_x_of_y_and_verification_line_on_every_page(english):
    texts = page_texts(english)
    assert len(texts) >= 2
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
        assert CODE in text and URL in text


def test_a4_by_default_letter_on_request(pool, english):
    box = PdfReader(io.BytesIO(english)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    letter = pool.render_statement(DOC, PEOPLE[:5],
                                   dataclasses.replace(OPTIONS, page_size="Letter"))
    box = PdfReader(io.BytesIO(letter)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_watermark_on_every_page(pool):
    options = dataclasses.replace(OPTIONS, watermark="EMBARGOED UNTIL 2026-12-01 09:00 UTC",
                                  columns=3)
    data = pool.render_statement(DOC, PEOPLE * 3, options)
    texts = page_texts(data)
    assert len(texts) >= 2
    assert all("EMBARGOED UNTIL 2026-12-01 09:00 UTC" in text for text in texts)


def test_grouping_by_country_prints_group_headings_in_order(pool):
    data = pool.render_statement(DOC, PEOPLE, dataclasses.replace(OPTIONS, grouping="country"))
    text = all_text(data)
    headings = ["BRAZIL", "FRANCE", "GERMANY", "IRAN", "IRAQ", "JORDAN", "KENYA", "SYRIA",
                "UNITED KINGDOM"]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    for name in LATIN + ARABIC:
        assert text.count(nfkc(name)) == 1, name


def test_grouping_by_type(pool):
    data = pool.render_statement(DOC, PEOPLE, dataclasses.replace(OPTIONS, grouping="type"))
    text = all_text(data)
    assert text.index("NON-GOVERNMENTAL ORGANISATIONS") < text.index("TRADE UNIONS") \
        < text.index("OTHER ORGANISATIONS")


def test_press_contact_and_fingerprint_at_the_end(english):
    last = nfkc(page_texts(english)[-1])
    assert "Press contact: Amira Haddad · press@example.org · +44 20 7946 0000" in last
    assert "ab" * 32 in last


# --- metadata and attachment ---------------------------------------------------------------

def _info(reader: PdfReader) -> DocumentInformation:
    assert reader.metadata is not None, "no Info dictionary"
    return reader.metadata


def _xmp(reader: PdfReader) -> Any:
    """The XMP metadata (its fields typed by pypdf as maybe absent: the tests say which)."""
    assert reader.xmp_metadata is not None, "no XMP metadata"
    return reader.xmp_metadata


def _root(reader: PdfReader) -> Any:
    """The document catalog, read as the nested dictionaries it is."""
    trailer: Any = reader.trailer
    return trailer["/Root"]


def test_metadata(english):
    reader = PdfReader(io.BytesIO(english))
    assert _info(reader).title == DOC.title  # the one entry left in the Info dictionary
    xmp = _xmp(reader)  # PDF/A: everything else is in the XMP metadata
    assert xmp.dc_title["x-default"] == DOC.title
    assert xmp.dc_creator == [DOC.coalition]
    assert "text version 3" in xmp.dc_description["x-default"]
    assert xmp.xmp_create_date.date() == dt.date(2026, 11, 16)
    assert set(_info(reader)) == {"/Title"}
    assert _root(reader)["/Lang"] == "en"


def test_json_attachment_is_the_public_list(english):
    attachments = PdfReader(io.BytesIO(english)).attachments
    assert list(attachments) == ["signatories.json"]
    records = json.loads(attachments["signatories.json"][0])
    assert records == json.loads(pdf.public_signatory_json(order_signatories(PEOPLE)))
    assert len(records) == len(PEOPLE)
    accra = next(s for s in PEOPLE if s.name == "Accra Teachers Guild")
    assert records[0] == {"name": "Accra Teachers Guild", "country": accra.country,
                          "country_name": "Kenya", "type": accra.org_type, "display": "named",
                          "city": accra.city}
    hidden = [r for r in records if r["display"] == "withheld"]
    assert [r["country"] for r in hidden] == ["IQ", "IQ", "SY"]
    assert all(r["name"] is None and "city" not in r for r in hidden)
    raw = attachments["signatories.json"][0].decode()
    for secret in WITHHELD_NAMES + ["Nasiriya", "@"]:
        assert secret not in raw


def test_public_signatory_json_fields():
    records = json.loads(pdf.public_signatory_json(
        [Signatory("Al-Noor", "IQ", "ngo", "named", "Basra"),
         Signatory("X", "SY", display="withheld", city="Homs")], "ar"))
    assert records == [
        {"name": "Al-Noor", "country": "IQ", "country_name": "العراق", "type": "ngo",
         "display": "named", "city": "Basra"},
        {"name": None, "country": "SY", "country_name": "سوريا", "type": "other",
         "display": "withheld"},
    ]


# --- right to left ---------------------------------------------------------------------

def test_arabic_statement_is_laid_out_right_to_left():
    job = markup._prepare(AR_DOC, PEOPLE[:3], OPTIONS)
    html = markup._html(job, front=True, end=True, blocks=[])
    assert '<html lang="ar" dir="rtl">' in html
    english_job = markup._prepare(DOC, [Signatory("جمعية النور", "IQ")], OPTIONS)
    assert 'dir="rtl"' in markup._html(english_job, front=False, end=False, blocks=[
        {"columns": None, "entries": english_job.items, "next": False}])


def test_arabic_text_and_names_come_out_as_the_same_unicode(arabic):
    text = all_text(arabic)
    for name in ARABIC + LATIN:
        assert text.count(nfkc(name)) == 1, name
    assert nfkc(AR_DOC.title) in text
    assert nfkc("العراق") in text  # country names in Arabic
    assert _root(PdfReader(io.BytesIO(arabic)))["/Lang"] == "ar"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("which", ["english", "arabic"])
def test_first_page_as_png_is_a4_and_not_blank(which, request, tmp_path):
    data = request.getfixturevalue(which)
    (tmp_path / "doc.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1",
                    str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    with Image.open(png) as image:
        assert abs(image.width - 413) <= 1 and abs(image.height - 585) <= 1
        dark = sum(image.convert("L").histogram()[:100])
    assert dark > 2000


# --- front matter and command line ----------------------------------------------------------

def test_front_matter_parser():
    meta, body = parse_front_matter(
        "\ufeff---\ntitle: \"Statement: on water\"\ncoalition: Water Coalition\n"
        "# a comment\n\ndate: 2026-11-16\nplace: Basra\nlanguage: AR\n---\nText *here*.\n")
    assert meta == FrontMatter("Statement: on water", "Water Coalition", dt.date(2026, 11, 16),
                               "Basra", "ar")
    assert body == "Text *here*.\n"
    assert parse_front_matter("---\ntitle: T\n---\n")[0] == FrontMatter("T")


@pytest.mark.parametrize("text, message", [
    ("Just text", "must begin with front matter"),
    ("---\ntitle: T\n", "not closed"),
    ("---\ntitle: T\nauthor: me\n---\n", "unknown key 'author'"),
    ("---\ntitle: T\ntitle: U\n---\n", "given twice"),
    ("---\ntitle: T\ndate: 16/11/2026\n---\n", "ISO 8601"),
    ("---\ntitle: T\ndate: 2026-02-30\n---\n", "ISO 8601"),
    ("---\ncoalition: C\n---\n", "no 'title'"),
    ("---\ntitle: T\nlanguage: xx-!!\n---\n", "'language'"),
    ("---\ntitle T\n---\n", "expected 'key: value'"),
])
def test_front_matter_errors(text, message):
    with pytest.raises(FrontMatterError, match=re.escape(message)):
        parse_front_matter(text)


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "cosign.core.pdf", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_command_line_renders_a_pdf(tmp_path):
    (tmp_path / "statement.md").write_text(
        "---\ntitle: Test statement\ncoalition: Test Coalition\ndate: 2026-11-16\n"
        "place: London\nlanguage: en\n---\nWe, the undersigned, **condemn** it.\n")
    (tmp_path / "people.csv").write_text(
        "name,country,type,display,city\nAl-Noor Society,IQ,ngo,named,Basra\n"
        "جمعية النور,Iraq,ngo,named,\nHidden Org,IQ,union,withheld,\nZeta Union,DE,union,,\n")
    out = tmp_path / "out.pdf"
    result = run_cli(tmp_path / "statement.md", tmp_path / "people.csv", "-o", out, "--letter",
                     "--columns", "3", "--group", "country", "--order", "as-given")
    assert result.returncode == 0, result.stderr
    reader = PdfReader(out)
    assert _info(reader).title == "Test statement"
    assert _xmp(reader).dc_creator == ["Test Coalition"]
    text = nfkc(" ".join(page.extract_text() for page in reader.pages))
    assert "Signatories (4)" in text and "An organisation in Iraq (name withheld)" in text
    assert nfkc("جمعية النور") in text and "Hidden Org" not in text
    assert round(float(reader.pages[0].mediabox.height)) == 792


def cli_in_process(capsys, *args) -> subprocess.CompletedProcess:
    """The command line's ``main`` (what ``python -m cosign.core.pdf`` runs) called in this
    process: its exit status and what it printed. The test above runs the real command
    line; refusals need no Python started again for each."""
    code = cli_main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def test_command_line_refuses_bad_front_matter_and_bad_rows(tmp_path, capsys):
    (tmp_path / "bad.md").write_text("---\ntitle: T\nsigned: yes\n---\nText\n")
    (tmp_path / "good.md").write_text("---\ntitle: T\ndate: 2026-11-16\n---\nText\n")
    (tmp_path / "good.csv").write_text("name,country\nA,IQ\n")
    (tmp_path / "bad.csv").write_text("name,country\nA,Atlantis\n,IQ\nB,DE\n")
    out = tmp_path / "out.pdf"
    result = cli_in_process(capsys, tmp_path / "bad.md", tmp_path / "good.csv", "-o", out)
    assert result.returncode == 2 and "unknown key 'signed'" in result.stderr
    result = cli_in_process(capsys, tmp_path / "good.md", tmp_path / "bad.csv", "-o", out)
    assert result.returncode == 2
    assert "row 2: unknown country 'Atlantis'" in result.stderr
    assert "row 3: empty name" in result.stderr
    (tmp_path / "nodate.md").write_text("---\ntitle: T\ndate: tomorrow\n---\nText\n")
    result = cli_in_process(capsys, tmp_path / "nodate.md", tmp_path / "good.csv", "-o", out)
    assert result.returncode == 2 and "ISO 8601" in result.stderr
    assert not out.exists()


# --- bad input, options ---------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    pdf.RenderOptions(columns=4), pdf.RenderOptions(page_size="A5"),
    pdf.RenderOptions(grouping="city"), pdf.RenderOptions(order="random"),
])
def test_bad_options_are_a_render_error(pool, options):
    with pytest.raises(pdf.RenderError):
        pool.render_statement(DOC, PEOPLE[:2], options)


def test_bad_logo_is_a_render_error(pool):
    with pytest.raises(pdf.RenderError, match="logo"):
        pool.render_statement(dataclasses.replace(DOC, logo=b"GIF89a..."), PEOPLE[:2], OPTIONS)


def test_png_logo_is_embedded(pool):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (30, 60, 90)).save(buffer, "PNG")
    data = pool.render_statement(dataclasses.replace(DOC, logo=buffer.getvalue()), PEOPLE[:2],
                                 OPTIONS)
    page = PdfReader(io.BytesIO(data)).pages[0]
    resources: Any = page["/Resources"]
    xobjects = resources.get("/XObject", {})
    assert any(xobject.get_object()["/Subtype"] == "/Image" for xobject in xobjects.values())


def test_template_version_is_exposed():
    assert isinstance(pdf.TEMPLATE_VERSION, str) and pdf.TEMPLATE_VERSION


# --- planning (pure) --------------------------------------------------------------------------

def test_plan_fills_columns_then_balances_the_last_page():
    geometry = Geometry(columns=2, first_top=500, front_pages=1, top=0, bottom=1000)
    heights, margins = [100.0] * 30, [10.0] * 30
    result = plan(heights, margins, geometry)
    # first page: 500 px → 4 items per column (4 × 110 = 440 ≤ 500)
    assert result.pages[0] == Page(columns=((0, 4), (4, 8)))
    # next pages: 1000 px → 9 per column
    assert result.pages[1] == Page(columns=((8, 17), (17, 26)))
    assert result.pages[2] == Page(balanced=(26, 30))
    assert result.total_pages == 4
    # an item fits only if its bottom margin does: 9 × 110 = 990 fits, 10 × 110 does not
    assert plan([100.0] * 10, [10.0] * 10, Geometry(2, 0, 0, 0, 990)).pages == \
        [Page(balanced=(0, 10))]
    assert plan([100.0] * 19, [10.0] * 19, Geometry(2, 0, 0, 0, 989)).pages[0] == \
        Page(columns=((0, 8), (8, 16)))


def test_balanced_height_and_the_press_contact():
    heights, margins = [100.0] * 5, [10.0] * 5
    assert balanced_height(heights, margins, 0, 0, 1000, 2) == 330  # 3 + 2 items
    fits = plan(heights, margins, Geometry(2, 0, 0, 0, 1000, press_gap=20, press_height=600))
    assert not fits.press_on_new_page and fits.total_pages == 1
    # the section does not fit under the list: the last row goes with it to a new page
    moves = plan(heights, margins, Geometry(2, 0, 0, 0, 1000, press_gap=20, press_height=700))
    assert moves.pages == [Page(balanced=(0, 3)), Page(balanced=(3, 5))]
    assert not moves.press_on_new_page and moves.total_pages == 2
    # unless the row and the section do not fit on one page together: a page of its own
    alone = plan(heights, margins, Geometry(2, 0, 0, 0, 1000, press_gap=20, press_height=950))
    assert alone.pages == [Page(balanced=(0, 5))]
    assert alone.press_on_new_page and alone.total_pages == 2
    # a last page of one row keeps its row (nothing to move)
    one_row = plan([100.0] * 2, [10.0] * 2, Geometry(2, 0, 0, 0, 1000, press_gap=20,
                                                     press_height=900))
    assert one_row.pages == [Page(balanced=(0, 2))] and one_row.press_on_new_page


def test_split_chunks_covers_every_page_once():
    for pages, front in [(2, 0), (17, 1), (75, 1), (310, 2), (5, 3)]:
        layout = plan([1.0] * pages, [0.0] * pages, Geometry(1, 0, front, 0, 1.0))
        assert len(layout.pages) == pages
        chunks = split_chunks(layout, 2, 16)
        assert chunks[0][0] == 0 and chunks[-1][1] == pages
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(chunks))
        assert len(chunks) % 2 == 0 or len(chunks) == pages


# --- chunked rendering against one render ---------------------------------------------------

def many(count: int) -> list[Signatory]:
    words = ["Civic", "Press", "Water", "Youth", "Legal Aid", "Human Rights", "Teachers",
             "Women's Solidarity", "Environmental Justice", "Migrant Workers"]
    kinds = ["Centre", "Union", "Network", "Association", "Forum for Democracy and Peace",
             "Observatory"]
    first = ["جمعية", "مركز", "رابطة", "منظمة"]
    second = ["النور", "الأمل", "العدالة", "الحرية", "الكرامة", "السلام", "الشباب", "المرأة",
              "العمال", "الطلبة"]
    third = ["للحقوق", "للتنمية", "للثقافة", "للإعلام", "للبيئة", "للقانون", "للتعليم", "للصحة",
             "للحوار", "للمواطنة"]
    people = []
    for i in range(count):
        if i % 9 == 4:  # unique without digits (digits in right-to-left text extract reordered)
            j = i // 9
            name = f"{first[j % 4]} {second[(j // 4) % 10]} {third[(j // 40) % 10]}"
        else:
            name = f"{words[i % 10]} {kinds[(i // 10) % 6]} {words[(i // 60) % 10]} N{i}"
        display = "withheld" if i % 97 == 3 else "named"
        people.append(Signatory(name, ["IQ", "GB", "DE", "JO", "FR", "CD"][i % 6],
                                ["ngo", "union", "media"][i % 3], display,
                                "Basra" if i % 4 == 0 else ""))
    return people


# Chunks of one page (see `chunking`): each grouped layout on a list of 150 names (3 pages,
# 3 chunks, group headings and right-to-left names across the joins), and the default layout
# on a longer list, where a measuring error has many columns to show in: 600 names, 12 pages
# and chunks, every Latin name many() makes (their parts repeat every 600) and 67 Arabic ones
# (1,200 names, 23 pages in two chunks, repeated the Latin ones with other numbers and had
# 133 Arabic ones, at twice the cost).
@pytest.mark.slow
@pytest.mark.parametrize("document, options, count", [
    (DOC, OPTIONS, 600),
    (DOC, dataclasses.replace(OPTIONS, columns=3, grouping="country"), 150),
    (AR_DOC, dataclasses.replace(OPTIONS, columns=3, grouping="type", page_size="Letter"), 150),
], ids=["2-columns-large", "3-columns-by-country", "arabic-letter-3-columns-by-type"])
def test_chunked_render_matches_one_render(chunking, document, options, count):
    pool = chunking
    people = many(count)
    chunked = pool.render_statement(document, people, options)
    assert pool.timings.get("chunks", 0) >= 3, "the list was not rendered in chunks"
    assert "join" in pool.timings, "the chunks did not match the plan"
    single = pool.render_naive(document, people, options)
    chunked_texts, single_texts = page_texts(chunked), page_texts(single)
    assert len(chunked_texts) == len(single_texts)
    assert chunked_texts == single_texts
    total = len(chunked_texts)
    for number, text in enumerate(chunked_texts, start=1):
        if document.language == "en":
            assert f"Page {number} of {total}" in text and CODE in text
        else:  # the Arabic label and Arabic-Indic digits ("الصفحة ١ من ٢٠")
            assert "الصفحة" in text and CODE in text
            for value in (number, total):  # pdfplumber gives right-to-left runs reversed
                digits = pdf.native_digits(str(value), "ar")
                assert digits in text or digits[::-1] in text
    text = nfkc(" ".join(chunked_texts))
    for signatory in people:
        if not signatory.withheld:
            assert len(re.findall(re.escape(nfkc(signatory.name)) + r"(?!\d)", text)) == 1, \
                signatory.name
    if document.language == "en":
        assert f"Signatories ({len(people):,})" in text
    reader = PdfReader(io.BytesIO(chunked))
    assert list(reader.attachments) == ["signatories.json"]
    assert len(json.loads(reader.attachments["signatories.json"][0])) == len(people)
    assert _info(reader).title == document.title
    assert _root(reader)["/Lang"] == document.language


@pytest.mark.slow
def test_a_planning_error_falls_back_to_one_render(chunking, monkeypatch):
    pool = chunking
    real_plan = plan  # what the pool calls (it imports it from pagination)

    def wrong_plan(*args, **kwargs):
        result = real_plan(*args, **kwargs)
        result.press_on_new_page = not result.press_on_new_page
        return result

    monkeypatch.setattr(pdf_pool, "plan", wrong_plan)
    people = many(80)  # two chunks: the last one's page count is not the plan's
    data = pool.render_statement(DOC, people, OPTIONS)
    texts = page_texts(data)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
    assert pool.timings.get("chunks", 0) >= 2, "chunks were not tried"
    assert "join" not in pool.timings


def test_a_grown_pool_is_trimmed_and_starts_again():
    """The worker stops a pool whose processes grew beyond a limit; the next render works."""
    pool = pdf.RenderPool(workers=1, timeout=120)
    try:
        pool.start()
        processes = list(pool.executor()._processes.values())
        assert pool.trim(max_rss_mb=100_000) is False and pool._executor is not None
        assert pool.trim(max_rss_mb=1) is True and pool._executor is None
        assert all(not process.is_alive() for process in processes)
        pid = pool.run(pdf_pool._task_ping, deadline=time.monotonic() + 60)
        assert pid not in {process.pid for process in processes}  # a new process
    finally:
        pool.shutdown()
