"""Two-step login (cosign.second_factor) on the service: TOTP set-up, codes that count once,
recovery codes, disabling and regenerating; on SQLite and PostgreSQL."""
import json

import pytest

from cosign import accounts, second_factor
from cosign.security import hash_recovery_code
from tests.factories import PASSWORD, actions, code_at, enable_second_factor, make_user


def test_second_factor_setup_needs_a_right_code(session, frozen_clock):
    user = make_user(session)
    secret = second_factor.begin_setup(session, user)
    with pytest.raises(second_factor.WrongCode):
        second_factor.confirm_setup(session, user, "000000" if code_at(secret, frozen_clock.now)
                                    != "000000" else "111111")
    assert not second_factor.is_enabled(user)
    codes = second_factor.confirm_setup(session, user, code_at(secret, frozen_clock.now))
    assert second_factor.is_enabled(user) and len(codes) == 10 and len(set(codes)) == 10
    stored = json.loads(user.recovery_codes)
    assert stored == [hash_recovery_code(c) for c in codes]
    assert not any(c in user.recovery_codes for c in codes)  # only hashes are stored
    assert actions(session, user.id) == ["2fa-failed", "2fa-enabled"]


def test_a_totp_code_counts_once(session, frozen_clock):
    user = make_user(session)
    secret, _codes = enable_second_factor(session, user, frozen_clock)
    frozen_clock.advance(seconds=30)
    code = code_at(secret, frozen_clock.now)
    assert second_factor.verify(session, user, code) == "totp"
    assert second_factor.verify(session, user, code) is None  # replayed within its window
    assert second_factor.verify(session, user, code_at(secret, frozen_clock.now, -1)) is None
    frozen_clock.advance(seconds=30)
    assert second_factor.verify(session, user, code_at(secret, frozen_clock.now)) == "totp"
    frozen_clock.advance(minutes=5)
    assert second_factor.verify(session, user, code) is None  # too old
    assert second_factor.verify(session, user, "12345") is None
    assert actions(session, user.id).count("2fa-failed") == 4


def test_a_recovery_code_counts_once(session, frozen_clock):
    user = make_user(session)
    _secret, codes = enable_second_factor(session, user, frozen_clock)
    assert second_factor.verify(session, user, codes[3].upper().replace("-", " ")) == "recovery"
    assert second_factor.remaining_codes(user) == 9
    assert second_factor.verify(session, user, codes[3]) is None
    assert second_factor.verify(session, user, "abcd-efgh-jkmn-pqrs") is None
    assert "recovery-code-used" in actions(session, user.id)


def test_disable_needs_password_and_code(session, frozen_clock):
    user = make_user(session)
    secret, codes = enable_second_factor(session, user, frozen_clock)
    frozen_clock.advance(seconds=30)
    with pytest.raises(accounts.WrongPassword):
        second_factor.disable(session, user, "wrong", code_at(secret, frozen_clock.now))
    with pytest.raises(second_factor.WrongCode):
        second_factor.disable(session, user, PASSWORD, "000000")
    assert second_factor.is_enabled(user)
    second_factor.disable(session, user, PASSWORD, codes[0])
    assert not second_factor.is_enabled(user) and user.totp_secret == "" \
        and user.recovery_codes == ""
    assert actions(session, user.id)[-1] == "2fa-disabled"


def test_regenerated_codes_replace_the_old_ones(session, frozen_clock):
    user = make_user(session)
    _secret, old = enable_second_factor(session, user, frozen_clock)
    with pytest.raises(accounts.WrongPassword):
        second_factor.regenerate_codes(session, user, "wrong")
    new = second_factor.regenerate_codes(session, user, PASSWORD)
    assert second_factor.verify(session, user, old[0]) is None
    assert second_factor.verify(session, user, new[0]) == "recovery"
