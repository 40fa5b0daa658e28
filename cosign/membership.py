"""Who may see and edit a statement: members, roles and invitations.

A statement is visible only to its members. Lookups for anybody else raise
:class:`StatementNotFound`, so the web layer answers 404 and reveals nothing.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import accounts, audit, clock, mail
from cosign.drafting import DraftingError, StatementNotFound
from cosign.errors import N_
from cosign.models import ROLES, Invitation, Membership, Statement, User
from cosign.security import TokenExpired, TokenInvalid, make_token, read_link

INVITATION_PURPOSE = "invitation"


class NotAllowed(DraftingError):
    """A member tried something only an owner may do."""


class InvitationInvalid(Exception):
    """The invitation link is forged, malformed, withdrawn or already used."""


class InvitationExpired(InvitationInvalid):
    pass


class InvitationForSomeoneElse(InvitationInvalid):
    """The signed-in user is not the person the invitation was sent to."""

    def __init__(self, email: str):
        super().__init__(email)
        self.email = email


def get_for_member(session: Session, slug: str,
                   user_id: int | None) -> tuple[Statement, Membership]:
    """The statement and the user's membership, or StatementNotFound."""
    if user_id is None:
        raise StatementNotFound(slug)
    row = session.execute(
        select(Statement, Membership)
        .join(Membership, Membership.statement_id == Statement.id)
        .where(Statement.slug == slug, Membership.user_id == user_id)
    ).first()
    if row is None:
        raise StatementNotFound(slug)
    return row[0], row[1]


def members(session: Session, statement_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.statement_id == statement_id)
            .order_by(Membership.created_at, User.name)
        )
    )


def pending_invitations(session: Session, statement_id: int) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.statement_id == statement_id, Invitation.accepted_at.is_(None))
            .order_by(Invitation.created_at.desc())
        )
    )


def invite(
    session: Session,
    statement: Statement,
    membership: Membership,
    email: str,
    role: str,
    *,
    secret_key: str,
    link_for: Callable[[str], str],
    locale: str = "en",
) -> Invitation:
    """Invite a co-drafter; the e-mail goes to the outbox in the same transaction, in
    ``locale`` (the inviter's language: the invitee has none yet)."""
    if membership.role != "owner":
        raise NotAllowed(N_("Only an owner of this statement can invite co-drafters."))
    if role not in ROLES:
        raise DraftingError(N_("Choose a role: owner or editor."), "role")
    try:
        email = accounts.normalise_email(email)
    except accounts.AccountError as exc:
        raise DraftingError(exc.message, "email", **exc.params) from exc
    existing = accounts.find_by_email(session, email)
    if existing is not None and session.scalar(
        select(Membership.id).where(
            Membership.statement_id == statement.id, Membership.user_id == existing.id
        )
    ):
        raise DraftingError(N_("%(email)s is already a member of this statement."), "email",
                            email=email)
    invitation = Invitation(
        statement_id=statement.id,
        email=email,
        role=role,
        invited_by_id=membership.user_id,
        created_at=clock.now(),
    )
    session.add(invitation)
    session.flush()
    token = make_token(secret_key, INVITATION_PURPOSE, {"i": invitation.id, "e": email})
    inviter = session.get(User, membership.user_id)
    mail.enqueue(
        session,
        kind="invitation",
        recipient=email,
        template="invitation",
        context={
            "inviter": inviter.name if inviter else "",
            "title": statement.title,
            "role": role,
            "link": link_for(token),
            "has_account": existing is not None,
        },
        statement_id=statement.id,
        locale=locale,
    )
    audit.record(session, statement.id, membership.user_id, "invited", email=email, role=role)
    session.commit()
    return invitation


def add_member(
    session: Session, statement_id: int, user_id: int, role: str, *, actor_id: int | None
) -> Membership:
    """Make an existing account a member directly (demo data, administration)."""
    if role not in ROLES:
        raise DraftingError(N_("Choose a role: owner or editor."), "role")
    member = Membership(statement_id=statement_id, user_id=user_id, role=role,
                        created_at=clock.now())
    session.add(member)
    audit.record(session, statement_id, actor_id, "member-added", user=user_id, role=role)
    session.commit()
    return member


def read_invitation(session: Session, token: str, *, secret_key: str, max_age: int) -> Invitation:
    """The pending invitation a link stands for, or InvitationInvalid/Expired."""
    try:
        invitation_id, email = read_link(secret_key, INVITATION_PURPOSE, token, max_age, "i")
    except TokenExpired as exc:
        raise InvitationExpired() from exc
    except TokenInvalid as exc:
        raise InvitationInvalid() from exc
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.email != email or invitation.accepted_at:
        raise InvitationInvalid()
    return invitation


def accept_invitation(session: Session, invitation: Invitation, user: User) -> Membership:
    """Make ``user`` a member; the invitation is used up."""
    if user.email.lower() != invitation.email.lower():
        raise InvitationForSomeoneElse(invitation.email)
    now = clock.now()
    membership = session.scalar(
        select(Membership).where(
            Membership.statement_id == invitation.statement_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        membership = Membership(
            statement_id=invitation.statement_id, user_id=user.id, role=invitation.role,
            created_at=now,
        )
        session.add(membership)
    invitation.accepted_at = now
    invitation.accepted_by_id = user.id
    audit.record(session, invitation.statement_id, user.id, "joined", role=invitation.role)
    try:
        session.commit()
    except IntegrityError:  # a double click joined already
        session.rollback()
        joined = session.scalar(
            select(Membership).where(
                Membership.statement_id == invitation.statement_id, Membership.user_id == user.id
            )
        )
        if joined is None:  # not a double click after all
            raise
        return joined
    return membership


def accept_as_new_user(
    session: Session, invitation: Invitation, name: str, password: str
) -> tuple[User, Membership]:
    """Create the invitee's account and membership in one transaction."""
    user = accounts.create_user(session, invitation.email, name, password, commit=False)
    return user, accept_invitation(session, invitation, user)
