"""Administration: departments, teams and the organisation's settings."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import EmailField, FileField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError

from forms.base import ChecklistField, TranslatedForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class DepartmentForm(TranslatedForm):
    """A department's name in English and in French: at least one (the other reads like it);
    services.departments checks that each is unique."""

    name = StringField(_l("Name in English"), validators=[Length(max=100)], filters=[_strip])
    name_fr = StringField(_l("Name in French"), validators=[Length(max=100)], filters=[_strip])

    def validate_name(self, field: Any) -> None:
        """At least one of the two names."""
        if not field.data and not self.name_fr.data:
            raise ValidationError(_l("Give a name in English or in French."))


class TeamForm(TranslatedForm):
    """A team: its name, department and members (the view fills both choices)."""

    name = StringField(
        _l("Team name"),
        validators=[DataRequired(message=_l("Give a name.")), Length(max=100)],
        filters=[_strip],
    )
    department = SelectField(_l("Department"), coerce=int, choices=[], default=0)
    members = ChecklistField(_l("Members"), coerce=int, choices=[])


def department_options(departments: list[tuple[int, str]]) -> list[SelectChoice]:
    """A team's department select: none, then each department."""
    return [SelectChoice(0, _l("No department"))] + [SelectChoice(i, n) for i, n in departments]


def _email() -> list[Any]:
    return [Optional(), Email(message=_l("Enter a valid email address.")), Length(max=254)]


class OrganisationForm(TranslatedForm):
    """What letters and pages say about the organisation; empty fields keep the defaults."""

    name = StringField(_l("Organisation name"), validators=[Length(max=200)], filters=[_strip])
    logo = FileField(
        _l("Logo (PNG or JPEG, under 1 MB)"),
        description=_l("Printed at the top of the letters. Leave empty to keep the current one."),
    )
    postal_address = TextAreaField(
        _l("Postal address"), validators=[Length(max=1000)], filters=[_strip]
    )
    phone = StringField(_l("Telephone"), validators=[Length(max=50)], filters=[_strip])
    complaints_email = EmailField(_l("Complaints email"), validators=_email(), filters=[_strip])
    signature = TextAreaField(
        _l("Signature block of the letters"),
        validators=[Length(max=1000)],
        filters=[_strip],
    )
    name_fr = StringField(
        _l("Organisation name in French letters"),
        description=_l("Empty: French letters print the name above."),
        validators=[Length(max=200)],
        filters=[_strip],
    )
    signature_fr = TextAreaField(
        _l("Signature block of French letters"),
        description=_l("Empty: French letters print the signature block above."),
        validators=[Length(max=1000)],
        filters=[_strip],
    )
    ombudsman_name = StringField(
        _l("Name of the ombudsman or mediator"), validators=[Length(max=200)], filters=[_strip]
    )
    ombudsman_address = TextAreaField(
        _l("Their postal address"), validators=[Length(max=1000)], filters=[_strip]
    )
    ombudsman_phone = StringField(
        _l("Their telephone"), validators=[Length(max=50)], filters=[_strip]
    )
    ombudsman_email = EmailField(_l("Their email"), validators=_email(), filters=[_strip])
    ombudsman_website = StringField(
        _l("Their website"),
        validators=[
            Optional(),
            URL(message=_l("Enter a web address starting with https://.")),
            Length(max=300),
        ],
        filters=[_strip],
    )


class PresetForm(TranslatedForm):
    """The service-level preset new clocks follow (the view fills the choices)."""

    preset = SelectField(
        _l("Service-level preset"),
        choices=[],
        validators=[DataRequired(message=_l("Choose a preset."))],
    )
