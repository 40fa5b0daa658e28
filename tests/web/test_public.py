"""Public pages and the headers every response carries; the statement page's list."""
import re
from urllib.parse import quote

import pytest

from cosign import moderation, signing
from tests.factories import login, make_statement, make_user
from tests.publications import HIDDEN_CITY, HIDDEN_NAME, HIDDEN_SITE, opened, publish, sign_on


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Joint statements, signed by organisations" in response.data
    assert b'<html lang="en" dir="ltr">' in response.data


def test_security_headers_on_every_response(client, session):
    for url in ["/", "/login", "/no-such-page"]:
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        for part in [
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]:
            assert part in csp, (url, part)
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_desk_pages_are_not_cached(client, session):
    login(client, make_user(session))
    assert client.get("/desk/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_pages(client, session):
    login(client, make_user(session))
    for url in ["/", "/desk/", "/desk/new"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html, url


# --- the statement page's list: pages, search, initials, countries (no JavaScript) ---------------

LISTED = [("Émile Zola Society", "FR"), ("emile Workers", "FR"), ("Zürich Forum", "CH"),
          ("منظمة حقوق الإنسان", "IQ"), ("إتحاد الطلبة", "IQ"), ("بيت الحرية", "LB")]


@pytest.fixture
def long_list(session):
    """A published statement with 130 approved signatories, one of them withheld."""
    statement, owner = opened(session)
    rows = [sign_on(name, country=country) for name, country in LISTED]
    rows += [sign_on(f"Kurdish Rights Group {n:03d}", country="IQ") for n in range(123)]
    rows.append(sign_on(HIDDEN_NAME, country="SY", display="withheld", city=HIDDEN_CITY,
                        website=HIDDEN_SITE, org_type="union"))
    moderation.import_rows(session, statement, rows, "list.csv", owner.id)
    publish(session, statement, owner)
    return statement


def listed_names(html: str) -> list[str]:
    return re.findall(r'<span class="sig-name" dir="auto">([^<]*)</span>', html)


def test_the_list_comes_in_pages_of_100(client, long_list):
    slug = long_list.slug
    first = client.get(f"/s/{slug}").get_data(as_text=True)
    assert "130 signatories" in first and "Page 1 of 2" in first
    assert len(listed_names(first)) == 100 and '<ol class="signatory-list" start="1">' in first
    assert f'href="/s/{slug}?page=2" rel="next"' in first
    second = client.get(f"/s/{slug}?page=2").get_data(as_text=True)
    assert '<ol class="signatory-list" start="101">' in second and "Page 2 of 2" in second
    assert len(listed_names(second)) == 29 and "(name withheld)" in second  # withheld last
    assert "130 signatories" in second
    assert set(listed_names(first)).isdisjoint(listed_names(second))


@pytest.mark.parametrize("page", ["3", "0", "-1", "abc", "1.5", " 1", "١", "1e3", "",
                                  str(2 ** 63), str(2 ** 64 + 1), "9" * 40])
def test_bad_page_numbers_are_404(client, long_list, page):
    assert client.get(f"/s/{long_list.slug}?page={quote(page)}").status_code == 404


def test_search_ignores_case_and_accents_and_never_finds_a_withheld_name(client, long_list):
    slug = long_list.slug
    html = client.get(f"/s/{slug}?q=EMILE").get_data(as_text=True)
    assert listed_names(html) == ["emile Workers", "Émile Zola Society"]
    assert "2 signatories found." in html and "130 signatories" in html
    assert 'value="EMILE"' in html
    arabic = client.get(f"/s/{slug}?q={quote('الانسان')}").get_data(as_text=True)
    assert listed_names(arabic) == ["منظمة حقوق الإنسان"]
    for hidden in ("Marzipan", HIDDEN_NAME, "Secretville"):
        response = client.get(f"/s/{slug}?q={quote(hidden)}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and listed_names(html) == []
        assert "No signatory&#39;s name contains" in html or "No signatory's name contains" in html
    many = client.get(f"/s/{slug}?q=kurdish+rights").get_data(as_text=True)
    assert "123 signatories found." in many and "Page 1 of 2" in many
    assert f'href="/s/{slug}?q=kurdish+rights&amp;page=2"' in many
    assert len(listed_names(client.get(f"/s/{slug}?q=kurdish+rights&page=2").data.decode())) == 23
    assert client.get(f"/s/{slug}?q=kurdish+rights&page=3").status_code == 404
    assert client.get(f"/s/{slug}?q=" + "x" * 201).status_code == 404


def test_an_initials_strip_in_every_script(client, long_list):
    slug = long_list.slug
    html = client.get(f"/s/{slug}").get_data(as_text=True)
    strip = html.split('<nav class="letter-strip"')[1].split("</nav>")[0]
    letters = re.findall(r'dir="auto"[^>]*>([^<]+)</a>', strip)
    assert letters == ["E", "K", "Z", "ا", "ب", "م"]  # initials present, in collation order
    assert f'href="/s/{slug}?letter={quote("ا", safe="")}"' in strip
    alef = client.get(f"/s/{slug}?letter={quote('ا')}").get_data(as_text=True)
    assert listed_names(alef) == ["إتحاد الطلبة"]
    for spelling in ("e", "E", "é"):
        found = client.get(f"/s/{slug}?letter={quote(spelling)}").get_data(as_text=True)
        assert listed_names(found) == ["emile Workers", "Émile Zola Society"], spelling
        assert 'aria-current="page">E</a>' in found
    absent = client.get(f"/s/{slug}?letter=Q")
    assert absent.status_code == 200 and listed_names(absent.get_data(as_text=True)) == []
    assert "begins with “Q”" in absent.get_data(as_text=True)
    for bad in ("<b>", "toolong", "!", "%", "ab", "1", "\u0301"):
        assert client.get(f"/s/{slug}?letter={quote(bad)}").status_code == 404, bad


def test_a_country_filter_with_counts(client, long_list):
    slug = long_list.slug
    html = client.get(f"/s/{slug}").get_data(as_text=True)
    assert '<option value="IQ">Iraq (125)</option>' in html
    assert '<option value="SY">Syria (1)</option>' in html
    assert '<label for="list-country">Country</label>' in html
    syria = client.get(f"/s/{slug}?country=SY").get_data(as_text=True)
    assert "1 signatory found." in syria and "(name withheld)" in syria
    assert '<option value="SY" selected>' in syria
    france = client.get(f"/s/{slug}?country=fr&q=zola").get_data(as_text=True)
    assert listed_names(france) == ["Émile Zola Society"]
    letter_links = client.get(f"/s/{slug}?country=IQ").get_data(as_text=True)
    assert f'href="/s/{slug}?letter=K&country=IQ"' in letter_links.replace("&amp;", "&")
    nobody = client.get(f"/s/{slug}?country=ZW")
    assert nobody.status_code == 200 and "No signatory is from Zimbabwe." in \
        nobody.get_data(as_text=True)
    for bad in ("IRQ", "1", "I", "<script>", "Ñ1"):
        assert client.get(f"/s/{slug}?country={quote(bad)}").status_code == 404, bad


def test_hostile_filter_values_never_fail_or_come_back_unescaped(client, long_list):
    slug = long_list.slug
    for payload in ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{7*7}}",
                    "' OR 1=1 --", "\u202eevil", "\x00", "%", "_", "\\", "a\nb"]:
        for name in ("q", "letter", "country", "page"):
            response = client.get(f"/s/{slug}?{name}={quote(payload)}")
            assert response.status_code in (200, 400, 404), (name, payload)
            body = response.get_data(as_text=True)
            assert "<script>alert(1)" not in body and "<img src=x" not in body
            assert "49" not in listed_names(body)


def test_no_list_and_no_filters_before_publication(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id,
                               signing.OpenOptions(public_list=False))
    moderation.add(session, statement, sign_on("Visible Later Org"), owner.id)
    html = client.get(f"/s/{statement.slug}?q=visible&letter=V&country=IQ").get_data(as_text=True)
    assert "1 signatory" in html and "Visible Later Org" not in html
    assert "list-filter" not in html and "letter-strip" not in html


def test_the_page_shows_a_change_as_soon_as_it_is_committed(client, session, long_list):
    from sqlalchemy import select

    from cosign.models import Signature

    slug = long_list.slug
    assert "Émile Zola Society" in client.get(f"/s/{slug}").get_data(as_text=True)
    assert "Zebra Union" not in client.get(f"/s/{slug}?q=zebra").get_data(as_text=True)
    zola = session.scalar(select(Signature).where(Signature.public_name == "Émile Zola Society"))
    moderation.rename(session, long_list, zola.id, "Zebra Union", long_list.created_by_id)
    html = client.get(f"/s/{slug}?q=zebra").get_data(as_text=True)
    assert listed_names(html) == ["Zebra Union"]
    assert "Émile Zola Society" not in client.get(f"/s/{slug}").get_data(as_text=True)
    assert "131 signatories" not in html and "130 signatories" in html
