"""The staff inbox: its filters (bound to the query string), saved filters, reassignment."""

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import (
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from forms.base import TranslatedForm
from forms.choices import STATUSES, Choices, filtered, options
from forms.numbers import BoundedIntegerField, whole_number
from forms.query import QueryFilterForm

ALL = _l("All")
SCOPES: Choices = (
    ("mine", _l("Assigned to me")),
    ("roles", _l("My roles")),
    ("unassigned", _l("Unassigned")),
    ("team", _l("My team")),
)
# What a bulk action does to each selected task (services.tasks.BULK_ACTIONS).
BULK_ACTIONS: Choices = (
    ("claim", _l("Claim")),
    ("release", _l("Release")),
    ("assign", _l("Assign to…")),
)
# The service level of a task's clock (services.tasks.SERVICE_LEVELS).
SERVICE_LEVELS: Choices = (
    ("attention", _l("At risk or breached")),
    ("breached", _l("Breached")),
)
SORTS: Choices = (
    ("due", _l("Due date")),
    ("newest", _l("Newest first")),
    ("oldest", _l("Oldest first")),
)
# The fields that make up an inbox query; the page is left out of a saved filter.
QUERY_FIELDS: tuple[str, ...] = (
    "scope",
    "category",
    "severity",
    "channel",
    "status",
    "department",
    "search",
    "service_level",
    "sort",
    "page",
)


# Whose tasks the managers' list of every open task shows, besides a person's id: nobody's.
NOBODY = "none"


def _person(value: Any) -> int | None:
    """A person's id; None when no one is chosen, or for anything no user id can be."""
    return whole_number(value, 1)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def department_options(departments: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Options of a department filter: 'All', then each department as (the name complaints
    carry, the name in the reader's language)."""
    return [SelectChoice("", ALL)] + [SelectChoice(value, label) for value, label in departments]


class InboxFilterForm(QueryFilterForm):
    """What the inbox shows; bound to the query string so the address can be shared."""

    query_fields = QUERY_FIELDS

    scope = HiddenField(
        default="roles", validators=[Optional(), AnyOf([value for value, _ in SCOPES])]
    )
    category = SelectField(_l("Category"), choices=filtered("categories", ALL), default="")
    severity = SelectField(_l("Severity"), choices=filtered("severities", ALL), default="")
    channel = SelectField(_l("Channel"), choices=filtered("channels", ALL), default="")
    status = SelectField(_l("Status"), choices=options(STATUSES, ALL), default="")
    department = SelectField(_l("Department"), choices=department_options(()), default="")
    search = SearchField(
        _l("Reference or name"), validators=[Optional(), Length(max=200)], filters=[_strip]
    )
    service_level = SelectField(
        _l("Service level"), choices=options(SERVICE_LEVELS, ALL), default=""
    )
    sort = SelectField(_l("Sort by"), choices=options(SORTS), default="due")
    page = BoundedIntegerField(
        widget=HiddenField.widget, validators=[Optional(), NumberRange(min=1, max=100000)]
    )


class AssigneeField(HiddenField):
    """Whose open tasks: a person's id (a number), or NOBODY; left empty, everyone's."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the id or NOBODY; any other text is no one, with the field's error."""
        text = valuelist[0].strip() if valuelist else ""
        self.data = text if text in ("", NOBODY) else _person(text)
        if self.data is None:
            raise ValueError(_l("Give a user id, or “none” for unassigned tasks."))


class AllTasksFilterForm(InboxFilterForm):
    """The inbox's filters over every open task (managers), and whose tasks they are."""

    query_fields = (*QUERY_FIELDS, "assignee")

    assignee = AssigneeField()


class SaveFilterForm(TranslatedForm):
    """A name to keep the inbox's current filters under."""

    name = StringField(
        _l("Save these filters as"),
        validators=[DataRequired(message=_l("Give the filter a name.")), Length(max=100)],
        filters=[_strip],
    )


class ReassignForm(TranslatedForm):
    """A manager hands an open task to someone holding its role."""

    assignee = SelectField(
        _l("Assign to"),
        coerce=int,
        choices=[],
        validators=[DataRequired(message=_l("Choose who takes the task."))],
    )

    def set_candidates(self, people: Iterable[tuple[int, str]]) -> None:
        """The people the task may go to, as (user id, name)."""
        self.assignee.choices = [SelectChoice(user_id, name) for user_id, name in people]


class BulkForm(TranslatedForm):
    """One action on the tasks ticked in a list: claim, release, or (managers) assign."""

    task_ids = SelectMultipleField(
        _l("Tasks"),
        choices=None,
        validate_choice=False,  # any id: each task is checked on the server, one by one
        validators=[DataRequired(message=_l("Tick at least one task."))],
    )
    action = SelectField(
        _l("With the ticked tasks"),
        choices=options(BULK_ACTIONS),
        validators=[DataRequired(message=_l("Choose what to do with the ticked tasks."))],
    )
    assignee = SelectField(_l("Assign to"), coerce=_person, choices=[], validate_choice=False)
    next = HiddenField()

    def set_people(self, people: Iterable[tuple[int, str]], *, assigns: bool) -> None:
        """The people tasks may go to (managers only); others cannot choose "assign"."""
        self.assignee.choices = [SelectChoice("", _l("Choose a person"))] + [
            SelectChoice(str(user_id), name) for user_id, name in people
        ]
        if not assigns:
            self.action.choices = [c for c in options(BULK_ACTIONS) if c.value != "assign"]

    def validate_assignee(self, field: Any) -> None:
        """Assigning needs someone to assign to."""
        if self.action.data == "assign" and not field.data:
            raise ValidationError(_l("Choose who takes the ticked tasks."))
