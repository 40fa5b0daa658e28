"""A coordinator's account through the app (test client): password change, "log out everywhere",
reset by e-mail (real SMTP sink), two-step login with TOTP and recovery codes, throttling, the
audit log, and invitation links that never act on GET."""
import re

import pyotp
import pytest
from flask import g
from sqlalchemy import func, select

from cosign import accounts, second_factor
from cosign.models import AuditEvent, Membership, OutboxMessage, User
from tests.factories import PASSWORD, login, make_statement, make_user
from tests.smtp_sink import mail_config
from tests.waiting import wait_until

NEW = "a brand new passphrase"
SECRET = "test-secret-key-not-for-production"


@pytest.fixture
def app_overrides(request):
    if "smtp" in request.fixturenames:
        return mail_config(request.getfixturevalue("smtp")[0])
    return {}


@pytest.fixture(autouse=True)
def _user_per_request(app):
    """The test's app context outlives requests, and with it Flask-Login's user cached in `g`:
    each request starts without it, so that its own session cookie decides, as in production
    (several clients here stand for several devices)."""
    @app.before_request
    def _forget_cached_user():
        g.pop("_login_user", None)


def logged_in(client) -> bool:
    return client.get("/desk/").status_code == 200


def reload(session, user) -> User:
    session.rollback()
    return session.get(User, user.id)


def audit_actions(session, user_id) -> list[str]:
    session.rollback()
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user_id)
                                .order_by(AuditEvent.id)))


# -- the account page and password change -----------------------------------------------------

def test_account_page_needs_login_and_is_in_the_navigation(client, session):
    assert "/login" in client.get("/account/").location
    user = make_user(session)
    login(client, user)
    desk = client.get("/desk/").get_data(as_text=True)
    assert 'href="/account/"' in desk
    page = client.get("/account/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Change your password" in text and "Two-step login" in text
    assert page.headers["Cache-Control"] == "no-store"


def test_password_change_keeps_this_browser_and_ends_the_others(app, client, session):
    user = make_user(session)
    other = app.test_client()
    login(client, user)
    login(other, user)
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.location.endswith("/account/")
    assert logged_in(client)
    assert not logged_in(other)  # the other device is logged out
    client.post("/logout")
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    )
    login(client, user, NEW)
    assert "password-changed" in audit_actions(session, user.id)


