"""cosign.errors: a UserError keeps its untranslated message, field and parameters for the web
layer, and reads as the English sentence with its parameters filled in."""
import pytest

from cosign.errors import N_, UserError


def test_n_marks_without_changing():
    assert N_("Choose a time zone from the list.") == "Choose a time zone from the list."


def test_a_user_error_keeps_message_field_and_params():
    error = UserError("%(count)d rows could not be read.", "file", count=3)
    assert error.message == "%(count)d rows could not be read."  # for gettext, untranslated
    assert error.field == "file" and error.params == {"count": 3}
    assert str(error) == "3 rows could not be read."
    assert isinstance(error, ValueError)


def test_without_params_the_message_is_kept_as_is():
    error = UserError("100% sure")  # no params: not %-formatted
    assert str(error) == "100% sure" and error.field is None and error.params == {}


def test_a_missing_param_is_an_error_at_once():
    with pytest.raises(KeyError):
        UserError("%(count)d rows", count_typo=3)
