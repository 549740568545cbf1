"""What form definitions reference by name because it needs code: the application's own
choice lists, choices filled from data, validators, filters and rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import Field
from wtforms.validators import Email, ValidationError

from forms import choices
from forms.base import BlankIsNone, NoPlaceholder, NotInFuture, Rule, when
from forms.intake import API_EMAIL_PATTERN
from forms.numbers import BoundedIntegerField, FiniteDecimalField

# The lists the application owns that a definition may name (forms.choices): each value needs
# code. The procedure's own lists are data, deployed with it (processes/choices.toml,
# forms.lists), and a definition names them the same way.
LISTS: dict[str, choices.Choices] = {
    "safe_contact_methods": choices.SAFE_CONTACT_METHODS,
    "contact_channels": choices.CONTACT_CHANNELS,
}

# Choices filled from the database when the form is built for a task
# (services.form_definitions.fill_choices), with what the API schema says about them.
PEOPLE = (
    "The choices are the ids of the people the overdue step may go to, listed by the task's "
    "own payload_schema (GET /tasks/{task_id})."
)
SERVICES = (
    "The choices are the active support services (their ids), listed by the task's own "
    "payload_schema (GET /tasks/{task_id})."
)
CHOICE_SOURCES: dict[str, str] = {
    "overdue_reassign": PEOPLE,
    "overdue_escalate": PEOPLE,
    "support_services": SERVICES,
}

VALIDATORS: dict[str, Callable[[], Any]] = {
    "no_placeholder": NoPlaceholder,
    "not_in_future": NotInFuture,
    "email": lambda: Email(message=_l("Enter a valid email address.")),
}


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


FILTERS: dict[str, Callable[[Any], Any]] = {"upper": _upper}


class NumberField(BlankIsNone, FiniteDecimalField):
    """A number; left empty, no number (a rule may still ask for one)."""


class WholeNumberField(BlankIsNone, BoundedIntegerField):
    """A whole number (days, counts); left empty, no number."""


@dataclass(frozen=True)
class CodedRule:
    """A rule written in Python, and the fields it needs the form to have."""

    rule: Rule
    reads: tuple[str, ...]


def _safe_email(form: Form) -> Any:
    """A safe contact given as an email address must be one."""
    field: Field = form["safe_contact_details"]
    if form["safe_contact_method"].data != "email" or not field.data:
        return None
    try:
        Email(message=_l("Enter a valid email address."))(form, field)
    except ValidationError as exc:
        return exc.args[0]
    return None


RULES: dict[str, CodedRule] = {
    "safe_contact_email": CodedRule(
        Rule(
            field="safe_contact_details",
            message=_l("Enter a valid email address."),
            python=_safe_email,
            schema=when(
                "safe_contact_method",
                {"const": "email"},
                {"properties": {"safe_contact_details": {"pattern": API_EMAIL_PATTERN}}},
            ),
        ),
        reads=("safe_contact_method", "safe_contact_details"),
    ),
}
