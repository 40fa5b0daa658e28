"""Coordinator accounts: creation, authentication, passwords and sessions.

A session (cookie) carries the account's ``session_epoch`` of the moment it was
made; changing or resetting the password, or "log out everywhere", bumps the
epoch, which ends every older session (the web layer's user loader compares).
A password-reset link is signed, expires, and is bound to the password hash and
the epoch: using it (or any password change) makes it invalid.
"""
from __future__ import annotations

from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, database, mail
from cosign.errors import N_, UserError
from cosign.models import User
from cosign.security import (
    MIN_PASSWORD_LENGTH,
    TokenExpired,
    TokenInvalid,
    fingerprint,
    hash_password,
    make_token,
    read_token,
    same_fingerprint,
    verify_password,
    verify_password_or_dummy,
)

RESET_PURPOSE = "password-reset"
RESET_MAX_AGE = 3600  # seconds a reset link works


class AccountError(UserError):
    """Input for an account was not acceptable; the message says why."""


class EmailTaken(AccountError):
    pass


class WrongPassword(AccountError):
    """The current password given to confirm a change is not the account's."""


class ResetLinkInvalid(Exception):
    """A reset link was altered, used already, or outdated by a password change."""


class ResetLinkExpired(ResetLinkInvalid):
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


def create_user(session: Session, email: str, name: str, password: str, *,
                commit: bool = True) -> User:
    """A new coordinator account; raises EmailTaken or AccountError."""
    email = normalise_email(email)
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise AccountError(N_("A name of 1 to 200 characters is required."), "name")
    check_password_strength(password)
    if find_by_email(session, email) is not None:
        raise EmailTaken(N_("An account for %(email)s exists already."), "email", email=email)
    user = User(email=email, name=name, password_hash=hash_password(password),
                created_at=clock.now())
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
    """A new password; every existing session of the account ends (the epoch moves on)."""
    check_password_strength(password)
    password_hash = hash_password(password)  # slow: before the write lock
    database.begin_write(session)
    _store_password(session, user, password_hash, "password-changed")
    session.commit()


def _store_password(session: Session, user: User, password_hash: str, action: str) -> None:
    user.password_hash = password_hash
    user.password_changed_at = clock.now()
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record(session, None, user.id, action)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The logged-in user's own change: the current password first; WrongPassword or
    AccountError (too weak, the same as before) otherwise, and nothing changes."""
    if not verify_password(user.password_hash, current):
        database.begin_write(session)
        audit.record(session, None, user.id, "password-change-failed")
        session.commit()
        raise WrongPassword(N_("The current password is not right."), "current")
    check_password_strength(new)
    if verify_password(user.password_hash, new):
        raise AccountError(N_("The new password is the same as the current one."), "password")
    set_password(session, user, new)


def end_sessions(session: Session, user: User) -> None:
    """Log out everywhere: every session made so far ends."""
    database.begin_write(session)
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record(session, None, user.id, "sessions-ended")
    session.commit()


def session_valid(user: User | None, epoch: int | None) -> bool:
    """Whether a session made under ``epoch`` (None: before epochs existed) is still good."""
    return user is not None and (epoch or 0) == (user.session_epoch or 0)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the password is right; None otherwise (same cost either way). A failure
    is recorded in the audit log (under the account, if the address has one)."""
    user = find_by_email(session, email)
    verified = verify_password_or_dummy(user.password_hash if user else None, password)
    if user is None or not verified:  # no such user: verified against a dummy hash
        database.begin_write(session)
        audit.record(session, None, user.id if user else None, "login-failed",
                     known=user is not None)
        session.commit()
        return None
    user.last_login_at = clock.now()
    session.commit()
    return user


# -- reset by e-mail -------------------------------------------------------------------------

def _reset_binding(user: User) -> str:
    return fingerprint(user.id, user.password_hash, user.session_epoch or 0)


