"""The drafting desk: a coordinator's statements, text, history, comments, members."""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cosign import (
    audit,
    drafting,
    letters,
    logos,
    membership,
    moderation,
    pdfs,
    signing,
    translating,
)
from cosign.core.document import paragraph_key, paragraphs
from cosign.core.language import text_direction
from cosign.core.markdown import render_markdown
from cosign.core.pdf import PdfDocument, printed_lines
from cosign.drafting import DraftingError, StatementNotFound, Text
from cosign.errors import N_, UserError
from cosign.extensions import db
from cosign.models import Revision, TranslationRevision
from cosign.web import share, text_pages
from cosign.web.converters import query_int
from cosign.web.diffs import diff_context
from cosign.web.forms import (
    ActionForm,
    CommentForm,
    CopyForm,
    EditForm,
    InviteForm,
    LogoForm,
    NewStatementForm,
    OpenForm,
    PreviewForm,
    SettingsForm,
    goal_number,
)
from cosign.web.links import link_for as public_link_for
from cosign.web.links import site_url
from cosign.web.messages import error_text, show_error

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.before_request
@login_required
def _members_only():
    g.no_store = True


def load_statement(slug: str):
    """The statement and the current user's membership, or 404."""
    try:
        return membership.get_for_member(db.session(), slug, current_user.id)
    except StatementNotFound:
        abort(404)


def _form_status(form) -> int:
    return 422 if form.errors else 200


@bp.get("/")
def dashboard():
    rows = drafting.statements_for_user(db.session(), current_user.id)
    counts = drafting.open_comment_counts(db.session(), [s.id for s, _role in rows])
    return render_template("desk/dashboard.html", rows=rows, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = NewStatementForm()
    if form.validate_on_submit():
        try:
            statement = drafting.create_statement(
                db.session(), current_user.id,
                Text(form.title.data, form.body.data, form.place.data or "", form.date.data),
                slug=form.slug.data or None, language=form.language.data,
                coalition=form.coalition.data or "", press_name=form.press_name.data or "",
                press_email=form.press_email.data or "", press_phone=form.press_phone.data or "",
            )
        except DraftingError as exc:
            show_error(form, exc)
        else:
            flash(_("Draft created."), "success")
            return redirect(url_for(".statement", slug=statement.slug))
    return render_template("desk/new.html", form=form), _form_status(form)


def paragraph_view(revision, comment_list):
    """The current text as paragraphs, each with its HTML and its comments."""
    by_key: dict[str, list] = {}
    for comment in comment_list:
        by_key.setdefault(comment.paragraph_key, []).append(comment)
    shown = set()
    items = []
    for text in paragraphs(revision.body):
        key = paragraph_key(text)
        items.append({"key": key, "html": render_markdown(text),
                      "comments": by_key.get(key, []) if key not in shown else []})
        shown.add(key)
    orphans = [c for c in comment_list if c.paragraph_key not in shown]
    return items, orphans


@bp.get("/<slug>/")
def statement(slug: str):
    stmt, member = load_statement(slug)
    revision = drafting.current_revision(db.session(), stmt)
    items, orphans = paragraph_view(revision, drafting.comments(db.session(), stmt.id))
    return render_template(
        "desk/statement.html", statement=stmt, member=member, revision=revision,
        text=text_pages.authoritative(stmt),
        items=items, orphans=orphans, comment_form=CommentForm(), action_form=ActionForm(),
        direction=text_direction(stmt.language), open_paragraph=request.args.get("comment"),
    )


@bp.post("/<slug>/comments")
def add_comment(slug: str):
    stmt, member = load_statement(slug)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            comment = drafting.add_comment(db.session(), stmt, current_user.id,
                                           form.paragraph.data, form.body.data)
        except DraftingError as exc:
            flash(error_text(exc), "error")
        else:
            flash(_("Comment added."), "success")
            return redirect(url_for(".statement", slug=slug, _anchor=f"p-{comment.paragraph_key}"))
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for(".statement", slug=slug))


