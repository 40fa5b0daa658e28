"""Login, logout, throttling and joining by invitation, through the test client."""
import pytest
from sqlalchemy import func, select

from cosign.models import Membership, OutboxMessage, User
from tests.factories import PASSWORD, login, make_statement, make_user


def test_login_page_and_successful_login(client, session):
    user = make_user(session)
    page = client.get("/login")
    assert page.status_code == 200 and b'name="email"' in page.data
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/desk/")
    assert client.get("/desk/").status_code == 200


def test_wrong_password_gets_a_clear_message(client, session):
    user = make_user(session)
    response = client.post("/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 401
    assert b"Wrong e-mail address or password." in response.data
    assert client.get("/desk/").status_code == 302


def test_desk_requires_login(client):
    response = client.get("/desk/")
    assert response.status_code == 302 and "/login" in response.location


def test_next_only_goes_to_local_paths(client, session):
    user = make_user(session)
    for target, expected in [("/desk/new", "/desk/new"), ("https://evil.example/x", "/desk/"),
                             ("//evil.example", "/desk/")]:
        client.post("/logout")
        response = client.post(
            "/login?next=" + target, data={"email": user.email, "password": PASSWORD}
        )
        assert response.location.endswith(expected), (target, response.location)


def test_logout(client, session):
    user = make_user(session)
    login(client, user)
    assert client.post("/logout").status_code == 302
    assert client.get("/desk/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, session):
    user = make_user(session)
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_is_throttled_per_account(client, session):
    user = make_user(session)
    for _ in range(5):
        assert (
            client.post("/login", data={"email": user.email, "password": "bad"}).status_code == 401
        )
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.data
    # another account from another address is not affected
    other = make_user(session)
    response = client.post("/login", data={"email": other.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 302


def test_login_is_throttled_per_ip(client, session):
    users = [make_user(session) for _ in range(6)]
    for user in users[:5]:
        client.post("/login", data={"email": user.email, "password": "bad"})
    response = client.post("/login", data={"email": users[5].email, "password": PASSWORD})
    assert response.status_code == 429


def test_successful_logins_do_not_count(client, session):
    user = make_user(session)
    for _ in range(7):
        client.post("/logout")
        assert login(client, user).status_code == 302


def _invite(client, session, email="invitee@example.org"):
    owner = make_user(session, name="Owner")
    statement = make_statement(session, owner)
    login(client, owner)
    response = client.post(
        f"/desk/{statement.slug}/members", data={"email": email, "role": "editor"}
    )
    assert response.status_code == 302
    client.post("/logout")
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == email))
    link = message.body_text.split("http://cosign.test")[1].split()[0]
    return statement, link


def test_invitee_without_account_sets_password_and_joins(client, session):
    statement, link = _invite(client, session)
    page = client.get(link)
    assert page.status_code == 200 and b"Create your account" in page.data
    bad = client.post(link, data={"name": "Invitee", "password": "short", "confirm": "short"})
    assert bad.status_code == 422
    assert session.scalar(select(func.count()).select_from(User)) == 1
    response = client.post(link, data={"name": "Invitee", "password": "a long password",
                                       "confirm": "a long password"})
    assert response.status_code == 302 and response.location.endswith(f"/desk/{statement.slug}/")
    assert client.get(f"/desk/{statement.slug}/").status_code == 200
    # the link is used up
    client.post("/logout")
    again = client.get(link)
    assert again.status_code == 404 and b"not valid" in again.data


def test_invitee_with_account_logs_in_then_joins(client, session):
    existing = make_user(session, email="invitee@example.org")
    statement, link = _invite(client, session)
    response = client.get(link)
    assert response.status_code == 302 and "/login" in response.location
    login(client, existing)
    page = client.get(link)
    assert b"Join" in page.data
    assert client.post(link).status_code == 302
    member = session.scalar(select(Membership).where(Membership.user_id == existing.id))
    assert member.statement_id == statement.id and member.role == "editor"


def test_invitation_opened_by_someone_else(client, session):
    statement, link = _invite(client, session)
    intruder = make_user(session)
    login(client, intruder)
    response = client.post(link)
    assert response.status_code == 403 and b"for someone else" in response.data
    assert session.scalar(select(func.count()).select_from(Membership).where(
        Membership.user_id == intruder.id)) == 0


@pytest.mark.parametrize("token", ["forged", "eyJpIjoxLCJlIjoieEBleGFtcGxlLm9yZyJ9.aaaa.bbbb"])
def test_forged_invitation_link(client, session, token):
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 404
    assert b"not valid" in response.data


def test_expired_invitation_link(client, session, app):
    statement, link = _invite(client, session)
    app.config["COSIGN_INVITATION_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 410 and b"expired" in response.data
    response = client.post(link, data={"name": "X", "password": "a long password",
                                       "confirm": "a long password"})
    assert response.status_code == 410
    assert session.scalar(select(func.count()).select_from(User)) == 1
