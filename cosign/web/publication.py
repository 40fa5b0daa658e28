"""Desk pages for publication: publish or schedule, and the press distribution."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cosign import accounts, distribution, embargo, pdfs, press, publishing, signatories
from cosign import summary as publication_summary
from cosign.errors import UserError
from cosign.extensions import db
from cosign.models import IssuedPdf
from cosign.web.converters import whole_number
from cosign.web.desk import load_statement
from cosign.web.forms import ActionForm
from cosign.web.labels import local_time
from cosign.web.messages import error_text, show_error
from cosign.web.publication_forms import ConfirmForm, EarlierSignersForm, PublishForm

bp = Blueprint("publication", __name__, url_prefix="/desk")


@bp.before_request
@login_required
def _members_only():
    g.no_store = True


@bp.route("/<slug>/publish", methods=["GET", "POST"])
def publish(slug: str):
    """The options of the publication; they lead to the summary, which publishes."""
    stmt, member = load_statement(slug)
    if stmt.status == "published":
        return redirect(url_for(".distribution_page", slug=stmt.slug))
    tags = press.all_tags(db.session())
    back = request.method == "GET" and "when" in request.args  # "Change" on the summary
    form = PublishForm(formdata=request.args, tags=tags) if back else PublishForm(tags=tags)
    if not form.is_submitted() and not back:
        form.timezone.data = stmt.publish_timezone if stmt.publish_at else current_user.timezone
        if stmt.publish_at:
            form.when.data = "later"
            local = embargo.in_zone(stmt.publish_at, stmt.publish_timezone)
            form.at.data = local.replace(tzinfo=None)
            form.keep_open.data, form.press_selection.data = stmt.keep_open, stmt.press_selection
            form.press_tags.data = [t for t in stmt.press_tags.split(",") if t]
            form.embargoed_copy.data = stmt.press_embargoed_copy
        form.earlier_signers.data = stmt.earlier_signers
    if form.validate_on_submit():
        try:
            publishing.check(db.session(), stmt, _options(form))
        except UserError as exc:  # NeedsConfirmation too: its message is on the checkbox
            show_error(form, exc)
        else:  # stores nothing: the summary's button publishes
            return redirect(url_for(".summary", slug=stmt.slug, **form.query()), 303)
    approved = signatories.approved_count(db.session(), stmt.id)
    versions = publishing.version_counts(db.session(), stmt)
    everyone, per_tag = press.tag_counts(db.session())
    return render_template("publication/publish.html", statement=stmt, member=member, form=form,
                           approved=approved, versions=versions, everyone=everyone,
                           per_tag=per_tag), 422 if form.errors else 200


def _options(form: PublishForm) -> publishing.PublishOptions:
    at = embargo.to_utc(form.at.data, form.timezone.data) if form.when.data == "later" else None
    return publishing.PublishOptions(
        at=at, timezone=form.timezone.data, keep_open=form.keep_open.data,
        press_selection=form.press_selection.data,
        press_tags=tuple(form.press_tags.data or ()), embargoed_copy=form.embargoed_copy.data,
        confirm_empty=form.confirm_empty.data, earlier_signers=form.earlier_signers.data)


@bp.get("/<slug>/publish/summary")
def summary(slug: str):
    """What publishing with the options in the query string will do; nothing is stored
    (but a render of an outdated PDF is asked for). Its button publishes."""
    stmt, member = load_statement(slug)
    if stmt.status == "published":
        return redirect(url_for(".distribution_page", slug=stmt.slug))
    form = ConfirmForm(formdata=request.args, tags=press.all_tags(db.session()),
                       meta={"csrf": False})
    if not form.validate() and set(form.errors) - {"fingerprint"}:  # not from the form
        flash(_("Choose how to publish first."), "error")
        return redirect(url_for(".publish", slug=stmt.slug), 303)
    options = _options(form)
    try:
        publishing.check(db.session(), stmt, options)
    except UserError as exc:
        flash(error_text(exc), "error")
        return redirect(url_for(".publish", slug=stmt.slug, **form.query()), 303)
    return _summary(stmt, member, form, options)


def _summary(stmt, member, form: ConfirmForm, options, status: int = 200):
    shown = publication_summary.build(db.session(), stmt, options)
    preview = shown.pdf is not None and pdfs.preview_path(current_app.config, shown.pdf).exists()
    # an outdated PDF, or one issued before its first page was made: the worker (re)does it
    asked = not (shown.pdf_current and preview) and (
        pdfs.request_render(db.session(), stmt) or stmt.pdf_wanted_at is not None)
    form.fingerprint.data = shown.fingerprint
    return render_template("publication/summary.html", statement=stmt, member=member,
                           form=form, summary=shown, preview=preview, reload=asked,
                           refresh=int(current_app.config.get("COSIGN_PDF_RETRY_AFTER") or 10),
                           change_url=url_for(".publish", slug=stmt.slug, **form.query())), status


@bp.post("/<slug>/publish/confirm")
def confirm(slug: str):
    """The summary's button: publish (or schedule) and send, if nothing changed since."""
    stmt, member = load_statement(slug)
    if stmt.status == "published":  # a second click: it is done
        flash(_("This statement is published already."), "info")
        return redirect(url_for(".distribution_page", slug=stmt.slug), 303)
    form = ConfirmForm(tags=press.all_tags(db.session()))
    if not form.validate_on_submit():
        if form.errors.keys() <= {"fingerprint"}:  # not sent by the summary's button
            flash(_("Publishing needs the summary's button: check the summary, then publish."),
                  "error")
            return redirect(url_for(".summary", slug=stmt.slug, **form.query()), 303)
        flash(_("Choose how to publish first."), "error")
        return redirect(url_for(".publish", slug=stmt.slug), 303)
    options = _options(form)
    try:
        publication_summary.publish(db.session(), stmt, current_user.id, options,
                                    form.fingerprint.data)
    except (publication_summary.StaleSummary, publication_summary.PdfPending) as exc:
        db.session.rollback()
        flash(error_text(exc), "error")
        return _summary(stmt, member, form, options, 409)
    except UserError as exc:
        db.session.rollback()
        flash(error_text(exc), "error")
        return redirect(url_for(".publish", slug=stmt.slug, **form.query()), 303)
    accounts.set_timezone(db.session(), current_user.id, form.timezone.data)
    if options.at is None:
        flash(_("The statement is published."), "success")
    else:
        flash(_("Publication is scheduled for %(when)s.",
                when=local_time(stmt.publish_at, stmt.publish_timezone, markup=False)),
              "success")
    return redirect(url_for(".distribution_page", slug=stmt.slug), 303)


