"""Passwords and signed tokens.

Passwords are hashed with scrypt (werkzeug). Tokens in e-mail links are signed
with itsdangerous (HMAC, compared in constant time), carry a purpose (salt) and
expire.
"""
from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 10


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
