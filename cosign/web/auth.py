"""Logging in (with a second step when the account has a second factor) and out, resetting a
forgotten password by e-mail, and joining a statement through an invitation.

A session remembers the account's ``session_epoch`` of its login (:func:`remember_epoch`);
:func:`load_user` refuses one made under an older epoch, so a password change ends
every other session.
"""
from __future__ import annotations

import calendar
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import (
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
    user_logged_in,
)

from cosign import accounts, clock, membership, second_factor
from cosign.extensions import db, limiter
from cosign.models import User
from cosign.web.account_forms import CodeForm, ForgotPasswordForm, ResetPasswordForm
from cosign.web.forms import ActionForm, LoginForm, NewAccountForm
from cosign.web.links import site_url
from cosign.web.messages import error_text, show_error
from cosign.web.navigation import safe_next

bp = Blueprint("auth", __name__)

EPOCH = "epoch"  # session key: the account's session epoch at login
PENDING = "2fa"  # session key: a login waiting for its second factor
PENDING_MAX_AGE = 300  # seconds between the password and the code


class Account(UserMixin):
    """The logged-in coordinator as Flask-Login sees it (``current_user``): the account
    (:class:`cosign.models.User`, which knows nothing of Flask-Login) with what a login session
    needs. Reading an attribute reads the account's; services get :attr:`user` itself."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


def log_in(user: User) -> None:
    """Log ``user`` in in this browser (the session epoch is remembered with it)."""
    login_user(Account(user))


def load_user(user_id: str) -> Account | None:
    """Flask-Login's user loader: the account, unless the session is from an older epoch."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return Account(user) if user and accounts.session_valid(user, session.get(EPOCH)) else None


@user_logged_in.connect
def remember_epoch(_app, user, **_extra) -> None:
    session[EPOCH] = user.session_epoch or 0
    session.pop(PENDING, None)


def _now() -> int:
    return calendar.timegm(clock.now().utctimetuple())


def _login_limit() -> str:
    return current_app.config["COSIGN_LOGIN_LIMIT"]


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 302


def _code_limit() -> str:
    return current_app.config.get("COSIGN_2FA_LIMIT", "5 per minute;20 per hour")


def _pending_key() -> str:
    pending = session.get(PENDING) or {}
    return f"2fa-account:{pending.get('u')}"


def _reset_limit_ip() -> str:
    return current_app.config.get("COSIGN_RESET_LIMIT_IP", "10 per hour")


def _reset_limit_account() -> str:
    return current_app.config.get("COSIGN_RESET_LIMIT_ACCOUNT", "3 per hour")


def _reset_key() -> str:
    return "reset-account:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, scope="login-ip")
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, key_func=_account_key,
               scope="login-account")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("desk.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session(), form.email.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next")) or url_for("desk.dashboard")
            if second_factor.is_enabled(user):  # not logged in until the code is right
                session[PENDING] = {"u": user.id, "e": user.session_epoch or 0, "t": _now(),
                                    "n": target}
                return redirect(url_for("auth.second_step"))
            log_in(user)
            return redirect(target)
        form.password.errors.append(_("Wrong e-mail address or password."))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


