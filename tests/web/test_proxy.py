"""Rate limits are keyed by the connection's address; X-Forwarded-For counts only from
trusted proxies (COSIGN_TRUSTED_PROXIES)."""
import pytest
from sqlalchemy import func, select

from cosign import signing
from cosign.config import Config, ConfigurationError
from cosign.models import Signature
from tests.factories import make_statement, make_user
from tests.web.forms import form

LIMIT = 20  # COSIGN_SIGN_LIMIT_IP's default: "20 per hour"
PROXY = "10.0.0.2"


@pytest.fixture
def statement(session):
    owner = make_user(session)
    stmt = make_statement(session, owner)
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    return stmt


def rows(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Signature))


def sign_on(client, statement, n: int, forwarded_for: str, remote: str = PROXY, **headers):
    return client.post(f"/s/{statement.slug}/sign",
                       data=form(organisation=f"Organisation {n}", email=f"c{n}@org{n}.example"),
                       headers={"X-Forwarded-For": forwarded_for, **headers},
                       environ_base={"REMOTE_ADDR": remote})


def test_the_default_limit_is_twenty_per_hour_per_address(app):
    assert app.config["COSIGN_SIGN_LIMIT_IP"] == "20 per hour"
    assert app.config["COSIGN_TRUSTED_PROXIES"] == 0


def test_spoofed_forwarded_for_does_not_escape_the_limit_by_default(client, session, statement):
    for n in range(LIMIT):
        response = sign_on(client, statement, n, forwarded_for=f"198.51.100.{n + 1}")
        assert response.status_code == 303, n
    refused = sign_on(client, statement, LIMIT, forwarded_for="203.0.113.250")
    assert refused.status_code == 429 and b"Too many signatures" in refused.data
    assert rows(session) == LIMIT
    hashes = set(session.scalars(select(Signature.ip_hash)))
    secret = client.application.config["SECRET_KEY"]
    assert hashes == {signing.ip_fingerprint(secret, PROXY)}  # the socket's address, not a header
    # another connection is another client
    assert sign_on(client, statement, 99, "198.51.100.1", remote="10.0.0.3").status_code == 303


def test_the_login_limit_ignores_forwarded_for_too(client, session, app):
    limit = int(app.config["COSIGN_LOGIN_LIMIT"].split()[0])
    for n in range(limit):
        response = client.post("/login", data={"email": f"u{n}@example.org", "password": "nope"},
                               headers={"X-Forwarded-For": f"198.51.100.{n + 1}"})
        assert response.status_code == 401
    response = client.post("/login", data={"email": "other@example.org", "password": "nope"},
                           headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 429


class TestOneTrustedProxy:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_TRUSTED_PROXIES": 1}

    def test_each_forwarded_client_has_its_own_limit(self, client, session, statement):
        for n in range(LIMIT + 1):  # one more than one client may: all from different clients
            response = sign_on(client, statement, n, forwarded_for=f"198.51.100.{n + 1}")
            assert response.status_code == 303, n
        assert rows(session) == LIMIT + 1
        secret = client.application.config["SECRET_KEY"]
        hashes = set(session.scalars(select(Signature.ip_hash)))
        assert signing.ip_fingerprint(secret, "198.51.100.1") in hashes
        assert signing.ip_fingerprint(secret, PROXY) not in hashes

    def test_one_forwarded_client_is_still_limited_whatever_it_prepends(self, client, session,
                                                                        statement):
        """The proxy appends the address it saw; what the client sent before it is not believed."""
        for n in range(LIMIT):
            chain = f"192.0.2.{n + 1}, 203.0.113.5"  # forged entry, then the proxy's
            assert sign_on(client, statement, n, forwarded_for=chain).status_code == 303, n
        refused = sign_on(client, statement, LIMIT, forwarded_for="192.0.2.200, 203.0.113.5")
        assert refused.status_code == 429
        assert rows(session) == LIMIT

    def test_the_scheme_comes_from_the_proxy(self, app, statement):
        # links are made from COSIGN_SITE_URL (tests/web/test_origin.py); what the scheme still
        # decides is whether the request counts as secure
        from flask import request

        app.add_url_rule("/_scheme", "scheme_probe", lambda: request.scheme)
        client = app.test_client()
        page = client.get("/_scheme", headers={"X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": PROXY})
        assert page.data == b"https"
        assert client.get("/_scheme", environ_base={"REMOTE_ADDR": PROXY}).data == b"http"


def test_the_scheme_header_is_ignored_without_a_trusted_proxy(client, statement):
    page = client.get(f"/s/{statement.slug}", headers={"X-Forwarded-Proto": "https"})
    assert f'href="http://cosign.test/s/{statement.slug}"'.encode() in page.data


@pytest.mark.parametrize("value, hops", [(None, 0), ("", 0), ("0", 0), ("1", 1), (" 2 ", 2)])
def test_trusted_proxies_setting(tmp_path, value, hops):
    environ = {"SECRET_KEY": "x", "COSIGN_SITE_URL": "https://statements.example.org"} | (
        {} if value is None else {"COSIGN_TRUSTED_PROXIES": value}
    )
    assert Config.from_env(tmp_path, environ=environ)["COSIGN_TRUSTED_PROXIES"] == hops


@pytest.mark.parametrize("value", ["yes", "-1", "1.5", "all"])
def test_a_wrong_trusted_proxies_setting_says_what_to_set(tmp_path, value):
    with pytest.raises(ConfigurationError, match="COSIGN_TRUSTED_PROXIES must be a whole number"):
        Config.from_env(tmp_path, environ={"SECRET_KEY": "x", "COSIGN_TRUSTED_PROXIES": value,
                                           "COSIGN_SITE_URL": "https://statements.example.org"})
