"""Passwords and signed tokens.

Passwords are hashed with scrypt (werkzeug). Tokens in e-mail links are signed
with itsdangerous (HMAC, compared in constant time), carry a purpose (salt) and
expire.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class TokenInvalid(Exception):
    """A token was tampered with, made for another purpose, or is malformed."""


class TokenExpired(TokenInvalid):
    """A token was genuine but is older than allowed."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


# A valid hash to compare against when the account does not exist, so that a
# login for an unknown address takes as long as one with a wrong password.
_DUMMY_HASH = generate_password_hash("cosign-dummy-password", method="scrypt")


def verify_password_or_dummy(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)


def make_token(secret_key: str, purpose: str, payload: Any) -> str:
    return URLSafeTimedSerializer(secret_key, salt=f"cosign.{purpose}").dumps(payload)


def read_token(secret_key: str, purpose: str, token: str, max_age: int) -> Any:
    """The payload of ``token``; raises TokenExpired or TokenInvalid."""
    serializer = URLSafeTimedSerializer(secret_key, salt=f"cosign.{purpose}")
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired(str(exc)) from exc
    except BadSignature as exc:
        raise TokenInvalid(str(exc)) from exc


def read_link(secret_key: str, purpose: str, token: str, max_age: int, key: str) -> tuple[int, str]:
    """``(row id, e-mail)`` from an e-mail link whose payload is ``{key: id, "e": email}``.

    Raises TokenExpired or TokenInvalid (also for a payload of another shape).
    """
    payload = read_token(secret_key, purpose, token, max_age)
    if (not isinstance(payload, dict) or not isinstance(payload.get(key), int)
            or not isinstance(payload.get("e"), str)):
        raise TokenInvalid("malformed link payload")
    return payload[key], payload["e"]


def fingerprint(*parts: object) -> str:
    """A short SHA-256 digest of ``parts``, to bind a token to state that changes when the token
    must die (a password hash, a session epoch). The token is signed, so 64 bits suffice."""
    data = "\x00".join(str(part) for part in parts).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def same_fingerprint(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_recovery_code() -> str:
    """A single-use recovery code: 16 characters (80 bits) in four groups, e.g. ``k7mq-2xhp-…``."""
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


def normalise_recovery_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def hash_recovery_code(code: str) -> str:
    """The stored form of a recovery code. Its 80 random bits make a slow hash unnecessary."""
    return hashlib.sha256(("cosign-recovery:" + normalise_recovery_code(code)).encode()).hexdigest()
