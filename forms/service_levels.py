"""Service levels as staff read them: the managers' breach view filters, one-click reassign,
and the words for clocks' states and pauses."""

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import HiddenField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from forms.base import TranslatedForm
from forms.choices import Choices, options
from forms.numbers import MAX_INT, BoundedIntegerField
from forms.query import QueryFilterForm

ALL = _l("All")

# A clock's state as people see it (services.service_levels.DISPLAY_STATES); the clocks'
# own names are data (processes/clocks.toml).
CLOCK_STATES: Choices = (
    ("on_track", _l("On track")),
    ("at_risk", _l("At risk")),
    ("breached", _l("Breached")),
    ("paused", _l("Paused")),
    ("met", _l("Met")),
    ("met_late", _l("Met late")),
    ("stopped", _l("Stopped")),
)
# What a paused clock waits for: the message names of the presets' pause_while_waiting_for.
PAUSE_REASONS: Choices = (
    ("information_received", _l("Waiting for the complainant's missing information")),
    ("survey_answered", _l("Waiting for the complainant's survey answers")),
)
# The breach view lists what is at risk or breached (services.breach_view.STATES).
STATES: Choices = (
    ("at_risk", _l("At risk")),
    ("breached", _l("Breached")),
)
SORTS: Choices = (
    ("due", _l("Most late first")),
    ("due_desc", _l("Due last first")),
    ("step", _l("Step")),
    ("team", _l("Team")),
    ("assignee", _l("Assignee")),
)
QUERY_FIELDS = ("state", "clock", "task", "role", "department", "assignee", "sort", "page")


class ServiceLevelFilterForm(QueryFilterForm):
    """What the breach view shows; bound to the query string so the address can be shared.

    The choices of step, task, department and assignee are data: the view sets them.
    """

    query_fields = QUERY_FIELDS

    state = SelectField(_l("State"), choices=options(STATES, ALL), default="")
    clock = SelectField(_l("Step"), choices=[SelectChoice("", ALL)], default="")
    task = SelectField(_l("Task"), choices=[SelectChoice("", ALL)], default="")
    role = SelectField(_l("Team (role)"), choices=[SelectChoice("", ALL)], default="")
    department = SelectField(_l("Department"), choices=[SelectChoice("", ALL)], default="")
    assignee = SelectField(_l("Assignee"), choices=[SelectChoice("", ALL)], default="")
    sort = SelectField(_l("Sort by"), choices=options(SORTS), default="due")
    page = BoundedIntegerField(
        widget=HiddenField.widget, validators=[Optional(), NumberRange(min=1, max=100000)]
    )

    def set_choices(self, field_name: str, values: Iterable[tuple[str, Any]]) -> None:
        """The options of a filter: 'All', then (value, label) pairs."""
        self[field_name].choices = [SelectChoice("", ALL)] + [
            SelectChoice(value, text) for value, text in values
        ]


class RowReassignForm(TranslatedForm):
    """One click on a row of the breach view: the person who takes the task."""

    assignee = BoundedIntegerField(
        _l("Assign to"),
        validators=[
            DataRequired(message=_l("Choose who takes the task.")),
            NumberRange(min=1, max=MAX_INT),  # a user id
        ],
    )
