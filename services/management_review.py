"""The management review of a period (ISO 10002): figures against the period before, recurring
problems, systemic issues, improvement actions, and the narrative the manager writes.

The figures are computed on demand (services.reports, so they count confidential complaints
as the dashboard does); only the narrative is stored, one ManagementReview row per period.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from services import audit, business_calendar, improvement, permissions, recurring, reports, roles
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput, NotAllowed
from services.models import ImprovementAction, ManagementReview, SystemicIssue, User
from services.reports import Cell, Figures, ReportQuery, Row

MAX_DAYS = recurring.MAX_DAYS  # two years: the recurring problems' limit too
NARRATIVE_MAX = 20_000

# The headline figures compared with the previous period: (key, where, name, kind); `where`
# names the Figures mapping or table the figure comes from. `kind` says how to show it.
HEADLINES: tuple[tuple[str, str, str, str], ...] = (
    ("received", "totals", "received", "count"),
    ("closed", "totals", "closed", "count"),
    ("backlog_end", "totals", "backlog_end", "count"),
    ("acknowledged", "totals", "acknowledged", "count"),
    ("responded", "totals", "responded", "count"),
    ("escalated", "totals", "escalated", "count"),
    ("breached", "totals", "breached", "count"),
    ("reopened", "totals", "reopened", "count"),
    ("appealed", "totals", "appealed", "count"),
    ("acknowledge_median", "times:acknowledge", "median", "seconds"),
    ("resolve_median", "times:resolve", "median", "seconds"),
    ("resolve_p90", "times:resolve", "p90", "seconds"),
    ("close_median", "times:close", "median", "seconds"),
    ("surveys_answered", "satisfaction", "answered", "count"),
    ("response_rate", "satisfaction", "response_rate", "rate"),
    ("satisfaction_average", "satisfaction", "average", "score"),
    ("compensation_total", "compensation", "total", "money"),
    ("compensation_count", "compensation", "count", "count"),
)
# The tables set side by side with the previous period (reports.TABLES minus the time series
# and the backlog's ages, which are "now", not the period's).
TABLES = (
    "service_levels",
    "outcomes",
    "root_causes",
    "resolution_codes",
    "remedies",
    "escalations",
    "channels",
    "categories",
    "departments",
    "satisfaction_scores",
)


@dataclass(frozen=True)
class ReviewPeriod:
    """The reviewed period and the one it is compared with (calendar days, both inclusive)."""

    start: date
    end: date
    previous_start: date
    previous_end: date

    @property
    def days(self) -> int:
        """The period's length in days."""
        return (self.end - self.start).days + 1


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last calendar year."""
    year = (today or business_calendar.local_today()).year - 1
    return date(year, 1, 1), date(year, 12, 31)


def _whole_months(start: date, end: date) -> int | None:
    """The number of months when the period is whole calendar months, else None."""
    last_day = calendar.monthrange(end.year, end.month)[1]
    if start.day != 1 or end.day != last_day:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def previous(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before: as many months for whole months (2025 is
    compared with 2024, a quarter with the quarter before), else as many days."""
    months = _whole_months(start, end)
    previous_end = start - timedelta(days=1)
    if months is None:
        return start - timedelta(days=(end - start).days + 1), previous_end
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1), previous_end


def review_period(start: date | None = None, end: date | None = None) -> ReviewPeriod:
    """The period asked for (default: the last calendar year), checked, with the one before."""
    if start is None and end is None:
        start, end = default_period()
    elif start is None or end is None:
        raise InvalidInput("Give both the first and the last day of the period.")
    if start > end:
        raise InvalidInput("The period must start before it ends.")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput("The period is too long (two years at most).")
    return ReviewPeriod(start, end, *previous(start, end))


# ---------------------------------------------------------------------------------------------
# Who reads and who writes
# ---------------------------------------------------------------------------------------------


def reads_reviews(user: User) -> bool:
    """Managers, quality analysts and senior management read the review."""
    return user.active and bool(user.role_names & permissions.REPORT_ROLES)


def writes_narrative(user: User) -> bool:
    """Managers write the narrative."""
    return user.active and user.has_role(roles.MANAGER)


def require_reads(user: User) -> User:
    """The user if they may read the review, else NotAllowed."""
    if not reads_reviews(user):
        raise NotAllowed("Only managers, quality analysts and senior management read the review.")
    return user


