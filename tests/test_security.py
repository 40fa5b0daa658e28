"""cosign.security: password hashes, signed tokens (purpose, expiry, tampering), link payloads,
fingerprints and recovery codes. No database: the module has none."""
import re

import pytest

from cosign import security

KEY = "test-secret"


def test_password_hash_is_scrypt_and_checks_only_the_right_password():
    stored = security.hash_password("a long password")
    assert stored.startswith("scrypt:") and "a long password" not in stored
    assert security.verify_password(stored, "a long password")
    assert not security.verify_password(stored, "a long passwore")
    assert security.hash_password("a long password") != stored  # salted


def test_unknown_account_is_refused_even_with_the_dummy_password():
    assert not security.verify_password_or_dummy(None, "cosign-dummy-password")
    stored = security.hash_password("a long password")
    assert security.verify_password_or_dummy(stored, "a long password")
    assert not security.verify_password_or_dummy(stored, "wrong")


def test_a_token_carries_its_payload_for_its_purpose_only():
    token = security.make_token(KEY, "confirm", {"s": 7, "e": "a@example.org"})
    assert security.read_token(KEY, "confirm", token, max_age=60) == {"s": 7, "e": "a@example.org"}
    with pytest.raises(security.TokenInvalid):
        security.read_token(KEY, "withdraw", token, max_age=60)  # another purpose
    with pytest.raises(security.TokenInvalid):
        security.read_token("another key", "confirm", token, max_age=60)
    with pytest.raises(security.TokenInvalid):
        security.read_token(KEY, "confirm", token[:-2] + ("A" if token[-2] != "A" else "B")
                            + token[-1], max_age=60)
    with pytest.raises(security.TokenInvalid):
        security.read_token(KEY, "confirm", "not a token", max_age=60)


def test_an_old_token_is_expired_which_is_also_invalid():
    token = security.make_token(KEY, "reset", [1, 2])
    with pytest.raises(security.TokenExpired):
        security.read_token(KEY, "reset", token, max_age=-1)
    assert issubclass(security.TokenExpired, security.TokenInvalid)


def test_read_link_returns_id_and_address_and_refuses_other_shapes():
    good = security.make_token(KEY, "confirm", {"s": 12, "e": "b@example.org"})
    assert security.read_link(KEY, "confirm", good, 60, "s") == (12, "b@example.org")
    with pytest.raises(security.TokenInvalid):
        security.read_link(KEY, "confirm", good, 60, "t")  # the id under another key
    for payload in ({"s": "12", "e": "b@example.org"}, {"s": 12}, {"s": 12, "e": 5}, [12, "e"]):
        with pytest.raises(security.TokenInvalid):
            security.read_link(KEY, "confirm", security.make_token(KEY, "confirm", payload), 60,
                               "s")


def test_fingerprints_are_short_stable_and_tell_parts_apart():
    a = security.fingerprint("hash", 3)
    assert re.fullmatch(r"[0-9a-f]{16}", a)
    assert a == security.fingerprint("hash", "3")  # parts are compared as text
    assert a != security.fingerprint("hash", 4)
    assert security.fingerprint("ab", "c") != security.fingerprint("a", "bc")  # separated
    assert security.same_fingerprint(a, security.fingerprint("hash", 3))
    assert not security.same_fingerprint(a, security.fingerprint("hash", 4))


def test_recovery_codes_are_unambiguous_and_normalised_before_hashing():
    codes = {security.new_recovery_code() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert re.fullmatch(r"([a-hj-km-np-z2-9]{4}-){3}[a-hj-km-np-z2-9]{4}", code), code
    code = next(iter(codes))
    typed = " " + code.upper().replace("-", " ") + " "
    assert security.normalise_recovery_code(typed) == code.replace("-", "")
    assert security.hash_recovery_code(typed) == security.hash_recovery_code(code)
    assert security.hash_recovery_code(code) != security.hash_recovery_code(code[:-1] + "x" if
                                                                            code[-1] != "x"
                                                                            else code[:-1] + "y")
