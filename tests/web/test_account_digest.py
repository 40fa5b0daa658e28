"""The daily digest's setting on the account page: the form turns it off and on, refuses bad
input and a POST without its CSRF token, and stores nothing then."""
import re

import pytest
from flask import g
from sqlalchemy import func, select

from cosign.models import AuditEvent, User
from tests.factories import csrf_login, login, make_user


@pytest.fixture(autouse=True)
def _user_per_request(app):
    @app.before_request
    def _forget_cached_user():  # each request decides by its own cookie (see test_account_security)
        g.pop("_login_user", None)


def opted_out(session, user) -> bool:
    session.rollback()
    return session.get(User, user.id).digest_opt_out


def audit_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_account_page_shows_the_setting(client, session):
    user = make_user(session)
    login(client, user)
    html = client.get("/account/").get_data(as_text=True)
    assert 'id="digest"' in html  # the anchor the digest's mail links to
    assert "Daily digest" in html
    assert re.search(r'<input checked id="digest-digest-0" name="digest-digest" required '
                     r'type="radio" value="on">', html)  # on unless turned off
    assert '<legend>Send me the daily digest?</legend>' in html
    assert opted_out(session, user) is False  # opening the page (the mail's link) changes nothing


def test_turn_it_off_and_on_again(client, session):
    user = make_user(session)
    login(client, user)
    response = client.post("/account/digest", data={"digest-digest": "off"})
    assert response.status_code == 302 and response.location.endswith("/account/")
    assert opted_out(session, user) is True
    page = client.get("/account/").get_data(as_text=True)
    assert "The daily digest is off. You will get no more of it." in page
    assert re.search(r'<input checked id="digest-digest-1" name="digest-digest" required '
                     r'type="radio" value="off">', page)
    # sending the same again changes nothing and writes no second audit entry
    before = audit_count(session)
    assert client.post("/account/digest", data={"digest-digest": "off"}).status_code == 302
    assert audit_count(session) == before
    assert client.post("/account/digest", data={"digest-digest": "on"}).status_code == 302
    assert opted_out(session, user) is False
    assert "The daily digest is on" in client.get("/account/").get_data(as_text=True)
    actions = list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.actor_id == user.id, AuditEvent.action.like("digest-%"))
            .order_by(AuditEvent.id)
        )
    )
    assert actions == ["digest-off", "digest-on"]


@pytest.mark.parametrize("data", [{}, {"digest-digest": "maybe"}, {"digest-digest": ""},
                                  {"digest": "off"}])
def test_bad_input_is_refused_with_a_message(client, session, data):
    user = make_user(session)
    login(client, user)
    before = audit_count(session)
    response = client.post("/account/digest", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing has been saved yet." in html
    assert ("Choose whether you want the daily digest." in html or "Not a valid choice" in html)
    assert 'aria-invalid="true"' in html
    assert opted_out(session, user) is False and audit_count(session) == before


def test_the_form_needs_a_login(client, session):
    response = client.post("/account/digest", data={"digest-digest": "off"})
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_post_without_its_csrf_token_is_refused(client, session, app_overrides):
    user = make_user(session)
    csrf_login(client, user)
    response = client.post("/account/digest", data={"digest-digest": "off"})
    assert response.status_code == 400
    assert opted_out(session, user) is False
    # with the token from the page it works
    html = client.get("/account/").get_data(as_text=True)
    token = html.split('id="digest-csrf_token" name="digest-csrf_token" type="hidden" value="')[1]
    response = client.post("/account/digest", data={"digest-digest": "off",
                                                    "digest-csrf_token": token.split('"')[0]})
    assert response.status_code == 302 and opted_out(session, user) is True