# ---------------------------------------------------------------------------------------------
# The review
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One figure now and in the previous period, and the change when both can be shown."""

    key: str
    kind: str  # count, seconds, rate, score, money
    now: Cell
    before: Cell

    @property
    def change(self) -> int | float | Decimal | None:
        """Now minus before; None when either is missing."""
        if self.now.value is None or self.before.value is None:
            return None
        return self.now.value - self.before.value  # type: ignore[operator]

    @property
    def percent(self) -> float | None:
        """The change as a share of the previous figure (counts and amounts only)."""
        change = self.change
        if change is None or self.kind in ("rate", "score") or not self.before.value:
            return None
        return float(change) / float(self.before.value)


@dataclass(frozen=True)
class ComparedRow:
    """A line of a table: its key and its cells now and in the previous period."""

    key: str
    now: dict[str, Cell]
    before: dict[str, Cell]


@dataclass(frozen=True)
class ComparedTable:
    """A dashboard table for the period beside the same table for the previous period."""

    name: str
    columns: tuple[str, ...]
    rows: list[ComparedRow]


@dataclass
class Review:
    """Everything the review page and its PDF show."""

    period: ReviewPeriod
    now: Figures
    before: Figures
    headlines: list[Comparison]
    tables: list[ComparedTable]
    recurring: recurring.Recurring
    issues: list[SystemicIssue]
    actions: list[ImprovementAction]
    actions_by_status: dict[str, int]
    overdue_action_ids: set[int]
    record: ManagementReview | None

    @property
    def narrative(self) -> str:
        """The manager's text ("" before one is written)."""
        return self.record.narrative if self.record else ""


EMPTY = Cell(None)


def _cell(figures: Figures, where: str, name: str) -> Cell:
    if where.startswith("times:"):
        measure = where.split(":", 1)[1]
        row = next((r for r in figures.times if r.key == measure), None)
        if row is None or row.cells.get("count", EMPTY).value == 0:
            return EMPTY  # nothing measured: no median to compare
        return row.cells.get(name, EMPTY)
    found: dict[str, Cell] = getattr(figures, where)
    # A rate or an average over nothing is no figure (the dashboard's cells say 0).
    basis = {"response_rate": "surveys_sent", "average": "answered"}.get(name)
    if where == "satisfaction" and basis and found.get(basis, EMPTY).value == 0:
        return EMPTY
    return found.get(name, EMPTY)


def headlines(now: Figures, before: Figures) -> list[Comparison]:
    """The headline figures of both periods, side by side."""
    return [
        Comparison(key, kind, _cell(now, where, name), _cell(before, where, name))
        for key, where, name, kind in HEADLINES
    ]


def compare_table(name: str, now: list[Row], before: list[Row]) -> ComparedTable:
    """A table's rows for both periods, by key: this period's order, then keys only seen before."""
    current = {row.key: row.cells for row in now}
    earlier = {row.key: row.cells for row in before}
    keys = list(current) + [key for key in earlier if key not in current]
    return ComparedTable(
        name,
        reports.COLUMNS[name],
        [ComparedRow(key, current.get(key, {}), earlier.get(key, {})) for key in keys],
    )


def review(viewer: User, start: date | None = None, end: date | None = None) -> Review:
    """The review of a period as the viewer may read it (confidential: as on the dashboard)."""
    require_reads(viewer)
    span = review_period(start, end)
    query = ReportQuery(start=span.start, end=span.end, grain="month")
    now = reports.figures(viewer, query)
    before = reports.figures(
        viewer, ReportQuery(start=span.previous_start, end=span.previous_end, grain="month")
    )
    actions = improvement.actions(viewer, improvement.ActionFilter(start=span.start, end=span.end))
    today = business_calendar.local_today()
    return Review(
        period=span,
        now=now,
        before=before,
        headlines=headlines(now, before),
        tables=[compare_table(name, now.table(name), before.table(name)) for name in TABLES],
        recurring=recurring.recurring(viewer, span.start, span.end),
        issues=improvement.systemic_issues(viewer, start=span.start, end=span.end),
        actions=actions,
        actions_by_status=dict(Counter(action.status for action in actions)),
        overdue_action_ids={a.id for a in actions if improvement.is_overdue(a, today)},
        record=record_for(span.start, span.end),
    )


# ---------------------------------------------------------------------------------------------
# The narrative
# ---------------------------------------------------------------------------------------------


def record_for(start: date, end: date) -> ManagementReview | None:
    """The stored review of exactly this period, if a narrative was written."""
    return db.session.scalar(
        select(ManagementReview).where(
            ManagementReview.period_start == start, ManagementReview.period_end == end
        )
    )


def save_narrative(actor: User, start: date, end: date, text: str) -> ManagementReview:
    """Create or update the period's narrative; audited (the caller commits)."""
    if not writes_narrative(actor):
        raise NotAllowed("Only managers write the review's narrative.")
    span = review_period(start, end)
    text = text.strip().replace("\r\n", "\n")
    if len(text) > NARRATIVE_MAX:
        raise InvalidInput(f"The narrative is too long ({NARRATIVE_MAX} characters at most).")
    record = record_for(span.start, span.end)
    created = record is None
    if record is None:
        record = ManagementReview(period_start=span.start, period_end=span.end)
        db.session.add(record)
    before = record.narrative or ""
    record.narrative = text
    record.updated_by = actor
    record.updated_at = utcnow()
    db.session.flush()
    audit.record(
        None,
        "management_review_saved",
        actor=actor,
        summary=f"Management review {span.start.isoformat()} to {span.end.isoformat()}: "
        + ("narrative written" if created else "narrative changed"),
        data={
            "review_id": record.id,
            "period_start": span.start,
            "period_end": span.end,
            "characters": len(text),
            "previous_characters": len(before),
        },
    )
    return record
