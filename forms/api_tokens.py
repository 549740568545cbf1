"""A new API token, created on the account page (the API takes the same values as JSON)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import SelectField, StringField
from wtforms.validators import DataRequired, Length

from forms.base import ChecklistField, TranslatedForm

MAX_NAME = 80
# (days, label); "" never expires.
EXPIRY_CHOICES = [
    SelectChoice("7", _l("In 7 days")),
    SelectChoice("30", _l("In 30 days")),
    SelectChoice("90", _l("In 90 days")),
    SelectChoice("365", _l("In a year")),
    SelectChoice("", _l("Never")),
]
SCOPE_LABELS = {
    "read": _l("Read: tasks, complaints, process versions"),
    "tasks": _l("Tasks: claim, complete, drafts"),
    "intake": _l("Intake: record complaints received by phone, letter, at the counter…"),
    "admin": _l("Administration: deploy process versions, service accounts' tokens"),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ApiTokenForm(TranslatedForm):
    """Name, scopes and expiry of a new token (scope choices: those the user's roles allow)."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the token a name.")), Length(max=MAX_NAME)],
        filters=[_strip],
        description=_l("What uses it, e.g. “CRM sync”."),
    )
    scopes = ChecklistField(
        _l("Scopes"),
        validators=[DataRequired(_l("Tick at least one scope."))],
        description=_l("What the token may do; your roles still decide the rest."),
    )
    expires_in_days = SelectField(_l("Expires"), choices=EXPIRY_CHOICES, default="90")
