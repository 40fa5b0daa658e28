"""One origin: every absolute URL comes from COSIGN_SITE_URL, never from the request's Host.

Outside development the setting is required (https:// unless the site is this machine's
own), and requests for any other host are refused (Flask's TRUSTED_HOSTS). Behind a careless
proxy that lets every Host through, links still come from the setting.
"""
import pathlib
import re

import pytest
from sqlalchemy import select

from cosign import signing
from cosign.config import Config, ConfigurationError
from cosign.models import OutboxMessage
from tests.factories import login, make_statement, make_user

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENV = {"SECRET_KEY": "k" * 48}


# --- the setting -----------------------------------------------------------------------------

def test_outside_development_the_site_url_is_required(tmp_path):
    with pytest.raises(ConfigurationError, match="COSIGN_SITE_URL is not set"):
        Config.from_env(tmp_path, environ=ENV)


@pytest.mark.parametrize("url", ["http://statements.example.org", "ftp://statements.example.org",
                                 "statements.example.org", "https://", "https://a.example/path",
                                 "https://a.example/?q=1"])
def test_a_wrong_site_url_is_a_start_up_error(tmp_path, url):
    with pytest.raises(ConfigurationError, match="COSIGN_SITE_URL must"):
        Config.from_env(tmp_path, environ={**ENV, "COSIGN_SITE_URL": url})


@pytest.mark.parametrize("url, hosts", [
    ("https://statements.example.org/", ["statements.example.org"]),
    ("http://127.0.0.1:8000", ["127.0.0.1"]),  # a stack or a benchmark on this machine
    ("http://localhost:8000", ["localhost"]),
])
def test_a_good_site_url_sets_the_trusted_hosts(tmp_path, url, hosts):
    cfg = Config.from_env(tmp_path, environ={**ENV, "COSIGN_SITE_URL": url,
                                             "COSIGN_TRUSTED_HOSTS": "lb.internal, "})
    assert cfg["COSIGN_SITE_URL"] == url.rstrip("/")
    assert set(hosts) | {"lb.internal", "127.0.0.1", "localhost"} <= set(cfg["TRUSTED_HOSTS"])
    assert "evil.example" not in cfg["TRUSTED_HOSTS"]


def test_development_needs_no_site_url_and_answers_any_host(tmp_path):
    cfg = Config.from_env(tmp_path, environ={"COSIGN_DEV": "1"})
    assert cfg["COSIGN_SITE_URL"] == "http://127.0.0.1:5000"
    assert cfg.get("TRUSTED_HOSTS") is None


def test_make_run_sets_the_site_url_from_the_port():
    makefile = (ROOT / "Makefile").read_text()
    assert "SITE_URL := $(or $(COSIGN_SITE_URL),http://127.0.0.1:$(PORT))" in makefile
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert 'COSIGN_SITE_URL="$(SITE_URL)"' in run


def test_no_link_is_made_from_the_request():
    """``url_for(..., _external=True)`` builds from the Host header: nothing may use it."""
    offenders = []
    for path in [*ROOT.joinpath("cosign").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.*")]:
        text = path.read_text(errors="replace")
        if re.search(r"_external\s*=\s*True|request\.(host_url|url_root|host\b)", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# --- requests --------------------------------------------------------------------------------

@pytest.fixture
def statement(session):
    owner = make_user(session)
    stmt = make_statement(session, owner)
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    stmt.owner = owner
    return stmt


@pytest.mark.parametrize("method, path", [("GET", "/"), ("GET", "/login"), ("POST", "/login"),
                                          ("GET", "/feed.atom"), ("GET", "/api/v1/statements")])
def test_requests_for_another_host_are_refused(client, session, method, path):
    response = client.open(path, method=method, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert b"evil.example" not in response.data


def test_this_machine_is_answered(client, session):
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200


class TestBehindACarelessProxy:
    """Every Host reaches the app (TRUSTED_HOSTS off): links still come from the setting."""

    @pytest.fixture
    def app_overrides(self):
        return {"SERVER_NAME": None, "TRUSTED_HOSTS": None}

    def test_confirmation_mail_links_to_the_site(self, client, session, statement):
        response = client.post(f"/s/{statement.slug}/sign", headers={"Host": "evil.example"},
                               data={"organisation": "Basra Lawyers", "country": "IQ",
                                     "org_type": "union", "contact_name": "Ali",
                                     "contact_role": "Chair", "email": "ali@basra.example.org",
                                     "display": "named", "authorised": "y",
                                     "kind": "organisation", "fax": ""})
        assert response.status_code in (200, 303)
        mail = session.scalars(select(OutboxMessage)
                               .where(OutboxMessage.kind == "signature-confirm")).one()
        for body in (mail.body_text, mail.body_html):
            assert "evil.example" not in body
            assert "http://cosign.test/confirm/" in body

    def test_invitation_mail_links_to_the_site(self, client, session, statement):
        login(client, statement.owner)
        client.post(f"/desk/{statement.slug}/members", headers={"Host": "evil.example"},
                    data={"email": "friend@example.org", "role": "editor"})
        mail = session.scalars(select(OutboxMessage)
                               .where(OutboxMessage.recipient == "friend@example.org")).one()
        assert "evil.example" not in mail.body_text
        assert "http://cosign.test/invitation/" in mail.body_text

    def test_page_link_previews_and_feed_use_the_site(self, client, session, statement):
        page = client.get(f"/s/{statement.slug}", headers={"Host": "evil.example"})
        html = page.get_data(as_text=True)
        assert f'property="og:url" content="http://cosign.test/s/{statement.slug}"' in html
        assert "evil.example" not in html
        feed = client.get("/feed.atom", headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in feed and "http://cosign.test/feed.atom" in feed

    def test_press_subscription_mail_links_to_the_site(self, client, session):
        client.post("/press/subscribe", headers={"Host": "evil.example"},
                    data={"email": "reporter@news.example", "name": "Rea", "outlet": "News",
                          "language": "en"})
        mails = session.scalars(select(OutboxMessage)
                                .where(OutboxMessage.recipient == "reporter@news.example")).all()
        assert mails, "the subscription form sent no confirmation mail"
        assert all("evil.example" not in m.body_text for m in mails)
        assert any("http://cosign.test/press/" in m.body_text for m in mails)
