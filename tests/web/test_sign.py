"""The public side of signing: statement page, sign-on form, e-mail links."""
import re

import pytest
from sqlalchemy import func, select

from cosign import moderation, signing
from cosign.models import OutboxMessage, Signature
from tests.factories import make_statement, make_user
from tests.web.forms import form

XSS = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "<svg/onload=alert('XSS')>",
    "javascript:alert(1)",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<a href=\"&#1;javascript:alert(1)\">x</a>",
]


def count(session, model=Signature, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def statement(session):
    owner = make_user(session)
    stmt = make_statement(session, owner, coalition="Coalition for Civic Freedom")
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    stmt.owner = owner
    return stmt


def confirm_link(session, recipient=None):
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.kind == "signature-confirm")
        .order_by(OutboxMessage.id.desc())
    )
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    message = session.scalars(query).first()
    assert message is not None, f"no confirmation e-mail to {recipient or 'anyone'}"
    link = re.search(r"http://cosign\.test(/confirm/\S+)", message.body_text)
    assert link is not None, "no confirmation link in the e-mail"
    return link.group(1)


def approve_all(session, stmt):
    ids = session.scalars(select(Signature.id).where(Signature.statement_id == stmt.id)).all()
    moderation.approve(session, stmt, ids, stmt.owner.id, secret_key="x", link_for=lambda p, v: v)


def test_public_page_shows_the_signed_text_and_a_sign_button(client, statement):
    html = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "Coalition for Civic Freedom" in html and "Free the journalists" in html
    assert "At least four reporters were detained" in html
    assert statement.signed_sha256[:12] in html
    assert "Sign this statement" in html and "0 signatories" in html


def test_draft_and_unknown_statements_are_not_public(client, session):
    owner = make_user(session)
    draft = make_statement(session, owner, title="Secret draft")
    assert client.get(f"/s/{draft.slug}").status_code == 404
    assert client.get(f"/s/{draft.slug}/sign").status_code == 404
    assert client.post(f"/s/{draft.slug}/sign", data=form()).status_code == 404
    assert client.get("/s/nothing-here").status_code == 404
    assert count(session) == 0
    assert "Secret draft" not in client.get("/").get_data(as_text=True)


def test_index_lists_public_statements_not_unlisted_ones(client, session, statement):
    owner = make_user(session)
    hidden = make_statement(session, owner, title="Quiet letter")
    signing.open_for_signature(
        session, hidden, owner.id, signing.OpenOptions(visibility="unlisted")
    )
    html = client.get("/").get_data(as_text=True)
    assert "Free the journalists" in html and "Quiet letter" not in html
    response = client.get(f"/s/{hidden.slug}")
    assert response.status_code == 200 and response.headers["X-Robots-Tag"] == "noindex"
    assert "X-Robots-Tag" not in client.get(f"/s/{statement.slug}").headers


def test_sign_confirm_and_appear_without_contact_data(client, session, statement):
    page = client.get(f"/s/{statement.slug}/sign")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    response = client.post(f"/s/{statement.slug}/sign", data=form())
    assert response.status_code == 303 and response.location.endswith(
        f"/s/{statement.slug}/sign/sent"
    )
    assert b"Check your e-mail" in client.get(response.location).data
    signature = session.scalar(select(Signature))
    assert signature.status == "unconfirmed" and signature.email == "hana@kwu.example.org"
    shown = client.get(confirm_link(session))  # the link shows; the button confirms
    assert shown.status_code == 200 and b"Confirm the signature" in shown.data
    assert session.scalar(select(Signature)).status == "unconfirmed"
    confirmed = client.post(confirm_link(session))
    assert confirmed.status_code == 200 and b"your signature is confirmed" in confirmed.data
    assert confirmed.headers["Referrer-Policy"] == "no-referrer"
    assert b"Already confirmed" in client.post(confirm_link(session)).data
    assert b"Already confirmed" in client.get(confirm_link(session)).data
    approve_all(session, statement)
    html = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert (
        "Kurdistan Women&#39;s Union" in html
        and "1 signatory" in html
        and "Erbil" not in html.split("signatory-list")[0]
    )
    for private in [
        "Hana Aziz",
        "hana@kwu.example.org",
        "Count us in.",
        "Chair",
        signature.ip_hash or "-",
    ]:
        assert private not in html


