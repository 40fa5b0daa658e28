"""Public pages and the headers every response carries."""
from tests.factories import login, make_user


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Joint statements, signed by organisations" in response.data
    assert b'<html lang="en" dir="ltr">' in response.data


def test_security_headers_on_every_response(client, session):
    for url in ["/", "/login", "/no-such-page"]:
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        for part in ["script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]:
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
