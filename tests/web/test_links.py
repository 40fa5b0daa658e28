"""E-mail links show, buttons act; "resend my confirmation"; the same answer on the web
whoever holds a name. Web tests with the test client (SQLite and PostgreSQL)."""
import re

import pytest
from sqlalchemy import func, select

from cosign import drafting, moderation, signing, subscription
from cosign.models import AuditEvent, OutboxMessage, PressContact, Signature
from cosign.security import make_token
from tests.factories import BODY, make_statement, make_user

NAME = "Kurdistan Women's Union"


def form(**overrides):
    data = {"organisation": NAME, "country": "IQ", "city": "Erbil", "org_type": "union",
            "website": "", "contact_name": "Hana Aziz", "contact_role": "Chair", "display": "named",
            "email": "hana@kwu.example.org", "authorised": "y", "message": "",
            "kind": "organisation", "fax": ""}
    data.update(overrides)
    return data


@pytest.fixture
def statement(session):
    owner = make_user(session)
    stmt = make_statement(session, owner)
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    stmt.owner = owner
    return stmt


def token(app, purpose, signature):
    return make_token(app.config["SECRET_KEY"], purpose, {"s": signature.id, "e": signature.email})


def latest(session, email=None):
    session.expire_all()
    query = select(Signature).order_by(Signature.id.desc())
    if email:
        query = query.where(Signature.email == email)
    return session.scalars(query).first()


def csrf_token_in(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def snapshot(session):
    """Everything a link could change."""
    session.expire_all()
    rows = session.execute(select(Signature.id, Signature.status, Signature.revision,
                                  Signature.name_key, Signature.pending_key,
                                  Signature.confirmed_at)).all()
    contacts = session.execute(select(PressContact.id, PressContact.status)).all()
    counts = [session.scalar(select(func.count()).select_from(m))
              for m in (OutboxMessage, AuditEvent)]
    return sorted(rows), sorted(contacts), counts


def kinds(session):
    return session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()


def test_get_and_head_of_every_link_change_nothing(app, client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form())
    pending = latest(session)
    client.post(f"/s/{statement.slug}/sign", data=form(organisation="Basra Lawyers",
                                                       email="b@basra.example.org"))
    approved = latest(session)
    signing.confirm(session, token(app, signing.CONFIRM, approved),
                    secret_key=app.config["SECRET_KEY"], link_for=lambda p, v: v)
    moderation.approve(session, statement, [approved.id], statement.owner.id,
                       secret_key=app.config["SECRET_KEY"], link_for=lambda p, v: v)
    signing.save_new_version(session, statement, statement.owner.id,
                             drafting.Text("Free the journalists", BODY + "\n\nAdded."),
                             note="", base_revision=1, secret_key=app.config["SECRET_KEY"],
                             link_for=lambda p, v: v)
    client.post("/press/subscribe", data={"name": "Jo", "outlet": "Wire",
                                          "email": "jo@example.org", "language": "en",
                                          "tags": ""})
    contact = session.scalar(select(PressContact))
    press_token = make_token(app.config["SECRET_KEY"], subscription.CONFIRM,
                             {"c": contact.id, "e": contact.email})
    links = [f"/confirm/{token(app, signing.CONFIRM, pending)}",
             f"/reconfirm/{token(app, signing.RECONFIRM, approved)}",
             f"/withdraw/{token(app, signing.WITHDRAW, approved)}",
             f"/press/confirm/{press_token}"]
    before = snapshot(session)
    for link in links:
        for method in ("GET", "HEAD", "GET"):
            response = client.open(link, method=method)
            assert response.status_code == 200, (method, link)
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert snapshot(session) == before, (method, link)
        assert 'method="post"' in client.get(link).get_data(as_text=True), link


def test_the_confirmation_page_shows_what_will_be_printed(app, client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form())
    html = client.get(f"/confirm/{token(app, signing.CONFIRM, latest(session))}").get_data(
        as_text=True)
    assert "Free the journalists" in html and "Kurdistan Women&#39;s Union" in html
    assert "Confirm the signature" in html and "hana@kwu.example.org" not in html
    client.post(f"/s/{statement.slug}/sign", data=form(organisation="Hidden Org",
                                                       email="h@hidden.example.org",
                                                       display="withheld"))
    html = client.get(f"/confirm/{token(app, signing.CONFIRM, latest(session))}").get_data(
        as_text=True)
    assert "An organisation in Iraq (name withheld)" in html


def test_a_held_name_gets_the_same_answer_and_a_truthful_mail(app, client, session, statement):
    first = client.post(f"/s/{statement.slug}/sign", data=form())
    client.post(f"/confirm/{token(app, signing.CONFIRM, latest(session))}")
    again = client.post(f"/s/{statement.slug}/sign",
                        data=form(organisation="the kurdistan women's union",
                                  email="imposter@else.example.org", contact_name="Someone"))
    fresh = client.post(f"/s/{statement.slug}/sign",
                        data=form(organisation="Another Org", email="x@another.example.org"))
    assert {(r.status_code, r.location) for r in (first, again, fresh)} == {
        (303, f"/s/{statement.slug}/sign/sent")}
    taken = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "signature-taken")).one()
    assert taken.recipient == "imposter@else.example.org"
    assert "hana@kwu.example.org" not in taken.body_text + taken.body_html
    assert "Hana Aziz" not in taken.body_text + taken.body_html
    sent = client.get(f"/s/{statement.slug}/sign/sent").get_data(as_text=True)
    assert f"/s/{statement.slug}/resend" in sent


