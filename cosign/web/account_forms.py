"""Forms of a coordinator's account: password, reset by e-mail, second factor. Shape and length
only; the strength rules are the service's (cosign.accounts.check_password_strength)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from cosign.security import MIN_PASSWORD_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _new_password():
    return PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password.")), Length(max=1024)],
        description=_l("At least %(min)d characters. A few unrelated words make a good one.",
                       min=MIN_PASSWORD_LENGTH))


def _repeat():
    return PasswordField(_l("Repeat the new password"),
                         validators=[DataRequired(_l("Repeat the new password.")),
                                     EqualTo("password", _l("The passwords differ."))])


def _code(label):
    return StringField(label, validators=[DataRequired(_l("Type the code.")), Length(max=40)],
                       filters=[_strip])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"),
                            validators=[DataRequired(_l("Type your current password.")),
                                        Length(max=1024)])
    password = _new_password()
    confirm = _repeat()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Type your e-mail address.")),
                                                 Length(max=254)], filters=[_strip])


class ResetPasswordForm(FlaskForm):
    password = _new_password()
    confirm = _repeat()


class CodeForm(FlaskForm):
    """The second step of a login."""

    code = _code(_l("Code"))


class EnableSecondFactorForm(FlaskForm):
    code = _code(_l("Code from your app"))


class DisableSecondFactorForm(FlaskForm):
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Type your password.")),
                                         Length(max=1024)])
    code = _code(_l("Code from your app, or a recovery code"))


class PasswordCheckForm(FlaskForm):
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Type your password.")),
                                         Length(max=1024)])


class PreferencesForm(FlaskForm):
    """The interface language (also of the coordinator's mail) and the time zone of times shown."""

    language = SelectField(_l("Language"), default="",
                           description=_l("The language of these pages and of the e-mail you "
                                          "get. “As my browser says” follows your browser."))
    timezone = SelectField(_l("Time zone"), default="UTC", validators=[InputRequired()],
                           description=_l("Times on these pages are shown in it."))

    def __init__(self, *args, languages=(), zones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [SelectChoice("", _l("As my browser says"))] + [
            SelectChoice(code, name) for code, name in languages]
        self.timezone.choices = [SelectChoice(z, z) for z in zones]


class DigestForm(FlaskForm):
    """The daily digest of sign-ons waiting for moderation, on or off."""

    digest = RadioField(
        _l("Send me the daily digest?"),
        choices=[SelectChoice("on", _l("Yes")), SelectChoice("off", _l("No"))],
        validators=[InputRequired(_l("Choose whether you want the daily digest."))])