@pytest.mark.parametrize("data, status, message", [
    ({"current": "not my password", "password": NEW, "confirm": NEW}, 401,
     "The current password is not right."),
    ({"current": PASSWORD, "password": NEW, "confirm": NEW + "x"}, 422, "The passwords differ."),
    ({"current": PASSWORD, "password": "short", "confirm": "short"}, 422, "at least 10 characters"),
    ({"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD}, 422,
     "the same as the current one"),
    ({"current": "", "password": NEW, "confirm": NEW}, 422, "Type your current password."),
])
def test_bad_password_change(client, session, data, status, message):
    user = make_user(session)
    before = user.password_hash
    login(client, user)
    response = client.post("/account/password", data=data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert reload(session, user).password_hash == before
    assert logged_in(client)


def test_password_change_is_throttled(client, session):
    user = make_user(session)
    login(client, user)
    for _ in range(5):
        assert client.post("/account/password", data={
            "current": "wrong password", "password": NEW, "confirm": NEW}).status_code == 401
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 429
    assert reload(session, user).password_hash != accounts.hash_password(NEW)
    assert accounts.authenticate(session, user.email, PASSWORD) is not None


def test_log_out_everywhere(app, client, session):
    user = make_user(session)
    other = app.test_client()
    login(client, user)
    login(other, user)
    response = client.post("/account/sessions")
    assert response.status_code == 302 and "/login" in response.location
    assert not logged_in(client) and not logged_in(other)
    login(client, user)  # a new login works
    assert logged_in(client)


def test_failed_logins_are_audited_without_ip_or_password(client, session):
    user = make_user(session)
    client.post("/login", data={"email": user.email, "password": "guessed-secret"},
                environ_base={"REMOTE_ADDR": "203.0.113.77"})
    [event] = session.scalars(select(AuditEvent))
    assert event.action == "login-failed" and event.actor_id == user.id
    assert "203.0.113" not in event.detail_json and "guessed-secret" not in event.detail_json


# -- reset by e-mail ----------------------------------------------------------------------------

def test_forgot_link_on_the_login_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/forgot"' in page and "Forgot your password?" in page
    assert 'autocomplete="email"' in page and 'autocomplete="username"' not in page


def test_reset_answers_the_same_for_unknown_addresses(client, session):
    make_user(session, email="nadia@example.org")
    known = client.post("/login/forgot", data={"email": "nadia@example.org"})
    unknown = client.post("/login/forgot", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert b"If an account exists for that address" in known.data
    assert [m.recipient for m in session.scalars(select(OutboxMessage))] == ["nadia@example.org"]


@pytest.mark.parametrize("email", ["", "x" * 300])
def test_reset_form_bad_input(client, session, email):
    response = client.post("/login/forgot", data={"email": email})
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_reset_form_is_throttled_per_address(client, session):
    user = make_user(session)
    for n in range(3):
        assert client.post("/login/forgot", data={"email": user.email},
                           environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code == 200
    assert client.post("/login/forgot", data={"email": user.email},
                       environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 429
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_reset_by_mail_over_smtp(app, client, session, smtp):
    _controller, sink = smtp
    user = make_user(session, email="nadia@example.org")
    other = app.test_client()
    login(other, user)
    assert client.post("/login/forgot", data={"email": "nadia@example.org"}).status_code == 200
    assert wait_until(lambda: sink.messages, timeout=10)
    [mail] = sink.emails()
    assert mail["To"] == "nadia@example.org"
    text = mail.get_body(("plain",)).get_content()
    found = re.search(r"http://cosign\.test(/login/reset/\S+)", text)
    assert found is not None, "no reset link in the e-mail"
    link = found.group(1)

    # opening the link (or a mail scanner fetching it) changes nothing
    before = reload(session, user).password_hash
    assert client.head(link).status_code == 200
    page = client.get(link)
    assert page.status_code == 200 and b"Choose a new password" in page.data
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert reload(session, user).password_hash == before

    bad = client.post(link, data={"password": NEW, "confirm": "something else"})
    assert bad.status_code == 422 and b"The passwords differ." in bad.data
    weak = client.post(link, data={"password": "short", "confirm": "short"})
    assert weak.status_code == 422 and b"at least 10 characters" in weak.data
    assert reload(session, user).password_hash == before

    done = client.post(link, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.location.endswith("/login")
    assert not logged_in(other)  # every session ended
    login(client, user, NEW)
    client.post("/logout")
    again = client.get(link)  # single use
    assert again.status_code == 404 and b"used already" in again.data
    assert client.post(link, data={"password": "third passphrase!", "confirm":
                                   "third passphrase!"}).status_code == 404
    actions = audit_actions(session, user.id)
    assert "password-reset-requested" in actions and "password-reset" in actions


@pytest.mark.parametrize("link", ["/login/reset/forged", "/login/reset/eyJ1IjoxfQ.aaaa.bbbb"])
def test_forged_reset_links(client, session, link):
    make_user(session)
    response = client.get(link)
    assert response.status_code == 404 and b"not valid" in response.data
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 404


def test_altered_reset_link(client, session):
    user = make_user(session)
    token = accounts.reset_token(SECRET, user)
    altered = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    assert client.get(f"/login/reset/{altered}").status_code == 404


def test_expired_reset_link(app, client, session):
    user = make_user(session)
    token = accounts.reset_token(SECRET, user)
    app.config["COSIGN_RESET_MAX_AGE"] = -1
    response = client.get(f"/login/reset/{token}")
    assert response.status_code == 410 and b"expired" in response.data
    response = client.post(f"/login/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert response.status_code == 410
    assert accounts.authenticate(session, user.email, PASSWORD) is not None


# -- two-step login ----------------------------------------------------------------------------

def setup_second_factor(client, session, user, frozen_clock) -> tuple[str, list[str]]:
    login(client, user)
    assert client.post("/account/two-step/start").status_code == 302
    first = client.get("/account/two-step/setup").get_data(as_text=True)
    second = client.get("/account/two-step/setup").get_data(as_text=True)
    found = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', first)
    assert found is not None, "no secret on the set-up page"
    secret = found.group(1)
    assert secret in second  # GET shows, it does not make a new secret
    assert "<svg" in first and "<title>QR code for your authenticator app</title>" in first
    assert not second_factor.is_enabled(reload(session, user))
    wrong = client.post("/account/two-step/setup", data={"code": "12345x"})
    assert wrong.status_code == 401 and b"not right" in wrong.data
    assert not second_factor.is_enabled(reload(session, user))
    code = pyotp.TOTP(secret).generate_otp(second_factor.current_step(frozen_clock.now))
    page = client.post("/account/two-step/setup", data={"code": code})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", page.get_data(as_text=True))
    assert len(codes) == 10
    assert second_factor.is_enabled(reload(session, user))
    client.post("/logout")
    return secret, codes


def totp(secret, frozen_clock) -> str:
    return pyotp.TOTP(secret).generate_otp(second_factor.current_step(frozen_clock.now))


def test_two_step_login(client, session, frozen_clock):
    user = make_user(session)
    secret, codes = setup_second_factor(client, session, user, frozen_clock)
    frozen_clock.advance(seconds=30)

    response = client.post(
        "/login?next=/desk/new", data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location.endswith("/login/code")
    assert not logged_in(client)  # not before the code
    assert b"Second step" in client.get("/login/code").data
    wrong = client.post("/login/code", data={"code": "000000" if totp(secret, frozen_clock)
                                             != "000000" else "111111"})
    assert wrong.status_code == 401 and b"not right" in wrong.data and not logged_in(client)
    code = totp(secret, frozen_clock)
    right = client.post("/login/code", data={"code": code})
    assert right.status_code == 302 and right.location.endswith("/desk/new")
    assert logged_in(client)

    client.post("/logout")  # the same code again, within its window: refused
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    reused = client.post("/login/code", data={"code": code})
    assert reused.status_code == 401 and not logged_in(client)

    recovery = client.post("/login/code", data={"code": codes[0]})
    assert recovery.status_code == 302 and logged_in(client)
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    used = client.post("/login/code", data={"code": codes[0]})
    assert used.status_code == 401 and not logged_in(client)
    actions = audit_actions(session, user.id)
    assert actions.count("2fa-failed") == 4 and "recovery-code-used" in actions


def test_the_second_step_without_a_password_or_too_late(client, session, frozen_clock):
    assert client.get("/login/code").location.endswith("/login")
    assert client.post("/login/code", data={"code": "123456"}).location.endswith("/login")
    user = make_user(session)
    secret, _codes = setup_second_factor(client, session, user, frozen_clock)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    frozen_clock.advance(minutes=6)
    late = client.post("/login/code", data={"code": totp(secret, frozen_clock)})
    assert late.status_code == 302 and late.location.endswith("/login")
    assert not logged_in(client)


def test_the_second_step_is_throttled(client, session, frozen_clock):
    user = make_user(session)
    secret, _codes = setup_second_factor(client, session, user, frozen_clock)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for _ in range(5):
        assert client.post("/login/code", data={"code": "99999a"}).status_code == 401
    frozen_clock.advance(seconds=30)
    assert client.post("/login/code", data={"code": totp(secret, frozen_clock)}).status_code == 429
    assert not logged_in(client)


def test_a_reset_keeps_the_second_factor(client, session, frozen_clock):
    user = make_user(session)
    _secret, _codes = setup_second_factor(client, session, user, frozen_clock)
    token = accounts.reset_token(SECRET, reload(session, user))
    assert client.post(f"/login/reset/{token}", data={"password": NEW, "confirm": NEW}
                       ).status_code == 302
    response = client.post("/login", data={"email": user.email, "password": NEW})
    assert response.location.endswith("/login/code") and not logged_in(client)


def test_turn_off_and_new_recovery_codes(client, session, frozen_clock):
    user = make_user(session)
    secret, codes = setup_second_factor(client, session, user, frozen_clock)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post("/login/code", data={"code": codes[0]})
    assert b"9 are left" in client.get("/account/").data

    bad = client.post("/account/two-step/recovery-codes", data={"codes-password": "wrong"})
    assert bad.status_code == 401 and b"The password is not right." in bad.data
    page = client.post("/account/two-step/recovery-codes", data={"codes-password": PASSWORD})
    new = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", page.get_data(as_text=True))
    assert page.status_code == 200 and len(new) == 10 and not set(new) & set(codes)

    frozen_clock.advance(seconds=30)
    for data, status in [
        ({"disable-password": "wrong", "disable-code": totp(secret, frozen_clock)}, 401),
        ({"disable-password": PASSWORD, "disable-code": "000000x"}, 401),
        ({"disable-password": PASSWORD, "disable-code": ""}, 422),
        ({"disable-password": PASSWORD, "disable-code": codes[1]}, 401),
    ]:
        assert client.post("/account/two-step/disable", data=data).status_code == status, data
        assert second_factor.is_enabled(reload(session, user))
    frozen_clock.advance(seconds=30)
    off = client.post("/account/two-step/disable", data={
        "disable-password": PASSWORD, "disable-code": totp(secret, frozen_clock)})
    assert off.status_code == 302 and not second_factor.is_enabled(reload(session, user))
    client.post("/logout")
    login(client, user)  # the password alone again
    assert logged_in(client)


# -- invitation links: GET shows, POST acts ----------------------------------------------------

def _invitation_link(client, session, email):
    owner = make_user(session, name="Owner")
    statement = make_statement(session, owner)
    login(client, owner)
    assert client.post(f"/desk/{statement.slug}/members",
                       data={"email": email, "role": "editor"}).status_code == 302
    client.post("/logout")
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == email))
    return statement, message.body_text.split("http://cosign.test")[1].split()[0]


def _members(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Membership))


def test_invitation_get_and_head_never_join(client, session):
    invitee = make_user(session, email="invitee@example.org")
    statement, link = _invitation_link(client, session, "invitee@example.org")
    before = _members(session)
    login(client, invitee)
    for _ in range(2):
        assert client.head(link).status_code == 200
        page = client.get(link)
        assert page.status_code == 200 and b"<button" in page.data and b'method="post"' in page.data
    assert _members(session) == before
    assert client.post(link).status_code == 302
    assert _members(session) == before + 1


def test_invitation_get_never_creates_an_account(client, session):
    statement, link = _invitation_link(client, session, "newcomer@example.org")
    users = session.scalar(select(func.count()).select_from(User))
    for _ in range(2):
        assert client.head(link).status_code == 200
        assert client.get(link).status_code == 200
    session.rollback()
    assert session.scalar(select(func.count()).select_from(User)) == users
    assert client.post(link, data={"name": "Newcomer", "password": NEW, "confirm": NEW}
                       ).status_code == 302
    assert session.scalar(select(func.count()).select_from(User)) == users + 1


def test_invitation_after_two_step_login_returns_to_the_link(client, session, frozen_clock):
    invitee = make_user(session, email="invitee@example.org")
    secret, _codes = setup_second_factor(client, session, invitee, frozen_clock)
    statement, link = _invitation_link(client, session, "invitee@example.org")
    to_login = client.get(link)
    assert "/login" in to_login.location
    client.post(to_login.location, data={"email": invitee.email, "password": PASSWORD})
    frozen_clock.advance(seconds=30)
    response = client.post("/login/code", data={"code": totp(secret, frozen_clock)})
    assert response.status_code == 302 and response.location.endswith(link)
    assert _members(session) == 1  # only the owner: joining needs the button
    assert client.post(link).status_code == 302
    assert _members(session) == 2
