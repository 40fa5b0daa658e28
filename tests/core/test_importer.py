"""Reading lists of signatories from CSV text (pure: no Flask, no database)."""
import pytest

from cosign.core import importer
from cosign.core.importer import ImportedRow, RowProblem, decode, read_csv


def codes(result):
    return [(p.line, p.code) for p in result.problems]


def names(result):
    return [row.name for row in result.rows]


def test_minimal_file():
    result = read_csv("name,country\nIraqi Democratic Association,IQ\n")
    assert result.ok and result.problems == []
    assert result.rows == [ImportedRow(line=2, name="Iraqi Democratic Association", country="IQ")]


def test_header_in_any_order_and_case_with_spaces():
    text = ("EMAIL,Country,Contact Name,City,Website,Display,TYPE,Name\n"
            "SARA@IDA.Example.org,iq,Sara  Ali,  Baghdad ,https://ida.example.org,Withheld,NGO,"
            "Iraqi Democratic Association\n")
    result = read_csv(text)
    assert result.ok
    assert result.rows == [ImportedRow(
        line=2, name="Iraqi Democratic Association", country="IQ", org_type="ngo",
        display="withheld", city="Baghdad", website="https://ida.example.org",
        contact_name="Sara Ali", email="sara@ida.example.org")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(delimiter):
    lines = [["name", "country", "city"], ["Women, Peace and Security Network", "IQ", "Basra"],
             ["Kurdistan Rights Watch", "GB", "London"]]
    if delimiter == ",":
        lines[1][0] = '"Women, Peace and Security Network"'
    text = "\n".join(delimiter.join(line) for line in lines) + "\n"
    result = read_csv(text)
    assert result.ok, result.problems
    assert [(r.name, r.country, r.city) for r in result.rows] == [
        ("Women, Peace and Security Network", "IQ", "Basra"),
        ("Kurdistan Rights Watch", "GB", "London")]


def test_semicolons_and_commas_inside_names_do_not_confuse_the_delimiter():
    result = read_csv("name;country\nWomen, Peace and Security;IQ\nA, B;GB\n")
    assert names(result) == ["Women, Peace and Security", "A, B"]
    result = read_csv("name,country\nA; B,IQ\nC; D,GB\n")
    assert names(result) == ["A; B", "C; D"]


def test_bom_is_removed_by_decode():
    data = "\ufeffname,country\nجمعية الأمل العراقية,IQ\n".encode("utf-8")
    text = decode(data)
    assert not text.startswith("\ufeff")
    result = read_csv(text)
    assert result.ok and names(result) == ["جمعية الأمل العراقية"]
    assert decode(b"name,country\n") == "name,country\n"  # without BOM too


def test_non_utf8_bytes_are_refused_by_decode():
    with pytest.raises(UnicodeDecodeError):
        decode("name,country\nCafé des Arts,FR\n".encode("latin-1"))


def test_windows_line_endings():
    result = read_csv("name,country\r\nA,IQ\r\nB,GB\r\n")
    assert [(r.line, r.name) for r in result.rows] == [(2, "A"), (3, "B")]


@pytest.mark.parametrize("value, code", [
    ("IQ", "IQ"), ("iq", "IQ"), (" gb ", "GB"), ("Iraq", "IQ"), ("iraq", "IQ"),
    ("United Kingdom", "GB"), ("UK", "GB"), ("Turkey", "TR"), ("Palestine", "PS"),
    ("Côte d’Ivoire", "CI"),
])
def test_country_codes_and_english_names(value, code):
    result = read_csv(f'name,country\nAcme,"{value}"\n')
    assert result.ok and result.rows[0].country == code


@pytest.mark.parametrize("value, code", [
    ("NGO", "ngo"), ("ngo", "ngo"), ("Trade union", "union"), ("trade  UNION", "union"),
    ("faith group", "faith"), ("Faith_group", "faith"), ("Political party", "party"),
    ("university", "academic"), ("", "other"), ("individual", "individual"),
])
def test_type_words(value, code):
    result = read_csv(f"name,country,type\nAcme,IQ,{value}\n")
    assert result.ok and result.rows[0].org_type == code


@pytest.mark.parametrize("value, display", [
    ("named", "named"), ("Named", "named"), ("WITHHELD", "withheld"), ("", "named"),
])
def test_display(value, display):
    result = read_csv(f"name,country,display\nAcme,IQ,{value}\n")
    assert result.ok and result.rows[0].display == display


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers():
    text = "name,country\n\nAlpha,IQ\n   \n,\n\nBeta,GB\n"
    result = read_csv(text)
    assert result.ok
    assert [(r.line, r.name) for r in result.rows] == [(3, "Alpha"), (7, "Beta")]


def test_problems_carry_the_line_numbers():
    text = ("name,country,type\n"
            "Good One,IQ,ngo\n"
            "\n"
            "Bad Country,Atlantis,ngo\n"
            "Good Two,GB,union\n"
            "Bad Type,IQ,cult\n")
    result = read_csv(text)
    assert codes(result) == [(4, "country"), (6, "type")]
    assert [p.value for p in result.problems] == ["Atlantis", "cult"]
    assert [(r.line, r.name) for r in result.rows] == [(2, "Good One"), (5, "Good Two")]
    assert not result.ok


def test_one_row_with_several_problems_reports_each():
    result = read_csv("name,country,type,display,website,email\n"
                      ",XX,cult,loud,ftp://x.org,nobody\n")
    assert codes(result) == [(2, "empty-name"), (2, "country"), (2, "type"), (2, "display"),
                             (2, "website"), (2, "email")]
    assert result.rows == [] and not result.ok


def test_missing_columns():
    result = read_csv("name,city\nAcme,Basra\n")
    assert result.problems == [RowProblem(1, "missing-column", "country")]
    result = read_csv("organisation,land\nAcme,IQ\n")
    assert sorted((p.code, p.value) for p in result.problems) == [
        ("missing-column", "country"), ("missing-column", "name"),
        ("unknown-column", "land"), ("unknown-column", "organisation")]
    assert result.rows == [] and not result.ok


def test_unknown_column():
    result = read_csv("name,country,phone\nAcme,IQ,+44 20 7946 0000\n")
    assert result.problems == [RowProblem(1, "unknown-column", "phone")]
    assert result.rows == [] and not result.ok


def test_empty_name():
    result = read_csv("name,country\n,IQ\n")
    assert result.problems == [RowProblem(2, "empty-name", "")]


@pytest.mark.parametrize("invisible", [
    "\u200f\u200e\u200b",  # RLM, LRM, ZERO WIDTH SPACE
    "\u202e\u202d\u2066\u2069",  # bidi overrides and isolates
    "\ufeff\u2060\u00ad",  # BOM, WORD JOINER, SOFT HYPHEN
    "\u200b \u200b",
])
def test_name_of_only_invisible_characters_is_empty(invisible):
    result = read_csv(f"name,country\n{invisible},IQ\nReal Org,IQ\n")
    assert codes(result) == [(2, "empty-name")]
    assert names(result) == ["Real Org"] and not result.ok


def test_bidi_controls_are_stripped_from_names():
    result = read_csv("name,country\n\u202eIraqi \u200bDemocratic Association\u200f,IQ\n")
    assert names(result) == ["Iraqi Democratic Association"]


def test_long_name():
    result = read_csv("name,country\n" + "x" * 200 + ",IQ\n" + "y" * 201 + ",IQ\n")
    assert codes(result) == [(3, "long-name")]
    assert result.problems[0].value == "y" * 80  # the value is shortened for the message
    assert names(result) == ["x" * 200]


@pytest.mark.parametrize("website", [
    "javascript:alert(1)", "JavaScript:alert(1)", "ftp://files.example.org", "www.example.org",
    "data:text/html,<script>alert(1)</script>", "//example.org",
])
def test_website_must_be_http(website):
    result = read_csv(f'name,country,website\nAcme,IQ,"{website}"\n')
    assert codes(result) == [(2, "website")]
    assert result.problems[0].value == website[:80]


@pytest.mark.parametrize("website", ["https://example.org", "http://example.org/a?b=c", ""])
def test_website_accepted(website):
    result = read_csv(f"name,country,website\nAcme,IQ,{website}\n")
    assert result.ok and result.rows[0].website == website


@pytest.mark.parametrize("email", ["not-an-email", "a b@example.org", "x" * 250 + "@ex.org"])
def test_email_problem(email):
    result = read_csv(f"name,country,email\nAcme,IQ,{email}\n")
    assert codes(result) == [(2, "email")]


def test_email_is_lower_cased():
    result = read_csv("name,country,email\nAcme,IQ,Sara.Ali@Example.ORG\n")
    assert result.rows[0].email == "sara.ali@example.org"


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", " \r\n\t\n"])
def test_empty_file(text):
    result = read_csv(text)
    assert result.problems == [RowProblem(1, "empty-file")]
    assert result.rows == [] and not result.ok


def test_header_only_is_not_ok():
    result = read_csv("name,country\n")
    assert result.rows == [] and not result.ok


@pytest.mark.parametrize("text, line", [
    ("name,country\nA\rB,IQ\n", 2),  # a bare carriage return inside an unquoted field
    ("name,country\nAcme,IQ\n" + "x" * 200_000 + ",IQ\n", 3),  # a field beyond the csv limit
    ("x" * 200_000 + "\n", 1),  # a binary-ish blob without any structure
])
def test_not_csv(text, line):
    result = read_csv(text)
    assert (line, "not-csv") in codes(result)
    assert not result.ok


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    exactly = read_csv("name,country\nA,IQ\nB,IQ\n\nC,IQ\n")
    assert exactly.ok and names(exactly) == ["A", "B", "C"]
    result = read_csv("name,country\nA,IQ\nB,IQ\n\nC,IQ\nD,IQ\nE,IQ\n")
    assert codes(result) == [(6, "too-many-rows")]
    assert result.problems[0].value == "3"
    assert not result.ok


def test_rows_with_problems_count_towards_the_limit(monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 2)
    result = read_csv("name,country\nA,XX\nB,XX\nC,IQ\n")
    assert codes(result) == [(2, "country"), (3, "country"), (4, "too-many-rows")]


def test_quotes_and_commas_inside_quoted_names():
    text = ('name,country,city\n'
            '"Women, Peace ""and"" Security Network",IQ,"Baghdad, Karrada"\n'
            '"Committee for ""Free Press""",GB,London\n')
    result = read_csv(text)
    assert result.ok
    assert [(r.name, r.city) for r in result.rows] == [
        ('Women, Peace "and" Security Network', "Baghdad, Karrada"),
        ('Committee for "Free Press"', "London")]


def test_apostrophes_inside_names_are_kept():
    result = read_csv("name,country\nWomen's League of Iraq,IQ\nO'Brien Trust,IE\n")
    assert names(result) == ["Women's League of Iraq", "O'Brien Trust"]


def test_quoted_name_over_two_lines_is_one_row():
    result = read_csv('name,country\n"Line one\nline two",IQ\nNext,GB\n')
    assert names(result) == ["Line one line two", "Next"]
    assert result.rows[1].line == 4


def test_arabic_kurdish_and_persian_names():
    text = ("name,country,city\n"
            "جمعية الأمل العراقية,Iraq,البصرة\n"
            "ڕێکخراوی مافی مرۆڤ,IQ,هەولێر\n"
            "کانون مدافعان حقوق بشر,Iran,تهران\n")
    result = read_csv(text)
    assert result.ok
    assert [(r.name, r.country, r.city) for r in result.rows] == [
        ("جمعية الأمل العراقية", "IQ", "البصرة"),
        ("ڕێکخراوی مافی مرۆڤ", "IQ", "هەولێر"),
        ("کانون مدافعان حقوق بشر", "IR", "تهران")]


def test_ok_is_false_when_any_row_has_a_problem():
    result = read_csv("name,country\nA,IQ\nB,IQ\nC,Narnia\n")
    assert len(result.rows) == 2 and len(result.problems) == 1
    assert not result.ok


def test_whitespace_is_normalised_and_values_trimmed():
    result = read_csv("name,country,city,contact_name\n  Iraqi   Democratic  Association ,"
                      " IQ ,  Old   Basra ,  Sara   Ali \n")
    row = result.rows[0]
    assert (row.name, row.country, row.city, row.contact_name) == (
        "Iraqi Democratic Association", "IQ", "Old Basra", "Sara Ali")


def test_short_rows_are_filled_with_empty_values():
    result = read_csv("name,country,city\nA,IQ\n")
    assert result.ok and result.rows[0].city == ""


def test_leading_apostrophes_do_not_merge_rows():
    text = ("name,country,city\n"
            "Teachers' Union,IQ,'Amarah\n"
            "Farmers' Union,IQ,'Ana'\n"
            "Students Union,IQ,Baghdad\n")
    result = read_csv(text)
    assert [(r.line, r.name, r.city) for r in result.rows] == [
        (2, "Teachers' Union", "'Amarah"), (3, "Farmers' Union", "'Ana'"),
        (4, "Students Union", "Baghdad")]


def test_names_in_single_quotes_are_kept_as_written():
    result = read_csv("name,country\n'Adalah',IL\nStudents Union,IQ\n")
    assert names(result) == ["'Adalah'", "Students Union"]
