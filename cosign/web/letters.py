"""Import a letter: paste it or upload a Word file, correct the proposed draft, confirm.

Reading stores nothing: it shows the proposal (title, date, Markdown body, the signatories
the letter ends with, the web debris dropped, what looks damaged) in a form. Only that
form's button creates the draft (``cosign.letters``).
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import FileField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from cosign import letters
from cosign.core import letter
from cosign.core.countries import country_choices
from cosign.drafting import DraftingError, Text
from cosign.errors import UserError
from cosign.extensions import db
from cosign.web.forms import NewStatementForm
from cosign.web.messages import show_error

# /desk/import-letter (no slash after it: /desk/<slug>/ is a statement's page)
bp = Blueprint("letters", __name__, url_prefix="/desk/import-letter")

MAX_FILE = 10 * 1024 * 1024  # a .docx with its images
MAX_TEXT = 200_000  # characters pasted


class ReadForm(FlaskForm):
    text = TextAreaField(_l("Paste the letter"), validators=[Optional(), Length(
        max=MAX_TEXT, message=_l("The text may have at most %(max)d characters."))],
        description=_l("As copied from an e-mail or a web page: menus, share buttons and "
                       "footers are recognised and left out."))
    file = FileField(_l("Or choose a Word file (.docx)"), validators=[Optional()])
    submit = SubmitField(_l("Read the letter"))


class LetterForm(NewStatementForm):
    """The proposed draft, as the coordinator corrects it, with the signatories."""

    signatories = TextAreaField(
        _l("Signatories"), validators=[Optional(), Length(max=letters.MAX_SIGNATORIES * 210)],
        description=_l("One organisation a line. Add “| IQ” (a country code) after a name "
                       "whose country differs from the one chosen below."))
    country = SelectField(_l("Country of the signatories"), validators=[Optional()],
                          choices=[], validate_choice=False)
    submit = SubmitField(_l("Create the draft"))


def _countries() -> list[SelectChoice]:
    return [SelectChoice("", _("Choose…"))] + [
        SelectChoice(code, name) for code, name in country_choices(str(get_locale() or "en"))]


@bp.before_request
@login_required
def _members_only():
    g.no_store = True


@bp.route("", methods=["GET", "POST"])
def read():
    form = ReadForm()
    if not form.validate_on_submit():
        return _page("desk/letter_read.html", form=form)
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        text = _word_text(form, upload)
    elif (form.text.data or "").strip():
        text = form.text.data
    else:
        form.text.errors = [_("Paste the letter, or choose a Word file.")]
        text = None
    if text is None:
        return _page("desk/letter_read.html", form=form)
    proposal = letter.propose(text)
    draft = LetterForm(formdata=None, title=proposal.title, date=proposal.date,
                       body=proposal.body, signatories="\n".join(proposal.signatories),
                       language=letter.script_language(text) or str(get_locale() or "en"))
    draft.country.choices = _countries()
    return render_template("desk/letter_preview.html", form=draft, proposal=proposal,
                           dropped_label=DROPPED, flag_label=FLAGS)


def _word_text(form: ReadForm, upload) -> str | None:
    name = (upload.filename or "").lower()
    data = upload.read(MAX_FILE + 1)
    if not name.endswith(".docx"):
        form.file.errors = [_("Only Word files (.docx) can be read. Save the letter as .docx, "
                              "or paste its text.")]
    elif len(data) > MAX_FILE:
        form.file.errors = [_("The file is larger than 10 MB.")]
    else:
        # deferred: mammoth takes ~0.05 s to import; only reading a Word letter needs it
        from cosign.core import wordtext

        try:
            return wordtext.text_of(data)
        except wordtext.NotAWordFile as exc:
            form.file.errors = [
                _("The file unpacks to more than 50 MB: it cannot be read.")
                if exc.reason == "too-big" else
                _("This file is not a Word document that can be read. Save the letter as "
                  ".docx again, or paste its text.")]
    return None


@bp.post("/draft")
def confirm():
    form = LetterForm()
    form.country.choices = _countries()
    if form.validate_on_submit():
        rows = letter.listed(form.signatories.data or "")
        try:
            statement = letters.import_letter(
                db.session(), current_user.id,
                Text(form.title.data, form.body.data, form.place.data or "", form.date.data),
                signatories=rows,
                country=form.country.data or "", slug=form.slug.data or None,
                language=form.language.data, coalition=form.coalition.data or "",
                press_name=form.press_name.data or "", press_email=form.press_email.data or "",
                press_phone=form.press_phone.data or "")
        except (DraftingError, UserError) as exc:
            db.session.rollback()
            show_error(form, exc, default=form.signatories)
        else:
            count = len(rows)  # all imported, or nothing
            flash(ngettext("Draft created from the letter, with %(num)d signatory to review "
                           "once signing opens.",
                           "Draft created from the letter, with %(num)d signatories to review "
                           "once signing opens.", count) if count else
                  _("Draft created from the letter."), "success")
            return redirect(url_for("desk.statement", slug=statement.slug))
    return render_template("desk/letter_preview.html", form=form, proposal=None,
                           dropped_label=DROPPED, flag_label=FLAGS), 422


def _page(template: str, **context):
    form = context["form"]
    return render_template(template, **context), 422 if form.errors else 200


DROPPED = {
    "web page": lambda: _("part of the web page"),
    "link mark": lambda: _("a link's address (its text is kept)"),
    "after the end": lambda: _("after the end of the letter"),
    "date": lambda: _("the date, put in the Date field"),
}
FLAGS = {
    "cut-off": lambda: _("The list's last name looks cut off: check it against the original."),
    "repeated": lambda: _("This phrase appears twice in a row: probably a copy-and-paste "
                          "accident."),
    "repeated-name": lambda: _("This name is listed twice; it is proposed once."),
    "doubled-letter": lambda: _("A letter looks doubled by accident."),
    "possible-signer": lambda: _("The text ends with a name but no list of signatories: add it "
                                 "as a signatory yourself if it signs."),
}
