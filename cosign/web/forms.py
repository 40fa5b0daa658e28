"""WTForms forms. They check shape and length; they never query the database."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
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
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from cosign import drafting
from cosign.core.countries import country_choices, is_country
from cosign.core.language import normalise_language_tag
from cosign.core.markdown import find_unsafe_content
from cosign.core.slug import is_valid_slug
from cosign.security import MIN_PASSWORD_LENGTH
from cosign.web.converters import BoundedIntegerField, id_number


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


class SlugShape:
    """Words of lower-case letters (a–z, or letters of a script such as Arabic) and digits,
    joined by single hyphens."""

    def __call__(self, form, field):
        if field.data and not is_valid_slug(field.data):
            raise ValidationError(_l("Use only lower-case letters, digits and single hyphens."))


class SafeMarkdown:
    """No script, embedded content or unsafe links in the Markdown."""

    def __call__(self, form, field):
        problems = find_unsafe_content(field.data or "")
        kinds = {problem.value for problem, _detail in problems}
        if kinds & {"script", "embedded", "event-handler"}:
            raise ValidationError(
                _l("The text contains HTML code (such as a script) that is not allowed; "
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
            SlugShape(),
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


class TranslationForm(EditForm):
    """A revision of a translation: the authoritative revision it was made from rides along,
    so a text saved after the original changed is not recorded against the new original."""

    source_revision = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,9}$")])


class NewTranslationForm(TranslationForm):
    language = StringField(
        _l("Language of the translation"),
        validators=[DataRequired(_l("Enter the language of the translation.")), Length(max=35),
                    LanguageTag()],
        filters=[_strip],
        description=_l("BCP 47 code: en, ar, ckb, fr…"))
    base_revision = HiddenField()


_GOAL_MESSAGE = _l("Enter the goal as a whole number from 1 to 1,000,000, or leave it empty "
                   "for no goal.")
_THOUSANDS = str.maketrans("", "", ",\u066c \u00a0\u202f'")  # 1,000 · ١٬٠٠٠ · 1 000


def goal_number(text: str | None) -> int | None:
    """The signature goal typed in the settings: None when empty; a whole number in any
    script's digits (thousands separators allowed) from 1 to
    :data:`cosign.drafting.MAX_SIGNATURE_GOAL`; ValueError for anything else."""
    text = (text or "").strip().translate(_THOUSANDS)
    if not text:
        return None
    if len(text) > 12 or not text.isdecimal():
        raise ValueError(text)
    number = int(text)
    if not 1 <= number <= drafting.MAX_SIGNATURE_GOAL:
        raise ValueError(text)
    return number


def _signature_goal(form, field) -> None:
    try:
        goal_number(field.data)
    except ValueError:
        raise ValidationError(_GOAL_MESSAGE) from None


class SettingsForm(SettingsFields):
    signature_goal = StringField(
        _l("Signature goal (optional)"), validators=[Length(max=40, message=_GOAL_MESSAGE),
                                                     _signature_goal],
        description=_l("Shown on the public page as “57 of 100 signatories” with a progress "
                       "bar. Leave it empty for no goal."))
    require_domain_verified = BooleanField(
        _l("Approve only domain-verified sign-ons"),
        description=_l("The signer's confirmed e-mail address must be at the organisation's "
                       "website domain (e.g. name@amnesty.org for amnesty.org). Others wait "
                       "for a moderator and cannot be approved."))
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
    role = SelectField(_l("Role"),
                       choices=[SelectChoice("editor", _l("Editor: drafts and comments")),
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



class HttpUrl:
    """An http(s) address, or nothing."""

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if not value:
            return

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            raise ValidationError(_l("Enter the website's address starting with https://."))


ORG_TYPE_LABELS = {
    "ngo": _l("NGO"), "party": _l("Political party"), "union": _l("Trade union"),
    "association": _l("Association"), "media": _l("Media"), "academic": _l("Academic"),
    "faith": _l("Faith group"), "other": _l("Other"), "individual": _l("Individual"),
}


class CountryField(SelectField):
    """The country select, checked against the set of country codes: WTForms' own
    check walks all 250 choices (and their lazy labels) on every submission."""

    def pre_validate(self, form) -> None:
        if self.data and not is_country(self.data):
            raise ValidationError(self.gettext("Not a valid choice."))


class SignForm(FlaskForm):
    """The public sign-on form. ``fax`` is a honeypot: hidden from people, filled by bots."""

    kind = RadioField(_l("I sign"), default="organisation",
                      choices=[SelectChoice("organisation", _l("on behalf of an organisation")),
                               SelectChoice("individual", _l("as an individual"))])
    organisation = StringField(
        _l("Name of the organisation"),
        validators=[DataRequired(_l("Enter the name of the organisation.")),
                    Length(max=200, message=_l("The name may have at most %(max)d characters."))],
        filters=[_strip])
    country = CountryField(_l("Country"), validators=[DataRequired(_l("Choose a country."))])
    city = StringField(_l("City (optional)"), validators=[Optional(), Length(max=100)],
                       filters=[_strip])
    org_type = SelectField(_l("Type of organisation"), default="ngo",
                           choices=[SelectChoice(code, label) for code, label
                                    in ORG_TYPE_LABELS.items() if code != "individual"])
    website = StringField(_l("Website (optional)"),
                          validators=[Optional(), Length(max=300), HttpUrl()], filters=[_strip])
    contact_name = StringField(
        _l("Contact person"),
        description=_l("Never shown publicly. The coordinators may contact this person."),
        validators=[DataRequired(_l("Enter the name of a contact person.")), Length(max=200)],
        filters=[_strip])
    contact_role = StringField(
        _l("Your role in the organisation"),
        description=_l("For example director, board member, press officer. Never shown "
                       "publicly."),
        validators=[Length(max=100)], filters=[_strip])
    email = EmailField(
        _l("E-mail"),
        description=_l("We send a confirmation link to this address. Never shown publicly."),
        validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=254),
                    Email(message=_l("Enter a valid e-mail address."))],
        filters=[_strip])
    display = RadioField(
        _l("How the signature is shown"), default="named",
        choices=[SelectChoice("named", _l("With the organisation's name")),
                 SelectChoice("withheld", _l("Name withheld: shown as “An organisation in "
                                              "[your country] (name withheld)”"))])
    authorised = BooleanField(_l("I am authorised to sign on behalf of this organisation"))
    message = TextAreaField(
        _l("Message to the coordinators (optional)"),
        validators=[Optional(), Length(
            max=2000, message=_l("The message may have at most %(max)d characters."))])
    fax = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Sign the statement"))

    def validate_authorised(self, field):
        if self.kind.data != "individual" and not field.data:
            raise ValidationError(_l("Please confirm that you may sign for the organisation."))

    def validate_contact_role(self, field):
        if self.kind.data != "individual" and not (field.data or "").strip():
            raise ValidationError(_l("Enter your role in the organisation (for example "
                                     "director or press officer)."))

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = countries  # built once per locale (country_options)


@lru_cache(maxsize=32)
def country_options(locale: str) -> tuple[SelectChoice, ...]:
    """The country select's options in ``locale`` (built once per locale)."""
    return (SelectChoice("", _l("Choose a country…")),) + tuple(
        SelectChoice(code, name) for code, name in country_choices(locale))


