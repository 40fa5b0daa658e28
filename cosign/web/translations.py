"""The desk's translations of a statement: list, add, text and comments, edit, history, diff."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cosign import drafting, translating
from cosign.core.markdown import render_markdown
from cosign.drafting import DraftingError, StatementNotFound, Text
from cosign.extensions import db
from cosign.web import text_pages
from cosign.web.converters import query_int
from cosign.web.desk import load_statement, paragraph_view
from cosign.web.diffs import diff_context
from cosign.web.forms import ActionForm, CommentForm, NewTranslationForm, TranslationForm
from cosign.web.languages import autonym, language_name
from cosign.web.messages import error_text, show_error

bp = Blueprint("translations", __name__, url_prefix="/desk/<slug>/translations")


@bp.before_request
@login_required
def _members_only():
    g.no_store = True


def _translation(stmt, lang: str):
    try:
        return translating.get(db.session(), stmt.id, lang)
    except StatementNotFound:
        abort(404)


def _state(stmt, translation) -> dict:
    """Where a translation stands against the authoritative text the drafters see now."""
    current = translating.current_revision(db.session(), translation)
    original = drafting.current_revision(db.session(), stmt)
    return {"translation": translation, "row": current, "original": original,
            "outdated": translating.is_outdated(current, original.sha256),
            "name": language_name(translation.language)}


def _page(template: str, stmt, member, translation, **context):
    return render_template(template, statement=stmt, member=member,
                           text=text_pages.of_translation(stmt, translation),
                           state=_state(stmt, translation), **context)


@bp.get("/")
def index(slug: str):
    stmt, member = load_statement(slug)
    original = drafting.current_revision(db.session(), stmt)
    rows = [{"translation": t, "row": r, "name": autonym(t.language),
             "outdated": translating.is_outdated(r, original.sha256)}
            for t, r in translating.public_versions(db.session(), stmt)]
    return render_template("desk/translations.html", statement=stmt, member=member,
                           rows=rows, original=original, form=NewTranslationForm(formdata=None))


@bp.route("/new", methods=["GET", "POST"])
def new(slug: str):
    stmt, member = load_statement(slug)
    original = drafting.current_revision(db.session(), stmt)
    form = NewTranslationForm()
    status = 200
    if request.method == "GET":
        # the translator starts from the original's structure (headings, lists, paragraphs)
        form.language.data = request.args.get("language", "")[:35]
        form.title.data, form.place.data = original.title, original.place
        form.date.data, form.body.data = original.date, original.body
        form.source_revision.data = str(original.number)
    elif form.validate_on_submit() and not form.preview.data:
        try:
            translation = translating.add(
                db.session(), stmt, current_user.id, form.language.data,
                Text(form.title.data, form.body.data, form.place.data or "", form.date.data),
                source_revision=int(form.source_revision.data), note=form.note.data or "")
        except DraftingError as exc:
            show_error(form, exc)
            status = 422
        else:
            flash(_("Translation into %(language)s saved.",
                    language=autonym(translation.language)), "success")
            return redirect(url_for(".statement", slug=slug, lang=translation.language))
    elif form.errors:
        status = 422
    return render_template("desk/translation_new.html", statement=stmt, member=member,
                           form=form, original=original,
                           original_html=render_markdown(original.body)), status


@bp.get("/<lang>/")
def statement(slug: str, lang: str):
    stmt, member = load_statement(slug)
    translation = _translation(stmt, lang)
    row = translating.current_revision(db.session(), translation)
    items, orphans = paragraph_view(row, translating.comments(db.session(), translation.id))
    return _page("desk/statement.html", stmt, member, translation, revision=row, items=items,
                 orphans=orphans, comment_form=CommentForm(), action_form=ActionForm(),
                 open_paragraph=request.args.get("comment"))


@bp.post("/<lang>/comments")
def add_comment(slug: str, lang: str):
    stmt, _member = load_statement(slug)
    translation = _translation(stmt, lang)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            comment = translating.add_comment(db.session(), stmt, translation, current_user.id,
                                              form.paragraph.data, form.body.data)
        except DraftingError as exc:
            flash(error_text(exc), "error")
        else:
            flash(_("Comment added."), "success")
            return redirect(url_for(".statement", slug=slug, lang=lang,
                                    _anchor=f"p-{comment.paragraph_key}"))
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for(".statement", slug=slug, lang=lang))


@bp.route("/<lang>/edit", methods=["GET", "POST"])
def edit(slug: str, lang: str):
    stmt, member = load_statement(slug)
    translation = _translation(stmt, lang)
    current = translating.current_revision(db.session(), translation)
    original = drafting.current_revision(db.session(), stmt)
    form = TranslationForm()
    preview_html = None
    status = 200
    if request.method == "GET":
        form.title.data, form.place.data = current.title, current.place
        form.date.data, form.body.data = current.date, current.body
        form.base_revision.data = str(current.number)
        form.source_revision.data = str(original.number)
    elif form.validate_on_submit():
        if form.preview.data:
            preview_html = render_markdown(form.body.data)
        else:
            try:
                row = translating.save(
                    db.session(), stmt, translation, current_user.id,
                    Text(form.title.data, form.body.data, form.place.data or "", form.date.data),
                    source_revision=int(form.source_revision.data),
                    base_revision=int(form.base_revision.data), note=form.note.data or "")
            except drafting.NothingChanged as exc:
                flash(error_text(exc), "info")
                return redirect(url_for(".statement", slug=slug, lang=lang))
            except drafting.EditConflict as exc:
                show_error(form, exc)
                status = 409
            except DraftingError as exc:
                show_error(form, exc)
                status = 422
            else:
                flash(_("Revision %(n)d saved.", n=row.number), "success")
                return redirect(url_for(".statement", slug=slug, lang=lang))
    else:
        status = 422
    source = (drafting.get_revision(db.session(), stmt.id, current.source_revision)
              if current.source_revision != original.number else None)
    return _page("desk/edit.html", stmt, member, translation, form=form, current=current,
                 preview_html=preview_html, original=original,
                 original_html=render_markdown(original.body),
                 original_diff=diff_context(source, original) if source else None), status


@bp.get("/<lang>/history")
def history(slug: str, lang: str):
    stmt, member = load_statement(slug)
    translation = _translation(stmt, lang)
    return _page("desk/history.html", stmt, member, translation,
                 revisions=translating.revisions(db.session(), translation.id),
                 action_form=ActionForm())


@bp.get("/<lang>/diff")
def diff(slug: str, lang: str):
    stmt, member = load_statement(slug)
    translation = _translation(stmt, lang)
    b = query_int("b", translation.current_revision, minimum=0)
    a = query_int("a", max(1, b - 1), minimum=0)
    try:
        old = translating.get_revision(db.session(), translation.id, a)
        new = translating.get_revision(db.session(), translation.id, b)
    except StatementNotFound:
        abort(404)
    return _page("desk/diff.html", stmt, member, translation, old=old, new=new,
                 revisions=translating.revisions(db.session(), translation.id),
                 **diff_context(old, new))


@bp.get("/<lang>/revisions/<int:number>")
def revision(slug: str, lang: str, number: int):
    stmt, member = load_statement(slug)
    translation = _translation(stmt, lang)
    try:
        row = translating.get_revision(db.session(), translation.id, number)
    except StatementNotFound:
        abort(404)
    return _page("desk/revision.html", stmt, member, translation, revision=row,
                 html=render_markdown(row.body), action_form=ActionForm())


@bp.post("/<lang>/revisions/<int:number>/restore")
def restore(slug: str, lang: str, number: int):
    stmt, _member = load_statement(slug)
    translation = _translation(stmt, lang)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        row = translating.restore(db.session(), stmt, translation, number, current_user.id)
    except StatementNotFound:
        abort(404)
    except DraftingError as exc:
        flash(error_text(exc), "info")
        return redirect(url_for(".history", slug=slug, lang=lang))
    flash(_("Revision %(old)d restored as revision %(new)d.", old=number, new=row.number),
          "success")
    return redirect(url_for(".statement", slug=slug, lang=lang))
