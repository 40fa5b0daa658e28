"""Forms of the publication pages. They check shape only; the service decides."""
from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget


@lru_cache(maxsize=1)
def timezone_choices() -> tuple[str, ...]:
    zones = {z for z in available_timezones()
             if "/" in z and not z.startswith(("Etc/", "SystemV/"))}
    return ("UTC",) + tuple(sorted(zones))


EARLIER_CHOICES = [
    SelectChoice("section", _l("List them apart: after the signatories of this version, in a "
                               "section per earlier version headed with that version and the "
                               "SHA-256 of its text. They are not counted as signatories of "
                               "this version.")),
    SelectChoice("omit", _l("Leave them out: only the signatories of this version are shown, "
                            "on the page, in the PDF, the API and the press e-mail, until they "
                            "re-confirm.")),
]


class EarlierSignersForm(FlaskForm):
    earlier_signers = RadioField(_l("Signatories who signed an earlier version"),
                                 choices=EARLIER_CHOICES, validators=[InputRequired()])
    submit = SubmitField(_l("Save"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PublishForm(FlaskForm):
    when = RadioField(
        _l("When"), default="now",
        choices=[SelectChoice("now", _l("Publish now")),
                 SelectChoice("later", _l("Schedule publication (embargo until a time)"))])
    at = DateTimeLocalField(_l("Publication time"), validators=[Optional()],
                            format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                            description=_l("In the time zone below. Until then the statement is "
                                           "listed nowhere; its page works only for those who "
                                           "have its link."))
    timezone = SelectField(_l("Time zone"), default="UTC", validators=[InputRequired()])
    keep_open = BooleanField(_l("Keep signing open after publication (open letter: the list "
                                "keeps growing and the PDF is updated)"))
    press_selection = RadioField(
        _l("Send to the press list"), default="none",
        choices=[SelectChoice("none", _l("Do not send")),
                 SelectChoice("all", _l("Everyone on the press list")),
                 SelectChoice("tags", _l("Contacts with one of these tags"))])
    press_tags = MultiCheckboxField(_l("Tags"), choices=[], validate_choice=False)
    embargoed_copy = BooleanField(_l("Send an embargoed copy now (marked “EMBARGOED UNTIL” in "
                                      "the subject and on every page of its PDF)"))
    confirm_empty = BooleanField(_l("Publish even though no signatory is approved yet"))
    earlier_signers = RadioField(_l("Signatories who signed an earlier version"),
                                 default="section", choices=[])
    submit = SubmitField(_l("Publish"))

    OPTIONS = ("when", "at", "timezone", "keep_open", "press_selection", "press_tags",
               "embargoed_copy", "confirm_empty", "earlier_signers")

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(z, z) for z in timezone_choices()]
        self.press_tags.choices = [SelectChoice(t, t) for t in tags]
        self.earlier_signers.choices = EARLIER_CHOICES

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.when.data == "later" and self.at.data is None and not self.at.errors:
            # (Optional() ends the field's own validation when it is empty)
            self.at.errors = list(self.at.errors) + [_l("Enter the date and time of publication.")]
            valid = False
        return valid

    def query(self) -> dict:
        """The options as the summary's query string (``url_for(..., **form.query())``)."""
        values: dict = {"when": self.when.data, "timezone": self.timezone.data,
                        "press_selection": self.press_selection.data,
                        "earlier_signers": self.earlier_signers.data}
        if self.when.data == "later" and self.at.data is not None:
            values["at"] = self.at.data.strftime("%Y-%m-%dT%H:%M")
        if self.press_selection.data == "tags":
            values["press_tags"] = list(self.press_tags.data or ())
        for name in ("keep_open", "embargoed_copy", "confirm_empty"):
            if getattr(self, name).data:
                values[name] = "y"
        return values


class ConfirmForm(PublishForm):
    """The summary's button: the options again (hidden), and what the summary showed."""

    fingerprint = HiddenField(validators=[InputRequired()])
