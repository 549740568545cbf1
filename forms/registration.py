"""Registration: the intake agent checks a filed complaint and decides what happens to it."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from forms.base import FILLED_TEXT, TaskForm, needs, when
from forms.choices import PLACEHOLDER, REGISTRATION_OUTCOMES, options

REFERENCE_PATTERN = r"^(C-[0-9]{4}-[0-9]{6})?$"
# What the API takes: the reference as written, capitals and no white space around it.
REFERENCE = {"type": "string", "pattern": r"^C-[0-9]{4}-[0-9]{6}$"}


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class RegistrationForm(TaskForm):
    """The intake agent's check of a filed complaint (form key register_complaint)."""

    form_complete = BooleanField(_l("The complaint form is complete"))
    consent_confirmed = BooleanField(_l("The complainant's signature or consent is on file"))
    registration_outcome = SelectField(
        _l("Outcome"),
        choices=options(REGISTRATION_OUTCOMES, PLACEHOLDER),
        validators=[DataRequired(message=_l("Choose what happens to the complaint."))],
    )
    missing_information = TextAreaField(
        _l("Information to ask the complainant for"), validators=[Length(max=2000)]
    )
    duplicate_of = StringField(
        _l("Reference of the complaint it duplicates"),
        validators=[
            Regexp(REFERENCE_PATTERN, message=_l("Enter a reference such as C-2025-000042.")),
        ],
        filters=[_upper],
    )
    registration_notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    @classmethod
    def json_schema_overrides(cls) -> dict[str, dict[str, Any]]:
        """The reference exactly as stored (the page also takes it in small letters)."""
        return {"duplicate_of": {"pattern": REFERENCE_PATTERN}}

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """What each outcome needs; a duplicate must also name an existing complaint."""
        outcome = "registration_outcome"
        return [
            when(
                outcome,
                {"const": "complete"},
                needs(form_complete={"const": True}, consent_confirmed={"const": True}),
            ),
            when(outcome, {"const": "incomplete"}, needs(missing_information=FILLED_TEXT)),
            when(outcome, {"const": "duplicate"}, needs(duplicate_of=REFERENCE)),
        ]

    def validate_form_complete(self, field: Field) -> None:
        """Only a complete form can be registered as complete."""
        if self.registration_outcome.data == "complete" and not field.data:
            raise ValidationError(_l("Check the form is complete before registering it."))

    def validate_consent_confirmed(self, field: Field) -> None:
        """Only a signed or consented complaint can be registered as complete."""
        if self.registration_outcome.data == "complete" and not field.data:
            raise ValidationError(
                _l("Check the complainant signed or consented before registering it.")
            )

    def validate_missing_information(self, field: Field) -> None:
        """An incomplete complaint needs the list of what to ask for."""
        if self.registration_outcome.data == "incomplete" and not field.data:
            raise ValidationError(_l("Say what information the complainant must supply."))

    def validate_duplicate_of(self, field: Field) -> None:
        """A duplicate needs the reference of the complaint it duplicates."""
        if self.registration_outcome.data == "duplicate" and not field.data:
            raise ValidationError(_l("Give the reference of the complaint it duplicates."))
