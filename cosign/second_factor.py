"""Coordinators' second factor: TOTP codes (RFC 6238, pyotp) and single-use recovery codes.

Setting up: :func:`begin_setup` keeps a new secret on the account, not yet in
force; :func:`confirm_setup` switches it on once the person typed a right code
from their app, and returns ten recovery codes (shown once; only their hashes
are stored). A TOTP code is accepted once only (``user.totp_last_step``), a
recovery code is consumed when used.
"""
from __future__ import annotations

import calendar
import datetime as dt
import hmac
import json

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from cosign import audit, clock, database
from cosign.accounts import AccountError, WrongPassword
from cosign.errors import N_
from cosign.models import User
from cosign.security import hash_recovery_code, new_recovery_code, verify_password

RECOVERY_CODES = 10
STEP = 30  # seconds per TOTP code
WINDOW = 1  # steps accepted either side of now (clock drift of the phone)


class WrongCode(AccountError):
    """The code is not right, was used already, or is not a recovery code of the account."""


def is_enabled(user: User) -> bool:
    return bool(user.totp_secret and user.totp_enabled_at)


def pending_secret(user: User) -> str | None:
    """The secret of a setup not yet confirmed, if any."""
    return user.totp_secret if user.totp_secret and not user.totp_enabled_at else None


def remaining_codes(user: User) -> int:
    return len(_codes(user))


def provisioning_uri(user: User, secret: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def current_step(at: dt.datetime | None = None) -> int:
    moment = at or clock.now()
    return calendar.timegm(moment.utctimetuple()) // STEP


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(code.split())
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp, now = pyotp.TOTP(secret), current_step()
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):  # compare all: the same time for each
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _codes(user: User) -> list[str]:
    try:
        codes = json.loads(user.recovery_codes or "[]")
    except ValueError:
        return []
    return [c for c in codes if isinstance(c, str)] if isinstance(codes, list) else []


def _new_codes(user: User) -> list[str]:
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    user.recovery_codes = json.dumps([hash_recovery_code(c) for c in codes])
    return codes


def _check_password(session: Session, user: User, password: str, action: str) -> None:
    if not verify_password(user.password_hash, password):
        database.begin_write(session)
        audit.record(session, None, user.id, action, reason="password")
        session.commit()
        raise WrongPassword(N_("The password is not right."), "password")


def begin_setup(session: Session, user: User) -> str:
    """A new secret on the account, in force only once confirmed (a new setup replaces one
    not finished)."""
    if is_enabled(user):
        raise AccountError(N_("Two-step login is on already."))
    database.begin_write(session)
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.commit()
    return user.totp_secret


def confirm_setup(session: Session, user: User, code: str) -> list[str]:
    """Switch the second factor on with a right code from the app; the new recovery codes
    (shown once). WrongCode (nothing changes) otherwise."""
    secret = pending_secret(user)
    if secret is None:
        raise AccountError(N_("Start the setup of two-step login first."))
    step = _matching_step(secret, code)
    database.begin_write(session)
    if step is None:
        audit.record(session, None, user.id, "2fa-failed", reason="setup")
        session.commit()
        raise WrongCode(N_("That code is not right. Check the time on your phone and type "
                           "the code your app shows now."), "code")
    user.totp_enabled_at = clock.now()
    user.totp_last_step = step
    codes = _new_codes(user)
    audit.record(session, None, user.id, "2fa-enabled")
    session.commit()
    return codes


def verify(session: Session, user: User, code: str) -> str | None:
    """Check a second-factor code at login: ``"totp"`` or ``"recovery"`` (that recovery code is
    now used up), or None (recorded in the audit log). A TOTP code counts once only."""
    code = code.strip()
    database.begin_write(session)
    step = _matching_step(user.totp_secret, code) if is_enabled(user) else None
    if step is not None:
        taken = database.rowcount(session.execute(
            update(User)
            .where(User.id == user.id,
                   or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ))
        if taken == 1:
            session.commit()
            session.refresh(user)
            return "totp"
        reason = "reused"
    elif is_enabled(user) and len(code) > 6:
        wanted, codes = hash_recovery_code(code), _codes(user)
        match = next((c for c in codes if hmac.compare_digest(c, wanted)), None)
        if match is not None:
            left = [c for c in codes if c != match]
            # only if no one else consumed a code meanwhile
            taken = database.rowcount(session.execute(
                update(User)
                .where(User.id == user.id, User.recovery_codes == user.recovery_codes)
                .values(recovery_codes=json.dumps(left))
                .execution_options(synchronize_session=False)
            ))
            if taken == 1:
                audit.record(session, None, user.id, "recovery-code-used", left=len(left))
                session.commit()
                session.refresh(user)
                return "recovery"
        reason = "recovery"
    else:
        reason = "code"
    audit.record(session, None, user.id, "2fa-failed", reason=reason)
    session.commit()
    return None


def disable(session: Session, user: User, password: str, code: str) -> None:
    """Switch the second factor off: the password and a current code (or a recovery code)."""
    _check_password(session, user, password, "2fa-failed")
    if verify(session, user, code) is None:
        raise WrongCode(N_("That code is not right, or it was used already."), "code")
    database.begin_write(session)
    user.totp_secret = ""
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes = ""
    audit.record(session, None, user.id, "2fa-disabled")
    session.commit()


def regenerate_codes(session: Session, user: User, password: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working), after the password."""
    if not is_enabled(user):
        raise AccountError(N_("Two-step login is off."))
    _check_password(session, user, password, "recovery-codes-failed")
    database.begin_write(session)
    codes = _new_codes(user)
    audit.record(session, None, user.id, "recovery-codes-regenerated")
    session.commit()
    return codes