class CopyForm(FlaskForm):
    press_contact = BooleanField(_l("Take the press contact too"), default=True)


class OpenForm(FlaskForm):
    deadline = DateTimeLocalField(
        _l("Deadline (optional, UTC)"), validators=[Optional()],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description=_l("Signing closes by itself at this time."))
    auto_approve = BooleanField(_l("Approve confirmed signatures automatically"))
    allow_individuals = BooleanField(_l("Individuals may sign as well as organisations"))
    public_list = BooleanField(_l("Show the list of signatories before publication"), default=True)
    visibility = RadioField(
        _l("Visibility"), default="public",
        choices=[SelectChoice("public", _l("Public: listed on the home page")),
                 SelectChoice("unlisted", _l("Unlisted: reachable only through its link "
                                             "(the address gets an unguessable ending)"))])
    submit = SubmitField(_l("Open for signature"))


class AddSignatureForm(SignForm):
    """A signature collected elsewhere (e-mail, paper): contact data optional."""

    contact_name = StringField(_l("Contact person (optional)"),
                               validators=[Optional(), Length(max=200)], filters=[_strip])
    email = EmailField(_l("E-mail (optional)"),
                       validators=[Optional(), Length(max=254),
                                   Email(message=_l("Enter a valid e-mail address."))],
                       filters=[_strip])
    submit = SubmitField(_l("Add signature"))

    contact_role = StringField(_l("Role in the organisation (optional)"),
                               validators=[Optional(), Length(max=100)], filters=[_strip])

    def validate_authorised(self, field):
        """The coordinator vouches for signatures collected elsewhere."""

    def validate_contact_role(self, field):
        """Optional for signatures collected elsewhere."""


class RenameForm(FlaskForm):
    public_name = StringField(_l("Name as shown publicly"),
                              validators=[DataRequired(), Length(max=200)], filters=[_strip])
    submit = SubmitField(_l("Save name"))


class DuplicateForm(FlaskForm):
    duplicate_of = SelectField(_l("Duplicate of"), coerce=id_number, validate_choice=False,
                               validators=[InputRequired()])
    submit = SubmitField(_l("Mark as duplicate"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[Optional()])
    content = HiddenField()
    filename = HiddenField(validators=[Optional(), Length(max=200)])
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Import all rows"))


class PdfLayoutForm(FlaskForm):
    page_size = SelectField(_l("Paper"), choices=[SelectChoice("A4", _l("A4")),
                                                  SelectChoice("Letter", _l("US Letter"))])
    columns = SelectField(_l("Columns of names"), coerce=int,
                          choices=[SelectChoice(2, _l("Two")), SelectChoice(3, _l("Three"))])
    grouping = SelectField(_l("Grouping"), choices=[
        SelectChoice("none", _l("One alphabetical list")),
        SelectChoice("country", _l("By country")), SelectChoice("type", _l("By type"))])
    order = SelectField(_l("Order"), choices=[
        SelectChoice("alphabetical", _l("Alphabetical")),
        SelectChoice("signed", _l("By time of signing"))])
    submit = SubmitField(_l("Save layout"))


class LeadForm(FlaskForm):
    lead_rank = BoundedIntegerField(
        _l("Lead signatory: position at the top of the PDF list (empty: not a lead)"),
        validators=[Optional(), NumberRange(min=1, max=999,
                                            message=_l("Enter a number from 1 to 999."))])
    submit = SubmitField(_l("Save position"))


class LogoForm(FlaskForm):
    logo = FileField(
        _l("Logo for the letterhead (PNG or JPEG, at most 1 MB and 2,000 pixels a side)"))
    upload = SubmitField(_l("Upload logo"))
    remove = SubmitField(_l("Remove logo"))
