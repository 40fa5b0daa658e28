"""The press list through the test client: desk pages, CSV import, subscribing, unsubscribing."""
import base64
import io
import re

import pytest
from sqlalchemy import select

from cosign import press, press_import
from cosign.models import PressContact
from tests.factories import PASSWORD, login, make_statement, make_user
from tests.press_factories import SECRET, contact_count, mail_count, make_contact

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def fresh(session, email):
    session.rollback()
    return session.scalar(select(PressContact).where(PressContact.email == email))


@pytest.fixture
def user(session):
    return make_user(session)


@pytest.fixture
def desk(client, user):
    login(client, user)
    return client


def contact_form(**kw):
    data = {"name": "Ana Reporter", "outlet": "The Daily", "email": "ana@example.org",
            "language": "en", "tags": "Human rights, Iraq"}
    data.update(kw)
    return data


def upload(raw: bytes, name="list.csv", **extra):
    return {"file": (io.BytesIO(raw), name), "preview": "1", **extra}


def confirm_link(session, recipient):
    from tests.press_factories import confirm_token

    session.rollback()
    return f"/press/confirm/{confirm_token(session, recipient)}"


def unsubscribe_url(contact):
    return f"/press/unsubscribe/{press.unsubscribe_token(SECRET, contact)}"


# --- who may see the list ------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_login(client, session):
    contact = make_contact(session)
    for url in ("/desk/press", "/desk/press/add", "/desk/press/import",
                f"/desk/press/{contact.id}/edit", f"/desk/press/{contact.id}/remove"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
        if url == "/desk/press":
            continue  # GET only
        response = client.post(url, data={"email": "x@example.org"})
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert contact_count(session) == 1 and fresh(session, contact.email).status == "active"


def test_any_coordinator_sees_the_whole_list_and_filters_it(desk, session):
    other = make_user(session)  # the list is the site's: added by someone else
    make_contact(session, other, email="a@example.org", name=XSS, tags="Iraq, Human rights")
    make_contact(session, other, email="b@example.org", outlet="Gazette", tags="syria")
    make_contact(session, other, email="c@example.org", tags="iraq", status="unsubscribed")
    page = desk.get("/desk/press")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert all(e in html for e in ("a@example.org", "b@example.org", "c@example.org"))
    assert XSS_ESCAPED in html and XSS not in html
    assert "human rights, iraq" in html and "Gazette" in html and "unsubscribed" in html
    html = desk.get("/desk/press?tag=iraq").get_data(as_text=True)
    assert "a@example.org" in html and "c@example.org" in html and "b@example.org" not in html
    html = desk.get("/desk/press?tag=iraq&status=active").get_data(as_text=True)
    assert "a@example.org" in html and "c@example.org" not in html
    html = desk.get("/desk/press?q=gazette").get_data(as_text=True)
    assert "b@example.org" in html and "a@example.org" not in html
    assert desk.get("/desk/press?status=bogus").status_code == 404


def test_nothing_of_the_list_is_public(client, session):
    owner = make_user(session)
    make_statement(session, owner)
    make_contact(session, owner, email="secret.journalist@example.org", name="Hidden Name")
    for url in ("/", "/press/subscribe", "/press/subscribe/sent"):
        html = client.get(url).get_data(as_text=True)
        assert "secret.journalist" not in html and "Hidden Name" not in html, url


# --- add, edit, remove ---------------------------------------------------------------

def test_add_a_contact(desk, session):
    response = desk.post("/desk/press/add", data=contact_form(email="Ana@Example.org"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/desk/press")
    contact = fresh(session, "ana@example.org")
    assert (contact.name, contact.tags, contact.status, contact.source) == (
        "Ana Reporter", "human rights,iraq", "active", "desk")
    assert "ana@example.org is on the press list" in desk.get("/desk/press").get_data(as_text=True)


@pytest.mark.parametrize("overrides, message", [
    (dict(email="not an address"), "Enter a valid e-mail address."),
    (dict(email=""), "Enter an e-mail address."),
    (dict(language="not a language"), "Enter a language code"),
    (dict(language="xx"), "Enter a language code"),
    (dict(name="N" * 201), "at most 200 characters"),
    (dict(outlet="O" * 201), "at most 200 characters"),
    (dict(tags="t" * 41), "at most 40 characters"),
    (dict(tags=",".join(f"t{i}" for i in range(21))), "At most 20 tags."),
])
def test_bad_input_gets_a_message_and_stores_nothing(desk, session, overrides, message):
    response = desk.post("/desk/press/add", data=contact_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert contact_count(session) == 0


def test_duplicate_address_gets_a_message_on_the_field(desk, session, user):
    make_contact(session, user, email="ana@example.org", name="First")
    response = desk.post("/desk/press/add", data=contact_form(email="ANA@example.org"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="email-error">\s*<li>ana@example.org is already on the press list', html)
    assert contact_count(session) == 1 and fresh(session, "ana@example.org").name == "First"


def test_unsubscribed_address_cannot_be_added_or_edited(desk, session, user, frozen_clock):
    gone = make_contact(session, user, email="gone@example.org", status="unsubscribed")
    response = desk.post("/desk/press/add", data=contact_form(email="gone@example.org"))
    assert response.status_code == 422
    assert "gone@example.org unsubscribed on 2026-11-01; only they can subscribe again" in \
        response.get_data(as_text=True)
    page = desk.get(f"/desk/press/{gone.id}/edit")
    assert page.status_code == 200 and "only they can subscribe again" in page.get_data(
        as_text=True
    )
    assert 'name="email"' not in page.get_data(as_text=True)  # no form to fill in
    response = desk.post(f"/desk/press/{gone.id}/edit", data=contact_form(email="gone@example.org"))
    assert response.status_code == 422
    contact = fresh(session, "gone@example.org")
    assert contact.status == "unsubscribed" and contact.name != "Ana Reporter"
    assert contact_count(session) == 1
    assert "unsubscribed" in desk.get("/desk/press").get_data(as_text=True)  # still listed


def test_edit_a_contact(desk, session, user):
    contact = make_contact(session, user, email="ana@example.org", tags="iraq, syria")
    page = desk.get(f"/desk/press/{contact.id}/edit")
    assert page.status_code == 200 and 'value="iraq, syria"' in page.get_data(as_text=True)
    response = desk.post(
        f"/desk/press/{contact.id}/edit",
        data=contact_form(email="ana.new@example.org", tags="Kurds", language="AR"),
    )
    assert response.status_code == 303
    contact = fresh(session, "ana.new@example.org")
    assert (contact.tags, contact.language, contact.status) == ("kurds", "ar", "active")
    make_contact(session, user, email="taken@example.org")
    response = desk.post(
        f"/desk/press/{contact.id}/edit", data=contact_form(email="taken@example.org")
    )
    assert response.status_code == 422 and "already on the press list" in response.get_data(
        as_text=True
    )
    assert desk.get("/desk/press/999999/edit").status_code == 404


def test_remove_asks_first_then_removes(desk, session, user):
    contact = make_contact(session, user, email="ana@example.org")
    page = desk.get(f"/desk/press/{contact.id}/remove")
    assert page.status_code == 200 and "Remove ana@example.org from the press list?" in \
        page.get_data(as_text=True)
    assert contact_count(session) == 1
    response = desk.post(f"/desk/press/{contact.id}/remove")
    assert response.status_code == 303 and contact_count(session) == 0
    assert desk.post(f"/desk/press/{contact.id}/remove").status_code == 404


def test_an_unsubscribed_contact_can_be_removed(desk, session, user):
    gone = make_contact(session, user, status="unsubscribed")
    assert "no longer remembers" in desk.get(f"/desk/press/{gone.id}/remove").get_data(as_text=True)
    assert desk.post(f"/desk/press/{gone.id}/remove").status_code == 303
    assert contact_count(session) == 0


# --- CSV import ------------------------------------------------------------------------

GOOD = (b"name;outlet;email;language;tags;notes\n"
        b"Ana;The Daily;ana@example.org;en;Iraq, human rights;x\n"
        b"Ben;;ben@example.org;ar;;\n")


def test_import_preview_then_confirm(desk, session, user):
    make_contact(session, user, email="ben@example.org", name="Old Ben", language="en")
    preview = desk.post("/desk/press/import", data=upload(b"\xef\xbb\xbf" + GOOD),
                        content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "1 new, 1 updated, 0 unchanged" in html and "ana@example.org" in html
    assert contact_count(session) == 1  # a preview stores nothing
    found = re.search(r'name="content" type="hidden" value="([^"]+)"', html)
    assert found is not None, "no import content on the preview"
    content = found.group(1)
    done = desk.post("/desk/press/import", data={"content": content, "filename": "list.csv",
                                                 "confirm": "1"})
    assert done.status_code == 303
    assert contact_count(session) == 2
    assert fresh(session, "ben@example.org").name == "Ben"
    assert fresh(session, "ben@example.org").language == "ar"
    assert fresh(session, "ana@example.org").tags == "human rights,iraq"
    assert "1 new contact, 1 updated, 0 unchanged" in desk.get("/desk/press").get_data(as_text=True)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            GOOD + b"Cy;;not-an-address;;;\n",
            "Line 4: “not-an-address” is not a valid e-mail address.",
        ),
        (
            GOOD + b"Cy;;ANA@example.org;;;\n",
            "Line 4: ana@example.org appears twice in the file (line 2).",
        ),
        (GOOD + b"Cy;;cy@example.org\n", "Line 4: Wrong number of fields: 3 instead of 6"),
        (GOOD + b"\xff\n", "Line 4: The file is not UTF-8 text."),
        (GOOD + b"C\x00y;;cy@example.org;;;\n", "Line 4: The file contains NUL characters"),
        (b"", "The file is empty."),
        (b"name,outlet\nAna,Daily\n", "Line 1: The header row has no “email” column."),
        (
            b"email\n" + b"".join(b"a%d@example.org\n" % i for i in range(5001)),
            "Line 5002: Too many rows: at most 5000.",
        ),
    ],
)
def test_bad_files_are_refused_with_line_numbers(desk, session, raw, expected):
    attempts = [upload(raw)]  # a preview, and a forged confirmation of the same file
    if raw:
        attempts.append({"content": base64.b64encode(raw).decode(), "filename": "x.csv",
                         "confirm": "1"})
    for data in attempts:
        response = desk.post("/desk/press/import", data=data, content_type="multipart/form-data")
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Nothing was imported" in html and expected in html, html[
            html.find("form-problem") :
        ][:600]
    assert contact_count(session) == 0


def test_unsubscribed_address_in_a_file_stops_the_whole_import(desk, session, user, frozen_clock):
    make_contact(session, user, email="gone@example.org", status="unsubscribed")
    before = contact_count(session)
    raw = GOOD + b"Gone;;gone@example.org;;;\n"
    response = desk.post("/desk/press/import",
                         data={"content": base64.b64encode(raw).decode(), "filename": "x.csv",
                               "confirm": "1"})
    assert response.status_code == 422
    assert "Line 4: gone@example.org unsubscribed on 2026-11-01; only they can subscribe again." \
        in response.get_data(as_text=True)
    assert contact_count(session) == before
    assert fresh(session, "gone@example.org").status == "unsubscribed"


def test_too_large_or_unreadable_uploads(desk, session):
    big = b"email\n" + b"a" * press_import.MAX_IMPORT_BYTES
    response = desk.post("/desk/press/import", data=upload(big), content_type="multipart/form-data")
    assert response.status_code == 422 and "larger than 1 MB" in response.get_data(as_text=True)
    response = desk.post("/desk/press/import", data={"content": "%%%not base64", "confirm": "1"})
    assert response.status_code == 422 and "could not be read back" in response.get_data(
        as_text=True
    )
    response = desk.post("/desk/press/import", data={"preview": "1"})
    assert response.status_code == 422 and "Choose a CSV file." in response.get_data(as_text=True)
    assert contact_count(session) == 0


def test_a_full_size_file_can_be_confirmed(desk, session):
    """The confirmation carries the file back (base64), above the default form size limit."""
    outlet = b"o" * 150
    raw = b"name,outlet,email,language,tags\n" + b"".join(
        b"Name %d,%s,a%d@example.org,en,iraq\n" % (i, outlet, i) for i in range(4000))
    assert 500_000 < len(raw) < press_import.MAX_IMPORT_BYTES
    response = desk.post("/desk/press/import",
                         data={"content": base64.b64encode(raw).decode(), "filename": "big.csv",
                               "confirm": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert contact_count(session) == 4000


# --- subscribing -----------------------------------------------------------------------

def subscribe_form(**kw):
    data = {"name": "Jo Writer", "outlet": "Wire", "email": "jo@example.org", "language": "fr",
            "tags": "Iraq"}
    data.update(kw)
    return data


def test_subscribe_confirm_by_the_link_in_the_mail(client, session):
    page = client.get("/press/subscribe")
    assert page.status_code == 200 and 'name="fax"' in page.get_data(as_text=True)
    response = client.post("/press/subscribe", data=subscribe_form())
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/press/subscribe/sent"
    )
    assert "Check your e-mail" in client.get("/press/subscribe/sent").get_data(as_text=True)
    contact = fresh(session, "jo@example.org")
    assert (contact.status, contact.language, contact.tags) == ("pending", "fr", "iraq")
    link = confirm_link(session, "jo@example.org")
    for method in ("GET", "HEAD"):  # the link shows; the button subscribes
        shown = client.open(link, method=method)
        assert shown.status_code == 200 and fresh(session, "jo@example.org").status == "pending"
    assert "Confirm the subscription" in client.get(link).get_data(as_text=True)
    confirmed = client.post(link)
    assert confirmed.status_code == 200 and "you are subscribed" in confirmed.get_data(as_text=True)
    assert confirmed.headers["Cache-Control"] == "no-store"
    assert confirmed.headers["Referrer-Policy"] == "no-referrer"
    assert fresh(session, "jo@example.org").status == "active"
    for again in (client.get(link), client.post(link)):
        assert again.status_code == 200 and "Already confirmed" in again.get_data(as_text=True)


@pytest.mark.parametrize("mangle", [
    lambda link: link[:-4] + "abcd",
    lambda link: "/press/confirm/garbage",
])
def test_tampered_confirmation_links(client, session, mangle):
    client.post("/press/subscribe", data=subscribe_form())
    for send in (client.get, client.post):
        response = send(mangle(confirm_link(session, "jo@example.org")))
        assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    assert fresh(session, "jo@example.org").status == "pending"


def test_expired_confirmation_link(client, session, app):
    client.post("/press/subscribe", data=subscribe_form())
    app.config["COSIGN_CONFIRM_MAX_AGE"] = -1
    for send in (client.get, client.post):
        response = send(confirm_link(session, "jo@example.org"))
        assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert fresh(session, "jo@example.org").status == "pending"


def test_the_answer_is_the_same_whatever_the_address(client, session):
    make_contact(session, email="active@example.org", name="Kept")
    make_contact(session, email="gone@example.org", status="unsubscribed")
    answers = [client.post("/press/subscribe", data=subscribe_form(email=email, **extra))
               for email, extra in (("new@example.org", {}), ("active@example.org", {}),
                                    ("gone@example.org", {}),
                                    ("bot@example.org", {"fax": "buy now"}))]
    assert {(r.status_code, r.headers["Location"]) for r in answers} == {
        (303, "/press/subscribe/sent")}
    assert mail_count(session, "active@example.org") == 0
    assert fresh(session, "active@example.org").name == "Kept"
    assert mail_count(session, "new@example.org") == 1
    assert mail_count(session, "gone@example.org") == 1  # their own consent: may come back
    assert fresh(session, "gone@example.org").status == "pending"
    assert fresh(session, "bot@example.org") is None and mail_count(session, "bot@example.org") == 0
    client.post(confirm_link(session, "gone@example.org"))
    assert fresh(session, "gone@example.org").status == "active"


@pytest.mark.parametrize("overrides, message", [
    (dict(email="nope"), "Enter a valid e-mail address."),
    (dict(name=""), "Enter your name."),
    (dict(language="??"), "Enter a language code"),
    (dict(tags="t" * 41), "at most 40 characters"),
])
def test_subscribe_bad_input(client, session, overrides, message):
    response = client.post("/press/subscribe", data=subscribe_form(**overrides))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert contact_count(session) == 0 and mail_count(session) == 0


class TestSubscribeRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_PRESS_SUBSCRIBE_LIMIT": "2 per hour"}

    def test_per_ip(self, client, session):
        for i in range(2):
            assert client.post("/press/subscribe",
                               data=subscribe_form(email=f"j{i}@example.org")).status_code == 303
        response = client.post("/press/subscribe", data=subscribe_form(email="j3@example.org"))
        assert response.status_code == 429 and "Too many subscriptions" in response.get_data(
            as_text=True
        )
        assert contact_count(session) == 2
        other = client.post("/press/subscribe", data=subscribe_form(email="j4@example.org"),
                            environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert other.status_code == 303


def test_default_subscribe_limit(app):
    assert app.config["COSIGN_PRESS_SUBSCRIBE_LIMIT"] == "10 per hour"


# --- unsubscribing -----------------------------------------------------------------------

def test_the_unsubscribe_link_shows_a_button_then_undo(client, session, app):
    app.config["COSIGN_SITE_NAME"] = "Coalition Desk"
    contact = make_contact(session, email="jo@example.org")
    url = unsubscribe_url(contact)
    for method in ("GET", "HEAD", "GET"):  # mail scanners open links: nothing changes
        page = client.open(url, method=method)
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
    html = client.get(url).get_data(as_text=True)
    assert "jo@example.org will receive no more statements from Coalition Desk." in html
    assert '<button type="submit" class="button">Unsubscribe</button>' in html
    assert fresh(session, "jo@example.org").status == "active"
    done = client.post(url)  # the page's button
    assert done.status_code == 200
    assert "You will receive no more statements from Coalition Desk." in \
        done.get_data(as_text=True)
    assert fresh(session, "jo@example.org").status == "unsubscribed"
    again = client.get(url).get_data(as_text=True)  # after: says so, offers the undo
    assert "You are unsubscribed" in again and "Subscribe again" in again
    assert client.post(url).status_code == 200  # twice is fine
    undo = client.post(url + "/undo")
    assert undo.status_code == 200 and "subscribed again" in undo.get_data(as_text=True)
    contact = fresh(session, "jo@example.org")
    assert contact.status == "active" and contact.unsubscribed_at is None


def test_one_click_unsubscribe_by_post(client, session):
    contact = make_contact(session, email="jo@example.org")
    url = unsubscribe_url(contact)
    assert client.head(url).status_code == 200  # link checkers change nothing
    assert client.get(url).status_code == 200  # nor do mail scanners
    assert fresh(session, "jo@example.org").status == "active"
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert fresh(session, "jo@example.org").status == "unsubscribed"
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_tampered_unsubscribe_links(client, session):
    contact = make_contact(session, email="jo@example.org")
    url = unsubscribe_url(contact)
    for bad in (url[:-4] + "abcd", "/press/unsubscribe/garbage"):
        assert client.get(bad).status_code == 404
        assert client.post(bad, data={"List-Unsubscribe": "One-Click"}).status_code == 404
        assert client.post(bad + "/undo").status_code == 404
    assert fresh(session, "jo@example.org").status == "active"


def test_unsubscribe_link_of_a_removed_contact(client, session, user):
    contact = make_contact(session, user, email="jo@example.org")
    url = unsubscribe_url(contact)
    press.remove(session, contact.id, user.id)
    page = client.get(url)
    assert page.status_code == 200 and "no more statements" in page.get_data(as_text=True)
    assert "Subscribe again" not in page.get_data(as_text=True)
    assert client.post(url + "/undo").status_code == 410
    assert contact_count(session) == 0


# --- CSRF ---------------------------------------------------------------------------------

def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


class TestCsrf:
    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_every_press_form_refuses_a_post_without_token(self, client, session, user):
        contact = make_contact(session, user, email="ana@example.org")
        gone = make_contact(session, user, email="gone@example.org", status="unsubscribed")
        token = csrf_token(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        raw = base64.b64encode(b"email\nnew@example.org\n").decode()
        posts = {
            "/desk/press/add": contact_form(email="new@example.org"),
            f"/desk/press/{contact.id}/edit": contact_form(email="ana@example.org", name="Changed"),
            f"/desk/press/{contact.id}/remove": {},
            "/desk/press/import": {"content": raw, "filename": "x.csv", "confirm": "1"},
            "/press/subscribe": subscribe_form(email="new@example.org"),
            unsubscribe_url(gone) + "/undo": {},
        }
        for url, data in posts.items():
            assert client.post(url, data=data).status_code == 400, url
        assert contact_count(session) == 2 and mail_count(session) == 0
        assert fresh(session, "ana@example.org").name != "Changed"
        assert fresh(session, "gone@example.org").status == "unsubscribed"

    def test_one_click_unsubscribe_needs_no_token_but_undo_does(self, client, session):
        contact = make_contact(session, email="jo@example.org")
        url = unsubscribe_url(contact)
        assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        assert fresh(session, "jo@example.org").status == "unsubscribed"
        page = client.get(url).get_data(as_text=True)
        assert client.post(url + "/undo").status_code == 400
        # the page's own button needs its token like every form
        assert client.post(url, data={"List-Unsubscribe": "Maybe"}).status_code == 400
        assert client.post(url + "/undo", data={"csrf_token": csrf_token(page)}).status_code == 200
        assert fresh(session, "jo@example.org").status == "active"

    def test_the_public_form_works_with_its_token(self, client, session):
        token = csrf_token(client.get("/press/subscribe").get_data(as_text=True))
        response = client.post("/press/subscribe", data=subscribe_form(csrf_token=token))
        assert response.status_code == 303 and mail_count(session, "jo@example.org") == 1
