"""Recurring problems and improvement: the period asked for, systemic issues, actions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

# Lazy, and named so that pybabel's default keywords extract it with its context: "Open" is a
# verb elsewhere in the catalogue ("Ouvrir"), and an issue is masculine, an action feminine.
from flask_babel import lazy_pgettext as pgettext
from wtforms import Form, SelectChoice
from wtforms.fields import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import WTFORMS_TRANSLATIONS, WTFormsTranslations
from forms.choices import PLACEHOLDER, Choices, options
from forms.query import QueryFilterForm

ISSUE_STATUSES: Choices = (
    ("open", pgettext("systemic issue", "Open")),
    ("monitoring", _l("Monitoring")),
    ("closed", pgettext("systemic issue", "Closed")),
)
ACTION_STATUSES: Choices = (
    ("open", pgettext("improvement action", "Open")),
    ("in_progress", _l("In progress")),
    ("done", pgettext("improvement action", "Done")),
    ("cancelled", _l("Cancelled")),
)
# What a cluster gathers: a dimension whose counts rise, or complaints that look alike.
CLUSTER_KINDS: Choices = (
    ("product", _l("Product or service")),
    ("department", _l("Department")),
    ("root_cause", _l("Root cause")),
    ("category", _l("Category")),
    ("contact", _l("Same contact, same product")),
    ("similar_text", _l("Similar descriptions")),
)
ALL = _l("All")
REFERENCE_SPLIT = re.compile(r"[\s,;]+")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _Translated(Form):
    class Meta:
        def get_translations(self, form: Form) -> WTFormsTranslations:
            """WTForms' own messages ("Not a valid date value.") in the reader's language."""
            return WTFORMS_TRANSLATIONS


class PeriodForm(_Translated):
    """The period /improvement looks at (GET); empty: the last 90 days."""

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def validate_end(self, field: DateField) -> None:
        """The period must not end before it starts."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The period must end on or after its first day."))


def references(text: str | None) -> list[str]:
    """Complaint references typed in a box, separated by spaces, commas or new lines."""
    return [part for part in REFERENCE_SPLIT.split((text or "").upper()) if part]


class SystemicIssueForm(_Translated):
    """Mark a cluster as a systemic issue: what it is, and why it matters."""

    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give the issue a title.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[Optional(), Length(max=20000)],
        description=_l("What goes wrong, for whom, and what it costs the complainants."),
    )
    kind = HiddenField()
    key = HiddenField()
    start = HiddenField()
    end = HiddenField()


class IssueStatusForm(_Translated):
    """Move a systemic issue along: open, monitoring, closed."""

    status = SelectField(_l("Status"), choices=options(ISSUE_STATUSES))


class LinkComplaintsForm(_Translated):
    """Link more complaints by reference."""

    references = TextAreaField(
        _l("Complaint references"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give at least one complaint reference.")),
            Length(max=20000),
        ],
        description=_l("Separated by spaces, commas or new lines, e.g. C-2026-000012."),
        render_kw={"rows": 2},
    )


class ActionForm(_Translated):
    """Open an improvement action: what, who, by when; the owner list is set by the view."""

    title = StringField(
        _l("What is to be done"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Say what is to be done.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Details"), filters=[_strip], validators=[Optional(), Length(max=20000)]
    )
    owner = SelectField(
        _l("Owner"),
        choices=options((), PLACEHOLDER),
        validators=[DataRequired(message=_l("Choose who carries out the action."))],
    )
    due_date = DateField(
        _l("Due date"), validators=[DataRequired(message=_l("Give a due date (YYYY-MM-DD)."))]
    )
    references = TextAreaField(
        _l("Linked complaints"),
        filters=[_strip],
        validators=[Optional(), Length(max=20000)],
        description=_l("Complaint references, separated by spaces, commas or new lines."),
        render_kw={"rows": 2},
    )
    # Where the action comes from: a cluster (kind, key and period), an issue or a complaint.
    kind = HiddenField()
    key = HiddenField()
    start = HiddenField()
    end = HiddenField()
    issue = HiddenField()
    complaint = HiddenField()

    def set_owners(self, people: Iterable[tuple[int, str]]) -> None:
        """Offer these staff (id, name) as the owner."""
        self.owner.choices = [SelectChoice("", PLACEHOLDER)] + [
            SelectChoice(str(id_), name) for id_, name in people
        ]


class ActionUpdateForm(_Translated):
    """The owner's (or a manager's) update: status and outcome."""

    status = SelectField(_l("Status"), choices=options(ACTION_STATUSES))
    outcome = TextAreaField(
        pgettext("improvement action", "Outcome"),
        filters=[_strip],
        validators=[Optional(), Length(max=20000)],
        description=_l("What was changed, and what it achieved. Needed to mark it done."),
    )

    def validate_outcome(self, field: TextAreaField) -> None:
        """An action is done only with its outcome written."""
        if self.status.data == "done" and not field.data:
            raise ValidationError(_l("Say what was done before marking the action done."))


class ActionPlanForm(_Translated):
    """A manager's change of an action's owner or due date."""

    owner = SelectField(_l("Owner"), choices=options((), PLACEHOLDER))
    due_date = DateField(
        _l("Due date"), validators=[DataRequired(message=_l("Give a due date (YYYY-MM-DD)."))]
    )

    def set_owners(self, people: Iterable[tuple[int, str]]) -> None:
        """Offer these staff (id, name) as the owner."""
        self.owner.choices = [SelectChoice(str(id_), name) for id_, name in people]


class ActionFilterForm(QueryFilterForm):
    """Which actions the list shows; bound to the query string so the address can be shared."""

    query_fields = ("status", "owner", "overdue")

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", ALL), SelectChoice("active", _l("Open or in progress"))]
        + options(ACTION_STATUSES),
        default="",
    )
    owner = SelectField(_l("Owner"), choices=[SelectChoice("", ALL)], default="")
    overdue = BooleanField(_l("Overdue only"))

    class Meta:
        def get_translations(self, form: Form) -> WTFormsTranslations:
            """WTForms' own messages in the reader's language."""
            return WTFORMS_TRANSLATIONS

    def set_owners(self, people: Iterable[tuple[int, str]]) -> None:
        """Offer these staff (id, name) in the owner filter."""
        self.owner.choices = [SelectChoice("", ALL)] + [
            SelectChoice(str(id_), name) for id_, name in people
        ]
