"""Logging in and out, and joining a statement through an invitation."""
from __future__ import annotations

from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from cosign import accounts, membership
from cosign.extensions import db, limiter
from cosign.web.forms import ActionForm, LoginForm, NewAccountForm
from cosign.web.messages import error_text
from cosign.web.navigation import safe_next

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["COSIGN_LOGIN_LIMIT"]


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, scope="login-ip")
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, key_func=_account_key,
               scope="login-account")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("desk.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("desk.dashboard"))
        form.password.errors.append(_("Wrong e-mail address or password."))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


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
        flash(_("You are logged out."), "info")
    return redirect(url_for("public.index"))


def _invitation_error(heading: str, message: str, status: int):
    return render_template("auth/invitation_invalid.html", heading=heading, message=message), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        invite = membership.read_invitation(
            db.session, token,
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

    existing = accounts.find_by_email(db.session, invite.email)
    if current_user.is_authenticated:
        if current_user.email.lower() != invite.email.lower():
            return _invitation_error(
                _("This invitation is for someone else"),
                _("The invitation was sent to %(email)s, but you are logged in as "
                  "%(you)s. Log out first, then open the link again.",
                  email=invite.email, you=current_user.email), 403)
        form = ActionForm()
        if form.validate_on_submit():
            membership.accept_invitation(db.session, invite, current_user)
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
                db.session, invite, form.name.data, form.password.data)
        except accounts.AccountError as exc:
            field = getattr(form, exc.field or "password", form.password)
            field.errors = list(field.errors) + [error_text(exc)]
        else:
            login_user(user)
            flash(_("Welcome! You have joined “%(title)s”.", title=invite.statement.title),
                  "success")
            return redirect(url_for("desk.statement", slug=invite.statement.slug))
    status = 422 if form.errors else 200
    return render_template("auth/invitation.html", invite=invite, form=form, mode="new"), status
