"""/feed.atom: published statements only, newest first, valid Atom (RFC 4287)."""
import feedparser
from lxml import etree

from cosign import catalogue, drafting, signing
from tests.publications import (
    CONTACT,
    HIDDEN_NAME,
    SECRET,
    links,
    many_published,
    not_public,
    published,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def fetch(client):
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    assert response.mimetype_params["charset"] == "utf-8"
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return response, feed


def check_atom_rules(xml: bytes):
    """What feedparser forgives: the RFC 4287 MUSTs this feed could break."""
    root = etree.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "published", "summary", "content"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        alternates = [link for link in entry.findall(f"{ATOM}link")
                      if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1
        assert entry.find(f"{ATOM}content").get("type") == "html"
        assert entry.find(f"{ATOM}author/{ATOM}name").text


def test_empty_feed_is_valid(client, session):
    response, feed = fetch(client)
    check_atom_rules(response.data)
    assert feed.entries == []
    assert feed.feed.id == "http://cosign.test/feed.atom"
    assert feed.feed.updated_parsed is not None
    assert feed.feed.title
    assert any(link.rel == "self" and link.href == "http://cosign.test/feed.atom"
               for link in feed.feed.links)


def test_entries_newest_first_published_only(client, session, frozen_clock):
    hidden = not_public(session, frozen_clock)
    made = many_published(session, frozen_clock, 3)
    response, feed = fetch(client)
    check_atom_rules(response.data)
    assert [e.id for e in feed.entries] == [f"http://cosign.test/s/{s.slug}" for s in made[::-1]]
    newest = feed.entries[0]
    assert newest.title == "Statement number 02"
    assert newest.link == f"http://cosign.test/s/{made[2].slug}"
    assert newest.updated_parsed[:6] == newest.published_parsed[:6] == (2026, 11, 1, 12, 2, 0)
    assert newest.author == "Iraqi Solidarity Coalition"
    assert newest.summary == ("We, the undersigned organisations, condemn the arrest of "
                              "journalists in the capital.")
    assert newest.content[0].type == "text/html"
    assert "<p>At least four reporters were detained" in newest.content[0].value
    [enclosure] = [link for link in newest.links if link.rel == "enclosure"]
    assert enclosure.href == f"http://cosign.test/s/{made[2].slug}.pdf"
    assert enclosure.type == "application/pdf"
    assert feed.feed.updated_parsed == newest.updated_parsed
    text = response.get_data(as_text=True)
    for statement in hidden.values():
        assert statement.slug not in text and statement.title not in text


def test_feed_keeps_the_newest_fifty(client, session, frozen_clock, monkeypatch):
    monkeypatch.setattr(catalogue, "FEED_SIZE", 2)
    made = many_published(session, frozen_clock, 3)
    _response, feed = fetch(client)
    assert [e.id for e in feed.entries] == [f"http://cosign.test/s/{s.slug}"
                                            for s in made[:0:-1]]


def test_a_correction_updates_the_entry(client, session, frozen_clock):
    statement, owner = published(session)
    frozen_clock.advance(days=1, hours=2)
    body = drafting.current_revision(session, statement).body + "\n\nFive reporters, not four."
    signing.save_new_version(session, statement, owner.id,
                             drafting.Text("Free the five journalists", body, "London", None),
                             note="correction", base_revision=1, secret_key=SECRET,
                             link_for=links)
    _response, feed = fetch(client)
    [entry] = feed.entries
    assert entry.title == "Free the five journalists"
    assert entry.published_parsed[:5] == (2026, 11, 1, 12, 0)
    assert entry.updated_parsed[:5] == (2026, 11, 2, 14, 0)
    assert feed.feed.updated_parsed[:5] == (2026, 11, 2, 14, 0)
    assert "Five reporters" in entry.content[0].value


def test_html_in_a_title_is_escaped(client, session):
    title = "<script>alert(1)</script>"
    published(session, title=title, coalition="<b>Bold</b> & Co")
    response, feed = fetch(client)
    xml = response.get_data(as_text=True)
    assert "<script" not in xml and "<b>" not in xml
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml
    assert feed.entries[0].title == title
    assert feed.entries[0].author == "<b>Bold</b> & Co"


def test_feed_shows_no_contact_data(client, session):
    published(session, names=("Named Org",), withheld=True)
    xml = client.get("/feed.atom").get_data(as_text=True)
    for secret in [*CONTACT.values(), HIDDEN_NAME]:
        assert secret not in xml


def test_pages_link_to_the_feed(client, session):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" href="/feed.atom"' in html


def test_feed_is_cacheable_and_conditional(client, session, frozen_clock):
    published(session)
    first = client.get("/feed.atom")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/feed.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    frozen_clock.advance(minutes=1)
    published(session, title="Another statement")
    changed = client.get("/feed.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
