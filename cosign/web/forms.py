"""WTForms forms. They check shape and length; they never query the database."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from cosign import drafting
from cosign.core.language import normalise_language_tag
from cosign.core.markdown import find_unsafe_content
from cosign.security import MIN_PASSWORD_LENGTH

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LanguageTag:
    """A well-formed BCP 47 tag."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = normalise_language_tag(field.data)
        except ValueError:
            raise ValidationError(
                _l("Enter a language code such as en, ar, ckb or fr-CA (BCP 47).")
            ) from None


class SafeMarkdown:
    """No script, embedded content or unsafe links in the Markdown."""

    def __call__(self, form, field):
        problems = find_unsafe_content(field.data or "")
        kinds = {problem.value for problem, _detail in problems}
        if kinds & {"script", "embedded", "event-handler"}:
            raise ValidationError(
                _l("The text contains HTML code (such as <script>) that is not allowed; "
                   "write plain text with Markdown formatting instead.")
            )
        if "link-scheme" in kinds:
            found = ", ".join(sorted({d for p, d in problems if p.value == "link-scheme"}))
            raise ValidationError(
                _l("Links must start with https:// or mailto: (found: %(found)s).", found=found)
            )


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)],
                       filters=[_strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField(_l("Log in"))


class TextFields(FlaskForm):
    """The revisioned text of a statement."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("A title is required.")),
                    Length(max=drafting.MAX_TITLE,
                           message=_l("The title may have at most %(max)d characters."))],
        filters=[_strip],
    )
    place = StringField(_l("Place"), validators=[Optional(), Length(max=drafting.MAX_LINE)],
                        filters=[_strip],
                        description=_l("Where the statement is issued, e.g. London."))
    date = DateField(_l("Date"), validators=[Optional()],
                     description=_l("The date printed on the statement."))
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(_l("The text of the statement is empty.")),
                    Length(max=drafting.MAX_BODY,
                           message=_l("The text may have at most %(max)d characters.")),
                    SafeMarkdown()],
        description=_l("Markdown: a blank line between paragraphs, **bold**, *italic*, "
                       "- lists, > quotes, [links](https://…)."),
    )


class SettingsFields(FlaskForm):
    """Address, language, letterhead and press contact (not revisioned)."""

    slug = StringField(
        _l("Address"),
        validators=[
            Optional(),
            Length(min=3, max=80, message=_l("The address must have 3 to 80 characters.")),
            Regexp(SLUG_PATTERN,
                   message=_l("Use only lower-case letters a–z, digits and single hyphens.")),
        ],
        filters=[_strip, lambda v: v.lower() if isinstance(v, str) else v],
        description=_l("Part of the statement's web address (/s/…). Leave empty to make "
                       "one from the title."),
    )
    language = StringField(
        _l("Language"), default="en",
        validators=[DataRequired(), Length(max=35), LanguageTag()],
        filters=[_strip],
        description=_l("BCP 47 code of the text's language: en, ar, ckb, fa, fr…"),
    )
    coalition = StringField(_l("Coalition (letterhead)"),
                            validators=[Optional(), Length(max=200)], filters=[_strip])
    press_name = StringField(_l("Press contact: name"),
                             validators=[Optional(), Length(max=200)], filters=[_strip])
    press_email = EmailField(_l("Press contact: e-mail"),
                             validators=[Optional(), Length(max=254),
                                         Email(message=_l("Enter a valid e-mail address."))],
                             filters=[_strip])
    press_phone = StringField(_l("Press contact: phone"),
                              validators=[Optional(), Length(max=50)], filters=[_strip])


class NewStatementForm(TextFields, SettingsFields):
    submit = SubmitField(_l("Create draft"))


class EditForm(TextFields):
    note = StringField(_l("Change note (optional)"),
                       validators=[Optional(), Length(max=drafting.MAX_NOTE)], filters=[_strip])
    base_revision = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,9}$")])
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save revision"))


class SettingsForm(SettingsFields):
    submit = SubmitField(_l("Save settings"))


class PreviewForm(FlaskForm):
    body = TextAreaField(validators=[Length(max=drafting.MAX_BODY)])


class CommentForm(FlaskForm):
    paragraph = HiddenField(validators=[DataRequired(), Length(max=32)])
    body = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(_l("The comment is empty.")),
                    Length(max=drafting.MAX_COMMENT,
                           message=_l("A comment may have at most %(max)d characters."))],
    )
    submit = SubmitField(_l("Add comment"))


class ActionForm(FlaskForm):
    """A button that only needs CSRF protection (restore, resolve, logout)."""

    submit = SubmitField()


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail of the co-drafter"),
                       validators=[DataRequired(), Length(max=254),
                                   Email(message=_l("Enter a valid e-mail address."))],
                       filters=[_strip])
    role = SelectField(_l("Role"), choices=[SelectChoice("editor", _l("Editor: drafts and comments")),
                                            SelectChoice("owner", _l("Owner: also invites others"))],
                       default="editor")
    submit = SubmitField(_l("Send invitation"))


class NewAccountForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)],
                       filters=[_strip])
    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(),
                    Length(min=MIN_PASSWORD_LENGTH, max=1024,
                           message=_l("The password must have at least %(min)d characters."))],
    )
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(),
                                        EqualTo("password", _l("The passwords differ."))])
    submit = SubmitField(_l("Create account and join"))

