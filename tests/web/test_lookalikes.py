"""Look-alikes, near-duplicates, domain verification and the signer's role through the web
client (issue 13): the sign form, the moderators' list and signature page, their buttons,
filters and the desk settings."""
import re

import pytest
from sqlalchemy import func, select

from cosign import moderation, signing
from cosign.models import AuditEvent, OutboxMessage, Signature, Statement
from tests.factories import login, make_statement, make_user

SECRET = "test-secret-key-not-for-production"


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def sign_form(**overrides):
    data = {"organisation": "Peace Centre", "country": "IQ", "city": "Basra", "org_type": "ngo",
            "website": "https://peace-centre.org", "contact_name": "Hana Aziz",
            "contact_role": "Director", "email": "hana@peace-centre.org", "display": "named",
            "authorised": "y", "message": "", "kind": "organisation", "fax": ""}
    data.update(overrides)
    return data


def sign_on(name, email="", **kw):
    data = dict(organisation=name, country="IQ", email=email, contact_name="Sam Roe",
                org_type="ngo")
    data.update(kw)
    return signing.SignOn(**data)


def fresh(session, signature_id):
    session.rollback()
    return session.get(Signature, signature_id)


def confirm(session, email):
    session.rollback()
    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "signature-confirm", OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id.desc())).first()
    link = re.search(r"/confirm/(\S+)", message.body_text)
    assert link is not None, f"no confirmation link in the e-mail to {email}"
    token = link.group(1)
    return signing.confirm(session, token, secret_key=SECRET, link_for=links)[0]


@pytest.fixture
def owner(session, client):
    user = make_user(session, name="Owner Olivia")
    login(client, user)
    return user


@pytest.fixture
def statement(session, owner):
    stmt = make_statement(session, owner)
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    return stmt


def base(statement):
    return f"/desk/{statement.slug}/signatures"


# --- the sign form ------------------------------------------------------------------------

def test_role_is_required_for_organisations(client, session, statement):
    response = client.post(f"/s/{statement.slug}/sign", data=sign_form(contact_role="  "))
    assert response.status_code == 422
    assert "Enter your role in the organisation" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Signature)) == 0
    page = client.get(f"/s/{statement.slug}/sign").get_data(as_text=True)
    assert "Your role in the organisation" in page


def test_role_is_not_asked_of_individuals(client, session, owner):
    stmt = make_statement(session, owner, title="Open to people")
    signing.open_for_signature(session, stmt, owner.id,
                               signing.OpenOptions(allow_individuals=True))
    response = client.post(f"/s/{stmt.slug}/sign", data=sign_form(
        kind="individual", organisation="Hana Aziz", contact_role="", authorised=""))
    assert response.status_code == 303


@pytest.mark.parametrize("forged", ["Amnesty Intern\u0430tional", "\u0410mnesty International"])
def test_mixed_script_name_is_refused_on_the_form(client, session, statement, forged):
    response = client.post(f"/s/{statement.slug}/sign", data=sign_form(organisation=forged))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "mixes letters of different alphabets" in html
    assert session.scalar(select(func.count()).select_from(Signature)) == 0


def test_role_and_domain_shown_to_moderators_never_publicly(app, client, session, owner,
                                                             statement):
    assert client.post(f"/s/{statement.slug}/sign", data=sign_form()).status_code == 303
    signature = session.scalar(select(Signature))
    assert signature.contact_role == "Director" and signature.domain_verified
    detail = client.get(f"{base(statement)}/{signature.id}").get_data(as_text=True)
    assert "Director" in detail and "Domain verified" not in detail  # not confirmed yet
    confirm(session, "hana@peace-centre.org")
    detail = client.get(f"{base(statement)}/{signature.id}").get_data(as_text=True)
    assert "Role in the organisation" in detail and "Domain verified" in detail
    listing = client.get(f"{base(statement)}/?status=confirmed").get_data(as_text=True)
    assert "Domain verified" in listing and "Director" in listing
    moderation.approve(session, statement, [signature.id], owner.id, secret_key=SECRET,
                       link_for=links)
    public = app.test_client().get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "Peace Centre" in public
    assert "Director" not in public and "Domain verified" not in public


# --- the moderators' list: warning, filter, buttons ----------------------------------------

def test_list_shows_possibly_the_same_and_filters(client, session, owner, statement):
    original = moderation.add(session, statement, sign_on("Amnesty International"), owner.id)
    moderation.add(session, statement, sign_on("Unrelated Collective"), owner.id)
    short = moderation.add(session, statement, sign_on("Amnesty Intl"), owner.id)
    assert short.similar_to_id == original.id
    html = client.get(f"{base(statement)}/?status=approved").get_data(as_text=True)
    assert "Possibly the same as" in html and "(abbreviation)" in html
    assert f'/signatures/{short.id}/same"' in html and f'/signatures/{short.id}/not-same"' in html
    only = client.get(f"{base(statement)}/?status=approved&similar=1").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'name="ids" value="(\d+)"', only)]
    assert ids == [short.id]
    detail = client.get(f"{base(statement)}/{short.id}").get_data(as_text=True)
    assert "Possibly the same as" in detail and "Amnesty International" in detail


def test_mark_as_duplicate_in_one_click(client, session, owner, statement):
    original = moderation.add(session, statement, sign_on("Human Rights Watch"), owner.id)
    acronym = moderation.add(session, statement, sign_on("HRW"), owner.id)
    response = client.post(f"{base(statement)}/{acronym.id}/same",
                           data={"back": "list", "status": "approved"})
    assert response.status_code == 302 and "status=approved" in response.location
    acronym = fresh(session, acronym.id)
    assert acronym.status == "rejected" and acronym.duplicate_of_id == original.id
    assert acronym.similar_to_id is None
    again = client.post(f"{base(statement)}/{acronym.id}/same", follow_redirects=True)
    assert "not marked as possibly the same" in again.get_data(as_text=True)


