"""The reports dashboard (managers, analysts): figures, charts and their tables, drill-downs
and table exports.

Every view reads the same filters from the query string (forms.reports), so a chart, its
table, its download and the complaints behind each number share one address scheme.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import department_text, local_time
from app.complaints import OUTCOMES
from app.exports import csv_response, xlsx_response
from app.numbers import number
from app.service_levels import clock_name
from forms import choices
from forms import lists as choice_lists
from forms.choices import label
from forms.reports import (
    AGES,
    COLUMN_LABELS,
    FILTERS,
    KEY_LABELS,
    MEASURES,
    SATISFACTION_LABELS,
    TABLE_TITLES,
    TOTAL_LABELS,
    DashboardFilterForm,
    DrilldownForm,
)
from forms.summary import labelled
from services import improvement, permissions, reports
from services.errors import NotAllowed, NotFound
from services.reports import Cell, Figures, ReportQuery

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# The figure (services.reports.FIGURES) each column of a table drills down to.
DRILL: dict[str, dict[str, str]] = {
    "volumes": {"received": "received", "closed": "closed", "backlog": "backlog"},
    "backlog_by_age": {"count": "age"},
    "service_levels": {"met": "sl_met", "breached": "sl_breached"},
    "times": {"count": "times", "median": "times", "p90": "times"},
    "satisfaction_scores": {"count": "scores"},
    **{name: {"count": name} for name in reports.CODE_FIGURES},
    **{name: {"count": name} for name in ("remedies", "resolution_codes")},
}
# How each chart is drawn (Chart.js types); the table under it says the same.
CHARTS = {
    "volumes": "line",
    "backlog_by_age": "bar",
    "service_levels": "stacked",
    "times": "bar",
    "satisfaction_scores": "bar",
    "outcomes": "horizontal",
    "remedies": "horizontal",
    "escalations": "bar",
    "root_causes": "horizontal",
    "resolution_codes": "horizontal",
    "channels": "doughnut",
    "categories": "horizontal",
    "departments": "horizontal",
}
# A table's row keys in words: the application's own, or a list of the procedure's (by name).
KEY_CHOICES: dict[str, Any] = {
    "backlog_by_age": AGES,
    "times": MEASURES,
    "satisfaction_scores": tuple((str(value), text) for value, text in choices.SCORES),
    "outcomes": tuple(OUTCOMES.items()),
    "remedies": "remedies",
    "escalations": "escalation_targets",
    "root_causes": "root_causes",
    "resolution_codes": "resolution_codes",
    "channels": "channels",
    "categories": "categories",
}
# The totals' drill-downs: a figure, or the backlog at the end of the period.
TOTAL_FIGURES = {**{name: name for name in reports.TOTAL_EVENTS}, "backlog_end": "backlog"}
SATISFACTION_FIGURES = {
    "surveys_sent": "surveys_sent",
    "answered": "surveys_answered",
    "response_rate": "surveys_answered",
    "average": "surveys_answered",
}
HOUR = 3600


@bp.before_request
@login_required
def require_reports() -> None:
    """Managers, quality analysts and senior management read the reports (403 for others)."""
    if not current_user.role_names & permissions.REPORT_ROLES:
        raise NotAllowed(_("Your role does not give access to the reports."))


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


@bp.get("")
def index() -> Any:
    """The figures for the period and filters asked for, each chart with its table."""
    filters, query, valid = _read_query()
    figures = reports.figures(current_user, query)
    tables = [table(figures, name) for name in reports.TABLES]
    return render_template(
        "dashboard/index.html",
        filters=filters,
        query=query,
        args=query.args(),
        figures=figures,
        tables=tables,
        totals=[
            (TOTAL_LABELS[name], TOTAL_FIGURES.get(name), cell)
            for name, cell in figures.totals.items()
        ],
        hides=not permissions.sees_confidential(current_user),
        satisfaction=[
            (SATISFACTION_LABELS[name], name, SATISFACTION_FIGURES[name], cell)
            for name, cell in figures.satisfaction.items()
        ],
        charts=[chart(item) for item in tables],
        actions=_actions(),
    ), (200 if valid else 422)


@bp.get("/complaints")
def complaints() -> Any:
    """The complaints one figure counts, as far as the viewer may see them, a page at a time."""
    filters, query, valid = _read_query()
    drill = DrilldownForm(request.args)
    # A page that is no page number (0, text, too large): the first, and a 422 as for the
    # other filters.
    valid = drill.validate() and valid
    wanted = drill.values()
    figure = wanted.get("figure", "received")
    if figure not in reports.FIGURES:
        raise NotFound(_("There is no such figure."))
    bucket = wanted.get("bucket", "")
    page = reports.drilldown(current_user, query, figure, bucket, wanted.get("page", 1))
    return render_template(
        "dashboard/complaints.html",
        filters=filters,
        query=query,
        args=query.args(),
        page=page,
        figure=figure,
        bucket=bucket,
        title=figure_title(query, figure, bucket),
        paging={**query.args(), "figure": figure, "bucket": bucket},
        label=label,
        categories=choice_lists.filterable().labels("categories").items(),
        statuses=choices.STATUSES,
    ), (200 if valid else 422)


@bp.get("/export/<name>.<fmt>")
def export(name: str, fmt: str) -> Any:
    """One table of the dashboard as CSV or XLSX, with the same period and filters."""
    if name not in reports.TABLES or fmt not in ("csv", "xlsx"):
        raise NotFound(_("There is no such table."))
    _filters, query, _valid = _read_query()
    item = table(reports.figures(current_user, query), name)
    header = [item.key_label, *(text for _column, text in item.columns)]
    rows = [[line.label, *(cell.number for cell in line.values)] for line in item.lines]
    filename = f"{name}-{query.start.isoformat()}-{query.end.isoformat()}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, rows)
    return xlsx_response(filename, header, rows, sheet_name=item.title[:31])


# ---------------------------------------------------------------------------------------------
# Tables and charts, in the reader's language
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A cell as a table shows it: its text, its value for charts and exports, its drill-down."""

    text: str
    number: int | float | Decimal | None
    figure: str | None