def test_withheld_signatory_is_shown_without_name_or_city(client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form(display="withheld"))
    client.post(confirm_link(session))
    approve_all(session, statement)
    html = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "An organisation in Iraq (name withheld)" in html
    assert "Kurdistan Women" not in html and "Erbil" not in html


@pytest.mark.parametrize("overrides, message", [
    ({"organisation": ""}, "Enter the name of the organisation."),
    ({"organisation": "\u200f\u200e\u200b\u2066"}, "Enter the name of the organisation."),
    ({"organisation": "x" * 201}, "at most 200 characters"),
    ({"country": ""}, "Choose a country."),
    ({"country": "XX"}, "Not a valid choice"),
    ({"email": ""}, "Enter an e-mail address."),
    ({"email": "not-an-email"}, "Enter a valid e-mail address."),
    ({"website": "javascript:alert(1)"}, "starting with https://"),
    ({"website": "ftp://files.example.org"}, "starting with https://"),
    ({"contact_name": ""}, "Enter the name of a contact person."),
    ({"authorised": ""}, "Please confirm that you may sign for the organisation."),
    ({"message": "m" * 2001}, "at most 2000 characters"),
    ({"display": "loud"}, "Not a valid choice"),
    ({"org_type": "cult"}, "Not a valid choice"),
])
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    client, session, statement, overrides, message
):
    response = client.post(f"/s/{statement.slug}/sign", data=form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(session) == 0 and count(session, OutboxMessage) == 0


def test_individuals_only_when_allowed(client, session, statement):
    response = client.post(f"/s/{statement.slug}/sign", data=form(kind="individual", authorised=""))
    assert response.status_code == 422  # forced to sign as an organisation: authorisation needed
    statement.allow_individuals = True
    session.commit()
    response = client.post(
        f"/s/{statement.slug}/sign",
        data=form(kind="individual", organisation="Dr Layla Hassan", authorised=""),
    )
    assert response.status_code == 303
    assert session.scalar(select(Signature)).org_type == "individual"


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_every_field_is_stored_as_text_and_shown_escaped(
    client, session, statement, payload
):
    data = form(organisation="Org " + payload, city=payload, contact_name=payload,
                contact_role=payload, message=payload)
    response = client.post(f"/s/{statement.slug}/sign", data=data)
    if response.status_code == 303:
        client.post(confirm_link(session))
        approve_all(session, statement)
        html = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    else:
        html = response.get_data(as_text=True)
    if "<" in payload:
        assert payload not in html
    assert (
        "<script>alert" not in html
        and "<img src=x" not in html.lower()
        and "<svg/onload" not in html
    )
    assert 'href="javascript' not in html.lower()


def test_double_submit_gives_one_row_and_the_same_response(client, session, statement):
    first = client.post(f"/s/{statement.slug}/sign", data=form())
    second = client.post(
        f"/s/{statement.slug}/sign", data=form(organisation="KURDISTAN WOMEN’S UNION ")
    )
    assert (first.status_code, first.location) == (second.status_code, second.location)
    assert count(session) == 1 and count(session, OutboxMessage) == 1


def test_honeypot_gets_the_same_answer_and_is_never_shown(client, session, statement):
    response = client.post(f"/s/{statement.slug}/sign", data=form(fax="http://spam.example"))
    assert response.status_code == 303 and response.location.endswith("/sign/sent")
    assert session.scalar(select(Signature)).flagged
    assert count(session, OutboxMessage) == 0
    approve_all(session, statement)
    assert "Kurdistan" not in client.get(f"/s/{statement.slug}").get_data(as_text=True)


def test_closed_statement(client, session, statement):
    signing.close(session, statement, statement.owner.id)
    html = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "Signing is closed." in html and "Sign this statement" not in html
    response = client.post(f"/s/{statement.slug}/sign", data=form())
    assert response.status_code == 410 and b"no longer accepts signatures" in response.data
    assert count(session) == 0


def test_confirmation_after_closing_leaves_the_signature_alone(client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form())
    signing.close(session, statement, statement.owner.id)
    for send in (client.get, client.post):
        response = send(confirm_link(session))
        assert response.status_code == 410 and b"Signing is closed" in response.data
    assert session.scalar(select(Signature)).status == "unconfirmed"


@pytest.mark.parametrize("mangle, status, text", [
    (lambda link: link[:-4] + "abcd", 404, b"not valid"),
    (lambda link: "/confirm/garbage", 404, b"not valid"),
    (lambda link: link.replace("/confirm/", "/withdraw/"), 404, b"not valid"),
])
def test_tampered_links(client, session, statement, mangle, status, text):
    client.post(f"/s/{statement.slug}/sign", data=form())
    for send in (client.get, client.post):
        response = send(mangle(confirm_link(session)))
        assert response.status_code == status and text in response.data
    assert session.scalar(select(Signature)).status == "unconfirmed"


def test_expired_confirmation_link(client, session, statement, app):
    client.post(f"/s/{statement.slug}/sign", data=form())
    app.config["COSIGN_CONFIRM_MAX_AGE"] = -1
    for send in (client.get, client.post):
        response = send(confirm_link(session))
        assert response.status_code == 410 and b"expired" in response.data
        assert f"/s/{statement.slug}/resend" in response.get_data(as_text=True)
    assert session.scalar(select(Signature)).status == "unconfirmed"


def test_withdrawal_by_link(client, session, statement):
    client.post(f"/s/{statement.slug}/sign", data=form())
    client.post(confirm_link(session))
    signature = session.scalar(select(Signature))
    from tests.signatures import SECRET  # noqa: F401  (same token format)
    moderation.approve(session, statement, [signature.id], statement.owner.id,
                       secret_key=client.application.config["SECRET_KEY"],
                       link_for=lambda purpose, value: f"http://cosign.test/{purpose}/{value}")
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "signature-approved")
    ).one()
    found = re.search(r"http://cosign\.test/signature-withdraw/(\S+)", message.body_text)
    assert found is not None, "no withdrawal link in the approval e-mail"
    link = found.group(1)
    page = client.get(f"/withdraw/{link}")
    assert page.status_code == 200 and b"Withdraw the signature" in page.data
    assert session.get(Signature, signature.id).status == "approved"  # GET changes nothing
    done = client.post(f"/withdraw/{link}")
    assert done.status_code == 200 and b"withdrawn" in done.data
    session.expire_all()
    assert session.get(Signature, signature.id).status == "withdrawn"
    assert "Kurdistan" not in client.get(f"/s/{statement.slug}").get_data(as_text=True)