def reset_token(secret_key: str, user: User) -> str:
    return make_token(secret_key, RESET_PURPOSE, {"u": user.id, "p": _reset_binding(user)})


def request_reset(session: Session, email: str, *, secret_key: str,
                  link_for: Callable[[str], str], locale: str = "en") -> bool:
    """Mail a reset link if an account has this address; True if one was mailed. The caller
    tells the visitor the same either way. The mail is rendered before the write, in the
    account's language, else ``locale`` (the page's)."""
    user = find_by_email(session, email)
    link = link_for(reset_token(secret_key, user)) if user else link_for("x")
    # rendered either way: the answer takes as long for an unknown address
    prepared = mail.prepare("password_reset", {
        "name": user.name if user else "", "link": link,
        "minutes": RESET_MAX_AGE // 60,
    }, (user.language if user else "") or locale)
    if user is None:
        return False
    database.begin_write(session)
    mail.enqueue_prepared(session, prepared, kind="password-reset", recipient=user.email)
    audit.record(session, None, user.id, "password-reset-requested")
    session.commit()
    return True


def read_reset(session: Session, token: str, *, secret_key: str,
               max_age: int = RESET_MAX_AGE, lock: bool = False) -> User:
    """The account a reset link is for; ResetLinkExpired or ResetLinkInvalid (altered, used,
    or the password changed since it was sent)."""
    try:
        payload = read_token(secret_key, RESET_PURPOSE, token, max_age)
    except TokenExpired as exc:
        raise ResetLinkExpired() from exc
    except TokenInvalid as exc:
        raise ResetLinkInvalid() from exc
    if not (isinstance(payload, dict) and isinstance(payload.get("u"), int)
            and isinstance(payload.get("p"), str)):
        raise ResetLinkInvalid()
    user = session.get(User, payload["u"], populate_existing=lock, with_for_update=lock)
    if user is None or not same_fingerprint(payload["p"], _reset_binding(user)):
        raise ResetLinkInvalid()
    return user


def reset_password(session: Session, token: str, password: str, *, secret_key: str,
                   max_age: int = RESET_MAX_AGE) -> User:
    """Set a new password through a reset link (which dies with it); every session ends.
    The second factor, if on, stays on: the next login asks for a code."""
    read_reset(session, token, secret_key=secret_key, max_age=max_age)
    check_password_strength(password)
    password_hash = hash_password(password)  # slow: before the write lock
    database.begin_write(session)
    # read again under the write lock (the row locked on PostgreSQL): a link works once only
    user = read_reset(session, token, secret_key=secret_key, max_age=max_age, lock=True)
    _store_password(session, user, password_hash, "password-reset")
    session.commit()
    return user


def set_preferences(session: Session, user_id: int, *, language: str, zone_name: str) -> None:
    """The coordinator's interface language ("" : the browser's) and time zone (IANA)."""
    database.begin_write(session)
    user = session.get(User, user_id)
    if user is None:
        session.rollback()
        return
    user.language = (language or "")[:35]
    user.timezone = (zone_name or "UTC")[:64]
    session.commit()


def set_digest(session: Session, user_id: int, wanted: bool) -> bool:
    """Turn the daily digest of sign-ons waiting for moderation (:mod:`cosign.digest`) on or
    off for the account; audited ("digest-on", "digest-off") when it changes. True if it
    changed."""
    database.begin_write(session)
    user = session.get(User, user_id)
    if user is None or user.digest_opt_out is (not wanted):
        session.rollback()
        return False
    user.digest_opt_out = not wanted
    audit.record(session, None, user.id, "digest-on" if wanted else "digest-off")
    session.commit()
    return True


def set_timezone(session: Session, user_id: int, zone_name: str) -> None:
    """Remember the coordinator's time zone (an IANA name) for showing times."""
    user = session.get(User, user_id)
    if user is not None and user.timezone != zone_name:
        user.timezone = zone_name[:64]
        session.commit()
