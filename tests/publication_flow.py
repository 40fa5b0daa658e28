"""Publishing from the desk as a coordinator does: the form, its summary, the summary's button."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from cosign import signing
from tests.factories import make_statement, make_user


class ConfirmForm(HTMLParser):
    """The fields of the summary's form (the one that posts to .../publish/confirm)."""

    def __init__(self):
        super().__init__()
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self.disabled = False
        self._in = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("action") or "").endswith("/publish/confirm"):
            self._in, self.action = True, a["action"]
        elif self._in and tag == "input" and a.get("name"):
            self.fields.append((a["name"], a.get("value") or ""))
        elif self._in and tag == "button" and "disabled" in a:
            self.disabled = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._in = False


def confirm_form(html: str) -> ConfirmForm:
    parser = ConfirmForm()
    parser.feed(html)
    assert parser.action, "the page has no summary button"
    return parser


def open_summary(client, slug: str, data: dict):
    """Post the publish form; the summary page it leads to (a response)."""
    response = client.post(f"/desk/{slug}/publish", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/desk/{slug}/publish/summary"
    return client.get(f"{location.path}?{location.query}")


def press_button(client, page_html: str):
    """The summary's button."""
    form = confirm_form(page_html)
    assert not form.disabled, "the summary's button waits for the PDF"
    return client.post(form.action, data=_multi(form.fields))


def publish_through_summary(client, slug: str, data: dict):
    """Form → summary → its button; the button's response."""
    summary = open_summary(client, slug, data)
    assert summary.status_code == 200
    return press_button(client, summary.get_data(as_text=True))


def _multi(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def open_statement(session, names=("Iraqi Solidarity Network", "Rights Watch Nasiriya")):
    owner = make_user(session)
    statement = make_statement(session, owner, coalition="The Coalition",
                               press_name="Hana Press", press_email="press@coalition.example")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    from cosign import moderation

    for name in names:
        moderation.add(session, statement, signing.SignOn(
            organisation=name, country="IQ", email=f"contact@{len(name)}.example",
            contact_name="Secret Contact"), owner.id)
    return owner, statement