class TestRateLimits:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_SIGN_LIMIT_IP": "3 per hour", "COSIGN_SIGN_LIMIT_DOMAIN": "1000 per hour"}

    def test_per_ip(self, client, session, statement):
        for i in range(3):
            assert (
                client.post(
                    f"/s/{statement.slug}/sign",
                    data=form(organisation=f"Org {i}", email=f"a{i}@x{i}.example.org"),
                ).status_code
                == 303
            )
        response = client.post(f"/s/{statement.slug}/sign", data=form(organisation="Org 4"))
        assert response.status_code == 429 and b"Too many signatures" in response.data
        assert count(session) == 3
        other = client.post(f"/s/{statement.slug}/sign", data=form(organisation="Org 5"),
                            environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert other.status_code == 303


class TestDomainRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_SIGN_LIMIT_IP": "1000 per hour", "COSIGN_SIGN_LIMIT_DOMAIN": "2 per hour"}

    def test_per_email_domain(self, client, session, statement):
        for i in range(2):
            client.post(
                f"/s/{statement.slug}/sign",
                data=form(organisation=f"Org {i}", email=f"p{i}@same.example"),
                environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"},
            )
        response = client.post(
            f"/s/{statement.slug}/sign",
            data=form(organisation="Org 9", email="z@same.example"),
            environ_base={"REMOTE_ADDR": "198.51.100.99"},
        )
        assert response.status_code == 429
        assert count(session) == 2
