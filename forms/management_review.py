"""The management review: its period (query string), the narrative form, the figures' names."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import DateField, HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from forms.base import TranslatedForm

NARRATIVE_MAX = 20_000

# The headline figures (services.management_review.HEADLINES), as the review names them.
HEADLINE_LABELS: dict[str, Any] = {
    "received": _l("Complaints received"),
    "closed": _l("Complaints closed"),
    "backlog_end": _l("Open at the end of the period"),
    "acknowledged": _l("Acknowledgements sent"),
    "responded": _l("First responses sent"),
    "escalated": _l("Escalations requested"),
    "breached": _l("Closed with a service level missed"),
    "reopened": _l("Cases reopened"),
    "appealed": _l("Reviews asked for by complainants"),
    "acknowledge_median": _l("Median time to acknowledge"),
    "resolve_median": _l("Median time to respond"),
    "resolve_p90": _l("90th percentile time to respond"),
    "close_median": _l("Median time to close"),
    "surveys_answered": _l("Satisfaction surveys answered"),
    "response_rate": _l("Survey response rate"),
    "satisfaction_average": _l("Average satisfaction (1 to 5)"),
    "compensation_total": _l("Compensation paid"),
    "compensation_count": _l("Complaints with compensation"),
}
ACTION_STATUS_LABELS: dict[str, Any] = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}
ISSUE_STATUS_LABELS: dict[str, Any] = {
    "open": _l("Open"),
    "monitoring": _l("Monitoring"),
    "closed": _l("Closed"),
}


class ReviewPeriodForm(TranslatedForm):
    """Which period the review covers (both days included); empty: the last calendar year."""

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (included)"), validators=[Optional()])

    def validate_end(self, field: DateField) -> None:
        """Both days or neither, the first before the last."""
        if (self.start.data is None) != (field.data is None) and not self.start.errors:
            raise ValidationError(_l("Give both the first and the last day, or neither."))
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The last day comes after the first."))


class NarrativeForm(TranslatedForm):
    """The manager's narrative for one period."""

    start = DateField(widget=HiddenField.widget, validators=[InputRequired()])
    end = DateField(widget=HiddenField.widget, validators=[InputRequired()])
    narrative = TextAreaField(
        _l("Narrative"),
        validators=[
            Length(
                max=NARRATIVE_MAX,
                message=_l("Keep the narrative under %(max)d characters.", max=NARRATIVE_MAX),
            )
        ],
        description=_l(
            "What the figures say, what changed since the previous period, the decisions "
            "taken and the improvements planned."
        ),
    )