def _pending_user() -> User | None:
    """The account whose password was right a moment ago, waiting for its second factor."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("u"), int):
        return None
    if not 0 <= _now() - int(pending.get("t") or 0) <= PENDING_MAX_AGE:
        return None
    user = db.session.get(User, pending["u"])
    if user is None or not second_factor.is_enabled(user) \
            or (user.session_epoch or 0) != pending.get("e"):
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"], deduct_when=_failed, scope="2fa-ip")
@limiter.limit(_code_limit, methods=["POST"], deduct_when=_failed, key_func=_pending_key,
               scope="2fa-account")
def second_step():
    if current_user.is_authenticated:
        return redirect(url_for("desk.dashboard"))
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please log in again: the time for the second step has run out."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        used = second_factor.verify(db.session(), user, form.code.data)
        if used is not None:
            target = safe_next(session[PENDING].get("n")) or url_for("desk.dashboard")
            log_in(user)
            if used == "recovery":
                flash(_("You used a recovery code; %(n)s are left. You can make new ones on "
                        "your account page.", n=second_factor.remaining_codes(user)), "info")
            return redirect(target)
        form.code.errors.append(_("That code is not right, or it was used already. Type the "
                                  "code your app shows now, or a recovery code."))
        return render_template("auth/code.html", form=form), 401
    return render_template("auth/code.html", form=form), 422 if form.errors else 200


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit_ip, methods=["POST"], scope="reset-ip")
@limiter.limit(_reset_limit_account, methods=["POST"], key_func=_reset_key, scope="reset-account")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_reset(
            db.session(), form.email.data, secret_key=current_app.config["SECRET_KEY"],
            link_for=lambda token: site_url("auth.reset_password", token=token),
            locale=str(get_locale() or "en"))
        # the same answer whether or not an account has this address
        return render_template("auth/forgot_sent.html")
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


def _reset_link_problem(exc: Exception):
    if isinstance(exc, accounts.ResetLinkExpired):
        heading, status = _("This link has expired"), 410
        message = _("A link to reset your password works for one hour. Ask for a new one: "
                    "“Forgot your password?” on the login page. Your password has not changed.")
    else:
        heading, status = _("This link is not valid"), 404
        message = _("The link is incomplete, has been altered, or has been used already (a "
                    "reset link works once, and no longer after the password changed). Ask "
                    "for a new one: “Forgot your password?” on the login page.")
    action = (url_for("auth.forgot_password"), _("Ask for a new link"))
    return render_template("public/link.html", heading=heading, message=message,
                           action=action), status


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, scope="reset-link")
def reset_password(token: str):
    g.no_store = True
    secret_key = current_app.config["SECRET_KEY"]
    max_age = current_app.config.get("COSIGN_RESET_MAX_AGE", accounts.RESET_MAX_AGE)
    try:
        user = accounts.read_reset(db.session(), token, secret_key=secret_key, max_age=max_age)
    except accounts.ResetLinkInvalid as exc:
        return _reset_link_problem(exc)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session(), token, form.password.data,
                                    secret_key=secret_key, max_age=max_age)
        except accounts.ResetLinkInvalid as exc:  # used meanwhile (a double click)
            return _reset_link_problem(exc)
        except accounts.AccountError as exc:
            show_error(form, exc, form.password)
        else:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password has been changed. Log in with the new password."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form, user=user), status


def login_throttled():
    form = LoginForm()
    form.email.data = request.form.get("email", "")
    form.password.errors = [_("Too many failed attempts. Wait a minute, then try again.")]
    return render_template("auth/login.html", form=form), 429


@bp.post("/logout")
@login_required
def logout():
    if ActionForm().validate_on_submit():
        logout_user()
        session.pop(EPOCH, None)
        flash(_("You are logged out."), "info")
    return redirect(url_for("public.index"))


def _invitation_error(heading: str, message: str, status: int):
    return render_template("auth/invitation_invalid.html", heading=heading, message=message), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        invite = membership.read_invitation(
            db.session(), token,
            secret_key=current_app.config["SECRET_KEY"],
            max_age=current_app.config["COSIGN_INVITATION_MAX_AGE"],
        )
    except membership.InvitationExpired:
        return _invitation_error(
            _("This invitation has expired"),
            _("Invitation links work for a limited time. Ask the person who invited you to "
              "send a new one. You have not been added to the statement."), 410)
    except membership.InvitationInvalid:
        return _invitation_error(
            _("This invitation link is not valid"),
            _("The link is incomplete, has been altered, or has been used already. Check that "
              "you copied the whole link from the e-mail. You have not been added to the "
              "statement."), 404)

    existing = accounts.find_by_email(db.session(), invite.email)
    if current_user.is_authenticated:
        if current_user.email.lower() != invite.email.lower():
            return _invitation_error(
                _("This invitation is for someone else"),
                _("The invitation was sent to %(email)s, but you are logged in as "
                  "%(you)s. Log out first, then open the link again.",
                  email=invite.email, you=current_user.email), 403)
        form = ActionForm()
        if form.validate_on_submit():
            membership.accept_invitation(db.session(), invite, current_user.user)
            flash(_("You have joined “%(title)s”.", title=invite.statement.title), "success")
            return redirect(url_for("desk.statement", slug=invite.statement.slug))
        return render_template("auth/invitation.html", invite=invite, form=form, mode="join")

    if existing is not None:
        flash(_("Log in as %(email)s to accept the invitation.", email=invite.email), "info")
        return redirect(url_for("auth.login", next=request.path))

    form = NewAccountForm()
    if form.validate_on_submit():
        try:
            user, _member = membership.accept_as_new_user(
                db.session(), invite, form.name.data, form.password.data)
        except accounts.AccountError as exc:
            field = getattr(form, exc.field or "password", form.password)
            field.errors = list(field.errors) + [error_text(exc)]
        else:
            log_in(user)
            flash(_("Welcome! You have joined “%(title)s”.", title=invite.statement.title),
                  "success")
            return redirect(url_for("desk.statement", slug=invite.statement.slug))
    status = 422 if form.errors else 200
    return render_template("auth/invitation.html", invite=invite, form=form, mode="new"), status
