"""Factory functions for tests: real rows through the real services."""
from __future__ import annotations

import datetime as dt
import itertools

import pyotp
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from cosign import drafting, membership, second_factor
from cosign.models import AuditEvent, User

PASSWORD = "correct horse battery staple"


def cheap_hash(password: str) -> str:
    """A test account's password hash: scrypt as in production (check_password_hash reads the
    cost from the hash), at a cost of 2^10 instead of 2^15, so that a login costs 2.5 ms, not
    0.14 s of CPU."""
    return generate_password_hash(password, method="scrypt:1024:8:1")


_HASH = cheap_hash(PASSWORD)
_counter = itertools.count(1)

BODY = (
    "We, the undersigned organisations, condemn the arrest of journalists in the capital.\n\n"
    "At least four reporters were detained while covering a peaceful march.\n\n"
    "We call on the authorities to release them at once."
)


def make_user(session, email: str | None = None, name: str | None = None) -> User:
    n = next(_counter)
    user = User(email=email or f"drafter{n}@example.org", name=name or f"Drafter {n}",
                password_hash=_HASH)
    session.add(user)
    session.commit()
    return user


def make_statement(session, owner: User, *, title: str = "Free the journalists",
                   body: str = BODY, **settings):
    text = drafting.Text(title, body, settings.pop("place", "London"),
                         settings.pop("date", dt.date(2026, 11, 20)))
    return drafting.create_statement(session, owner.id, text, **settings)


def add_editor(session, statement, user, role: str = "editor"):
    return membership.add_member(session, statement.id, user.id, role, actor_id=None)


def login(client, user: User, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def csrf_login(client, user):
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def actions(session, user_id=None) -> list[str]:
    """The audit log's actions, oldest first (of one actor, or all)."""
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if user_id is not None:
        query = query.where(AuditEvent.actor_id == user_id)
    return list(session.scalars(query))


def code_at(secret: str, moment: dt.datetime, steps: int = 0) -> str:
    """The TOTP code of ``secret`` at ``moment`` (``steps`` windows later or earlier)."""
    return pyotp.TOTP(secret).generate_otp(second_factor.current_step(moment) + steps)


def enable_second_factor(session, user, frozen_clock) -> tuple[str, list[str]]:
    """Two-step login set up for ``user``: (its TOTP secret, its recovery codes)."""
    secret = second_factor.begin_setup(session, user)
    assert not second_factor.is_enabled(user) and second_factor.pending_secret(user) == secret
    codes = second_factor.confirm_setup(session, user, code_at(secret, frozen_clock.now))
    return secret, codes