@dataclass(frozen=True)
class Line:
    """One row of a table."""

    key: str
    label: str
    values: list[Shown]


@dataclass(frozen=True)
class Table:
    """A dashboard table with its words: title, key column, columns and rows."""

    name: str
    title: str
    key_label: str
    columns: list[tuple[str, str]]
    lines: list[Line]
    chart: str


def table(figures: Figures, name: str) -> Table:
    """Figures' table `name` with its labels (also used by the management review)."""
    columns = reports.COLUMNS[name]
    lines = [
        Line(
            row.key,
            key_label(figures.query, name, row.key),
            [_shown(name, column, row.cells[column]) for column in columns],
        )
        for row in figures.table(name)
    ]
    return Table(
        name=name,
        title=str(TABLE_TITLES[name]),
        key_label=str(KEY_LABELS[name]),
        columns=[(column, str(COLUMN_LABELS[column])) for column in columns],
        lines=lines,
        chart=CHARTS[name],
    )


def _shown(name: str, column: str, cell: Cell) -> Shown:
    figure = DRILL[name].get(column)
    value = cell.value
    if name == "times" and column in ("median", "p90") and value is not None:
        value = round(float(value) / HOUR, 1)
    return Shown(number(value), value, figure)


def key_label(query: ReportQuery, name: str, key: str) -> str:
    """The words for a table's row key: a period, a step, a code."""
    if name == "volumes":
        day = date.fromisoformat(key)
        if query.grain == "week":
            return _("Week of %(day)s", day=local_time.long_date(day, "short"))
        return local_time.long_date(day, "month")
    if name == "service_levels":
        return clock_name(key) or key
    if not key:
        return _("Not recorded")
    if name == "departments":
        return department_text.name_of(key)
    found = KEY_CHOICES.get(name, ())
    if isinstance(found, str):
        return str(choice_lists.filterable().label(found, key))
    return str(label(found, key))


def figure_title(query: ReportQuery, figure: str, bucket: str) -> str:
    """What a drill-down lists, in words."""
    titles = {
        "backlog": _("Open at the end of the period"),
        "age": _("Open now, by age"),
        "scores": _("Satisfaction score"),
        "times": _("Working time measured"),
        "compensation": _("Compensation paid"),
        "sl_met": _("Service level met on time"),
        "sl_breached": _("Service level breached"),
        **{name: str(text) for name, text in TOTAL_LABELS.items()},
        **{name: str(TABLE_TITLES[name]) for name in DRILL if name in TABLE_TITLES},
    }
    title = titles.get(figure, figure)
    if not bucket and figure not in reports.ALWAYS_CODED:  # else: the "Not recorded" row
        return title
    table_of = {
        "received": "volumes",
        "closed": "volumes",
        "backlog": "volumes",
        "age": "backlog_by_age",
        "scores": "satisfaction_scores",
        "times": "times",
        "sl_met": "service_levels",
        "sl_breached": "service_levels",
    }.get(figure, figure)
    try:
        return labelled([(title, key_label(query, table_of, bucket))])
    except ValueError:
        return title


def chart(item: Table) -> dict[str, Any]:
    """The data a chart draws (empty cells are gaps), read by static/js/dashboard.js."""
    return {
        "id": f"chart-{item.name}",
        "type": item.chart,
        "title": item.title,
        "labels": [line.label for line in item.lines],
        "datasets": [
            {
                "label": text,
                "data": [_plain(line.values[index].number) for line in item.lines],
            }
            for index, (column, text) in enumerate(item.columns)
            if not (item.name == "times" and column == "count")
        ],
    }


def _plain(value: int | float | Decimal | None) -> int | float | None:
    return float(value) if isinstance(value, Decimal) else value


# ---------------------------------------------------------------------------------------------
# The query string
# ---------------------------------------------------------------------------------------------


def _read_query() -> tuple[DashboardFilterForm, ReportQuery, bool]:
    """The filter form bound to the query string, and the query it asks for (the defaults
    replace what is wrong, and the form says what was wrong)."""
    filters = DashboardFilterForm(request.args)
    filters.set_choices("department", department_text.labels(reports.departments()))
    filters.set_choices("assignee", ((str(user.id), user.name) for user in reports.handlers()))
    valid = filters.validate()
    default = reports.default_query()
    start, end = filters.period(default.start, default.end)
    values = filters.values()
    chosen: dict[str, Any] = {name: values[name] for name in FILTERS if name in values}
    if "assignee" in chosen:
        chosen["assignee"] = int(chosen["assignee"])
    query = ReportQuery(start=start, end=end, grain=values.get("grain", "month"), **chosen)
    # The form shows the period actually read, defaults included.
    if not filters.start.errors:
        filters.start.data = query.start
    if not filters.end.errors:
        filters.end.data = query.end
    return filters, query, valid


def _actions() -> improvement.ActionSummary:
    """Open and overdue improvement actions."""
    return improvement.summary(current_user)