@bp.post("/<slug>/comments/<int:comment_id>/resolve")
def resolve_comment(slug: str, comment_id: int):
    stmt, _member = load_statement(slug)
    if ActionForm().validate_on_submit():
        try:
            comment = drafting.resolve_comment(db.session(), stmt, comment_id, current_user.id)
        except StatementNotFound:
            abort(404)
        flash(_("Comment resolved."), "success")
        return redirect(url_for(".statement", slug=slug, _anchor=f"p-{comment.paragraph_key}"))
    abort(400)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    stmt, member = load_statement(slug)
    current = drafting.current_revision(db.session(), stmt)
    form = EditForm()
    preview_html = None
    status = 200
    if request.method == "GET":
        form.title.data, form.place.data = current.title, current.place
        form.date.data, form.body.data = current.date, current.body
        form.base_revision.data = str(current.number)
    elif form.validate_on_submit():
        if form.preview.data:
            preview_html = render_markdown(form.body.data)
        else:
            text = Text(form.title.data, form.body.data, form.place.data or "", form.date.data)
            try:
                if stmt.status in signing.CORRECTABLE:
                    revision, asked = signing.save_new_version(
                        db.session(), stmt, current_user.id, text, note=form.note.data or "",
                        base_revision=int(form.base_revision.data),
                        secret_key=current_app.config["SECRET_KEY"], link_for=public_link_for)
                    flash(_("%(n)d signatories were asked to re-confirm for the new version.",
                            n=asked), "info")
                else:
                    revision = drafting.save_revision(
                        db.session(), stmt, current_user.id, text, note=form.note.data or "",
                        base_revision=int(form.base_revision.data))
            except drafting.NothingChanged as exc:
                flash(error_text(exc), "info")
                return redirect(url_for(".statement", slug=slug))
            except drafting.EditConflict as exc:
                show_error(form, exc)
                status = 409
            except DraftingError as exc:
                show_error(form, exc)
                status = 422
            else:
                flash(_("Revision %(n)d saved.", n=revision.number), "success")
                return redirect(url_for(".diff", slug=slug, a=revision.number - 1,
                                        b=revision.number))
    else:
        status = 422
    return render_template(
        "desk/edit.html", statement=stmt, member=member, form=form, current=current,
        text=text_pages.authoritative(stmt),
        preview_html=preview_html, direction=text_direction(stmt.language),
    ), status


@bp.post("/preview")
def preview():
    """The rendered Markdown for the live preview (used by static/js/preview.js)."""
    form = PreviewForm()
    if not form.validate_on_submit():
        return jsonify(error=_("The text could not be previewed.")), 400
    return jsonify(html=render_markdown(form.body.data or ""))


@bp.get("/<slug>/history")
def history(slug: str):
    stmt, member = load_statement(slug)
    revision_list = drafting.revisions(db.session(), stmt.id)
    return render_template("desk/history.html", statement=stmt, member=member,
                           text=text_pages.authoritative(stmt),
                           revisions=revision_list, action_form=ActionForm())


def _revision_number(name: str, default: int) -> int:
    return query_int(name, default, minimum=0)


@bp.get("/<slug>/diff")
def diff(slug: str):
    stmt, member = load_statement(slug)
    b = _revision_number("b", stmt.current_revision)
    a = _revision_number("a", max(1, b - 1))
    try:
        old = drafting.get_revision(db.session(), stmt.id, a)
        new = drafting.get_revision(db.session(), stmt.id, b)
    except StatementNotFound:
        abort(404)
    return render_template(
        "desk/diff.html", statement=stmt, member=member, old=old, new=new,
        text=text_pages.authoritative(stmt),
        revisions=drafting.revisions(db.session(), stmt.id),
        direction=text_direction(stmt.language),
        **diff_context(old, new))


@bp.get("/<slug>/revisions/<int:number>")
def revision(slug: str, number: int):
    stmt, member = load_statement(slug)
    try:
        rev = drafting.get_revision(db.session(), stmt.id, number)
    except StatementNotFound:
        abort(404)
    return render_template("desk/revision.html", statement=stmt, member=member, revision=rev,
                           text=text_pages.authoritative(stmt),
                           html=render_markdown(rev.body), action_form=ActionForm(),
                           direction=text_direction(stmt.language))