def test_two_claims_the_loser_sees_already_on_the_list(app, client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form(email="typo@kwu.exmaple.org"))
    loser = latest(session)
    client.post(f"/s/{statement.slug}/sign", data=form())
    winner = latest(session)
    assert loser.id != winner.id
    won = client.post(f"/confirm/{token(app, signing.CONFIRM, winner)}")
    assert won.status_code == 200 and b"your signature is confirmed" in won.data
    for send in (client.get, client.post):
        lost = send(f"/confirm/{token(app, signing.CONFIRM, loser)}")
        assert lost.status_code == 409 and b"Already on the list" in lost.data
    assert kinds(session).count("signature-claim-lost") == 1
    assert latest(session, "typo@kwu.exmaple.org").status == "unconfirmed"


@pytest.mark.parametrize("mangle", [lambda t: t[:-4] + "abcd", lambda t: "garbage",
                                    lambda t: t.replace(".", "", 1)])
@pytest.mark.parametrize("path", ["confirm", "reconfirm", "withdraw"])
def test_altered_links_on_get_and_post(app, client, session, statement, mangle, path):
    client.post(f"/s/{statement.slug}/sign", data=form())
    purpose = {"confirm": signing.CONFIRM, "reconfirm": signing.RECONFIRM,
               "withdraw": signing.WITHDRAW}[path]
    link = f"/{path}/{mangle(token(app, purpose, latest(session)))}"
    before = snapshot(session)
    for method in ("GET", "HEAD", "POST"):
        response = client.open(link, method=method)
        assert response.status_code == 404, (method, link)
    assert b"not valid" in client.get(link).data
    assert snapshot(session) == before


def test_a_link_for_another_purpose_is_refused(app, client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form())
    confirm_token = token(app, signing.CONFIRM, latest(session))
    before = snapshot(session)
    for path in ("reconfirm", "withdraw"):
        assert client.post(f"/{path}/{confirm_token}").status_code == 404
    assert snapshot(session) == before


def test_expired_confirmation_points_to_resend(app, client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form())
    link = f"/confirm/{token(app, signing.CONFIRM, latest(session))}"
    app.config["COSIGN_CONFIRM_MAX_AGE"] = -1
    before = snapshot(session)
    for send in (client.get, client.post):
        response = send(link)
        html = response.get_data(as_text=True)
        assert response.status_code == 410 and "expired" in html
        assert (
            f'href="/s/{statement.slug}/resend"' in html and "Sign the statement again" not in html
        )
    assert snapshot(session) == before


