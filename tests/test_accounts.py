"""Coordinator accounts."""
import pytest
from sqlalchemy import func, select

from cosign import accounts
from cosign.models import User


def test_create_and_authenticate(session):
    user = accounts.create_user(
        session, " Coordinator@Example.ORG ", " Nadia   Aziz ", "a long password"
    )
    assert user.email == "coordinator@example.org" and user.name == "Nadia Aziz"
    assert user.password_hash.startswith("scrypt:")
    assert "a long password" not in user.password_hash
    found = accounts.authenticate(session, "COORDINATOR@example.org", "a long password")
    assert found is not None and found.id == user.id
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


# -- passwords, sessions, reset by e-mail, second factor (issue 13) ---------------------------

import json  # noqa: E402

from cosign import second_factor  # noqa: E402
from cosign.models import AuditEvent, OutboxMessage  # noqa: E402
from tests.factories import (  # noqa: E402
    PASSWORD,
    actions,
    code_at,
    enable_second_factor,
    make_user,
)

SECRET = "test-secret-key-not-for-production"
NEW = "a brand new passphrase"


def test_change_password_ends_other_sessions_and_is_audited(session):
    user = make_user(session)
    epoch = user.session_epoch
    assert accounts.session_valid(user, epoch) and accounts.session_valid(user, None)
    accounts.change_password(session, user, PASSWORD, NEW)
    assert user.session_epoch == epoch + 1 and user.password_changed_at is not None
    assert not accounts.session_valid(user, epoch)
    found = accounts.authenticate(session, user.email, NEW)
    assert found is not None and found.id == user.id
    assert accounts.authenticate(session, user.email, PASSWORD) is None
    assert actions(session, user.id) == ["password-changed", "login-failed"]
    # no password in the audit log, in any form
    details = " ".join(session.scalars(select(AuditEvent.detail_json)))
    assert PASSWORD not in details and NEW not in details


@pytest.mark.parametrize("current, new, error, field", [
    ("wrong password", NEW, accounts.WrongPassword, "current"),
    (PASSWORD, "short", accounts.AccountError, "password"),
    (PASSWORD, PASSWORD, accounts.AccountError, "password"),
])
def test_bad_password_change_changes_nothing(session, current, new, error, field):
    user = make_user(session)
    before = (user.password_hash, user.session_epoch)
    with pytest.raises(error) as caught:
        accounts.change_password(session, user, current, new)
    assert caught.value.field == field
    session.rollback()
    assert (user.password_hash, user.session_epoch) == before


def test_log_out_everywhere(session):
    user = make_user(session)
    accounts.end_sessions(session, user)
    assert not accounts.session_valid(user, 0) and accounts.session_valid(user, 1)
    assert actions(session, user.id) == ["sessions-ended"]


def test_failed_logins_are_audited_without_what_was_typed(session):
    user = make_user(session)
    accounts.authenticate(session, user.email, "guess one")
    accounts.authenticate(session, "nobody@example.org", "guess two")
    rows = session.execute(select(AuditEvent.actor_id, AuditEvent.statement_id,
                                  AuditEvent.detail_json).order_by(AuditEvent.id)).all()
    assert [(r.actor_id, r.statement_id, json.loads(r.detail_json)) for r in rows] == [
        (user.id, None, {"known": True}), (None, None, {"known": False})]


def _link(token: str) -> str:
    return f"http://cosign.test/login/reset/{token}"


def test_reset_mails_only_existing_accounts(session):
    user = make_user(session, email="nadia@example.org")
    assert accounts.request_reset(session, "NADIA@example.org", secret_key=SECRET,
                                  link_for=_link) is True
    assert accounts.request_reset(session, "nobody@example.org", secret_key=SECRET,
                                  link_for=_link) is False
    [message] = session.scalars(select(OutboxMessage))
    assert message.recipient == "nadia@example.org" and message.kind == "password-reset"
    token = message.body_text.split("/login/reset/")[1].split()[0]
    assert f"/login/reset/{token}" in message.body_html
    assert accounts.read_reset(session, token, secret_key=SECRET).id == user.id
    assert actions(session) == ["password-reset-requested"]


def test_reset_link_works_once_and_ends_sessions(session):
    user = make_user(session)
    token = accounts.reset_token(SECRET, user)
    accounts.reset_password(session, token, NEW, secret_key=SECRET)
    assert user.session_epoch == 1
    assert accounts.authenticate(session, user.email, NEW) is not None
    with pytest.raises(accounts.ResetLinkInvalid):
        accounts.read_reset(session, token, secret_key=SECRET)
    with pytest.raises(accounts.ResetLinkInvalid):
        accounts.reset_password(session, token, "yet another passphrase", secret_key=SECRET)
    assert accounts.authenticate(session, user.email, NEW) is not None


def test_reset_link_dies_when_the_password_changes_otherwise(session):
    user = make_user(session)
    token = accounts.reset_token(SECRET, user)
    accounts.change_password(session, user, PASSWORD, NEW)
    with pytest.raises(accounts.ResetLinkInvalid):
        accounts.read_reset(session, token, secret_key=SECRET)


def test_reset_link_expires_and_cannot_be_forged(session):
    user = make_user(session)
    token = accounts.reset_token(SECRET, user)
    with pytest.raises(accounts.ResetLinkExpired):
        accounts.read_reset(session, token, secret_key=SECRET, max_age=-1)
    with pytest.raises(accounts.ResetLinkInvalid):
        accounts.read_reset(session, token, secret_key="another key")
    with pytest.raises(accounts.ResetLinkInvalid):
        accounts.read_reset(session, token[:-2], secret_key=SECRET)


def test_weak_password_through_reset_changes_nothing(session):
    user = make_user(session)
    token = accounts.reset_token(SECRET, user)
    with pytest.raises(accounts.AccountError):
        accounts.reset_password(session, token, "short", secret_key=SECRET)
    assert accounts.read_reset(session, token, secret_key=SECRET).id == user.id  # still good




def test_every_account_action_has_a_label(app, session, frozen_clock):
    from cosign.web.labels import audit_label

    user = make_user(session)
    accounts.authenticate(session, user.email, "wrong")
    accounts.authenticate(session, "nobody@example.org", "wrong")
    with pytest.raises(accounts.WrongPassword):
        accounts.change_password(session, user, "wrong", NEW)
    accounts.change_password(session, user, PASSWORD, NEW)
    accounts.end_sessions(session, user)
    accounts.request_reset(session, user.email, secret_key=SECRET, link_for=_link)
    accounts.reset_password(session, accounts.reset_token(SECRET, user), PASSWORD,
                            secret_key=SECRET)
    secret, codes = enable_second_factor(session, user, frozen_clock)
    second_factor.verify(session, user, codes[0])
    second_factor.verify(session, user, "000000x")
    with pytest.raises(accounts.WrongPassword):
        second_factor.regenerate_codes(session, user, "wrong")
    second_factor.regenerate_codes(session, user, PASSWORD)
    second_factor.disable(session, user, PASSWORD, code_at(secret, frozen_clock.now, 1))
    events = list(session.scalars(select(AuditEvent)))
    with app.test_request_context():
        labels = {e.action: audit_label(e) for e in events}
    assert set(labels) == {
        "login-failed", "password-change-failed", "password-changed", "sessions-ended",
        "password-reset-requested", "password-reset", "2fa-enabled", "2fa-failed",
        "recovery-code-used", "recovery-codes-failed", "recovery-codes-regenerated",
        "2fa-disabled"}
    assert all(label != action for action, label in labels.items()), labels
