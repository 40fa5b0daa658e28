"""The interface language: which one a request is answered in, and the switcher.

The order: ``?lang=`` on the address, then the ``cosign_lang`` cookie the switcher
sets, then a logged-in coordinator's preference, then the browser's
``Accept-Language`` (``ar-IQ`` gives ``ar``), then the first of
``COSIGN_LANGUAGES``. The switcher is a plain link on every page (no
JavaScript): ``/language/<code>?next=<this page>`` sets the cookie and goes back.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from babel import Locale
from flask import Blueprint, Flask, Response, current_app, has_request_context, redirect, request
from flask_babel import get_locale, refresh
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from cosign.core.language import text_direction

COOKIE = "cosign_lang"
COOKIE_AGE = 365 * 24 * 3600

bp = Blueprint("languages", __name__)


def available() -> tuple[str, ...]:
    return tuple(current_app.config.get("COSIGN_LANGUAGES") or ("en",))


def fallback() -> str:
    codes = available()
    default = current_app.config.get("BABEL_DEFAULT_LOCALE") or codes[0]
    return default if default in codes else codes[0]


def supported(code: str | None) -> str | None:
    """``code`` if it is an interface language (``ar-IQ`` → ``ar``), else None."""
    if not code:
        return None
    codes = available()
    cleaned = code.strip().replace("_", "-")
    if cleaned in codes:
        return cleaned
    primary = cleaned.split("-")[0].lower()
    return primary if primary in codes else None


def from_browser() -> str | None:
    """The first language of Accept-Language, by quality, that the site speaks."""
    for value, _quality in request.accept_languages:  # sorted by quality already
        code = supported(value)
        if code:
            return code
    return None


def _account_language() -> str | None:
    try:
        user = current_user
        return supported(user.language) if user.is_authenticated else None
    except Exception:  # noqa: BLE001 - no login manager yet (an error page early in a request)
        return None


def select() -> str:
    """The interface language of this request (Flask-Babel's locale selector)."""
    if not has_request_context():
        return fallback()
    return (supported(request.args.get("lang")) or supported(request.cookies.get(COOKIE))
            or _account_language() or from_browser() or fallback())


def select_timezone() -> str | None:
    """A logged-in coordinator's time zone; visitors see UTC."""
    if not has_request_context():
        return None
    try:
        user = current_user
        return (user.timezone or None) if user.is_authenticated else None
    except Exception:  # noqa: BLE001 - as _account_language: an error page still answers
        return None


def autonym(code: str) -> str:
    """A language's name in itself: "العربية", "Français"."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (ValueError, LookupError):
        return code
    return (name[:1].upper() + name[1:]) if name else code


def language_name(code: str) -> str:
    """A language's name in the page's language, as written mid-sentence: "Arabic", "arabe",
    "العربية"."""
    here = str(get_locale() or fallback())
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(here)
    except (ValueError, LookupError):
        return code
    return name or code


def safe_next(value: str | None) -> str:
    """A path on this site to go back to; anything else gives the home page."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(c in value for c in "\r\n\\"):
        return "/"
    return value


def remember(response: BaseResponse, code: str) -> None:
    response.set_cookie(COOKIE, code, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=not (current_app.config.get("COSIGN_DEV")
                                    or current_app.testing))


@bp.get("/language/<code>")
def choose(code: str):
    """The switcher's link: remember the language and go back to the page."""
    chosen = code if code in available() else None
    response = redirect(safe_next(request.args.get("next")), 303)
    if chosen:
        remember(response, chosen)
    return response


def links(back: str | None = None) -> list[dict]:
    """The switcher: one link per interface language, the current one marked; each comes
    back to this page (``back``: to that path instead)."""
    here = str(get_locale() or fallback()).replace("_", "-")
    path = request.full_path.rstrip("?") if request.method == "GET" else request.path
    nxt = safe_next(back if isinstance(back, str) else path)
    return [{"code": code, "name": autonym(code), "dir": text_direction(code),
             "href": f"/language/{code}?next={quote(nxt, safe='/')}", "current": code == here}
            for code in available()]



def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _choose_again() -> None:
        # Flask-Babel keeps the locale on ``g``, which outlives a request when an app context
        # was already pushed (tests, commands): each request chooses afresh
        refresh()

    app.add_template_global(links, "language_links")
    app.add_template_global(language_name, "language_name")

    @app.after_request
    def _language_cookie(response: Response) -> Response:
        asked = supported(request.args.get("lang"))
        if asked and request.cookies.get(COOKIE) != asked:
            remember(response, asked)
        if response.mimetype == "text/html":  # the same address answers in several languages
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response
