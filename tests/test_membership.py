"""Members, roles and invitations, tested without the web client."""
import pytest
from sqlalchemy import func, select

from cosign import drafting, membership
from cosign.models import Invitation, Membership, OutboxMessage, User
from tests.factories import add_editor, make_statement, make_user

SECRET = "test-secret"


def link_for(token):
    return f"https://cosign.test/invitation/{token}"


def invite(session, statement, owner, email="new.person@example.org", role="editor"):
    member = session.scalar(select(Membership).where(
        Membership.statement_id == statement.id, Membership.user_id == owner.id))
    return membership.invite(session, statement, member, email, role,
                             secret_key=SECRET, link_for=link_for)


def token_of(session, invitation):
    message = session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == invitation.email)
    )
    return message.body_text.split("/invitation/")[1].split()[0]


def test_non_member_cannot_load_a_statement(session):
    owner, stranger = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    with pytest.raises(drafting.StatementNotFound):
        membership.get_for_member(session, statement.slug, stranger.id)
    with pytest.raises(drafting.StatementNotFound):
        membership.get_for_member(session, statement.slug, None)
    with pytest.raises(drafting.StatementNotFound):
        membership.get_for_member(session, "no-such-statement", owner.id)
    found, member = membership.get_for_member(session, statement.slug, owner.id)
    assert found.id == statement.id and member.role == "owner"


def test_invitation_writes_mail_in_the_same_transaction(session):
    owner = make_user(session, name="Owner Person")
    statement = make_statement(session, owner)
    invitation = invite(session, statement, owner, email="New.Person@Example.org")
    assert invitation.email == "new.person@example.org"
    message = session.scalar(select(OutboxMessage))
    assert message.kind == "invitation" and message.recipient == "new.person@example.org"
    assert "Owner Person" in message.body_text and statement.title in message.subject
    assert "https://cosign.test/invitation/" in message.body_text
    assert "https://cosign.test/invitation/" in message.body_html
    assert message.sent_at is None


def test_only_owners_invite(session):
    owner, editor = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    add_editor(session, statement, editor)
    with pytest.raises(membership.NotAllowed):
        invite(session, statement, editor)
    assert session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "", "x@" + "y" * 300 + ".org"])
def test_malformed_invitation_address(session, email):
    owner = make_user(session)
    statement = make_statement(session, owner)
    with pytest.raises(drafting.DraftingError):
        invite(session, statement, owner, email=email)
    assert session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_inviting_an_existing_member_is_refused(session):
    owner, editor = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    add_editor(session, statement, editor)
    with pytest.raises(drafting.DraftingError):
        invite(session, statement, owner, email=editor.email)


def test_new_user_accepts_and_link_is_used_up(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    invitation = invite(session, statement, owner, role="owner")
    token = token_of(session, invitation)
    found = membership.read_invitation(session, token, secret_key=SECRET, max_age=3600)
    user, member = membership.accept_as_new_user(session, found, "New Person", "a long password")
    assert user.email == "new.person@example.org" and member.role == "owner"
    assert membership.get_for_member(session, statement.slug, user.id)[1].role == "owner"
    with pytest.raises(membership.InvitationInvalid):
        membership.read_invitation(session, token, secret_key=SECRET, max_age=3600)


def test_forged_and_expired_invitations(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    token = token_of(session, invite(session, statement, owner))
    for forged in [token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", "",
                   token.replace(".", "x", 1)]:
        with pytest.raises(membership.InvitationInvalid):
            membership.read_invitation(session, forged, secret_key=SECRET, max_age=3600)
    with pytest.raises(membership.InvitationInvalid):
        membership.read_invitation(session, token, secret_key="other-secret", max_age=3600)
    with pytest.raises(membership.InvitationExpired):
        membership.read_invitation(session, token, secret_key=SECRET, max_age=-1)
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert session.scalar(select(func.count()).select_from(Membership)) == 1


def test_invitation_for_someone_else(session):
    owner, other = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    invitation = invite(session, statement, owner)
    with pytest.raises(membership.InvitationForSomeoneElse):
        membership.accept_invitation(session, invitation, other)
    assert session.scalar(select(func.count()).select_from(Membership)) == 1
