"""Every form refuses a POST without its CSRF token and stores nothing."""
import pytest
from sqlalchemy import func, select

from cosign import drafting
from cosign.core.document import paragraph_key, paragraphs
from cosign.models import AuditEvent, Comment, Invitation, Revision, Statement, User
from tests.factories import BODY, PASSWORD, csrf_login, make_statement, make_user


@pytest.fixture
def app_overrides():
    return {"WTF_CSRF_ENABLED": True}


def snapshot(session):
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (Statement, Revision, Comment, Invitation, AuditEvent, User))


def test_login_without_token_is_refused(client, session):
    user = make_user(session)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"security token" in response.data
    assert client.get("/desk/").status_code == 302


def test_every_desk_form_refuses_a_post_without_token(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    comment = drafting.add_comment(
        session, statement, owner.id, paragraph_key(paragraphs(BODY)[0]), "c"
    )
    csrf_login(client, owner)
    before = snapshot(session)
    slug = statement.slug
    posts = {
        "/desk/new": {"title": "T", "body": "B", "language": "en"},
        f"/desk/{slug}/edit": {
            "title": "T",
            "body": "New body",
            "base_revision": "1",
            "submit": "1",
        },
        f"/desk/{slug}/comments": {"paragraph": comment.paragraph_key, "body": "x"},
        f"/desk/{slug}/comments/{comment.id}/resolve": {},
        f"/desk/{slug}/revisions/1/restore": {},
        f"/desk/{slug}/settings": {"slug": "other-slug", "language": "en"},
        f"/desk/{slug}/members": {"email": "x@example.org", "role": "editor"},
        "/desk/preview": {"body": "x"},
        "/logout": {},
    }
    for url, data in posts.items():
        response = client.post(url, data=data)
        assert response.status_code == 400, url
    assert snapshot(session) == before
    assert client.get("/desk/").status_code == 200  # still logged in: logout was refused too


def test_invitation_accept_without_token_is_refused(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    from cosign import membership
    from cosign.models import Membership

    member = session.scalar(select(Membership))
    links: list[str] = []

    def keep(link: str) -> str:
        links.append(link)
        return link

    membership.invite(
        session,
        statement,
        member,
        "new@example.org",
        "editor",
        secret_key="test-secret-key-not-for-production",
        link_for=keep,
    )
    before = snapshot(session)
    response = client.post(f"/invitation/{links[0]}", data={
        "name": "N", "password": "a long password", "confirm": "a long password"})
    assert response.status_code == 400
    assert snapshot(session) == before


def test_signing_forms_refuse_posts_without_token(client, session):
    from cosign import signing
    from cosign.models import Signature

    owner = make_user(session)
    draft = make_statement(session, owner, title="Draft one")
    opened = make_statement(session, owner, title="Open one")
    signing.open_for_signature(session, opened, owner.id, signing.OpenOptions())
    signature = signing.sign(
        session,
        opened,
        signing.SignOn("Org A", "IQ", "a@example.org", "A"),
        secret_key="test-secret-key-not-for-production",
        link_for=lambda p, v: v,
    )
    csrf_login(client, owner)
    counts = lambda: (session.scalar(select(func.count()).select_from(Signature)),  # noqa: E731
                      session.scalar(select(func.count()).select_from(AuditEvent)))
    before = counts()
    posts = {
        f"/s/{opened.slug}/sign": {
            "organisation": "Org B",
            "country": "IQ",
            "org_type": "ngo",
            "contact_name": "B",
            "email": "b@example.org",
            "display": "named",
            "authorised": "y",
        },
        f"/desk/{draft.slug}/open": {"visibility": "public"},
        f"/desk/{opened.slug}/close": {},
        f"/desk/{opened.slug}/signatures/moderate": {"ids": str(signature.id), "action": "reject"},
        f"/desk/{opened.slug}/signatures/{signature.id}/rename": {"public_name": "Renamed"},
        f"/desk/{opened.slug}/signatures/{signature.id}/duplicate": {"duplicate_of": "1"},
        f"/desk/{opened.slug}/signatures/add": {"organisation": "Org C", "country": "IQ"},
        f"/desk/{opened.slug}/signatures/import": {
            "content": "bmFtZSxjb3VudHJ5Ck9yZyBELElRCg==",
            "filename": "x.csv",
            "confirm": "1",
        },
        "/withdraw/anything": {},
        f"/desk/{opened.slug}/signatures/pdf-layout": {
            "page_size": "Letter",
            "columns": "3",
            "grouping": "none",
            "order": "signed",
        },
        f"/desk/{opened.slug}/signatures/{signature.id}/lead": {"lead_rank": "1"},
        "/verify": {"code": "ABCD-EFGH-JK"},
        f"/desk/{opened.slug}/logo": {"remove": "1"},
    }
    for url, data in posts.items():
        response = client.post(url, data=data)
        assert response.status_code == 400, url
    assert counts() == before
    session.expire_all()
    assert session.get(type(draft), draft.id).status == "draft"
    assert session.get(type(opened), opened.id).status == "open"
    assert session.get(Signature, signature.id).public_name == "Org A"
    assert session.get(Signature, signature.id).lead_rank is None
    assert session.get(type(opened), opened.id).pdf_page_size == "A4"
