"""Translated labels for stored codes (status, role, audit action), for templates."""
from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _

from cosign.core.language import text_direction
from flask_babel import lazy_gettext as _l

STATUS = {
    "draft": _l("draft"),
    "open": _l("open for signature"),
    "closed": _l("closed"),
    "published": _l("published"),
}
ROLE = {"owner": _l("owner"), "editor": _l("editor")}


def status_label(code: str) -> str:
    return str(STATUS.get(code, code))


def role_label(code: str) -> str:
    return str(ROLE.get(code, code))


def audit_label(event) -> str:
    d = event.detail
    match event.action:
        case "created":
            return _("created the statement")
        case "edited":
            return _("saved revision %(n)s", n=d.get("revision"))
        case "restored":
            return _("restored revision %(old)s as revision %(n)s",
                     old=d.get("restored_from"), n=d.get("revision"))
        case "settings":
            return _("changed settings: %(fields)s", fields=", ".join(d.get("changed", [])))
        case "invited":
            return _("invited %(email)s as %(role)s", email=d.get("email"),
                     role=role_label(d.get("role", "")))
        case "joined":
            return _("joined as %(role)s", role=role_label(d.get("role", "")))
        case "member-added":
            return _("added a drafter as %(role)s", role=role_label(d.get("role", "")))
        case "commented":
            return _("commented on revision %(n)s", n=d.get("revision"))
        case "resolved-comment":
            return _("resolved a comment")
    return event.action


def init_app(app: Flask) -> None:
    @app.context_processor
    def _labels():
        locale = str(get_locale() or "en")
        return {"status_label": status_label, "role_label": role_label,
                "audit_label": audit_label, "page_lang": locale.replace("_", "-"),
                "page_dir": text_direction(locale)}
