"""Administration: webhook subscriptions (an integrator's endpoint and the events it wants)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from forms.base import ChecklistField, TranslatedForm
from forms.choices import Choices, options

# The event types (services.events.TYPES), described for the checklist.
EVENT_CHOICES: Choices = (
    ("complaint.filed", _l("complaint.filed: a complaint was filed")),
    ("task.created", _l("task.created: a task was opened")),
    ("task.completed", _l("task.completed: a task was completed")),
    ("complaint.status_changed", _l("complaint.status_changed: the complaint's status changed")),
    ("complaint.closed", _l("complaint.closed: the complaint was closed")),
    ("sla.at_risk", _l("sla.at_risk: a service level is at risk")),
    ("sla.breached", _l("sla.breached: a service level was missed")),
    ("message.failed", _l("message.failed: a message could not be delivered")),
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class WebhookForm(TranslatedForm):
    """Where to POST the events, which ones, and whether the subscription is on."""

    url = StringField(
        _l("Address (https URL)"),
        validators=[DataRequired(message=_l("Give the address.")), Length(max=300)],
        filters=[_strip],
    )
    events = ChecklistField(
        _l("Events"),
        choices=options(EVENT_CHOICES),
        validators=[DataRequired(message=_l("Choose at least one event."))],
    )
    description = StringField(
        _l("Description (who receives it, what for)"),
        validators=[Length(max=300)],
        filters=[_strip],
    )
    active = BooleanField(_l("Active"), default=True)
