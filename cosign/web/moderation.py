"""Moderating a statement's signatures: tabs by status, bulk decisions, add, import, export."""
from __future__ import annotations

import base64
import binascii

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
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from cosign import database, exports, moderation, pdfs, signing
from cosign.core import importer
from cosign.core.chart import timeline_svg
from cosign.core.countries import country_choices
from cosign.core.signatory import ORG_TYPES
from cosign.drafting import StatementNotFound
from cosign.errors import UserError
from cosign.extensions import db
from cosign.letters import FROM_THE_LETTER
from cosign.models import SIGNATURE_STATUSES
from cosign.web.converters import query_int, whole_number, whole_numbers
from cosign.web.desk import load_statement
from cosign.web.forms import (
    ActionForm,
    AddSignatureForm,
    DuplicateForm,
    ImportForm,
    LeadForm,
    PdfLayoutForm,
    RenameForm,
    country_options,
)
from cosign.web.links import link_for
from cosign.web.messages import error_text
from cosign.web.signatory_list import listings

bp = Blueprint("moderation", __name__, url_prefix="/desk/<slug>/signatures")


@bp.before_request
@login_required
def _members_only():
    g.no_store = True


def _countries():
    return country_choices(str(get_locale() or "en"))


def _filter(source) -> moderation.Filter:
    """The list's filter from the query (or the bulk form's copy of it); unknown values are
    dropped, an unknown status is a 404."""
    status = source.get("status", "confirmed")
    if status not in SIGNATURE_STATUSES:
        abort(404)
    org_type = source.get("type", "")
    return moderation.Filter(
        status=status, text=source.get("q", "")[:200], country=source.get("country", "")[:2],
        org_type=org_type if org_type in ORG_TYPES else "",
        similar=source.get("similar") == "1", verified=source.get("verified") == "1")


def _filter_args(where: moderation.Filter) -> dict:
    """``where`` as query arguments for url_for (the empty ones left out)."""
    args = {"status": where.status, "q": where.text, "country": where.country,
            "type": where.org_type, "similar": "1" if where.similar else "",
            "verified": "1" if where.verified else ""}
    return {k: v for k, v in args.items() if v}


@bp.get("/")
def index(slug: str):
    statement, member = load_statement(slug)
    where = _filter(request.args)
    page = query_int("page", 1, strict=False) or 1
    result = moderation.search(db.session(), statement.id, status=where.status, text=where.text,
                               country=where.country, org_type=where.org_type, page=page,
                               similar=where.similar, verified=where.verified)
    days = moderation.timeline(db.session(), statement.id)
    total = sum(n for _day, n in days)
    chart = timeline_svg(
        days, title=_("Sign-ons per day"),
        label_total=_("%(total)d sign-ons in %(days)d days", total=total, days=len(days)),
    ) if days else ""
    return render_template(
        "desk/signatures.html", statement=statement, member=member, status=where.status,
        where=where, filter_args=_filter_args(where),
        upto=moderation.newest_id(db.session(), statement.id, where) if result.items else 0,
        counts=moderation.status_counts(db.session(), statement.id),
        flagged=moderation.flagged_count(db.session(), statement.id),
        result=result, text=where.text, country=where.country, countries=_countries(),
        org_types=ORG_TYPES, similar=where.similar, verified=where.verified,
        similar_names=moderation.similar_names(db.session(), statement.id, result.items),
        chart=Markup(chart), action_form=ActionForm(), signing_open=signing.is_open(statement),
        pdf=pdfs.latest(db.session(), statement.id),
        layout_form=PdfLayoutForm(page_size=statement.pdf_page_size, columns=statement.pdf_columns,
                                  grouping=statement.pdf_grouping, order=statement.pdf_order),
    )


@bp.post("/pdf-layout")
def pdf_layout(slug: str):
    statement, _member = load_statement(slug)
    form = PdfLayoutForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the offered layouts."), "error")
    else:
        moderation.set_pdf_layout(db.session(), statement, _user_id(),
                                  page_size=form.page_size.data, columns=form.columns.data,
                                  grouping=form.grouping.data, order=form.order.data)
        flash(_("PDF layout saved. The PDF is made again."), "success")
    return redirect(url_for(".index", slug=slug, status="approved"))


# which decisions each tab offers (the buttons under the list)
ACTIONS = {"approve": ("confirmed", "rejected"), "reject": ("unconfirmed", "confirmed", "approved")}
BULK_SAMPLE = 10  # names shown on the confirmation page of a decision on "all that match"