def test_not_the_same_clears_the_warning(client, session, owner, statement):
    moderation.add(session, statement, sign_on("Human Rights Watch"), owner.id)
    acronym = moderation.add(session, statement, sign_on("HRW"), owner.id)
    response = client.post(f"{base(statement)}/{acronym.id}/not-same")
    assert response.status_code == 302 and response.location.endswith(
        f"/signatures/{acronym.id}")
    acronym = fresh(session, acronym.id)
    assert acronym.status == "approved" and acronym.similar_to_id is None
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "not-duplicate")) == 1
    audit = client.get(f"/desk/{statement.slug}/audit").get_data(as_text=True)
    assert "as not the same as" in audit


def test_buttons_refuse_bad_requests(client, session, owner, statement):
    moderation.add(session, statement, sign_on("Human Rights Watch"), owner.id)
    acronym = moderation.add(session, statement, sign_on("HRW"), owner.id)
    assert client.get(f"{base(statement)}/{acronym.id}/same").status_code == 405
    assert client.get(f"{base(statement)}/{acronym.id}/not-same").status_code == 405
    assert client.post(f"{base(statement)}/999999/same").status_code == 404
    assert client.post(f"{base(statement)}/{acronym.id}/same",
                       data={"back": "list", "status": "bogus"}).status_code == 302
    other = make_statement(session, owner, title="Another one", slug="another-one")
    assert client.post(f"/desk/{other.slug}/signatures/{acronym.id}/not-same").status_code == 404
    assert fresh(session, acronym.id).status == "rejected"


def test_buttons_need_csrf(app, client, session, owner, statement):
    app.config["WTF_CSRF_ENABLED"] = True
    moderation.add(session, statement, sign_on("Human Rights Watch"), owner.id)
    acronym = moderation.add(session, statement, sign_on("HRW"), owner.id)
    assert client.post(f"{base(statement)}/{acronym.id}/same").status_code == 400
    assert client.post(f"{base(statement)}/{acronym.id}/not-same").status_code == 400
    assert fresh(session, acronym.id).similar_to_id is not None


def test_add_form_flags_and_refuses_mixed_scripts(client, session, owner, statement):
    moderation.add(session, statement, sign_on("Human Rights Watch"), owner.id)
    data = {"organisation": "HRW", "country": "IQ", "org_type": "ngo", "display": "named",
            "kind": "organisation"}
    assert client.post(f"{base(statement)}/add", data=data).status_code == 302
    added = session.scalar(select(Signature).where(Signature.name == "HRW"))
    assert added.similar_reason == "abbreviation"
    bad = client.post(f"{base(statement)}/add", data=dict(data, organisation="Аmnesty Intl"))
    assert bad.status_code == 422 and "different alphabets" in bad.get_data(as_text=True)


# --- domain verification: filter and the coalition's requirement ---------------------------

def test_domain_verified_filter(client, session, owner, statement):
    client.post(f"/s/{statement.slug}/sign", data=sign_form())
    client.post(f"/s/{statement.slug}/sign", data=sign_form(
        organisation="Hope Centre", email="hope@gmail.com", website="https://hope.org"))
    confirm(session, "hana@peace-centre.org")
    confirm(session, "hope@gmail.com")
    html = client.get(f"{base(statement)}/?status=confirmed&verified=1").get_data(as_text=True)
    assert "Peace Centre" in html and "Hope Centre" not in html
    everyone = client.get(f"{base(statement)}/?status=confirmed").get_data(as_text=True)
    assert "Peace Centre" in everyone and "Hope Centre" in everyone


def test_require_domain_setting_refuses_approval(client, session, owner, statement):
    settings = client.get(f"/desk/{statement.slug}/settings").get_data(as_text=True)
    assert "Approve only domain-verified sign-ons" in settings
    response = client.post(f"/desk/{statement.slug}/settings", data={
        "slug": statement.slug, "language": "en", "require_domain_verified": "y"})
    assert response.status_code == 302
    session.rollback()
    assert session.get(Statement, statement.id).require_domain_verified
    client.post(f"/s/{statement.slug}/sign", data=sign_form())
    client.post(f"/s/{statement.slug}/sign", data=sign_form(
        organisation="Hope Centre", email="hope@gmail.com", website="https://hope.org"))
    ok, other = confirm(session, "hana@peace-centre.org"), confirm(session, "hope@gmail.com")
    refused = client.post(f"{base(statement)}/moderate", data={
        "ids": [str(ok.id), str(other.id)], "action": "approve", "status": "confirmed"},
        follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert "not domain-verified: Hope Centre" in html and "Nothing was approved" in html
    assert fresh(session, ok.id).status == "confirmed"
    single = client.post(f"{base(statement)}/moderate", data={
        "ids": [str(other.id)], "action": "approve"}, follow_redirects=True)
    assert "not domain-verified" in single.get_data(as_text=True)
    assert fresh(session, other.id).status == "confirmed"
    done = client.post(f"{base(statement)}/moderate", data={
        "ids": [str(ok.id)], "action": "approve"}, follow_redirects=True)
    assert "1 approved." in done.get_data(as_text=True)
    # turned off again (the box unticked): approval works
    client.post(f"/desk/{statement.slug}/settings", data={"slug": statement.slug,
                                                           "language": "en"})
    client.post(f"{base(statement)}/moderate", data={"ids": [str(other.id)], "action": "approve"})
    assert fresh(session, other.id).status == "approved"
