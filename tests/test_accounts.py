"""Coordinator accounts."""
import pytest
from sqlalchemy import func, select

from cosign import accounts
from cosign.models import User


def test_create_and_authenticate(session):
    user = accounts.create_user(session, " Coordinator@Example.ORG ", " Nadia   Aziz ", "a long password")
    assert user.email == "coordinator@example.org" and user.name == "Nadia Aziz"
    assert user.password_hash.startswith("scrypt:")
    assert "a long password" not in user.password_hash
    assert accounts.authenticate(session, "COORDINATOR@example.org", "a long password").id == user.id
    assert accounts.authenticate(session, "coordinator@example.org", "wrong password") is None
    assert accounts.authenticate(session, "nobody@example.org", "a long password") is None
    assert user.last_login_at is not None


@pytest.mark.parametrize("email, name, password", [
    ("bad", "Name", "a long password"),
    ("ok@example.org", "", "a long password"),
    ("ok@example.org", "x" * 201, "a long password"),
    ("ok@example.org", "Name", "short"),
])
def test_bad_account_input(session, email, name, password):
    with pytest.raises(accounts.AccountError):
        accounts.create_user(session, email, name, password)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_email(session):
    accounts.create_user(session, "a@example.org", "A", "a long password")
    with pytest.raises(accounts.EmailTaken):
        accounts.create_user(session, "A@EXAMPLE.org", "B", "a long password")
    assert session.scalar(select(func.count()).select_from(User)) == 1
