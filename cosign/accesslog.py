"""gunicorn's access log without client addresses, tokens or query strings.

An e-mail link carries a signed token in its path (``/confirm/<token>``,
``/withdraw/<token>``, ...): whoever reads a log line with it could confirm or
withdraw a signature. Signatories are often threatened human-rights defenders,
so their IP addresses are not logged either. Each access line holds only::

    [23/Nov/2026:10:01:02 +0000] "GET /confirm/[token]" 200 5120 0.012s

time, method, path (token segments replaced, no query string at all), status,
response size and duration. gunicorn's own error log is scrubbed the same way
("Invalid request from ip=..." and the URI of a failed request).

Used by ``gunicorn.conf.py`` (``logger_class``); plain logging otherwise.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

REDACTED = "[token]"

# Segments (anywhere in the path) after which comes a secret token (e-mail links);
# compared case-sensitively, as the routes are.
TOKEN_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("confirm",),
    ("withdraw",),
    ("reconfirm",),
    ("invitation",),
    ("invitations",),
    ("press", "confirm"),
    ("press", "unsubscribe"),
    ("unsubscribe",),
)

# Whatever the route: a segment shaped like an itsdangerous token
# (base64url payload . timestamp . signature) is redacted as well.
_SIGNED_PATTERN = r"[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{20,}"
_SIGNED = re.compile(rf"^{_SIGNED_PATTERN}$")

# In free text (error messages): the same token routes, ``ip=`` fields and query strings.
_PREFIX_RE = re.compile(
    r"(/(?:" + "|".join("/".join(map(re.escape, p)) for p in TOKEN_PREFIXES) + r")/)[^/\s?#'\"]+"
)
_SIGNED_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9_\-.]){_SIGNED_PATTERN}")
_IP_FIELD = re.compile(r"\bip=\S+?(:?)(?=\s|$)")
_QUERY_IN_TEXT = re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*")


def request_path(environ) -> str:
    """The request's path as the application routes it (decoded), never its query string."""
    if "PATH_INFO" in environ:
        return (environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "") or "/"
    raw = environ.get("RAW_URI") or ""
    path = urlsplit(raw).path if "://" in raw[:12] else raw
    return path.split("?", 1)[0].split("#", 1)[0] or "-"


def redact_path(path: str | None) -> str:
    """``path`` with token segments replaced (give it no query string: see request_path)."""
    if not path:
        return "-"
    segments = path.split("/")
    # segments[0] is "" for an absolute path
    for index, segment in enumerate(segments):
        if not segment:
            continue
        if _is_token_position(segments, index) or _SIGNED.match(segment):
            segments[index] = REDACTED
    return "/".join(segments)


def _is_token_position(segments: list[str], index: int) -> bool:
    for prefix in TOKEN_PREFIXES:
        start = index - len(prefix)
        if start >= 1 and tuple(segments[start:index]) == prefix:
            return True
    return False


def scrub_text(text: str) -> str:
    """An error-log message without client addresses, tokens or query strings."""
    text = _IP_FIELD.sub(r"ip=-\1", text)
    text = _PREFIX_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SIGNED_IN_TEXT.sub(REDACTED, text)
    return _QUERY_IN_TEXT.sub(lambda m: m.group(1), text)


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format: leave it to logging's own error path
            return True
        record.msg, record.args = scrub_text(message), ()
        return True


class RedactingLogger(Logger):
    """gunicorn ``logger_class``: the access line of this module, a scrubbed error log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if not any(isinstance(f, _ScrubFilter) for f in self.error_log.filters):
            self.error_log.addFilter(_ScrubFilter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        try:
            self.access_log.info(self.access_line(resp, environ, request_time))
        except Exception:  # noqa: BLE001 - a log line must never break a response  # pragma: no cover
            self.error("could not write an access log line")

    def access_line(self, resp, environ, request_time) -> str:
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        method = str(environ.get("REQUEST_METHOD") or "-")[:16]
        path = redact_path(request_path(environ))
        seconds = request_time.seconds + request_time.microseconds / 1_000_000
        return (f'{self.now()} "{_printable(method)} {_printable(path)}" {status} '
                f"{sent if sent is not None else '-'} {seconds:.3f}s")


def _printable(value: str) -> str:
    """No control characters (log injection) and no quotes in a quoted field."""
    return "".join(ch if ch.isprintable() and ch != '"' else "?" for ch in value)[:2000]
