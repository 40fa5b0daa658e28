"""The "resend my confirmation" form: one e-mail address (the statement is in the URL)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ResendForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        description=_l("The address you signed with. We send new confirmation links there."),
        validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=254),
                    Email(message=_l("Enter a valid e-mail address."))],
        filters=[_strip])
    fax = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Send me a new link"))