@bp.post("/<slug>/revisions/<int:number>/restore")
def restore(slug: str, number: int):
    stmt, _member = load_statement(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        revision = drafting.restore_revision(db.session(), stmt, number, current_user.id)
    except StatementNotFound:
        abort(404)
    except DraftingError as exc:
        flash(error_text(exc), "info")
        return redirect(url_for(".history", slug=slug))
    flash(_("Revision %(old)d restored as revision %(new)d.", old=number, new=revision.number),
          "success")
    return redirect(url_for(".statement", slug=slug))


@bp.route("/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str):
    stmt, member = load_statement(slug)
    form = SettingsForm(obj=stmt)
    if form.validate_on_submit():
        try:
            drafting.update_settings(
                db.session(), stmt, current_user.id, slug=form.slug.data or "",
                language=form.language.data, coalition=form.coalition.data or "",
                press_name=form.press_name.data or "", press_email=form.press_email.data or "",
                press_phone=form.press_phone.data or "",
            )
            moderation.require_domain_verified(db.session(), stmt, bool(
                form.require_domain_verified.data), current_user.id)
            drafting.set_signature_goal(db.session(), stmt, current_user.id,
                                        goal_number(form.signature_goal.data))
        except DraftingError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for(".settings", slug=stmt.slug))
    return _settings_page(stmt, member, form, LogoForm(), _form_status(form))


def _settings_page(stmt, member, form, logo_form, status: int):
    return render_template("desk/settings.html", statement=stmt, member=member, form=form,
                           logo_form=logo_form, share=share.kit(stmt)), status


@bp.post("/<slug>/logo")
def logo(slug: str):
    stmt, member = load_statement(slug)
    form = LogoForm()
    if not form.validate_on_submit():
        abort(400)
    storage = current_app.config["COSIGN_STORAGE_DIR"]
    try:
        if form.remove.data:
            logos.set_logo(db.session(), stmt, current_user.id, None, storage)
            flash(_("The logo is removed."), "success")
        else:
            upload = form.logo.data
            data = upload.read(logos.MAX_BYTES + 1) if upload and upload.filename else b""
            if not data:
                raise logos.LogoError(N_("Choose an image file."), "logo")
            logos.set_logo(db.session(), stmt, current_user.id, data, storage)
            flash(_("The logo is saved; the PDF is made again."), "success")
    except UserError as exc:
        form.logo.errors = [error_text(exc)]
        return _settings_page(stmt, member, SettingsForm(obj=stmt), form, 422)
    return redirect(url_for(".settings", slug=stmt.slug))


@bp.route("/<slug>/members", methods=["GET", "POST"])
def members(slug: str):
    stmt, member = load_statement(slug)
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if member.role != "owner":
            abort(403)
        if form.validate_on_submit():
            try:
                invitation = membership.invite(
                    db.session(), stmt, member, form.email.data, form.role.data,
                    secret_key=current_app.config["SECRET_KEY"],
                    link_for=lambda token: site_url("auth.invitation", token=token),
                    locale=str(get_locale() or "en"),
                )
            except DraftingError as exc:
                show_error(form, exc)
                status = 422
            else:
                flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
                return redirect(url_for(".members", slug=slug))
        else:
            status = 422
    return render_template(
        "desk/members.html", statement=stmt, member=member, form=form,
        members=membership.members(db.session(), stmt.id),
        invitations=membership.pending_invitations(db.session(), stmt.id),
    ), status


@bp.get("/<slug>/audit")
def audit_log(slug: str):
    stmt, member = load_statement(slug)
    return render_template("desk/audit.html", statement=stmt, member=member,
                           events=audit.events_for(db.session(), stmt.id))


@bp.get("/<slug>/export.docx")
def export_docx(slug: str):
    """The current text (``?language=``: that translation's) as a Word file, with the list
    of signatories as the PDF prints it."""
    stmt, _member = load_statement(slug)
    translated = request.args.get("language") or ""
    revision: Revision | TranslationRevision
    if translated:
        try:
            translation = translating.get(db.session(), stmt.id, translated)
        except StatementNotFound:
            abort(404)
        revision = translating.current_revision(db.session(), translation)
    else:
        revision = drafting.current_revision(db.session(), stmt)
    language = translated or stmt.language
    signatories = pdfs.print_lists(db.session(), stmt)[0] if stmt.signed_revision else []
    document = PdfDocument(title=revision.title, body=revision.body, place=revision.place,
                           date=revision.date, language=language)
    dateline, heading, entries = printed_lines(document, signatories)
    # deferred: python-docx takes ~0.07 s to import; only this download needs it
    from cosign.core.word import statement_docx

    data = statement_docx(title=revision.title, body=revision.body, language=language,
                          dateline=dateline, list_heading=heading, entries=entries)
    db.session.rollback()
    name = f"{stmt.slug}-{translated}" if translated else stmt.slug
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{name}.docx",
                     mimetype="application/vnd.openxmlformats-officedocument."
                              "wordprocessingml.document")


@bp.route("/<slug>/copy", methods=["GET", "POST"])
def copy(slug: str):
    """A new draft from this statement: its text and settings, never its signatures."""
    stmt, member = load_statement(slug)
    form = CopyForm()
    if form.validate_on_submit():
        new = drafting.copy_statement(db.session(), stmt, current_user.id,
                                      press_contact=form.press_contact.data)
        flash(_("New draft made from “%(title)s”. No signatures were copied.",
                title=stmt.title), "success")
        return redirect(url_for(".statement", slug=new.slug))
    revision = drafting.current_revision(db.session(), stmt)
    return render_template("desk/copy.html", statement=stmt, member=member, form=form,
                           revision=revision), _form_status(form)


@bp.route("/<slug>/open", methods=["GET", "POST"])
def open_for_signature(slug: str):
    stmt, member = load_statement(slug)
    if stmt.status != "draft":
        flash(_("This statement is already open for signature."), "info")
        return redirect(url_for("moderation.index", slug=stmt.slug))
    form = OpenForm()
    if form.validate_on_submit():
        options = signing.OpenOptions(
            deadline=form.deadline.data, auto_approve=form.auto_approve.data,
            allow_individuals=form.allow_individuals.data, public_list=form.public_list.data,
            visibility=form.visibility.data)
        try:
            signing.open_for_signature(db.session(), stmt, current_user.id, options)
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("The statement is open for signature. Share its public page."), "success")
            return redirect(url_for("moderation.index", slug=stmt.slug))
    revision = drafting.current_revision(db.session(), stmt)
    return render_template("desk/open.html", statement=stmt, member=member, form=form,
                           revision=revision,
                           from_letter=letters.waiting_from_letter(db.session(), stmt)
                           ), _form_status(form)


@bp.post("/<slug>/close")
def close(slug: str):
    stmt, _member = load_statement(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        signing.close(db.session(), stmt, current_user.id)
    except UserError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("Signing is closed."), "success")
    return redirect(url_for("moderation.index", slug=slug))
