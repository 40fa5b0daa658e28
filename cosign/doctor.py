"""Checks of a cosign installation, in plain words (``flask cosign doctor``, ``/healthz``).

Each check returns a :class:`Finding`: ``OK``, ``WARNING`` (works, but not as
it should in production) or ``PROBLEM`` (something will fail). Nothing here
writes to the database or sends mail. :func:`database_status` and
:func:`redis_status` are also what ``/healthz`` asks.
"""
from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from cosign import clock
from cosign.config import ROOT
from cosign.database import write_intent

OK, WARNING, PROBLEM = "OK", "WARNING", "PROBLEM"
MIGRATIONS = ROOT / "migrations"
PDF_STYLES = (ROOT / "static" / "css" / "print.css", ROOT / "templates" / "pdf" / "statement.html")
GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui",
                    "inherit", "initial", "unset"}
SMTP_TIMEOUT = 5.0
REDIS_TIMEOUT = 2.0
MIN_SECRET_LENGTH = 32
# Words of placeholder keys; long enough not to turn up in a random key by chance.
_WEAK_WORDS = ("changeme", "change-me", "change_me", "secret", "password", "example", "default",
               "insecure", "not-for-prod", "notforprod", "test-", "development", "cosign")


@dataclass(frozen=True)
class Finding:
    level: str
    name: str
    message: str

    def line(self) -> str:
        return f"{self.level:<8} {self.name}: {self.message}"


# --- the parts /healthz shares ------------------------------------------------------------

def database_status(engine: Engine) -> str | None:
    """None when ``SELECT 1`` works; otherwise a short description of the failure."""
    try:
        with write_intent(False), engine.connect() as connection:  # SQLite: a plain BEGIN
            connection.execute(text("SELECT 1"))
            connection.rollback()
    except Exception as exc:  # noqa: BLE001 - any driver error: the database cannot be used
        return _describe(exc)
    return None


def redis_status(url: str, timeout: float = REDIS_TIMEOUT) -> str | None:
    """None when Redis at ``url`` answers PING within ``timeout``; otherwise why not."""
    client = None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                      retry=Retry(NoBackoff(), 0))
        if not client.ping():
            return "PING was not answered"
    except Exception as exc:  # noqa: BLE001 - a bad URL or any client error: the check answers
        return _describe(exc)
    finally:
        if client is not None:
            client.close()
    return None


