"""The press list: coordinators' pages (/desk/press) and journalists' own pages (/press/...).

Nothing of the list is shown publicly: the public pages answer the same
whatever an address's state, and the links from e-mails show only what their
owner already knows.
"""
from __future__ import annotations

import base64
import binascii
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from cosign import press, press_import, subscription
from cosign.extensions import csrf, db, limiter
from cosign.web import uploads
from cosign.web.converters import query_int
from cosign.web.forms import ActionForm
from cosign.web.links import link_problem, site_url
from cosign.web.messages import error_text, show_error
from cosign.web.press_forms import ContactForm, PressImportForm, SubscribeForm

bp = Blueprint("press", __name__)

SUBSCRIBE_LIMIT = "10 per hour"
# The CSV (at most 1 MB; larger files get a message, not a bare 413) and its
# base64 copy in the preview's hidden field, plus the form.
IMPORT_BODY_LIMIT = press_import.MAX_IMPORT_BYTES * 3 + 64 * 1024
uploads.LIMITS.setdefault("press.import_csv", IMPORT_BODY_LIMIT)


@bp.record_once
def _defaults(state) -> None:
    state.app.config.setdefault("COSIGN_PRESS_SUBSCRIBE_LIMIT", SUBSCRIBE_LIMIT)


def desk_page(view):
    """Coordinators only (any logged-in coordinator: the list is the site's); never cached."""
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        g.no_store = True
        return view(*args, **kwargs)
    return wrapper


def link_for(purpose: str, token: str) -> str:
    endpoints = {subscription.CONFIRM: "press.confirm",
                 press.UNSUBSCRIBE: "press.unsubscribe"}
    return site_url(endpoints[purpose], token=token)


def _data(form) -> press.ContactData:
    return press.ContactData(email=form.email.data or "", name=form.name.data or "",
                             outlet=form.outlet.data or "", language=form.language.data or "en",
                             tags=form.tags.data or "")


def _contact_or_404(contact_id: int):
    try:
        return press.get(db.session(), contact_id)
    except press.ContactNotFound:
        abort(404)


# --- the coordinators' list ------------------------------------------------------------

@bp.get("/desk/press")
@desk_page
def contacts():
    status = request.args.get("status", "")
    if status and status not in press.STATUSES:
        abort(404)
    tag = request.args.get("tag", "")[:press.MAX_TAG]
    text = request.args.get("q", "")[:200]
    page = query_int("page", 1, strict=False)
    result = press.search(db.session(), tag=tag, status=status, text=text, page=page)
    return render_template("press/contacts.html", result=result, status=status, tag=tag,
                           text=text, counts=press.status_counts(db.session()),
                           tags=press.all_tags(db.session(), include_inactive=True))


@bp.route("/desk/press/add", methods=["GET", "POST"])
@desk_page
def add():
    form = ContactForm()
    if form.validate_on_submit():
        try:
            contact = press.add(db.session(), _data(form), current_user.id)
        except press.PressError as exc:
            show_error(form, exc, form.email)
        else:
            flash(_("%(email)s is on the press list.", email=contact.email), "success")
            return redirect(url_for(".contacts"), 303)
    return render_template("press/contact_form.html", form=form, contact=None), \
        422 if form.errors else 200


@bp.route("/desk/press/<int:contact_id>/edit", methods=["GET", "POST"])
@desk_page
def edit(contact_id: int):
    contact = _contact_or_404(contact_id)
    form = ContactForm(obj=contact if request.method == "GET" else None)
    if request.method == "GET":
        form.tags.data = ", ".join(contact.tag_list)
    if form.validate_on_submit():
        try:
            contact = press.update(db.session(), contact.id, _data(form), current_user.id)
        except press.PressError as exc:
            show_error(form, exc, form.email)
        else:
            flash(_("Changes to %(email)s saved.", email=contact.email), "success")
            return redirect(url_for(".contacts"), 303)
    return render_template("press/contact_form.html", form=form, contact=contact), \
        422 if form.errors else 200


