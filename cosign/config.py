"""Configuration: one class whose values come from the environment.

Nothing is read at import time: :meth:`Config.from_env` reads the environment
when the app factory asks for it, so tests and commands can build apps with
different settings in one process.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _hops(value: str | None) -> int:
    """COSIGN_TRUSTED_PROXIES: how many reverse proxies in front of the app are trusted."""
    text = (value or "0").strip()
    if not text.isdigit():
        raise ConfigurationError(
            f"COSIGN_TRUSTED_PROXIES must be a whole number of proxy hops (0, 1, 2, ...), not "
            f"{text!r}. Set it to the number of reverse proxies in front of cosign (1 for one "
            "nginx), or leave it unset when clients connect to gunicorn directly.")
    return int(text)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"


def site_url(value: str | None, *, dev: bool, testing: bool) -> str:
    """COSIGN_SITE_URL, checked: every absolute link (mail, PDF, QR code, feed, API) is built
    from it, never from a request's Host header. Outside development it must be set, and be
    https:// unless the site only listens on this machine (a local stack, a benchmark)."""
    text = (value or "").strip()
    if not text:
        if dev or testing:
            return DEVELOPMENT_SITE_URL
        raise ConfigurationError(
            "COSIGN_SITE_URL is not set. Set it to the site's public address, for example "
            "https://statements.example.org: every link in e-mails, PDFs and the API is made "
            "from it (never from the Host header a visitor sends).")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or (parts.path not in ("", "/")):
        raise ConfigurationError(
            f"COSIGN_SITE_URL must be a site address such as https://statements.example.org "
            f"(scheme and host, no path), not {text!r}.")
    if parts.scheme != "https" and not (dev or testing) and parts.hostname not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"COSIGN_SITE_URL must begin with https:// outside development, not {text!r}: "
            "links to confirm a signature carry a secret token.")
    return text.rstrip("/")


def trusted_hosts(site: str, extra: str | None) -> list[str]:
    """Flask's TRUSTED_HOSTS: the site's host, this machine, and COSIGN_TRUSTED_HOSTS
    (comma-separated, e.g. the name a load balancer's health check uses). Requests for any
    other host are answered 400."""
    hosts = [urlsplit(site).hostname or "", *LOOPBACK_HOSTS]
    hosts += [h.strip() for h in (extra or "").split(",") if h.strip()]
    return list(dict.fromkeys(h for h in hosts if h))


DEFAULT_LANGUAGES = ("en", "ar", "fr")