def _describe(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    message = re.sub(r"\(Background on this error at: [^)]*\)", "", message).strip()
    return f"{type(exc).__name__}: {message[:300]}" if message else type(exc).__name__


# --- the checks ---------------------------------------------------------------------------

def check_secret_key(config: Mapping[str, Any]) -> Finding:
    name = "secret key"
    secret = str(config.get("SECRET_KEY") or "")
    dev = bool(config.get("COSIGN_DEV"))
    if not secret:
        return Finding(PROBLEM, name, "SECRET_KEY is not set; sessions and e-mail links cannot "
                                      "be signed. Set it to a long random string.")
    weakness = secret_weakness(secret)
    if weakness is None:
        return Finding(OK, name, f"set ({len(secret)} characters)")
    if dev:
        return Finding(OK, name, f"development key ({weakness}; fine with COSIGN_DEV=1)")
    return Finding(PROBLEM, name, f"SECRET_KEY is weak: {weakness}. Anyone who guesses it can "
                                  "forge logins and e-mail links. Make a new one with: python3 -c "
                                  "'import secrets; print(secrets.token_urlsafe(48))'")


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` is a weak key, or None."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"only {len(secret)} characters, use at least {MIN_SECRET_LENGTH}"
    if len(set(secret)) < 12:
        return "too few different characters"
    lowered = secret.lower()
    for word in _WEAK_WORDS:
        if word in lowered:
            return f"it looks like a placeholder (contains {word!r})"
    return None


def check_site_url(config: Mapping[str, Any]) -> Finding:
    name = "site address"
    url = str(config.get("COSIGN_SITE_URL") or "")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return Finding(PROBLEM, name, f"COSIGN_SITE_URL {url!r} is not a web address like "
                                      "https://statements.example.org")
    if config.get("COSIGN_DEV"):
        return Finding(OK, name, f"{url} (development)")
    if parts.scheme != "https":
        return Finding(PROBLEM, name, f"COSIGN_SITE_URL is {url}: outside development it must "
                                      "start with https:// (it is printed in e-mail links and "
                                      "PDFs)")
    if parts.hostname in {"localhost", "127.0.0.1", "::1"}:
        return Finding(PROBLEM, name, f"COSIGN_SITE_URL is {url}: readers of e-mails and PDFs "
                                      "cannot reach this machine's own address")
    return Finding(OK, name, url)


def check_database(engine: Engine) -> list[Finding]:
    failure = database_status(engine)
    where = _safe_url(engine)
    if failure is not None:
        return [Finding(PROBLEM, "database", f"cannot use {where}: {failure}")]
    found = [Finding(OK, "database", f"{where} answers")]
    found.append(check_migrations(engine))
    return found


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def migration_heads() -> set[str]:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


def known_revision(revision: str) -> bool:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except CommandError:
        return False


def current_revisions(engine: Engine) -> set[str]:
    with write_intent(False), engine.connect() as connection:
        revisions = set(MigrationContext.configure(connection).get_current_heads())
        connection.rollback()
    return revisions


def check_migrations(engine: Engine) -> Finding:
    name = "migrations"
    upgrade = "run: flask --app wsgi db upgrade"
    try:
        heads, current = migration_heads(), current_revisions(engine)
    except Exception as exc:  # noqa: BLE001 - the check answers whatever Alembic or the driver raise
        return Finding(PROBLEM, name, f"could not read the schema version: {_describe(exc)}")
    if not current:
        return Finding(PROBLEM, name, f"the database has no schema yet; {upgrade}")
    if current == heads:
        return Finding(OK, name, f"at the latest revision ({', '.join(sorted(heads))})")
    unknown = [rev for rev in current if not known_revision(rev)]
    if unknown:
        return Finding(PROBLEM, name, f"the database is at revision {', '.join(sorted(unknown))}, "
                                      "which this code does not know (was it migrated by a newer "
                                      "version of cosign?)")
    return Finding(PROBLEM, name, f"the database is at revision {', '.join(sorted(current))}, the "
                                  f"code expects {', '.join(sorted(heads))}; {upgrade}")


def check_storage(config: Mapping[str, Any]) -> Finding:
    name = "storage directory"
    directory = Path(str(config.get("COSIGN_STORAGE_DIR") or ""))
    if not str(directory) or str(directory) == ".":
        return Finding(PROBLEM, name, "COSIGN_STORAGE_DIR is not set")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-", delete=True) as handle:
            handle.write(b"ok")
            handle.flush()
    except OSError as exc:
        return Finding(PROBLEM, name, f"cannot write to {directory} ({exc.strerror or exc}); "
                                      "PDFs and logos cannot be stored")
    return Finding(OK, name, f"{directory} is writable")


def pdf_font_stacks(paths=PDF_STYLES) -> list[tuple[str, ...]]:
    """The distinct ``font-family`` lists of the PDF's styles, generic names left out."""
    stacks: list[tuple[str, ...]] = []
    for path in paths:
        try:
            source = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        for value in re.findall(r"font-family\s*:\s*([^;}]+)", source):
            names = tuple(
                name.strip().strip("'\"").strip() for name in value.split(",")
            )
            names = tuple(n for n in names if n and n.lower() not in GENERIC_FAMILIES
                          and "{" not in n and "var(" not in n)
            if names and names not in stacks:
                stacks.append(names)
    return stacks


def installed_font_families(run: Callable[..., Any] = subprocess.run) -> set[str] | None:
    """Font families fontconfig knows (lower case), or None without ``fc-list``."""
    if shutil.which("fc-list") is None:
        return None
    result = run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30)
    families: set[str] = set()
    for line in result.stdout.splitlines():
        families.update(part.strip().lower() for part in line.split(",") if part.strip())
    return families


_ASK_FONTCONFIG: Any = object()


def check_fonts(stacks: list[tuple[str, ...]] | None = None,
                families: set[str] | None = _ASK_FONTCONFIG) -> Finding:
    """Are the PDF's fonts installed? ``families`` None: fontconfig could not be asked."""
    name = "PDF fonts"
    stacks = pdf_font_stacks() if stacks is None else stacks
    if families is _ASK_FONTCONFIG:
        families = installed_font_families()
    if families is None:
        return Finding(WARNING, name, "fc-list (fontconfig) was not found, so the fonts could not "
                                      "be checked; install it with: apt-get install fontconfig")
    wanted = sorted({family for stack in stacks for family in stack})
    missing = [family for family in wanted if family.lower() not in families]
    uncovered = [stack for stack in stacks if all(f.lower() not in families for f in stack)]
    hint = ("install them with: apt-get install fonts-noto-core fonts-dejavu-core "
            "fonts-dejavu-extra (then run fc-cache)")
    if uncovered:
        return Finding(PROBLEM, name, "none of the fonts " + "; ".join(
            ", ".join(stack) for stack in uncovered) + f" is installed, so PDF text would be "
            f"drawn in an arbitrary font or as boxes; {hint}")
    if missing:
        return Finding(WARNING, name, f"missing {', '.join(missing)}: the PDF falls back to the "
                                      f"next font in the list (Arabic-script names may look "
                                      f"worse); {hint}")
    return Finding(OK, name, f"{', '.join(wanted)} installed")


def check_weasyprint() -> Finding:
    try:
        module = importlib.import_module("weasyprint")
    except Exception as exc:  # noqa: BLE001 - ImportError, OSError when Pango is missing, ...
        return Finding(PROBLEM, "WeasyPrint", f"cannot be loaded ({_describe(exc)}); PDFs cannot "
                                              "be made. On Debian: apt-get install libpango-1.0-0 "
                                              "libpangoft2-1.0-0, then pip install -r "
                                              "requirements.txt")
    return Finding(OK, "WeasyPrint", f"version {getattr(module, '__version__', '?')} loads")


def check_signing_key(config: Mapping[str, Any]) -> Finding:
    name = "PDF signing key"
    key = str(config.get("COSIGN_SIGNING_KEY") or "")
    cert = str(config.get("COSIGN_SIGNING_CERT") or "")
    have_key, have_cert = bool(key) and Path(key).is_file(), bool(cert) and Path(cert).is_file()
    if have_key and have_cert:
        for path in (key, cert):
            if not os.access(path, os.R_OK):
                return Finding(PROBLEM, name, f"{path} exists but cannot be read by this user")
        return Finding(OK, name, f"key {key} and certificate {cert} present")
    if have_key or have_cert:
        present, absent = (key, cert) if have_key else (cert, key)
        return Finding(PROBLEM, name, f"{present} exists but {absent or 'its partner'} does not; "
                                      "PDFs cannot be certified. Restore the missing file (or "
                                      "run: flask --app wsgi cosign keygen --force)")
    return Finding(WARNING, name, "no signing key and certificate: PDFs are issued without a "
                                  "certification signature. Create them with: "
                                  "flask --app wsgi cosign keygen")


def check_timestamping(config: Mapping[str, Any], engine: Engine | None = None) -> Finding:
    """The time-stamping authority's settings, and archives due for renewal. The authority
    itself is not asked (that would spend one of its timestamps)."""
    name = "trusted time"
    url = str(config.get("COSIGN_TSA_URL") or "")
    if not url:
        return Finding(WARNING, name, "no time-stamping authority (COSIGN_TSA_URL): certified "
                                      "PDFs carry only this server's time and cannot be checked "
                                      "once the signing certificate expires (README, "
                                      "\"Trusted time\")")
    for path in config.get("COSIGN_TSA_TRUST") or ():
        if not Path(path).is_file() or not os.access(path, os.R_OK):
            return Finding(PROBLEM, name, f"the trust anchor file {path} (COSIGN_TSA_TRUST) "
                                          "cannot be read: timestamps cannot be checked")
    due = None
    if engine is not None:
        limit = clock.now() + dt.timedelta(days=int(config.get("COSIGN_ARCHIVE_RENEW_DAYS", 180)))
        try:
            with engine.connect() as connection:
                due = connection.execute(
                    text("SELECT count(*) FROM issued_pdf WHERE certified AND "
                         "(archive_until IS NULL OR archive_until <= :limit)"),
                    {"limit": limit}).scalar()
        except SQLAlchemyError:
            due = None  # the database check says what is wrong with it
    if due:
        return Finding(WARNING, name, f"{due} issued PDF(s) need their archive timestamps "
                                      "extended: run flask --app wsgi cosign refresh-timestamps "
                                      "(daily, from cron)")
    return Finding(OK, name, f"timestamps from {_redact_url(url)}")


def check_redis(config: Mapping[str, Any]) -> Finding:
    url = config.get("REDIS_URL")
    if not url:
        return Finding(OK, "Redis", "not configured: rate limits are kept per process and jobs "
                                    "run inline (fine for one machine)")
    where = _redact_url(str(url))
    failure = redis_status(str(url))
    if failure is not None:
        return Finding(PROBLEM, "Redis", f"cannot reach {where}: {failure}")
    return Finding(OK, "Redis", f"{where} answers PING")


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def check_smtp(config: Mapping[str, Any], timeout: float = SMTP_TIMEOUT) -> Finding:
    name = "SMTP"
    server = config.get("MAIL_SERVER")
    if not server:
        if config.get("COSIGN_DEV"):
            return Finding(OK, name, "not configured: e-mails stay in the outbox (/dev/mail)")
        return Finding(WARNING, name, "MAIL_SERVER is not set: e-mails (confirmation links) stay "
                                      "in the outbox and are never sent")
    port = int(config.get("MAIL_PORT") or 25)
    where = f"{server}:{port}"
    try:
        with smtplib.SMTP(str(server), port, timeout=timeout) as smtp:
            code, _ = smtp.ehlo()
            if not 200 <= code < 300:
                return Finding(PROBLEM, name, f"{where} refused EHLO ({code})")
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.get("MAIL_USERNAME"):
                smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
            code, _ = smtp.noop()
            if not 200 <= code < 300:
                return Finding(PROBLEM, name, f"{where} refused NOOP ({code})")
    except smtplib.SMTPAuthenticationError as exc:
        return Finding(PROBLEM, name, f"{where} refused MAIL_USERNAME/MAIL_PASSWORD "
                                      f"({exc.smtp_code})")
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        return Finding(PROBLEM, name, f"cannot talk to the mail server {where}: {_describe(exc)}; "
                                      "e-mails would wait in the outbox")
    extra = " with STARTTLS" if config.get("MAIL_USE_TLS") else ""
    return Finding(OK, name, f"{where} answers{extra} (no mail was sent)")


def run(config: Mapping[str, Any], engine: Engine) -> list[Finding]:
    """Every check, in the order they are printed."""
    findings = [check_secret_key(config), check_site_url(config)]
    findings += check_database(engine)
    findings += [check_storage(config), check_fonts(), check_weasyprint(),
                 check_signing_key(config), check_timestamping(config, engine),
                 check_redis(config), check_smtp(config)]
    return findings