def test_reconfirmation_page_shows_the_diff_and_the_button_reconfirms(app, client, session,
                                                                      statement):
    client.post(f"/s/{statement.slug}/sign", data=form())
    signature = latest(session)
    client.post(f"/confirm/{token(app, signing.CONFIRM, signature)}")
    new_body = BODY.replace("detained", "arrested", 1) + "\n\nA new paragraph."
    assert new_body != BODY + "\n\nA new paragraph."
    signing.save_new_version(session, statement, statement.owner.id,
                             drafting.Text("Free the journalists", new_body), note="wording",
                             base_revision=1, secret_key=app.config["SECRET_KEY"],
                             link_for=lambda p, v: v)
    link = f"/reconfirm/{token(app, signing.RECONFIRM, signature)}"
    html = client.get(link).get_data(as_text=True)
    assert "<ins>arrested</ins>" in html and "<del>detained</del>" in html
    assert "A new paragraph." in html and "I agree: sign version 2" in html
    assert latest(session).revision == 1
    done = client.post(link)
    assert done.status_code == 200 and b"you have re-confirmed" in done.data
    assert latest(session).revision == 2
    assert b"Already re-confirmed" in client.get(link).data


def test_resend_form(app, client, session, statement, frozen_clock):
    page = client.get(f"/s/{statement.slug}/resend")
    assert page.status_code == 200 and 'name="email"' in page.get_data(as_text=True)
    client.post(f"/s/{statement.slug}/sign", data=form())
    frozen_clock.advance(minutes=10)
    answers = [client.post(f"/s/{statement.slug}/resend", data={"email": email})
               for email in ("hana@kwu.example.org", "nobody@example.org")]
    assert {(a.status_code, a.location) for a in answers} == {
        (303, f"/s/{statement.slug}/resend/sent")}
    assert "Check your e-mail" in client.get(f"/s/{statement.slug}/resend/sent").get_data(
        as_text=True)
    confirms = session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == "signature-confirm")).all()
    assert confirms == ["hana@kwu.example.org"] * 2  # none to the unknown address
    message = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    found = re.search(r"(/confirm/\S+)", message.body_text)
    assert found is not None, "no confirmation link in the e-mail"
    link = found.group(1)
    assert client.post(link).status_code == 200 and latest(session).status == "confirmed"


@pytest.mark.parametrize("data, message", [
    ({"email": ""}, "Enter an e-mail address."),
    ({"email": "not-an-address"}, "Enter a valid e-mail address."),
    ({"email": "a" * 250 + "@example.org"}, "Field cannot be longer than 254 characters."),
])
def test_resend_bad_input(client, session, statement, data, message):
    response = client.post(f"/s/{statement.slug}/resend", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert kinds(session) == []


def test_resend_honeypot_and_closed_and_unknown(client, session, statement, frozen_clock):
    client.post(f"/s/{statement.slug}/sign", data=form())
    frozen_clock.advance(minutes=10)
    bot = client.post(f"/s/{statement.slug}/resend",
                      data={"email": "hana@kwu.example.org", "fax": "x"})
    assert bot.status_code == 303 and kinds(session) == ["signature-confirm"]
    assert client.get("/s/no-such-statement/resend").status_code == 404
    signing.close(session, statement, statement.owner.id)
    closed = client.post(f"/s/{statement.slug}/resend", data={"email": "hana@kwu.example.org"})
    assert closed.status_code == 410 and kinds(session) == ["signature-confirm"]


class TestResendLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_RESEND_LIMIT_EMAIL": "2 per hour", "COSIGN_RESEND_LIMIT_IP": "100 per hour"}

    def test_resend_is_rate_limited_per_address(self, client, statement):
        url = f"/s/{statement.slug}/resend"
        statuses = [client.post(url, data={"email": "hana@kwu.example.org"}).status_code
                    for _ in range(3)]
        assert statuses == [303, 303, 429]
        assert client.post(url, data={"email": "other@kwu.example.org"}).status_code == 303


class TestWithCsrf:
    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_button_needs_its_token(self, app, client, session, statement):
        page = client.get(f"/s/{statement.slug}/sign").get_data(as_text=True)
        csrf = csrf_token_in(page)
        client.post(f"/s/{statement.slug}/sign", data=form(csrf_token=csrf))
        link = f"/confirm/{token(app, signing.CONFIRM, latest(session))}"
        assert client.post(link).status_code == 400
        assert latest(session).status == "unconfirmed"
        page = client.get(link).get_data(as_text=True)
        csrf = csrf_token_in(page)
        assert client.post(link, data={"csrf_token": csrf}).status_code == 200
        assert latest(session).status == "confirmed"
