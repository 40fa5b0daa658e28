"""Coordinator accounts: creation and authentication."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import clock
from cosign.errors import N_, UserError
from cosign.models import User
from cosign.security import MIN_PASSWORD_LENGTH, hash_password, verify_password_or_dummy


class AccountError(UserError):
    """Input for an account was not acceptable; the message says why."""


class EmailTaken(AccountError):
    pass


def normalise_email(address: str) -> str:
    """The address in a canonical form (lower-case), or AccountError."""
    try:
        info = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(N_("Enter a valid e-mail address."), "email") from exc
    return info.normalized.lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(N_("The password must have at least %(min)d characters."), "password",
                           min=MIN_PASSWORD_LENGTH)
    if len(password) > 1024:
        raise AccountError(N_("The password is too long."), "password")


def find_by_email(session: Session, address: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == address.strip().lower()))


def create_user(session: Session, email: str, name: str, password: str, *, commit: bool = True) -> User:
    """A new coordinator account; raises EmailTaken or AccountError."""
    email = normalise_email(email)
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise AccountError(N_("A name of 1 to 200 characters is required."), "name")
    check_password_strength(password)
    if find_by_email(session, email) is not None:
        raise EmailTaken(N_("An account for %(email)s exists already."), "email", email=email)
    user = User(email=email, name=name, password_hash=hash_password(password), created_at=clock.now())
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise EmailTaken(N_("An account for %(email)s exists already."), "email",
                         email=email) from exc
    if commit:
        session.commit()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password)
    session.commit()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the password is right; None otherwise (same cost either way)."""
    user = find_by_email(session, email)
    if not verify_password_or_dummy(user.password_hash if user else None, password):
        return None
    user.last_login_at = clock.now()
    session.commit()
    return user


def set_timezone(session: Session, user_id: int, zone_name: str) -> None:
    """Remember the coordinator's time zone (an IANA name) for showing times."""
    user = session.get(User, user_id)
    if user is not None and user.timezone != zone_name:
        user.timezone = zone_name[:64]
        session.commit()