@bp.get("/<slug>/publish/preview.png")
def preview(slug: str):
    """The first page of the statement's newest PDF (``?pdf=``: of that issued PDF), made
    by the worker; members only."""
    stmt, _member = load_statement(slug)
    issued = pdfs.latest(db.session(), stmt.id)
    if "pdf" in request.args:
        wanted = whole_number(request.args["pdf"])
        issued = db.session.get(IssuedPdf, wanted) if wanted is not None else None
    if issued is None or issued.statement_id != stmt.id:
        abort(404)
    path = pdfs.preview_path(current_app.config, issued)
    db.session.rollback()
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=0)


@bp.post("/<slug>/publish/cancel")
def cancel(slug: str):
    stmt, _member = load_statement(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        publishing.cancel_schedule(db.session(), stmt, current_user.id)
    except UserError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("The scheduled publication is called off."), "success")
    return redirect(url_for(".publish", slug=slug), 303)


@bp.post("/<slug>/earlier-signers")
def earlier_signers(slug: str):
    """How a published statement shows the signatories of an earlier version (after a
    correction): apart, or not at all."""
    stmt, member = load_statement(slug)
    form = EarlierSignersForm()
    if form.validate_on_submit():
        try:
            publishing.set_earlier_signers(db.session(), stmt, current_user.id,
                                           form.earlier_signers.data)
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("Saved. The page, the API and the PDF follow this choice."), "success")
            return redirect(url_for(".distribution_page", slug=stmt.slug), 303)
    return _distribution(stmt, member, form), 422


@bp.get("/<slug>/distribution")
def distribution_page(slug: str):
    stmt, member = load_statement(slug)
    form = EarlierSignersForm(data={"earlier_signers": stmt.earlier_signers})
    return _distribution(stmt, member, form)


def _distribution(stmt, member, earlier_form: EarlierSignersForm) -> str:
    return render_template(
        "publication/distribution.html", statement=stmt, member=member,
        versions=publishing.version_counts(db.session(), stmt), earlier_form=earlier_form,
        rows=distribution.rows(db.session(), stmt.id),
        pending=distribution.pending_count(db.session(), stmt),
        preparing=distribution.awaiting_first_run(db.session(), stmt),
        scheduled=local_time(stmt.publish_at, stmt.publish_timezone) if stmt.publish_at else "",
        correction=publishing.correction(db.session(), stmt))


@bp.post("/<slug>/distribution/<int:delivery_id>/resend")
def resend(slug: str, delivery_id: int):
    stmt, _member = load_statement(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        delivery = distribution.resend(db.session(), stmt, delivery_id, current_user.id,
                                       current_app.config, render=False)
    except UserError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("Sent again to %(email)s.", email=delivery.email), "success")
    return redirect(url_for(".distribution_page", slug=slug), 303)


@bp.post("/<slug>/distribution/send")
def send_pending(slug: str):
    """Send to selected contacts who have not received the statement (added since)."""
    stmt, _member = load_statement(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    kind = "final" if stmt.status == "published" else "embargoed"
    try:
        count = distribution.distribute(db.session(), stmt.id, kind, current_app.config,
                                        render=False)
    except UserError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("Queued for %(num)d more recipients.", num=count), "success")
    return redirect(url_for(".distribution_page", slug=slug), 303)
