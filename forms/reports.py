"""The dashboard's filters (bound to the query string, so a view can be shared) and the words
of its tables: titles, columns and the labels of the buckets."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import DateField, HiddenField, SelectField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from forms.choices import Choices, filtered, options
from forms.numbers import BoundedIntegerField
from forms.query import QueryFilterForm

ALL = _l("All")
GRAINS: Choices = (("month", _l("Month")), ("week", _l("Week")))
ROUTES: Choices = (
    ("minor", _l("Minor")),
    ("major", _l("Major")),
    ("confidential", _l("Confidential")),
)
MAX_DAYS = 5 * 366  # a longer period would only draw an unreadable chart
FILTERS = ("category", "channel", "department", "severity", "route", "assignee")
QUERY_FIELDS = ("start", "end", "grain", *FILTERS)

TABLE_TITLES = {
    "volumes": _l("Complaints received, closed and open"),
    "backlog_by_age": _l("Open complaints by age"),
    "service_levels": _l("Service levels met and breached, per step"),
    "times": _l("Working time to acknowledge, resolve and close"),
    "satisfaction_scores": _l("Satisfaction scores"),
    "outcomes": _l("Outcomes"),
    "remedies": _l("Remedies"),
    "escalations": _l("Escalations by target"),
    "root_causes": _l("Top root causes"),
    "resolution_codes": _l("Resolution codes"),
    "channels": _l("Channel mix"),
    "categories": _l("Complaints received by category"),
    "departments": _l("Complaints received by department"),
}
# The first column of each table (what its keys are).
KEY_LABELS = {
    "volumes": _l("Period"),
    "backlog_by_age": _l("Age"),
    "service_levels": _l("Step"),
    "times": _l("Measure"),
    "satisfaction_scores": _l("Score"),
    "outcomes": _l("Outcome"),
    "remedies": _l("Remedy"),
    "escalations": _l("Target"),
    "root_causes": _l("Root cause"),
    "resolution_codes": _l("Resolution code"),
    "channels": _l("Channel"),
    "categories": _l("Category"),
    "departments": _l("Department"),
}
COLUMN_LABELS = {
    "received": _l("Received"),
    "closed": _l("Closed"),
    "backlog": _l("Open at the end"),
    "count": _l("Complaints"),
    "met": _l("Met on time"),
    "breached": _l("Breached"),
    "median": _l("Median (working hours)"),
    "p90": _l("90th percentile (working hours)"),
}
AGES: Choices = (
    ("0-7", _l("Up to 7 days")),
    ("8-30", _l("8 to 30 days")),
    ("31-90", _l("31 to 90 days")),
    ("91+", _l("More than 90 days")),
)
MEASURES: Choices = (
    ("acknowledge", _l("Acknowledge")),
    ("resolve", _l("Resolve (first response)")),
    ("close", _l("Close")),
)
TOTAL_LABELS = {
    "received": _l("Received"),
    "closed": _l("Closed"),
    "backlog_start": _l("Open at the start"),
    "backlog_end": _l("Open at the end"),
    "acknowledged": _l("Acknowledged"),
    "responded": _l("Responded to"),
    "escalated": _l("Escalated"),
    "breached": _l("Closed with a breached service level"),
    "reopened": _l("Reopened"),
    "appealed": _l("Reviews asked for"),
    "surveys_sent": _l("Surveys sent"),
    "surveys_answered": _l("Surveys answered"),
}
SATISFACTION_LABELS = {
    "surveys_sent": _l("Surveys sent"),
    "answered": _l("Surveys answered"),
    "response_rate": _l("Response rate"),
    "average": _l("Average score (1 to 5)"),
}


class DashboardFilterForm(QueryFilterForm):
    """The period, grain and filters of the dashboard; department and assignee choices are
    data (the view sets them)."""

    query_fields = QUERY_FIELDS

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    grain = SelectField(_l("By"), choices=options(GRAINS), default="month")
    category = SelectField(_l("Category"), choices=filtered("categories", ALL), default="")
    channel = SelectField(_l("Channel"), choices=filtered("channels", ALL), default="")
    department = SelectField(_l("Department"), choices=[SelectChoice("", ALL)], default="")
    severity = SelectField(_l("Severity"), choices=filtered("severities", ALL), default="")
    route = SelectField(_l("Route"), choices=options(ROUTES, ALL), default="")
    assignee = SelectField(_l("Handled by"), choices=[SelectChoice("", ALL)], default="")

    def set_choices(self, field_name: str, values: Iterable[tuple[str, Any]]) -> None:
        """The options of a filter: 'All', then (value, label) pairs."""
        self[field_name].choices = [SelectChoice("", ALL)] + [
            SelectChoice(value, text) for value, text in values
        ]

    def validate_end(self, field: DateField) -> None:
        """The period runs forward and stays readable."""
        start, end = self.start.data, field.data
        if start is None or end is None:
            return
        if end < start:
            raise ValidationError(_l("The end of the period comes before its start."))
        if (end - start).days > MAX_DAYS:
            raise ValidationError(_l("Choose a period of five years at most."))

    def period(self, default_start: date, default_end: date) -> tuple[date, date]:
        """The period asked for, the defaults filling what was left empty or wrong."""
        start = self.start.data if not self.start.errors and self.start.data else default_start
        end = self.end.data if not self.end.errors and self.end.data else default_end
        if self.end.errors or end < start:
            return default_start, default_end
        return start, end


class DrilldownForm(QueryFilterForm):
    """Which figure and bucket a drill-down lists, and the page."""

    query_fields = ("figure", "bucket", "page")

    figure = StringField(validators=[Optional()])
    bucket = StringField(validators=[Optional()])
    page = BoundedIntegerField(
        widget=HiddenField.widget, validators=[Optional(), NumberRange(min=1, max=100000)]
    )
