"""A coordinator's own account: password, "log out everywhere", two-step login (TOTP),
language and time zone, the daily digest."""
from __future__ import annotations

import segno
from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from markupsafe import Markup

from cosign import accounts, second_factor
from cosign.extensions import db, limiter
from cosign.web import languages
from cosign.web.account_forms import (
    ChangePasswordForm,
    DigestForm,
    DisableSecondFactorForm,
    EnableSecondFactorForm,
    PasswordCheckForm,
    PreferencesForm,
)
from cosign.web.auth import log_in
from cosign.web.forms import ActionForm
from cosign.web.messages import show_error
from cosign.web.publication_forms import timezone_choices

bp = Blueprint("account", __name__, url_prefix="/account")


def _limit() -> str:
    return current_app.config["COSIGN_LOGIN_LIMIT"]


def _user_key() -> str:
    return f"account:{current_user.get_id()}"


def _me():
    """The logged-in account itself (not Flask-Login's proxy), for the services."""
    return current_user.user


def _failed(response) -> bool:
    return response.status_code != 302


def _throttled(scope: str):
    """Failed password or code checks on these pages count against the account."""
    return limiter.limit(_limit, methods=["POST"], deduct_when=_failed, key_func=_user_key,
                         scope=scope)


@bp.before_request
@login_required
def _private() -> None:
    g.no_store = True  # recovery codes, a secret: never kept by a cache


def _page(status: int = 200, **forms):
    forms.setdefault("password_form", ChangePasswordForm(formdata=None))
    forms.setdefault("disable_form", DisableSecondFactorForm(prefix="disable", formdata=None))
    forms.setdefault("codes_form", PasswordCheckForm(prefix="codes", formdata=None))
    forms.setdefault("preferences_form", _preferences_form(formdata=None))
    forms.setdefault("digest_form", DigestForm(
        prefix="digest", formdata=None, digest="off" if current_user.digest_opt_out else "on"))
    user = current_user
    return render_template(
        "account/index.html", user=user, action_form=ActionForm(),
        enabled=second_factor.is_enabled(user), codes_left=second_factor.remaining_codes(user),
        **forms), status


def _preferences_form(**kwargs) -> PreferencesForm:
    user = current_user
    form = PreferencesForm(prefix="prefs", languages=[(c, languages.autonym(c))
                                                      for c in languages.available()],
                           zones=timezone_choices(), **kwargs)
    if kwargs.get("formdata", True) is None:
        form.language.data = languages.supported(user.language) or ""
        form.timezone.data = user.timezone or "UTC"
    return form


@bp.get("/")
def index():
    return _page()


@bp.post("/preferences")
def preferences():
    form = _preferences_form()
    if not form.validate_on_submit():
        return _page(422, preferences_form=form)
    accounts.set_preferences(db.session(), current_user.id, language=form.language.data,
                             zone_name=form.timezone.data)
    response = redirect(url_for("account.index"))
    if form.language.data:  # in effect at once, on this browser too
        languages.remember(response, form.language.data)
    else:
        response.delete_cookie(languages.COOKIE)
    flash(_("Your preferences have been saved."), "success")
    return response


@bp.post("/digest")
def digest():
    form = DigestForm(prefix="digest")
    if not form.validate_on_submit():
        return _page(422, digest_form=form)
    wanted = form.digest.data == "on"
    accounts.set_digest(db.session(), current_user.id, wanted)
    flash(_("The daily digest is on: at most one e-mail a day per statement, when new sign-ons "
            "wait.") if wanted else _("The daily digest is off. You will get no more of it."),
          "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
@_throttled("account-password")
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _page(422, password_form=form)
    try:
        accounts.change_password(db.session(), _me(), form.current.data, form.password.data)
    except accounts.WrongPassword as exc:
        show_error(form, exc, form.current)
        return _page(401, password_form=form)
    except accounts.AccountError as exc:
        show_error(form, exc, form.password)
        return _page(422, password_form=form)
    log_in(_me())  # this browser stays logged in (new epoch)
    flash(_("Your password has been changed. Other devices have been logged out."), "success")
    return redirect(url_for("account.index"))


@bp.post("/sessions")
def end_sessions():
    if ActionForm().validate_on_submit():
        accounts.end_sessions(db.session(), _me())
        logout_user()
        flash(_("You have been logged out everywhere, here too."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("account.index"))


@bp.post("/two-step/start")
def start_second_factor():
    if ActionForm().validate_on_submit() and not second_factor.is_enabled(_me()):
        second_factor.begin_setup(db.session(), _me())
    return redirect(url_for("account.setup_second_factor"))


def qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG (made here: nothing is fetched from elsewhere)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, light="#fff",
                                                title=_("QR code for your authenticator app"))
    return Markup(svg)


@bp.route("/two-step/setup", methods=["GET", "POST"])
@_throttled("account-2fa-setup")
def setup_second_factor():
    user = _me()
    if second_factor.is_enabled(user):
        return redirect(url_for("account.index"))
    secret = second_factor.pending_secret(user)
    if secret is None:
        flash(_("Start the setup of two-step login with the button below."), "info")
        return redirect(url_for("account.index"))
    form = EnableSecondFactorForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_setup(db.session(), user, form.code.data)
        except accounts.AccountError as exc:
            show_error(form, exc, form.code)
            status = 401
        else:
            return render_template("account/recovery_codes.html", codes=codes, first=True)
    elif form.errors:
        status = 422
    uri = second_factor.provisioning_uri(user, secret, current_app.config["COSIGN_SITE_NAME"])
    return render_template("account/setup.html", form=form, secret=secret,
                           qr=qr_svg(uri)), status


@bp.post("/two-step/disable")
@_throttled("account-2fa-disable")
def disable_second_factor():
    form = DisableSecondFactorForm(prefix="disable")
    if not form.validate_on_submit():
        return _page(422, disable_form=form)
    try:
        second_factor.disable(db.session(), _me(), form.password.data, form.code.data)
    except accounts.AccountError as exc:
        show_error(form, exc, form.code)
        return _page(401, disable_form=form)
    flash(_("Two-step login is off. Logging in needs only your password now."), "info")
    return redirect(url_for("account.index"))


@bp.post("/two-step/recovery-codes")
@_throttled("account-2fa-codes")
def regenerate_codes():
    form = PasswordCheckForm(prefix="codes")
    if not form.validate_on_submit():
        return _page(422, codes_form=form)
    try:
        codes = second_factor.regenerate_codes(db.session(), _me(), form.password.data)
    except accounts.AccountError as exc:
        show_error(form, exc, form.password)
        return _page(401, codes_form=form)
    return render_template("account/recovery_codes.html", codes=codes, first=False)
