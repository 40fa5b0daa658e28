"""Factory functions for tests: real rows through the real services."""
from __future__ import annotations

import datetime as dt
import itertools

from werkzeug.security import generate_password_hash

from cosign import drafting, membership
from cosign.models import User

PASSWORD = "correct horse battery staple"
_HASH = generate_password_hash(PASSWORD, method="scrypt")
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