@bp.route("/desk/press/<int:contact_id>/remove", methods=["GET", "POST"])
@desk_page
def remove(contact_id: int):
    contact = _contact_or_404(contact_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        email = contact.email
        press.remove(db.session(), contact.id, current_user.id)
        flash(_("%(email)s was removed from the press list.", email=email), "success")
        return redirect(url_for(".contacts"), 303)
    return render_template("press/remove.html", contact=contact, form=form)


@bp.route("/desk/press/import", methods=["GET", "POST"])
@desk_page
def import_csv():
    form = PressImportForm()
    plan = None
    problems: list[tuple[int | None, str]] = []  # (line of the file or None, message)
    status = 200
    if form.validate_on_submit():
        data, filename = _uploaded(form, problems)
        if data is not None:
            form.content.data = base64.b64encode(data).decode()
            form.filename.data = filename
            try:
                if form.confirm.data:
                    plan = press_import.import_csv(db.session(), data, filename=filename,
                                                   actor_id=current_user.id)
                else:
                    plan = press_import.plan_import(db.session(), data)
            except press.PressError as exc:  # the list changed meanwhile
                problems.append((None, error_text(exc)))
            else:
                problems = [(p.line, _(p.message, **p.params)) for p in plan.problems]
                if form.confirm.data and plan.ok:
                    flash(_("Imported from %(file)s: %(counts)s.", file=filename,
                            counts=_counts(plan)), "success")
                    return redirect(url_for(".contacts"), 303)
        status = 422 if problems else 200
    return render_template("press/import.html", form=form, plan=plan, problems=problems,
                           columns=press_import.COLUMNS,
                           max_rows=press_import.MAX_IMPORT_ROWS), status


def _counts(plan: press_import.ImportPlan) -> str:
    return ", ".join([
        ngettext("%(num)d new contact", "%(num)d new contacts", plan.count("new")),
        ngettext("%(num)d updated", "%(num)d updated", plan.count("updated")),
        ngettext("%(num)d unchanged", "%(num)d unchanged", plan.count("unchanged")),
    ])


def _uploaded(form, problems) -> tuple[bytes | None, str]:
    """(bytes, filename) from the upload or from the preview's hidden copy."""
    upload = form.file.data
    try:
        if upload and getattr(upload, "filename", ""):
            return upload.read(press_import.MAX_IMPORT_BYTES + 1), upload.filename[-200:]
        if form.content.data:
            data = base64.b64decode(form.content.data, validate=True)
            return data, (form.filename.data or "upload.csv")[-200:]
    except (binascii.Error, ValueError):
        problems.append((None, _("The uploaded file could not be read back. Choose the file "
                                 "again.")))
        return None, ""
    problems.append((None, _("Choose a CSV file.")))
    return None, ""


STATUS_LABELS = {"active": lambda: _("active"), "pending": lambda: _("awaiting confirmation"),
                 "unsubscribed": lambda: _("unsubscribed")}
ACTION_LABELS = {"new": lambda: _("new"), "updated": lambda: _("updated"),
                 "unchanged": lambda: _("unchanged")}


@bp.app_context_processor
def _press_labels():
    return {"press_status_label": lambda code: STATUS_LABELS[code](),
            "press_action_label": lambda code: ACTION_LABELS[code]()}


# --- journalists' pages ------------------------------------------------------------------

def _subscribe_limit() -> str:
    return current_app.config["COSIGN_PRESS_SUBSCRIBE_LIMIT"]


def _ip_key() -> str:
    return "press-subscribe-ip:" + (request.remote_addr or "")


@bp.route("/press/subscribe", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"], key_func=_ip_key, scope="press-subscribe")
def subscribe():
    g.no_store = True
    form = SubscribeForm()
    if form.validate_on_submit():
        try:
            subscription.subscribe(db.session(), _data(form),
                                   secret_key=current_app.config["SECRET_KEY"],
                                   link_for=link_for, site=current_app.config["COSIGN_SITE_NAME"],
                                   honeypot=bool(form.fax.data))
        except press.PressError as exc:
            show_error(form, exc, form.email)
        else:
            return redirect(url_for(".subscribe_sent"), 303)
    return render_template("press/subscribe.html", form=form), 422 if form.errors else 200


def subscribe_throttled():
    form = SubscribeForm()
    form.validate_on_submit()
    return render_template("press/subscribe.html", form=form, throttled=True), 429


@bp.get("/press/subscribe/sent")
def subscribe_sent():
    return render_template("press/subscribe_sent.html")


def _link_problem(exc: subscription.LinkInvalid):
    return link_problem(exc, subscription.LinkExpired,
                        _("Links in our e-mails work for a limited time. Subscribe "
                          "again to receive a new one."))


@bp.route("/press/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link in the confirmation e-mail shows what will happen (GET and HEAD change
    nothing: mail scanners open links); the page's button subscribes (POST)."""
    g.no_store, g.referrer_policy = True, "no-referrer"
    secret = current_app.config["SECRET_KEY"]
    max_age = current_app.config.get("COSIGN_CONFIRM_MAX_AGE", subscription.CONFIRM_MAX_AGE)
    site = current_app.config["COSIGN_SITE_NAME"]
    if request.method != "POST":  # GET, HEAD
        try:
            contact = subscription.read_confirmation(db.session(), token, secret_key=secret,
                                                     max_age=max_age)
        except subscription.LinkInvalid as exc:
            return _link_problem(exc)
        if contact.status == "pending":
            return render_template("press/confirm.html", contact=contact, site=site,
                                   form=ActionForm())
        if contact.status == "active":
            return render_template("public/link.html", heading=_("Already confirmed"),
                                   message=_("This subscription was confirmed before; nothing "
                                             "has changed."))
        return render_template("public/link.html", heading=_("Not subscribed"),
                               message=_("This address unsubscribed after the link was sent. "
                                         "Subscribe again to receive statements.")), 409
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        _contact, changed = subscription.confirm(db.session(), token, secret_key=secret,
                                                 max_age=max_age)
    except subscription.LinkInvalid as exc:
        return _link_problem(exc)
    except press.PressError as exc:
        return render_template("public/link.html", heading=_("Not subscribed"),
                               message=error_text(exc)), 409
    if changed:
        heading = _("Thank you: you are subscribed")
        message = _("%(site)s will send you its statements when they are published. Each "
                    "e-mail has a link to unsubscribe.", site=site)
    else:
        heading, message = _("Already confirmed"), _(
            "This subscription was confirmed before; nothing has changed.")
    return render_template("public/link.html", heading=heading, message=message)


@bp.route("/press/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a form
def unsubscribe(token: str):
    """The link in every press mail shows a page with a button (GET and HEAD change nothing:
    mail scanners open links); the button, or a mail client's one-click POST
    (``List-Unsubscribe=One-Click``, RFC 8058, no CSRF token), unsubscribes."""
    g.no_store, g.referrer_policy = True, "no-referrer"
    secret = current_app.config["SECRET_KEY"]
    site = current_app.config["COSIGN_SITE_NAME"]
    one_click = request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST" and not one_click and not ActionForm().validate_on_submit():
        abort(400)
    try:
        if request.method != "POST":  # GET, HEAD
            contact = subscription.read_unsubscribe(db.session(), token, secret_key=secret)
        else:
            contact, _changed = subscription.unsubscribe(db.session(), token, secret_key=secret)
    except subscription.LinkInvalid as exc:
        return _link_problem(exc)
    if one_click:
        return Response(_("Unsubscribed: %(site)s will send no more statements to this address.",
                          site=site) + "\n", mimetype="text/plain")
    if request.method == "POST" or contact is None or contact.status == "unsubscribed":
        return render_template("press/unsubscribed.html", contact=contact, token=token,
                               form=ActionForm())
    return render_template("press/unsubscribe.html", contact=contact, site=site,
                           form=ActionForm())


@bp.post("/press/unsubscribe/<token>/undo")
def resubscribe(token: str):
    g.no_store, g.referrer_policy = True, "no-referrer"
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        contact, _changed = subscription.resubscribe(
            db.session(), token, secret_key=current_app.config["SECRET_KEY"])
    except subscription.LinkInvalid as exc:
        return _link_problem(exc)
    if contact is None:
        return render_template("public/link.html", heading=_("Not on the press list"),
                               message=_("This address is no longer on the press list. Use the "
                                         "subscription form to subscribe again.")), 410
    return render_template("public/link.html", heading=_("You are subscribed again"),
                           message=_("%(site)s will send you its statements again.",
                                     site=current_app.config["COSIGN_SITE_NAME"]))
