"""Translated labels for stored codes (status, role, audit action), for templates."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from cosign import embargo
from cosign.core.language import text_direction
from cosign.core.moment import moment
from cosign.web import languages

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
        case "copied":
            return _("made it from revision %(n)s of %(source)s", n=d.get("revision"),
                     source=d.get("source"))
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
        case "translation-added":
            return _("added a translation into %(language)s (from version %(source)s)",
                     language=languages.language_name(d.get("language", "")), source=d.get("source"))
        case "translation-edited":
            return _("saved revision %(n)s of the %(language)s translation (from version "
                     "%(source)s)", n=d.get("revision"),
                     language=languages.language_name(d.get("language", "")), source=d.get("source"))
        case "translation-restored":
            return _("restored an earlier revision of the %(language)s translation as revision "
                     "%(n)s", n=d.get("revision"),
                     language=languages.language_name(d.get("language", "")))
        case "commented":
            return _("commented on revision %(n)s", n=d.get("revision"))
        case "resolved-comment":
            return _("resolved a comment")
        case "opened":
            return _("opened revision %(n)s for signature", n=d.get("revision"))
        case "closed":
            if d.get("reason") == "deadline":
                return _("signing closed at the deadline")
            return _("closed signing")
        case "new-version":
            return _("saved revision %(n)s as a new signed version; %(asked)s signatories asked "
                     "to re-confirm", n=d.get("revision"), asked=d.get("asked"))
        case "signed":
            return _("sign-on received: %(name)s", name=d.get("name"))
        case "signed-again":
            return _("signed again (no new entry): %(name)s", name=d.get("name"))
        case "signed-after-withdrawal":
            return _("signed again after withdrawing: %(name)s", name=d.get("name"))
        case "confirmed":
            return _("confirmed by e-mail: %(name)s", name=d.get("name"))
        case "claim-lost":
            return _("not confirmed, closed: another sign-on of the same organisation was "
                     "confirmed first: %(name)s", name=d.get("name"))
        case "confirmation-resent":
            return _("confirmation link sent again on request: %(name)s", name=d.get("name"))
        case "approved":
            return _("approved: %(name)s", name=d.get("name"))
        case "rejected":
            return _("rejected: %(name)s", name=d.get("name"))
        case "withdrawn":
            return _("withdrawn by the signatory: %(name)s", name=d.get("name"))
        case "reconfirmed":
            return _("re-confirmed for version %(n)s: %(name)s", n=d.get("version"),
                     name=d.get("name"))
        case "renamed":
            return _("renamed “%(original)s” to “%(new)s”", original=d.get("original"),
                     new=d.get("new"))
        case "duplicate":
            return _("marked “%(name)s” as a duplicate of “%(of)s”", name=d.get("name"),
                     of=d.get("of_name"))
        case "not-duplicate":
            return _("marked “%(name)s” as not the same as “%(of)s”", name=d.get("name"),
                     of=d.get("of_name"))
        case "signature-goal":
            if d.get("goal") is None:
                return _("removed the signature goal")
            return _("set the signature goal to %(goal)s", goal=d.get("goal"))
        case "require-domain":
            return (_("now approves only domain-verified sign-ons") if d.get("required")
                    else _("approves sign-ons without domain verification again"))
        case "added":
            return _("added a signature: %(name)s", name=d.get("name"))
        case "lead":
            if d.get("rank") is None:
                return _("“%(name)s” is no longer a lead signatory", name=d.get("name"))
            return _("made “%(name)s” lead signatory number %(rank)s", name=d.get("name"),
                     rank=d.get("rank"))
        case "logo":
            return _("removed the logo") if d.get("removed") else _("changed the logo")
        case "pdf-settings":
            return _("changed the PDF layout")
        case "scheduled":
            return _("scheduled publication for %(when)s UTC", when=d.get("at", "").replace("T", " "))
        case "unscheduled":
            return _("called off the scheduled publication")
        case "earlier-signers":
            if d.get("choice") == "omit":
                return _("chose to leave out signatories of earlier versions who have not "
                         "re-confirmed")
            return _("chose to list signatories of earlier versions who have not re-confirmed "
                     "apart, with their version")
        case "published":
            return _("published revision %(n)s", n=d.get("revision"))
        case "contacts-erased":
            return _("erased the contact data of %(count)s signatories (retention period over)",
                     count=d.get("count"))
        case "press-sent":
            if d.get("kind") == "embargoed":
                return _("sent the embargoed copy to %(count)s press contacts", count=d.get("count"))
            return _("sent the statement to %(count)s press contacts", count=d.get("count"))
        case "press-resent":
            return _("sent the statement again to %(email)s", email=d.get("email"))
        case "letter-imported":
            return _("imported the letter, with %(count)s signatories to review",
                     count=d.get("count"))
        case "imported":
            return _("imported %(count)s signatures from %(file)s", count=d.get("count"),
                     file=d.get("file"))
        case "press-added":
            return _("added %(email)s to the press list", email=d.get("email"))
        case "press-updated":
            return _("changed %(email)s on the press list", email=d.get("email"))
        case "press-removed":
            return _("removed %(email)s from the press list", email=d.get("email"))
        case "press-imported":
            return _("imported press contacts from %(file)s: %(added)s new, %(updated)s updated",
                     file=d.get("file"), added=d.get("added"), updated=d.get("updated"))
        case "press-subscribed":
            return _("%(email)s asked to receive statements", email=d.get("email"))
        case "press-confirmed":
            return _("%(email)s confirmed the press subscription", email=d.get("email"))
        case "press-unsubscribed":
            return _("%(email)s unsubscribed from the press list", email=d.get("email"))
        case "press-resubscribed":
            return _("%(email)s subscribed again to the press list", email=d.get("email"))
        # a coordinator's own account (statement_id None)
        case "login-failed":
            return _("failed login (wrong password)") if d.get("known") else \
                _("failed login (no such account)")
        case "2fa-failed":
            return _("wrong second-factor code (%(reason)s)", reason=d.get("reason", ""))
        case "password-changed":
            return _("changed the password; other sessions ended")
        case "password-change-failed":
            return _("tried to change the password with a wrong current password")
        case "password-reset-requested":
            return _("asked for a password reset link")
        case "password-reset":
            return _("set a new password with a reset link; other sessions ended")
        case "sessions-ended":
            return _("logged out everywhere")
        case "2fa-enabled":
            return _("turned two-step login on")
        case "2fa-disabled":
            return _("turned two-step login off")
        case "digest-on":
            return _("turned the daily digest on")
        case "digest-off":
            return _("turned the daily digest off")
        case "recovery-code-used":
            return _("logged in with a recovery code (%(left)s left)", left=d.get("left"))
        case "recovery-codes-regenerated":
            return _("made new recovery codes")
        case "recovery-codes-failed":
            return _("tried to make new recovery codes with a wrong password")
    return event.action


def _isolated(text: str, markup: bool = True):
    """A date keeps its own direction inside a sentence of the other direction: in a page, a
    ``<bdi>`` element; in plain text (a flash message), as it is."""
    return Markup("<bdi>%s</bdi>") % text if markup else text


def _moment(value: datetime) -> str:
    """Date and 24-hour time in the page's language (:func:`cosign.core.moment.moment`);
    ``value`` is aware."""
    from babel import Locale

    return moment(value, get_locale() or Locale.parse("en"))


def when(value: datetime | None) -> str:
    """A stored moment (naive UTC) as one consistent, readable label, in the viewer's language
    and time zone: "Nov 22, 2026, 14:05 UTC", or "Nov 22, 2026, 17:05 (Asia/Baghdad)" for a
    coordinator whose account names that zone; isolated (FSI/PDI) so that it reads right
    inside a sentence of the other direction."""
    if value is None:
        return ""
    zone_name = languages.select_timezone()
    if zone_name and zone_name != "UTC":
        try:
            local = embargo.in_zone(value.replace(tzinfo=None) if value.tzinfo else value,
                                    zone_name)
        except embargo.BadTimeZone:
            local = None
        if local is not None:
            return _isolated(_("%(when)s (%(zone)s)", when=_moment(local), zone=zone_name))
    return utc(value)


def utc(value: datetime | None, markup: bool = True) -> str:
    """A stored moment in UTC, whoever looks (public records: the PDF's issue time)."""
    if value is None:
        return ""
    value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return _isolated(_("%(when)s UTC", when=_moment(value)), markup)


def local_time(value: datetime | None, zone_name: str = "UTC", markup: bool = True) -> str:
    """A stored moment (naive UTC) in a coordinator's time zone, with UTC beside it."""
    if value is None:
        return ""
    try:
        local = embargo.in_zone(value, zone_name or "UTC")
    except embargo.BadTimeZone:
        return utc(value, markup)
    if not local.utcoffset():
        return utc(value, markup)
    return _isolated(_("%(local)s %(zone)s (%(utc)s)", local=_moment(local), zone=zone_name,
                       utc=utc(value, False)), markup)


def zoned(value: datetime | None, zone_name: str = "UTC") -> str:
    """A stored moment (naive UTC) in ``zone_name`` alone, the zone named: "3 Nov 2026,
    10:00 (Asia/Baghdad)" (the publication summary shows UTC on a line of its own)."""
    if value is None:
        return ""
    try:
        local = embargo.in_zone(value, zone_name or "UTC")
    except embargo.BadTimeZone:
        return utc(value)
    return _isolated(_("%(when)s (%(zone)s)", when=_moment(local), zone=zone_name))


def text_date(value, language: str | None) -> str:
    """A date printed in a statement's text (its dateline), in the text's own language: an
    English translation says "December 6, 2026" on an Arabic page too."""
    from babel.dates import format_date

    if value is None:
        return ""
    try:
        return format_date(value, "long", locale=(language or "en").replace("-", "_"))
    except (ValueError, LookupError):
        return format_date(value, "long", locale="en")


def bdi(value) -> Markup:
    """User content (a name, an address) isolated from the sentence around it: ``<bdi>``."""
    return Markup("<bdi>%s</bdi>") % value


def text_dir(language: str | None) -> str:
    """``rtl`` or ``ltr`` for a statement's language tag, for ``dir`` attributes."""
    return text_direction(language or "en")


def init_app(app: Flask) -> None:
    app.add_template_filter(when, "when")
    app.add_template_filter(utc, "utc")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(zoned, "zoned")
    app.add_template_filter(text_dir, "text_dir")
    app.add_template_filter(bdi, "bdi")
    app.add_template_filter(text_date, "text_date")

    @app.context_processor
    def _labels():
        locale = str(get_locale() or "en")
        return {"status_label": status_label, "role_label": role_label,
                "audit_label": audit_label, "page_lang": locale.replace("_", "-"),
                "page_dir": text_direction(locale)}
