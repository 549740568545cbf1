"""Overdue tasks: what the manager does about a missed service level."""

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import Field, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import TaskForm, needs, when
from forms.choices import OVERDUE_ACTIONS, PLACEHOLDER, options

MAX_EXTENSION_DAYS = 90
PEOPLE = (
    "The choices are the ids of the people the overdue step may go to, listed by the task's "
    "own payload_schema (GET /tasks/{task_id})."
)


class DaysField(IntegerField):
    """A whole number of days; left empty, no number (the action may not need one)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the number; an empty input is None rather than an error."""
        if valuelist and isinstance(valuelist[0], str) and not valuelist[0].strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class OverdueReviewForm(TaskForm):
    """The manager's review of an overdue task (form key review_overdue).

    The people offered for "reassign" and "escalate" are set by the caller (set_people).
    """

    overdue_action = RadioField(
        _l("Action"),
        choices=options(OVERDUE_ACTIONS),
        validators=[DataRequired(message=_l("Choose what to do about the delay."))],
    )
    extend_days = DaysField(_l("Extend the deadline by (working days)"))
    reassign_to = SelectField(_l("Reassign to"), choices=options((), PLACEHOLDER), default="")
    escalate_to = SelectField(_l("Escalate to"), choices=options((), PLACEHOLDER), default="")
    overdue_comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])

    def set_people(
        self, reassign: Iterable[tuple[int, str]], escalate: Iterable[tuple[int, str]]
    ) -> None:
        """Offer these users (id, name) to reassign the step to and to escalate it to."""
        self.reassign_to.choices = options(tuple((str(i), n) for i, n in reassign), PLACEHOLDER)
        self.escalate_to.choices = options(tuple((str(i), n) for i, n in escalate), PLACEHOLDER)

    @classmethod
    def json_schema_overrides(cls) -> dict[str, dict[str, Any]]:
        """The number of days an extension may give; where the people offered are listed."""
        return {
            "extend_days": {"minimum": 1, "maximum": MAX_EXTENSION_DAYS},
            "reassign_to": {"$comment": PEOPLE},
            "escalate_to": {"$comment": PEOPLE},
        }

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """What each action needs: the days, or the person."""
        action = "overdue_action"
        chosen = {"type": "string", "minLength": 1}
        return [
            when(action, {"const": "deadline_extended"}, needs(extend_days={"type": "integer"})),
            when(action, {"const": "reassigned"}, needs(reassign_to=chosen)),
            when(action, {"const": "escalated"}, needs(escalate_to=chosen)),
        ]

    def validate_extend_days(self, field: Field) -> None:
        """Extending needs a number of days."""
        if self.overdue_action.data == "deadline_extended" and not field.data:
            raise ValidationError(_l("Say by how many days the deadline moves."))
        if field.data is not None and not 1 <= field.data <= MAX_EXTENSION_DAYS:
            raise ValidationError(_l("Between 1 and %(max)d days.", max=MAX_EXTENSION_DAYS))

    def validate_reassign_to(self, field: Field) -> None:
        """Reassigning needs the person."""
        if self.overdue_action.data == "reassigned" and not field.data:
            raise ValidationError(_l("Choose whom to give the step to."))

    def validate_escalate_to(self, field: Field) -> None:
        """Escalating needs the person."""
        if self.overdue_action.data == "escalated" and not field.data:
            raise ValidationError(_l("Choose whom to escalate the case to."))
