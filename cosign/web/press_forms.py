"""Forms of the press list: the coordinators' contact form and import, the public subscription.

They check shape and length; the rules of the list itself (unique address,
consent, tags) are the service's, :mod:`cosign.press`.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from cosign import press
from cosign.web.forms import ImportForm, LanguageTag


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ContactForm(FlaskForm):
    """A contact on the press list, as a coordinator enters it."""

    name = StringField(
        _l("Name (optional)"), filters=[_strip],
        validators=[Optional(), Length(
            max=press.MAX_NAME, message=_l("The name may have at most %(max)d characters."))])
    outlet = StringField(
        _l("Outlet (optional)"), filters=[_strip],
        description=_l("Newspaper, agency, broadcaster or “freelance”."),
        validators=[Optional(), Length(
            max=press.MAX_OUTLET, message=_l("The outlet may have at most %(max)d characters."))])
    email = EmailField(
        _l("E-mail"), filters=[_strip],
        validators=[DataRequired(_l("Enter an e-mail address.")),
                    Length(max=press.MAX_EMAIL,
                           message=_l("The e-mail address may have at most %(max)d characters.")),
                    Email(message=_l("Enter a valid e-mail address."))])
    language = StringField(
        _l("Language"), default="en", filters=[_strip],
        description=_l("BCP 47 code of the language they write in: en, ar, ckb, fa, fr…"),
        validators=[DataRequired(_l("Enter a language code such as en.")), Length(max=35),
                    LanguageTag()])
    tags = StringField(
        _l("Tags (optional)"), filters=[_strip],
        description=_l("Beats or topics, separated by commas, e.g. human rights, Iraq. At most "
                       "20 tags of 40 characters."),
        validators=[Optional(), Length(max=1000, message=_l("The tags are too long."))])
    submit = SubmitField(_l("Save"))


class SubscribeForm(ContactForm):
    """The public form. ``fax`` is a honeypot: hidden from people, filled by bots."""

    name = StringField(
        _l("Your name"), filters=[_strip],
        validators=[DataRequired(_l("Enter your name.")),
                    Length(max=press.MAX_NAME,
                           message=_l("The name may have at most %(max)d characters."))])
    email = EmailField(
        _l("E-mail"), filters=[_strip],
        description=_l("We send a confirmation link to this address. It is never shown "
                       "publicly."),
        validators=[DataRequired(_l("Enter an e-mail address.")),
                    Length(max=press.MAX_EMAIL,
                           message=_l("The e-mail address may have at most %(max)d characters.")),
                    Email(message=_l("Enter a valid e-mail address."))])
    language = StringField(
        _l("Language"), default="en", filters=[_strip],
        description=_l("Code of the language you write in: en, ar, ckb, fa, fr…"),
        validators=[DataRequired(_l("Enter a language code such as en.")), Length(max=35),
                    LanguageTag()])
    tags = StringField(
        _l("Beats (optional)"), filters=[_strip],
        description=_l("The topics you cover, separated by commas, e.g. human rights, Iraq."),
        validators=[Optional(), Length(max=1000, message=_l("The list of beats is too long."))])
    fax = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Subscribe"))


class PressImportForm(ImportForm):
    confirm = SubmitField(_l("Import the contacts"))