@bp.post("/moderate")
def moderate(slug: str):
    """Approve or reject: the rows ticked, every row of the page, or every signature that
    matches the list's filter. The last shows its count (and a few names) on a page of its
    own first, and acts only when that page's button is pressed."""
    statement, member = load_statement(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    action = request.form.get("action")
    scope = request.form.get("scope", "selected")
    if action not in ACTIONS or scope not in ("selected", "page", "all"):
        abort(400)
    where = _filter(request.form)
    if scope == "all":
        upto = whole_number(request.form.get("upto", ""))
        if upto is None:
            abort(400)
        found = moderation.matching(db.session(), statement.id, where, upto=upto)
        if request.form.get("confirm") != "1":
            return render_template(
                "desk/signature_bulk.html", statement=statement, member=member, action=action,
                where=where, filter_args=_filter_args(where), upto=upto, total=len(found),
                sample=found[:BULK_SAMPLE], countries=dict(_countries()),
                shown=whole_number(request.form.get("shown", "")))
        ids = [s.id for s in found]
    else:
        ids = whole_numbers(request.form.getlist("ids" if scope == "selected" else "page_ids"))
    if not ids:
        flash(_("Select at least one signature."), "error")
    elif action == "approve":
        try:
            n = moderation.approve(db.session(), statement, ids, _user_id(),
                                   secret_key=current_app.config["SECRET_KEY"],
                                   link_for=link_for)
        except UserError as exc:
            flash(error_text(exc), "error")
        else:
            flash(_("%(n)d approved.", n=n), "success")
    else:
        n = moderation.reject(db.session(), statement, ids, _user_id())
        flash(_("%(n)d rejected.", n=n), "success")
    return redirect(url_for(".index", slug=slug, **_filter_args(where)))


def _user_id() -> int:
    return current_user.id


def _signature_or_404(statement, signature_id):
    try:
        return moderation.get(db.session(), statement, signature_id)
    except StatementNotFound:
        abort(404)


@bp.get("/<int:signature_id>")
def detail(slug: str, signature_id: int):
    statement, member = load_statement(slug)
    signature = _signature_or_404(statement, signature_id)
    return _detail(statement, member, signature, RenameForm(public_name=signature.public_name),
                   _duplicate_form(statement, signature))


@bp.post("/<int:signature_id>/same")
def same(slug: str, signature_id: int):
    """One click: the "possibly the same" sign-on is a duplicate of the one it resembles."""
    statement, _member = load_statement(slug)
    signature = _signature_or_404(statement, signature_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if signature.similar_to_id is None:
        flash(_("This signature is not marked as possibly the same as another."), "error")
    else:
        try:
            moderation.mark_duplicate(db.session(), statement, signature.id,
                                      signature.similar_to_id, _user_id())
        except StatementNotFound:
            flash(_("The other signature is no longer there."), "error")
        except UserError as exc:
            flash(error_text(exc), "error")
        else:
            flash(_("Marked as duplicate and rejected."), "success")
    return redirect(_back(slug, signature))


@bp.post("/<int:signature_id>/not-same")
def not_same(slug: str, signature_id: int):
    """One click: the "possibly the same" sign-on is another organisation."""
    statement, _member = load_statement(slug)
    signature = _signature_or_404(statement, signature_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    moderation.not_the_same(db.session(), statement, signature.id, _user_id())
    flash(_("Marked as a different organisation."), "success")
    return redirect(_back(slug, signature))


def _back(slug: str, signature) -> str:
    if request.form.get("back") == "list":
        return url_for(".index", slug=slug, status=request.form.get("status")
                       if request.form.get("status") in SIGNATURE_STATUSES else "confirmed")
    return url_for(".detail", slug=slug, signature_id=signature.id)


def _duplicate_form(statement, signature, formdata=None):
    form = DuplicateForm(formdata=formdata)
    others = moderation.search(db.session(), statement.id, status="approved", per_page=500).items
    others += moderation.search(db.session(), statement.id, status="confirmed", per_page=500).items
    form.duplicate_of.choices = [SelectChoice(s.id, s.public_name) for s in others
                                 if s.id != signature.id]
    return form


def _detail(statement, member, signature, rename_form, duplicate_form, status=200,
            lead_form=None):
    return render_template("desk/signature.html", statement=statement, member=member,
                           signature=signature, rename_form=rename_form,
                           similar_names=moderation.similar_names(db.session(), statement.id,
                                                                  [signature]),
                           action_form=ActionForm(),
                           duplicate_form=duplicate_form,
                           lead_form=lead_form or LeadForm(lead_rank=signature.lead_rank)), status


@bp.post("/<int:signature_id>/lead")
def lead(slug: str, signature_id: int):
    statement, member = load_statement(slug)
    signature = _signature_or_404(statement, signature_id)
    form = LeadForm()
    if form.validate_on_submit():
        try:
            moderation.set_lead_rank(db.session(), statement, signature.id, form.lead_rank.data,
                                     _user_id())
        except UserError as exc:
            form.lead_rank.errors = [error_text(exc)]
        else:
            flash(_("Position saved."), "success")
            return redirect(url_for(".detail", slug=slug, signature_id=signature.id))
    return _detail(statement, member, signature, RenameForm(public_name=signature.public_name),
                   _duplicate_form(statement, signature), 422, lead_form=form)


@bp.post("/<int:signature_id>/rename")
def rename(slug: str, signature_id: int):
    statement, member = load_statement(slug)
    signature = _signature_or_404(statement, signature_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            moderation.rename(db.session(), statement, signature.id, form.public_name.data,
                              _user_id())
        except UserError as exc:
            form.public_name.errors = [error_text(exc)]
        else:
            flash(_("Name saved."), "success")
            return redirect(url_for(".detail", slug=slug, signature_id=signature.id))
    return _detail(statement, member, signature, form, _duplicate_form(statement, signature), 422)


@bp.post("/<int:signature_id>/duplicate")
def duplicate(slug: str, signature_id: int):
    statement, member = load_statement(slug)
    signature = _signature_or_404(statement, signature_id)
    form = _duplicate_form(statement, signature, formdata=request.form)
    if form.validate_on_submit():
        try:
            moderation.mark_duplicate(db.session(), statement, signature.id, form.duplicate_of.data,
                                      _user_id())
        except StatementNotFound:
            form.duplicate_of.errors = [_("Choose a signature of this statement.")]
        except UserError as exc:
            form.duplicate_of.errors = [error_text(exc)]
        else:
            flash(_("Marked as duplicate and rejected."), "success")
            return redirect(url_for(".detail", slug=slug, signature_id=signature.id))
    return _detail(statement, member, signature, RenameForm(public_name=signature.public_name),
                   form, 422)


@bp.route("/add", methods=["GET", "POST"])
def add(slug: str):
    database.set_write_intent(False)  # the service takes the write lock after its reads
    statement, member = load_statement(slug)
    form = AddSignatureForm(countries=country_options(str(get_locale() or "en")))
    if form.validate_on_submit():
        try:
            moderation.add(db.session(), statement, _sign_on(form), _user_id())
        except UserError as exc:
            field = getattr(form, exc.field or "", None) or form.organisation
            field.errors = list(field.errors) + [error_text(exc)]
        else:
            flash(_("Signature added."), "success")
            return redirect(url_for(".index", slug=slug, status="approved"))
    return render_template("desk/signature_add.html", statement=statement, member=member,
                           form=form), 422 if form.errors else 200


def _sign_on(form) -> signing.SignOn:
    return signing.SignOn(
        organisation=form.organisation.data, country=form.country.data,
        email=form.email.data or "", contact_name=form.contact_name.data or "",
        org_type=form.org_type.data, city=form.city.data or "", website=form.website.data or "",
        contact_role=form.contact_role.data or "", display=form.display.data,
        message=form.message.data or "", kind=form.kind.data or "organisation",
    )


PROBLEMS = {
    "missing-column": lambda p: _("The column “%(col)s” is missing.", col=p.value),
    "unknown-column": lambda p: _("Unknown column “%(col)s”.", col=p.value),
    "empty-name": lambda p: _("The name is empty."),
    "long-name": lambda p: _("The name is longer than 200 characters."),
    "country": lambda p: _("Unknown country “%(value)s”.", value=p.value),
    "type": lambda p: _("Unknown organisation type “%(value)s”.", value=p.value),
    "display": lambda p: _("Display must be “named” or “withheld”, not “%(value)s”.",
                           value=p.value),
    "website": lambda p: _("The website must start with https:// or http://."),
    "email": lambda p: _("“%(value)s” is not an e-mail address.", value=p.value),
    "too-many-rows": lambda p: _("Too many rows: at most %(max)s.", max=p.value),
    "not-csv": lambda p: _("This is not a CSV file."),
    "empty-file": lambda p: _("The file is empty."),
    "no-rows": lambda p: _("The file has a header row but no signatures."),
    "encoding": lambda p: _("The file is not UTF-8 text. Save it as “CSV UTF-8”."),
}


@bp.route("/import", methods=["GET", "POST"])
def import_csv(slug: str):
    database.set_write_intent(False)  # the service takes the write lock after its reads
    statement, member = load_statement(slug)
    form = ImportForm()
    result, status = None, 200
    problems: list[tuple[int | None, str]] = []
    if form.validate_on_submit():
        text, filename = _uploaded_text(form, problems)
        if text is not None:
            result = importer.read_csv(text)
            problems = [(p.line, PROBLEMS[p.code](p)) for p in result.problems]
            form.content.data = base64.b64encode(text.encode()).decode()
            form.filename.data = filename
            if form.confirm.data and result.ok:
                try:
                    n = moderation.import_file(db.session(), statement, result.rows, filename,
                                               _user_id())
                except UserError as exc:
                    problems.append((None, error_text(exc)))
                else:
                    flash(ngettext("%(num)d signature imported from %(file)s.",
                                   "%(num)d signatures imported from %(file)s.", n, file=filename),
                          "success")
                    return redirect(url_for(".index", slug=slug, status="approved"))
        status = 422 if problems else 200
    return render_template("desk/signature_import.html", statement=statement, member=member,
                           form=form, result=result, problems=problems,
                           columns=importer.COLUMNS), status


def _uploaded_text(form, problems):
    """(text, filename) from the upload or from the preview's hidden copy."""
    upload = form.file.data
    try:
        if upload and getattr(upload, "filename", ""):
            data = upload.read(importer.MAX_BYTES + 1)
            filename = upload.filename
        elif form.content.data:
            data = base64.b64decode(form.content.data, validate=True)
            filename = form.filename.data or "upload.csv"
        else:
            problems.append((None, _("Choose a CSV file.")))
            return None, ""
    except (binascii.Error, ValueError):
        problems.append((None, _("The uploaded file could not be read back. Choose the file "
                                 "again.")))
        return None, ""
    if len(data) > importer.MAX_BYTES:
        problems.append((None, _("The file is larger than 5 MB.")))
        return None, ""
    try:
        return importer.decode(data), filename[-200:]
    except UnicodeDecodeError:
        problems.append((None, _("The file is not UTF-8 text. Save it as “CSV UTF-8”.")))
        return None, ""


@bp.get("/export.<fmt>")
def export(slug: str, fmt: str):
    statement, _member = load_statement(slug)
    full = request.args.get("full") == "1"
    name = f"{statement.slug}-signatories{'-full' if full else ''}"
    public_lists = None if full else listings()  # the public export: from the kept snapshot
    body: str | bytes
    if fmt == "csv":
        body = exports.to_csv(db.session(), statement, full=full, listings=public_lists)
        mimetype = "text/csv"
    elif fmt == "xlsx":
        body = exports.to_xlsx(db.session(), statement, full=full, listings=public_lists)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


STATUS_LABELS = {
    "unconfirmed": lambda: _("Unconfirmed"), "confirmed": lambda: _("To review"),
    "approved": lambda: _("Approved"), "rejected": lambda: _("Rejected"),
    "withdrawn": lambda: _("Withdrawn"),
}


def provenance_label(signature) -> str:
    if signature.provenance == "web":
        return _("signed online")
    if signature.provenance == "added":
        return _("added by %(name)s", name=signature.provenance_detail)
    if signature.provenance_detail == FROM_THE_LETTER:
        return _("imported from the letter")
    return signature.provenance_detail or _("imported")


SIMILAR_REASONS = {
    "website": lambda: _("same website"),
    "translation": lambda: _("same website, name in another language"),
    "look-alike": lambda: _("looks the same"),
    "abbreviation": lambda: _("abbreviation"),
    "spelling": lambda: _("similar spelling"),
    "email-domain": lambda: _("same e-mail domain"),
}


def similar_reason_label(code: str) -> str:
    label = SIMILAR_REASONS.get(code)
    return label() if label else code


@bp.app_context_processor
def _moderation_labels():
    return {"signature_status_label": lambda code: STATUS_LABELS[code](),
            "provenance_label": provenance_label,
            "similar_reason_label": similar_reason_label}