def languages(value: str | None) -> tuple[str, ...]:
    """COSIGN_LANGUAGES: interface languages, separated by spaces or commas ("en ar fr")."""
    codes = tuple(dict.fromkeys(c.strip() for c in (value or "").replace(",", " ").split()
                                if c.strip()))
    for code in codes:
        if not code.replace("_", "").isalnum():
            raise ConfigurationError(
                f"COSIGN_LANGUAGES must list language codes such as 'en ar fr', not {value!r}.")
    return codes or DEFAULT_LANGUAGES


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings for one app. ``from_env`` fills it; ``overrides`` win."""

    @staticmethod
    def from_env(
        instance_path: str | os.PathLike[str],
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        env = os.environ if environ is None else environ
        overrides = dict(overrides or {})
        instance = Path(instance_path)
        dev = _bool(env.get("COSIGN_DEV")) or bool(overrides.get("COSIGN_DEV"))
        testing = bool(overrides.get("TESTING"))

        cfg: dict[str, Any] = {
            "COSIGN_DEV": dev,
            "SQLALCHEMY_DATABASE_URI": database_url(
                env.get("DATABASE_URL") or f"sqlite:///{instance / 'cosign.sqlite3'}"
            ),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "COSIGN_SITE_NAME": env.get("COSIGN_SITE_NAME", "cosign"),
            "COSIGN_INVITATION_MAX_AGE": int(env.get("COSIGN_INVITATION_MAX_AGE", 7 * 24 * 3600)),
            "COSIGN_CONFIRM_MAX_AGE": int(env.get("COSIGN_CONFIRM_MAX_AGE", 7 * 24 * 3600)),
            "COSIGN_LOGIN_LIMIT": env.get("COSIGN_LOGIN_LIMIT", "5 per minute"),
            "COSIGN_SIGN_LIMIT_IP": env.get("COSIGN_SIGN_LIMIT_IP", "20 per hour"),
            "COSIGN_SIGN_LIMIT_DOMAIN": env.get("COSIGN_SIGN_LIMIT_DOMAIN", "60 per hour"),
            # proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none)
            "COSIGN_TRUSTED_PROXIES": _hops(env.get("COSIGN_TRUSTED_PROXIES")),
            "REDIS_URL": env.get("REDIS_URL") or None,
            # with REDIS_URL: names of the RQ queues and of cosign's keys in Redis begin with it
            "COSIGN_QUEUE_PREFIX": env.get("COSIGN_QUEUE_PREFIX") or "cosign",
            # in-process counters without a thread per request (cosign.extensions)
            "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "cosign-memory://",
            "RATELIMIT_HEADERS_ENABLED": False,
            "COSIGN_STORAGE_DIR": env.get("COSIGN_STORAGE_DIR") or str(instance / "storage"),
            "COSIGN_SITE_URL": env.get("COSIGN_SITE_URL", ""),
            "COSIGN_RETENTION_DAYS": env.get("COSIGN_RETENTION_DAYS") or 365,
            "COSIGN_PDF_AUTO": _bool(env.get("COSIGN_PDF_AUTO"), default=True),
            # each statement's share card (link previews), made by the worker with its PDF
            "COSIGN_SHARE_CARDS": _bool(env.get("COSIGN_SHARE_CARDS"), default=True),
            "COSIGN_PDF_DEBOUNCE": float(env.get("COSIGN_PDF_DEBOUNCE", 2.0)),
            # `flask cosign worker`: seconds between its polls for renders (and, Redis down,
            # for mail), between its sweeps, and its first and longest wait before asking a
            # lost Redis again
            "COSIGN_WORKER_POLL": float(env.get("COSIGN_WORKER_POLL", 1.0)),
            "COSIGN_WORKER_SWEEP": float(env.get("COSIGN_WORKER_SWEEP", 10.0)),
            "COSIGN_WORKER_RECONNECT": float(env.get("COSIGN_WORKER_RECONNECT", 1.0)),
            "COSIGN_WORKER_RECONNECT_MAX": float(env.get("COSIGN_WORKER_RECONNECT_MAX", 30.0)),
            "COSIGN_SIGNING_KEY": (env.get("COSIGN_SIGNING_KEY")
                                   or str(instance / "signing-key.pem")),
            "COSIGN_SIGNING_CERT": (env.get("COSIGN_SIGNING_CERT")
                                    or str(instance / "signing-cert.pem")),
            # PEM file of the intermediate certificates of a CA-issued signing certificate
            "COSIGN_SIGNING_CHAIN": env.get("COSIGN_SIGNING_CHAIN") or "",
            # an RFC 3161 time-stamping authority: certifications become PAdES B-LTA
            # (cosign.timestamping); its trust anchors, PEM files separated by ":" (empty: the
            # system's trust store), and how long to wait for it
            "COSIGN_TSA_URL": (env.get("COSIGN_TSA_URL") or "").strip(),
            "COSIGN_TSA_TRUST": tuple(
                p for p in (env.get("COSIGN_TSA_TRUST") or "").split(os.pathsep) if p.strip()),
            "COSIGN_TSA_TIMEOUT": float(env.get("COSIGN_TSA_TIMEOUT", 30)),
            # `flask cosign refresh-timestamps` extends archives whose newest timestamp's
            # authority certificate expires within this many days
            "COSIGN_ARCHIVE_RENEW_DAYS": int(env.get("COSIGN_ARCHIVE_RENEW_DAYS", 180)),
            "COSIGN_VERIFY_MAX_BYTES": int(env.get("COSIGN_VERIFY_MAX_BYTES", 20 * 1024 * 1024)),
            "MAIL_SERVER": env.get("MAIL_SERVER") or None,
            "MAIL_PORT": int(env.get("MAIL_PORT", 25)),
            "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
            "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
            "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
            "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", 30)),
            "COSIGN_INLINE_MAIL_TIMEOUT": float(env.get("COSIGN_INLINE_MAIL_TIMEOUT", 5)),
            "COSIGN_INLINE_MAIL_LIMIT": int(env.get("COSIGN_INLINE_MAIL_LIMIT", 20)),
            "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "cosign <noreply@localhost>"),
            "BABEL_DEFAULT_LOCALE": env.get("COSIGN_DEFAULT_LOCALE", "en"),
            # the interface languages, each with a catalogue in cosign/translations/ (the
            # first is the fallback when nothing else decides): adding one is its catalogue
            # plus its code here (README, "Languages")
            "COSIGN_LANGUAGES": languages(env.get("COSIGN_LANGUAGES")),
            "BABEL_DEFAULT_TIMEZONE": "UTC",
            "WTF_CSRF_TIME_LIMIT": None,
            "MAX_CONTENT_LENGTH": int(env.get("COSIGN_MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": not (dev or testing),
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": not (dev or testing),
            "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        }
        secret = env.get("SECRET_KEY") or overrides.get("SECRET_KEY")
        if not secret:
            if not dev:
                raise ConfigurationError(
                    "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long "
                    "random string (for example: python3 -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'), or set COSIGN_DEV=1 for local development."
                )
            secret = _development_secret(instance)
        cfg["SECRET_KEY"] = secret
        cfg.update(overrides)
        if "REDIS_URL" in overrides and "RATELIMIT_STORAGE_URI" not in overrides:
            # limits follow REDIS_URL
            cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"] or "cosign-memory://"
        # sites (and test runs) sharing one Redis keep their rate-limit counters apart
        cfg.setdefault("RATELIMIT_KEY_PREFIX", cfg["COSIGN_QUEUE_PREFIX"])
        cfg["SQLALCHEMY_DATABASE_URI"] = database_url(cfg["SQLALCHEMY_DATABASE_URI"])
        cfg["COSIGN_SITE_URL"] = site_url(cfg["COSIGN_SITE_URL"], dev=dev,
                                          testing=bool(cfg.get("TESTING")))
        if not cfg["COSIGN_DEV"] and "TRUSTED_HOSTS" not in overrides:
            # development answers any host (http://localhost:5000 and 127.0.0.1 alike)
            cfg["TRUSTED_HOSTS"] = trusted_hosts(cfg["COSIGN_SITE_URL"],
                                                 env.get("COSIGN_TRUSTED_HOSTS"))
        return cfg


def _development_secret(instance: Path) -> str:
    """A random key kept in ``instance/`` so development sessions survive restarts."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
