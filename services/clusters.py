"""What recurring problems are made of: the thresholds (processes/recurring.toml), the period
and the one before it, and clusters with their weekly trend (services.rising,
services.look_alikes, services.recurring)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, func

from services import business_calendar
from services.errors import InvalidInput, NotFound
from services.models import Complaint

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "processes" / "recurring.toml"
DIMENSIONS = ("product", "department", "root_cause", "category")
LOOK_ALIKES = ("contact", "similar_text")
KINDS = DIMENSIONS + LOOK_ALIKES
# The complaints a cluster lists at most (newest first); its counts are always complete.
LIST_LIMIT = 200
# The longest period a person may ask for: two years, compared with the two before.
MAX_DAYS = 731
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True)
class Settings:
    """The thresholds of processes/recurring.toml."""

    period_days: int
    cache_seconds: int
    rise_min_count: int
    rise_min_increase: int
    rise_min_ratio: float
    rise_max_per_dimension: int
    look_alike_days: int
    look_alike_min_size: int
    max_clusters: int
    max_contact_groups: int
    text_threshold: float
    text_shingle: int
    text_max_candidates: int
    text_max_group: int


@cache
def settings() -> Settings:
    """Read processes/recurring.toml once."""
    raw = tomllib.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
    rising, alike, text = raw["rising"], raw["look_alike"], raw["similar_text"]
    return Settings(
        period_days=int(raw["period"]["days"]),
        cache_seconds=int(raw["period"]["cache_seconds"]),
        rise_min_count=int(rising["min_count"]),
        rise_min_increase=int(rising["min_increase"]),
        rise_min_ratio=float(rising["min_ratio"]),
        rise_max_per_dimension=int(rising["max_per_dimension"]),
        look_alike_days=int(alike["days"]),
        look_alike_min_size=max(2, int(alike["min_size"])),
        max_clusters=int(alike["max_clusters"]),
        max_contact_groups=int(alike["max_contact_groups"]),
        text_threshold=float(text["threshold"]),
        text_shingle=max(1, int(text["shingle"])),
        text_max_candidates=int(text["max_candidates"]),
        text_max_group=int(text["max_group"]),
    )


@dataclass(frozen=True)
class Period:
    """Calendar days of the organisation, both ends included, and the period just before."""

    start: date
    end: date
    previous_start: date
    previous_end: date

    @property
    def days(self) -> int:
        """The period's length in days."""
        return (self.end - self.start).days + 1

    @property
    def weeks(self) -> list[date]:
        """The first day of each week of the period (the last one may be shorter)."""
        return [self.start + timedelta(days=7 * n) for n in range(-(-self.days // 7))]


def period(start: date | None = None, end: date | None = None) -> Period:
    """The period asked for (default: the last `period.days` days to today), and the one before."""
    end = end or business_calendar.local_today()
    start = start or end - timedelta(days=settings().period_days - 1)
    if start > end:
        raise InvalidInput("The period must start before it ends.", details={"start": ["order"]})
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput("The period is too long (two years at most).")
    if start.year < FIRST_YEAR or end.year > LAST_YEAR:
        # Dates far out would overflow the previous period's start or the day after the end.
        raise InvalidInput(f"The period must lie between {FIRST_YEAR} and {LAST_YEAR}.")
    length = timedelta(days=(end - start).days + 1)
    return Period(start, end, start - length, start - timedelta(days=1))


def instant(day: date) -> datetime:
    """The UTC moment the organisation's calendar day `day` begins."""
    return business_calendar.from_local(datetime.combine(day, time()))


@dataclass(frozen=True)
class WeekCount:
    """Complaints received in one week of the period."""

    week: date
    count: int
    display: str


@dataclass(frozen=True)
class ComplaintRef:
    """A complaint a cluster lists (the viewer may see it)."""

    id: int
    reference: str
    received_at: datetime


@dataclass
class Cluster:
    """A recurring problem: a rising value of a dimension, or complaints that look alike."""

    kind: str
    key: str
    label: str
    now: int
    before: int | None
    now_display: str
    before_display: str
    trend: list[WeekCount]
    complaints: list[ComplaintRef] = field(default_factory=list)
    issue_id: int | None = None

    @property
    def change(self) -> int | None:
        """How many more than in the previous period (None when not counted)."""
        return None if self.before is None else self.now - self.before

    @property
    def change_display(self) -> str:
        """The change, signed ("—" when the previous period is not counted)."""
        if self.change is None:
            return "—"
        return f"{self.change:+d}"

    @property
    def rising(self) -> bool:
        """True for a dimension's value (its complaints load with `cluster`)."""
        return self.kind in DIMENSIONS

    def bar_heights(self, height: int = 22) -> list[int]:
        """Sparkline bar heights, the highest week `height`."""
        values = [week.count for week in self.trend]
        top = max(values, default=0)
        return [round(value * height / top) if top else 0 for value in values]


def squeeze(value: Any) -> Any:
    """Lower case, trimmed, runs of up to four spaces made one (the same on both databases)."""
    return func.replace(func.replace(func.lower(func.trim(value)), "  ", " "), "  ", " ")


def dimension_expression(kind: str) -> Any:
    """The SQL value complaints are grouped by for a dimension (its normalised form)."""
    if kind == "product":
        return squeeze(Complaint.product_service)
    if kind == "department":
        return func.trim(Complaint.department)
    if kind == "root_cause":
        return Complaint.root_cause_category
    if kind == "category":
        return Complaint.category
    raise NotFound("No such kind of cluster.")


def between(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Complaint.received_at >= start, Complaint.received_at < end)


def week_counts(span: Period, counts: dict[int, int]) -> list[WeekCount]:
    """Each week of the period with its count (`counts` by the week's index; none: 0)."""
    series = []
    for index, week in enumerate(span.weeks):
        count = counts.get(index, 0)
        series.append(WeekCount(week, count, str(count)))
    return series
