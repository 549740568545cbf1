"""The dashboard's figures for a period and filters, and the complaints behind each figure.

Two paths give the same answers. With no filter, one, or two on dimensions rolled up in pairs
(reporting.PAIRED), the figures are read from the daily roll-ups (ReportDay, ReportCodeDay: one
slice per dimension value or pair of values, maintained on save by services.reporting), so a
year reads a slice's days whatever the volume. With other filters at once they are counted
from the report facts (ReportFact: one narrow row per complaint, kept by services.reporting's
refresh) in one statement: one pass over the selected rows, each reduced to small numbers and
codes, grouped several ways at once. The complaint
table can be counted by the same rules (path "complaints", a CTE of the selected rows grouped
a few times: the tests and the benchmark compare the two). Every path fills the same tally, from
which one function builds the figures, so what a viewer may know and the percentiles come
out the same whichever path answered.

Confidential complaints are counted for the viewers cleared for them, and for nobody else:
any figure that took them in would let someone who compares it with the complaints they can
list learn that some exist, and narrowing the period and the filters would single one out
(a "< 5" in place of small counts said as much). So every figure a viewer without clearance
reads counts the complaints that viewer may list, as the drill-downs do.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Numeric,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from services import business_calendar, permissions, presets, reporting
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput
from services.models import (
    Complaint,
    ComplaintCode,
    ReportCodeDay,
    ReportDay,
    ReportFact,
    ReportStaleDay,
    User,
)
from services.paging import Paged

GRAINS = ("week", "month")
DIMENSIONS = ("category", "channel", "department", "severity", "route", "assignee")
# Age of open complaints now, in calendar days: (key, lowest age, highest age or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("91+", 91, None),
)
MEASURES = ("acknowledge", "resolve", "close")
TOP = 10  # root causes shown
TABLES = (
    "volumes",
    "backlog_by_age",
    "service_levels",
    "times",
    "satisfaction_scores",
    "outcomes",
    "remedies",
    "escalations",
    "root_causes",
    "resolution_codes",
    "channels",
    "categories",
    "departments",
)
ALL = reporting.ALL  # the roll-ups' slice holding everything

# The day each figure is counted on, and the complaints it counts: services.reporting fills
# the roll-ups by the same rules (its docstring), the complaint-table path and the drill-downs
# read them from here.
TOTAL_EVENTS: dict[str, Any] = {
    "received": Complaint.received_at,
    "closed": Complaint.closed_at,
    "acknowledged": Complaint.acknowledged_at,
    "responded": Complaint.responded_at,
    "surveys_sent": Complaint.responded_at,  # the survey goes out with the response
    "escalated": Complaint.escalated_at,
    "breached": Complaint.closed_at,
    "reopened": Complaint.reopened_at,
    "appealed": Complaint.appeal_requested_at,
    "surveys_answered": Complaint.surveyed_at,
}
# The totals counted from rows, in the order of their flags (the complaint-table path).
TOTAL_FLAGS = (*TOTAL_EVENTS, "backlog_start")
# The other columns a complaint row brings.
ROW_COLUMNS: dict[str, Any] = {
    "score": Complaint.satisfaction_score,
    "compensation": Complaint.compensation_paid,
    "outcome": Complaint.outcome,
    "escalation_target": Complaint.escalation_target,
    "root_cause": Complaint.root_cause_category,
    "channel": Complaint.channel,
    "category": Complaint.category,
    "department": Complaint.department,
    "ack_seconds": Complaint.ack_working_seconds,
    "resolve_seconds": Complaint.resolve_working_seconds,
    "close_seconds": Complaint.close_working_seconds,
    "breaches": Complaint.breaches,
}
# A total counts a complaint whose event fell in the period and that passes its test.
TOTAL_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "breached": Complaint.breaches > 0,
    "surveys_answered": Complaint.satisfaction_score.is_not(None),
}
# Tables counted by one code column: figure -> (row column, event).
CODE_FIGURES = {
    "outcomes": ("outcome", "closed"),
    "escalations": ("escalation_target", "escalated"),
    "root_causes": ("root_cause", "closed"),
    "channels": ("channel", "received"),
    "categories": ("category", "received"),
    "departments": ("department", "received"),
}
CODE_FIGURES_BY_COLUMN = {column: figure for figure, (column, _event) in CODE_FIGURES.items()}
# Figures whose codes are free text (a department's name may hold "|"): the complaint-table
# path groups them on their own, not in a row's "coded" key.
FREE_TEXT = frozenset({"departments"})
# The figures of a row's "coded" key, in order.
CODED = (*(figure for figure in CODE_FIGURES if figure not in FREE_TEXT), "scores")
# Counted even when the code is empty (under ""): every complaint has a channel, an
# escalation counts before its target is known, and a complaint received counts under its
# category and department before they are known ("Not recorded"), so each of these tables
# adds up to its total.
ALWAYS_CODED = frozenset({"channels", "categories", "departments", "escalations"})
# Tables counted from ComplaintCode rows, on the day the complaint closed: figure -> kind.
CODE_KINDS = {
    "remedies": "remedy",
    "resolution_codes": "resolution_code",
    "sl_met": "clock_met",
    "sl_breached": "clock_breached",
}
# Working times: measure -> (row column, event).
TIME_FIGURES = {
    "acknowledge": ("ack_seconds", "acknowledged"),
    "resolve": ("resolve_seconds", "responded"),
    "close": ("close_seconds", "closed"),
}
COMPENSATION_EVENT = "closed"
DAY_COLUMNS = list({column.key: column for column in TOTAL_EVENTS.values()}.values())
# ReportCodeDay kinds -> the figure they count; working-time histograms -> the measure.
KIND_FIGURES = {
    "outcome": "outcomes",
    "escalation_target": "escalations",
    "root_cause": "root_causes",
    "channel": "channels",
    "category": "categories",
    "department": "departments",
    "score": "scores",
    **{kind: figure for figure, kind in CODE_KINDS.items()},
}
TIME_KINDS = {f"time_{measure}": measure for measure in TIME_FIGURES}


# ---------------------------------------------------------------------------------------------
# What is asked, and what is answered
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportQuery:
    """A period (local days, both inclusive), a grain and up to six filters."""

    start: date
    end: date
    grain: str = "month"
    category: str | None = None
    channel: str | None = None
    department: str | None = None
    severity: str | None = None
    route: str | None = None
    assignee: int | None = None  # a user id: the complaint's handler

    def filters(self) -> dict[str, str]:
        """The filters set, by dimension."""
        found = {name: getattr(self, name) for name in DIMENSIONS}
        return {name: str(value) for name, value in found.items() if value not in (None, "")}

    def periods(self) -> list[date]:
        """The first day of each week or month in the period (the first one: `start`)."""
        keys = [self.start]
        day = _period_start(self.start, self.grain)
        while True:
            day = _next_period(day, self.grain)
            if day > self.end:
                return keys
            keys.append(day)

    def args(self) -> dict[str, str]:
        """The query as URL arguments (the dashboard's form fields)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "grain": self.grain,
            **self.filters(),
        }


def default_query(today: date | None = None) -> ReportQuery:
    """The last twelve months, by month, ending today."""
    today = today or business_calendar.local_today()
    start = _next_period(_period_start(today, "month"), "month")
    return ReportQuery(start=date(start.year - 1, start.month, 1), end=today)


@dataclass(frozen=True)
class Cell:
    """One number of a figure; None when there is nothing to measure."""

    value: int | float | Decimal | None

    def __str__(self) -> str:
        return "" if self.value is None else str(self.value)


@dataclass(frozen=True)
class Row:
    """One line of a table: its key (a period's first day, a code, a bucket) and its cells."""

    key: str
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one query, as one viewer may see it."""

    query: ReportQuery
    path: str  # "rollup", "facts" or "complaints"
    volumes: list[Row]
    totals: dict[str, Cell]
    backlog_by_age: list[Row]
    service_levels: list[Row]
    times: list[Row]
    satisfaction: dict[str, Cell]
    satisfaction_scores: list[Row]
    outcomes: list[Row]
    remedies: list[Row]
    compensation: dict[str, Cell]
    escalations: list[Row]
    root_causes: list[Row]
    resolution_codes: list[Row]
    channels: list[Row]
    categories: list[Row]
    departments: list[Row]

    def table(self, name: str) -> list[Row]:
        """A table by name (one of TABLES)."""
        if name not in TABLES:
            raise KeyError(name)
        rows: list[Row] = getattr(self, name)
        return rows


# Each table's columns after its key; the others have one: "count".
COLUMNS: dict[str, tuple[str, ...]] = {
    **{name: ("count",) for name in TABLES},
    "volumes": ("received", "closed", "backlog"),
    "service_levels": ("met", "breached"),
    "times": ("count", "median", "p90"),
}


# ---------------------------------------------------------------------------------------------
# Tallies: what both paths count, before a viewer's share is taken
# ---------------------------------------------------------------------------------------------


def _pair() -> list[int]:
    return [0, 0]


@dataclass
class Tally:
    """Counts as [all, confidential] pairs, sums, and working-time histograms."""

    counts: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(_pair))
    money: dict[str, list[Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])
    )
    score_sum: list[int] = field(default_factory=_pair)
    # measure -> bucket -> [all, confidential]
    times: dict[str, dict[int, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(_pair))
    )

    def add(self, figure: str, key: str, confidential: bool, count: int = 1) -> None:
        """Count `count` complaints under (figure, key)."""
        pair = self.counts[(figure, key)]
        pair[0] += count
        if confidential:
            pair[1] += count

    def keys(self, figure: str) -> list[str]:
        """The keys counted under `figure`."""
        return sorted(key for name, key in self.counts if name == figure)

    def comparable(self) -> dict[str, Any]:
        """Everything counted, in plain values (the tests compare both paths with it)."""
        return {
            "counts": {f"{f}:{k}": v for (f, k), v in sorted(self.counts.items()) if v[0]},
            "money": {k: v for k, v in self.money.items() if v[0]},
            "score_sum": self.score_sum,
            "times": {
                m: {b: v for b, v in sorted(h.items()) if v[0]} for m, h in self.times.items()
            },
        }


def tally(query: ReportQuery, path: str | None = None) -> tuple[str, Tally]:
    """Count what the figures need, by the fastest path that can answer (or the one named)."""
    if path is None:
        path = "rollup" if _rolled_up(query) else "facts"
    if path == "rollup":
        return path, _tally_rollups(query)
    if path == "facts":
        return path, _tally_facts(query)
    return path, _tally_complaints(query)


def figures(viewer: User, query: ReportQuery, path: str | None = None) -> Figures:
    """The figures of `query` as `viewer` may see them (the module's note says how)."""
    used, counted = tally(query, path)
    hide = not permissions.sees_confidential(viewer)
    ages = _backlog_by_age(query, ReportFact if used == "facts" else Complaint)
    return _build(query, used, counted, ages, hide)


# ---------------------------------------------------------------------------------------------
# Days, periods and moments
# ---------------------------------------------------------------------------------------------


def _period_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_period(day: date, grain: str) -> date:
    if grain == "week":
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _moment(day: date) -> datetime:
    """The UTC moment a local day begins."""
    return business_calendar.from_local(datetime.combine(day, time()))


def _bounds(query: ReportQuery) -> tuple[datetime, datetime]:
    return _moment(query.start), _moment(query.end + timedelta(days=1))


class _Periods:
    """Puts a local day in its period (its key: the period's first day)."""

    def __init__(self, query: ReportQuery) -> None:
        self.keys = query.periods()

    def of_day(self, day: date) -> str:
        return self.keys[bisect_right(self.keys, day) - 1].isoformat()


# ---------------------------------------------------------------------------------------------
# The roll-up path
# ---------------------------------------------------------------------------------------------


def _slice(query: ReportQuery) -> tuple[str, str]:
    filters = query.filters()
    if len(filters) <= 1:
        return next(iter(filters.items())) if filters else (ALL, "")
    pair = reporting.pair_slice(filters)
    if pair is None:
        raise ValueError("the roll-ups hold one dimension, or two of reporting.PAIRED")
    return pair


def _rolled_up(query: ReportQuery) -> bool:
    """Whether the roll-ups hold the query's slice: none or one filter, or two of PAIRED
    once no day up to the period's end waits for its pairs (after the migration that added
    them, the timer loop computes the days a week per round)."""
    filters = query.filters()
    if len(filters) <= 1:
        return True
    if reporting.pair_slice(filters) is None:
        return False
    waiting = select(ReportStaleDay.day).where(ReportStaleDay.day <= query.end).limit(1)
    return db.session.scalar(waiting) is None


DAY_COUNTS = (
    "received",
    "closed",
    "acknowledged",
    "responded",
    "escalated",
    "breached",
    "reopened",
    "appealed",
    "surveys_sent",
    "surveys_answered",
)


def _tally_rollups(query: ReportQuery) -> Tally:
    dimension, value = _slice(query)
    counted = Tally()
    periods = _Periods(query)
    names = ("day", "confidential", *DAY_COUNTS, "score_sum", "compensation")
    day_rows = db.session.execute(
        select(*(getattr(ReportDay, name) for name in names)).where(
            ReportDay.dimension == dimension,
            ReportDay.value == value,
            ReportDay.day.between(query.start, query.end),
        )
    )
    for values in day_rows:
        row = dict(zip(names, values, strict=True))
        secret = bool(row["confidential"])
        period = periods.of_day(row["day"])
        for name in DAY_COUNTS:
            count = row[name]
            if count:
                counted.add("totals", name, secret, count)
                if name in ("received", "closed"):
                    counted.add(name, period, secret, count)
        counted.score_sum[0] += row["score_sum"]
        if secret:
            counted.score_sum[1] += row["score_sum"]
        if row["compensation"]:
            money = counted.money["compensation"]
            money[0] += row["compensation"]
            if secret:
                money[1] += row["compensation"]
    # The backlog when the period starts: everything received and not closed before it.
    before = db.session.execute(
        select(
            ReportDay.confidential,
            func.coalesce(func.sum(ReportDay.received), 0),
            func.coalesce(func.sum(ReportDay.closed), 0),
        )
        .where(
            ReportDay.dimension == dimension,
            ReportDay.value == value,
            ReportDay.day < query.start,
        )
        .group_by(ReportDay.confidential)
    )
    for confidential, received, closed in before:
        counted.add("totals", "backlog_start", confidential, int(received) - int(closed))
    codes = db.session.execute(
        select(
            ReportCodeDay.kind,
            ReportCodeDay.code,
            ReportCodeDay.confidential,
            func.sum(ReportCodeDay.count),
        )
        .where(
            ReportCodeDay.dimension == dimension,
            ReportCodeDay.value == value,
            ReportCodeDay.day.between(query.start, query.end),
        )
        .group_by(ReportCodeDay.kind, ReportCodeDay.code, ReportCodeDay.confidential)
    )
    for kind, code, confidential, count in codes:
        _count_code(counted, kind, code, confidential, int(count))
    return counted


def _count_code(counted: Tally, kind: str, code: str, confidential: bool, count: int) -> None:
    """One ReportCodeDay sum into the tally (services.reporting names the kinds)."""
    if kind in TIME_KINDS:
        pair = counted.times[TIME_KINDS[kind]][int(code)]
        pair[0] += count
        if confidential:
            pair[1] += count
        return
    figure = KIND_FIGURES.get(kind)
    if figure is not None:
        counted.add(figure, code, confidential, count)


# ---------------------------------------------------------------------------------------------
# The complaint-table path
# ---------------------------------------------------------------------------------------------


def filter_conditions(query: ReportQuery, table: Any = Complaint) -> list[ColumnElement[bool]]:
    """The query's filters as conditions on Complaint (or on ReportFact, same names)."""
    conditions: list[ColumnElement[bool]] = []
    for name, value in query.filters().items():
        if name == "assignee":
            conditions.append(table.handler_id == int(value))
        else:
            conditions.append(getattr(table, name) == value)
    return conditions


def _tally_complaints(query: ReportQuery, table: Any = Complaint) -> Tally:
    # One statement: the complaints the filters select whose events fall in the period (or
    # that were open when it starts) are read once into a CTE (PostgreSQL materialises a CTE
    # used more than once), and every count is a GROUP BY over it, so no row reaches Python;
    # the codes of the complaints closed in the period join it by primary key.
    # `table` is Complaint or ReportFact: the same columns, the latter narrow and in order of
    # receipt, with `until_at` bounding the rows a period can count.
    low, high = _bounds(query)

    def source(column: Any) -> Any:
        return getattr(table, column.key)

    key = table.complaint_id if table is ReportFact else table.id
    wanted = or_(
        *(and_(source(column) >= low, source(column) < high) for column in DAY_COLUMNS),
        # the backlog when the period starts
        and_(
            source(Complaint.received_at) < low,
            or_(source(Complaint.closed_at).is_(None), source(Complaint.closed_at) >= low),
        ),
    )
    bounded = []
    if table is ReportFact:
        # No event precedes receipt; a complaint closed before the period whose last event
        # came before it counts nowhere in it (open ones count in the backlog).
        bounded = [
            ReportFact.received_at < high,
            or_(ReportFact.until_at >= low, ReportFact.until_at.is_(None)),
        ]
    picked = [
        key.label("id"),
        table.confidential,
        *(source(column) for column in DAY_COLUMNS),
        *(source(column) for column in ROW_COLUMNS.values()),
        *([ReportFact.codes] if table is ReportFact else []),
    ]
    rows = (
        select(*picked).where(*filter_conditions(query, table), *bounded, wanted).cte("report_rows")
    )
    c = rows.c
    names = {
        **{n: col.key for n, col in TOTAL_EVENTS.items()},
        **{n: col.key for n, col in ROW_COLUMNS.items()},
    }

    def col(name: str) -> Any:
        return c[names[name]]

    def during(name: str) -> ColumnElement[bool]:
        return and_(col(name) >= low, col(name) < high)

    def branch(figure: str, key: Any, *where: Any, amount: Any = None) -> Any:
        """SELECT figure, key, confidential, count, sum(amount) ... GROUP BY key, confidential
        (`key` a str: a constant, not grouped on)."""
        constant = isinstance(key, str)
        text_key = literal(key, String) if constant else cast(key, String)
        total = amount if amount is not None else cast(null(), Numeric(14, 2))
        grouping = [c.confidential] if constant else [text_key, c.confidential]
        return (
            select(
                literal(figure, String).label("figure"),
                text_key.label("key"),
                c.confidential,
                func.count().label("n"),
                func.sum(total).label("amount"),
            )
            .where(*where)
            .group_by(*grouping)
        )

    keys = query.periods()
    tests = {  # TOTAL_CONDITIONS on the CTE's columns
        "breached": col("breaches") > 0,
        "surveys_answered": col("score").is_not(None),
    }
    # The totals in one pass: a row's key says which of them count it ("1" or "0" each, in
    # TOTAL_FLAGS order), and the few distinct keys are counted.
    flags = {
        name: and_(during(name), *([tests[name]] if name in tests else [])) for name in TOTAL_EVENTS
    }
    flags["backlog_start"] = and_(
        col("received") < low, or_(col("closed").is_(None), col("closed") >= low)
    )
    key_of_totals = literal("", String)
    for name in TOTAL_FLAGS:
        key_of_totals = key_of_totals + case((flags[name], "1"), else_="0")
    branches = [branch("total_flags", key_of_totals)]
    for name in ("received", "closed"):
        period = case(
            *(
                (col(name) < _moment(day), keys[i - 1].isoformat())
                for i, day in enumerate(keys)
                if i
            ),
            else_=keys[-1].isoformat(),
        )
        branches.append(branch(name, period, during(name)))

    # One code per figure a row may count (outcome, escalation target, root cause, channel,
    # category, score; the working-time buckets), in one pass each: the key joins "=value" for
    # a figure that counts the row and "" for one that does not, by "|" (codes are
    # identifiers; the free-text ones are grouped on their own below).
    def part(condition: Any, value: Any) -> Any:
        return case((condition, literal("=", String) + cast(value, String)), else_="")

    def joined(parts: list[Any]) -> Any:
        key = parts[0]
        for more in parts[1:]:
            key = key + literal("|", String) + more
        return key

    coded = []
    for figure, (column, event) in CODE_FIGURES.items():
        if figure in FREE_TEXT:
            branches.append(branch(figure, func.coalesce(col(column), ""), during(event)))
            continue
        present = [] if figure in ALWAYS_CODED else [col(column).is_not(None), col(column) != ""]
        coded.append(part(and_(during(event), *present), func.coalesce(col(column), "")))
    coded.append(part(and_(during("surveys_answered"), col("score").is_not(None)), col("score")))
    branches.append(branch("coded", joined(coded)))
    bounds = reporting.bucket_bounds()
    timed = []
    for column, event in TIME_FIGURES.values():
        bucket = case(
            *((col(column) < bound, str(i)) for i, bound in enumerate(bounds)),
            else_=str(len(bounds)),
        )
        timed.append(part(and_(during(event), col(column).is_not(None)), bucket))
    branches.append(branch("timed", joined(timed)))
    branches.append(
        branch(
            "compensation",
            "",
            during(COMPENSATION_EVENT),
            col("compensation").is_not(None),
            amount=col("compensation"),
        )
    )
    # Multi-valued codes (remedies, resolution codes, clocks), on the day the complaint closed:
    # the facts' few distinct combinations of them, or the complaints' rows joined.
    if table is ReportFact:
        branches.append(branch("codes", c.codes, during("closed"), c.codes != ""))
    else:
        branches.append(
            select(
                (literal("code:", String) + ComplaintCode.kind).label("figure"),
                ComplaintCode.code.label("key"),
                c.confidential,
                func.count().label("n"),
                cast(null(), Numeric(14, 2)).label("amount"),
            )
            .select_from(rows.join(ComplaintCode, ComplaintCode.complaint_id == c.id))
            .where(during("closed"), ComplaintCode.kind.in_(list(CODE_KINDS.values())))
            .group_by(ComplaintCode.kind, ComplaintCode.code, c.confidential)
        )

    counted = Tally()
    for figure, key, secret, count, amount in db.session.execute(union_all(*branches)):
        secret = bool(secret)
        if figure.startswith("code:"):
            counted.add(KIND_FIGURES[figure[5:]], key, secret, count)
        elif figure == "total_flags":
            for name, flag in zip(TOTAL_FLAGS, key, strict=True):
                if flag == "1":
                    counted.add("totals", name, secret, count)
        elif figure in ("coded", "timed"):
            names = CODED if figure == "coded" else tuple(TIME_FIGURES)
            for name, value in zip(names, key.split("|"), strict=True):
                if not value:
                    continue
                if figure == "timed":
                    pair = counted.times[name][int(value[1:])]
                    pair[0] += count
                    pair[1] += count if secret else 0
                    continue
                counted.add(name, value[1:], secret, count)
                if name == "scores":
                    counted.score_sum[0] += int(value[1:]) * count
                    counted.score_sum[1] += int(value[1:]) * count if secret else 0
        elif figure == "codes":
            for code in key.split():
                kind, _colon, value = code.partition(":")
                counted.add(KIND_FIGURES[kind], value, secret, count)
        elif figure == "compensation":
            money = counted.money["compensation"]
            money[0] += Decimal(amount or 0)
            money[1] += Decimal(amount or 0) if secret else 0
        else:
            counted.add(figure, key, secret, count)
    return counted


# ---------------------------------------------------------------------------------------------
# The report-facts path
# ---------------------------------------------------------------------------------------------

# Per selected fact row, small values only (no strings built per row), grouped below:
# - the period of its receipt and of its closure: 0 before the query, 1..n the query's periods
#   in order, n + 1 after it (NULL when it has not happened);
# - for each other event, the same with the whole query as the one period (1: in it);
# - the codes the figures read, and the working-time buckets.
_PERIODS = {"received": "received_at", "closed": "closed_at"}
_IN_QUERY = {
    "acknowledged": "acknowledged_at",
    "responded": "responded_at",
    "escalated": "escalated_at",
    "reopened": "reopened_at",
    "appealed": "appeal_requested_at",
    "surveyed": "surveyed_at",
}
_TIME_BUCKETS = {
    "acknowledge": "ack_working_seconds",
    "resolve": "resolve_working_seconds",
    "close": "close_working_seconds",
}
# What each grouping counts: its columns (after `confidential`). The first one carries every
# total, the volumes and the scores; each other one a figure keyed by one code.
_GROUPINGS: tuple[tuple[str, ...], ...] = (
    (*_PERIODS, *_IN_QUERY, "breached", "score"),
    ("closed", "outcome"),
    ("closed", "root_cause"),
    ("escalated", "escalation_target"),
    ("received", "channel"),
    ("received", "category"),
    ("received", "department"),
    ("acknowledged", "time_acknowledge"),
    ("responded", "time_resolve"),
    ("closed", "time_close"),
    ("closed", "codes"),
)


def _index(value: Any, edges: Sequence[Any], kind: Any, postgres: bool) -> ColumnElement[Any]:
    """How many of the ascending `edges` are <= `value` (bisect_right), NULL for NULL: on
    PostgreSQL one width_bucket(), a binary search (a CASE per edge costs a year by week 53
    comparisons per row, and 27 per working time), elsewhere a CASE."""
    if postgres:
        return func.width_bucket(value, bindparam(None, list(edges), type_=ARRAY(kind)))
    return case(
        (value.is_(None), null()),
        *((value < edge, i) for i, edge in enumerate(edges)),
        else_=len(edges),
    )


def _tally_facts(query: ReportQuery) -> Tally:
    """Count the report facts the filters select, by the rules of _tally_complaints.

    One scan: each selected row is reduced to small values (`_index`), then grouped a few
    ways at once (_GROUPINGS; GROUPING SETS on PostgreSQL, a UNION of GROUP BYs over a CTE
    elsewhere), and the tally is made from the few groups. The former shape built strings per
    row and read a materialised CTE seven times: 0.5-0.7 s p95 for a year of a wide
    combination (55,000 complaints) at a million.
    """
    low, high = _bounds(query)
    keys = query.periods()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    moments = DateTime(timezone=True)
    edges = [low, *(_moment(day) for day in keys[1:]), high]
    fact = ReportFact
    columns: dict[str, Any] = {
        name: _index(getattr(fact, column), edges, moments, postgres)
        for name, column in _PERIODS.items()
    }
    columns.update(
        {
            name: _index(getattr(fact, column), [low, high], moments, postgres)
            for name, column in _IN_QUERY.items()
        }
    )
    bounds = reporting.bucket_bounds()
    columns.update(
        {
            "breached": case((fact.breaches > 0, 1), else_=0),
            "score": fact.satisfaction_score,
            "outcome": fact.outcome,
            "root_cause": fact.root_cause_category,
            "escalation_target": fact.escalation_target,
            "channel": fact.channel,
            "category": fact.category,
            "department": fact.department,
            **{
                f"time_{measure}": _index(getattr(fact, column), bounds, Integer(), postgres)
                for measure, column in _TIME_BUCKETS.items()
            },
            "codes": fact.codes,
        }
    )
    wanted = or_(
        *(and_(source >= low, source < high) for source in _fact_events()),
        # the backlog when the period starts
        and_(fact.received_at < low, or_(fact.closed_at.is_(None), fact.closed_at >= low)),
    )
    rows = select(
        fact.confidential,
        *(value.label(name) for name, value in columns.items()),
        fact.compensation_paid,
    ).where(
        *filter_conditions(query, fact),
        # No event precedes receipt; a complaint closed before the period whose last event
        # came before it counts nowhere in it (open ones count in the backlog).
        fact.received_at < high,
        or_(fact.until_at >= low, fact.until_at.is_(None)),
        wanted,
    )
    names = list(columns)
    if postgres:
        found = rows.subquery("report_rows")
        c = found.c
        statement = select(
            func.grouping(*(c[name] for name in names)),
            c.confidential,
            *(c[name] for name in names),
            func.count(),
            func.sum(c.compensation_paid),
        ).group_by(
            func.grouping_sets(
                *(tuple_(c.confidential, *(c[name] for name in grouped)) for grouped in _GROUPINGS)
            )
        )
    else:
        found = rows.cte("report_rows")
        c = found.c
        branches = []
        for grouped in _GROUPINGS:
            kept = [c[name] for name in grouped]
            branches.append(
                select(
                    literal(_grouping_mask(names, grouped), Integer),
                    c.confidential,
                    *(c[name] if name in grouped else null() for name in names),
                    func.count(),
                    func.sum(c.compensation_paid),
                ).group_by(c.confidential, *kept)
            )
        statement = union_all(*branches)
    if postgres:
        # Every grouping hashed in the one pass: the planner cannot know that the groups are
        # few (a few hundred for a year) and, below this, sorts the rows for some of them.
        # Hash tables take only what the groups found need; the setting is put back after.
        before = db.session.scalar(text("SHOW work_mem"))
        db.session.execute(text("SELECT set_config('work_mem', '256MB', true)"))
        found_rows = db.session.execute(statement).all()
        db.session.execute(text("SELECT set_config('work_mem', :before, true)"), {"before": before})
    else:
        found_rows = db.session.execute(statement).all()
    masks = {_grouping_mask(names, grouped): grouped for grouped in _GROUPINGS}
    counted = Tally()
    last = len(keys)
    for mask, secret, *values, count, amount in found_rows:
        secret = bool(secret)
        row = dict(zip(names, values, strict=True))
        grouped = masks[mask]
        events = {
            name: row[name] is not None and 1 <= row[name] <= (last if name in _PERIODS else 1)
            for name in (*_PERIODS, *_IN_QUERY)
        }
        if grouped is _GROUPINGS[0]:
            answered = events["surveyed"] and row["score"] is not None
            totals = {
                "received": events["received"],
                "closed": events["closed"],
                "acknowledged": events["acknowledged"],
                "responded": events["responded"],
                "surveys_sent": events["responded"],
                "escalated": events["escalated"],
                "breached": events["closed"] and bool(row["breached"]),
                "reopened": events["reopened"],
                "appealed": events["appealed"],
                "surveys_answered": answered,
                "backlog_start": row["received"] == 0
                and (row["closed"] is None or row["closed"] >= 1),
            }
            for name, counts in totals.items():
                if counts:
                    counted.add("totals", name, secret, count)
            for name in _PERIODS:
                if events[name]:
                    counted.add(name, keys[row[name] - 1].isoformat(), secret, count)
            if answered:
                score = int(row["score"])
                counted.add("scores", str(score), secret, count)
                counted.score_sum[0] += score * count
                counted.score_sum[1] += score * count if secret else 0
            continue
        event, code = grouped
        if not events[event]:
            continue
        value = row[code]
        if code in ("outcome", "root_cause"):
            if value:
                counted.add(CODE_FIGURES_BY_COLUMN[code], value, secret, count)
            if code == "outcome" and amount is not None:
                money = counted.money["compensation"]
                money[0] += Decimal(amount)
                money[1] += Decimal(amount) if secret else 0
        elif code in ("escalation_target", "channel", "category", "department"):
            counted.add(CODE_FIGURES_BY_COLUMN[code], value or "", secret, count)
        elif code.startswith("time_"):
            if value is not None:
                pair = counted.times[code[5:]][int(value)]
                pair[0] += count
                pair[1] += count if secret else 0
        elif value:  # codes: "kind:code kind:code ..."
            for each in value.split():
                kind, _colon, text_value = each.partition(":")
                counted.add(KIND_FIGURES[kind], text_value, secret, count)
    return counted


def _fact_events() -> list[Any]:
    """The ReportFact columns of the events a period counts."""
    return [getattr(ReportFact, column.key) for column in DAY_COLUMNS]


def _grouping_mask(names: list[str], grouped: tuple[str, ...]) -> int:
    """PostgreSQL's GROUPING() of `names` for a grouping set: a bit (leftmost the highest)
    for each column the set does not group on."""
    mask = 0
    for name in names:
        mask = mask << 1 | (name not in grouped)
    return mask


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _open_at(moment: datetime) -> list[ColumnElement[bool]]:
    """Complaints received before `moment` and not closed by then."""
    return [
        Complaint.received_at < moment,
        or_(Complaint.closed_at.is_(None), Complaint.closed_at >= moment),
    ]


def _backlog_by_age(query: ReportQuery, table: Any = Complaint) -> Tally:
    """Open complaints now, by age (every path: one count over the open complaints, from
    Complaint or from ReportFact, whose open rows have no `until_at`)."""
    counted = Tally()
    # Received after the start of the local day `youngest` days ago... (oldest bucket last).
    today = business_calendar.local_today()
    limits = [
        (key, _moment(today - timedelta(days=high))) for key, _low, high in AGE_BUCKETS if high
    ]
    bucket = case(
        *((table.received_at >= moment, key) for key, moment in limits),
        else_=AGE_BUCKETS[-1][0],
    )
    now = utcnow()
    open_now = [table.received_at < now, or_(table.closed_at.is_(None), table.closed_at >= now)]
    if table is ReportFact:
        open_now.append(or_(table.until_at.is_(None), table.until_at >= now))
    found = db.session.execute(
        select(bucket, table.confidential, func.count())
        .where(*filter_conditions(query, table), *open_now)
        .group_by(bucket, table.confidential)
    )
    for key, secret, count in found:
        counted.add("age", key, secret, count)
    return counted


# ---------------------------------------------------------------------------------------------
# From tallies to figures
# ---------------------------------------------------------------------------------------------


def _build(query: ReportQuery, path: str, counted: Tally, ages: Tally, hide: bool) -> Figures:
    # What the viewer may know: for a viewer without clearance, the complaints that are not
    # confidential, and nothing else. A count that took the confidential ones in, even behind
    # a "< 5", told such a viewer that some existed, and a day and a filter narrowed it down
    # to one complaint's day of receipt, channel and category.
    def seen(parts: Sequence[Any]) -> Any:
        """Of an [all, confidential] pair, the part the viewer may know."""
        return parts[0] - parts[1] if hide else parts[0]

    def pair(figure: str, key: str, source: Tally = counted) -> list[int]:
        return source.counts.get((figure, key), [0, 0])

    def cell(counts: list[int]) -> Cell:
        """A count of the complaints the viewer may know of."""
        return Cell(seen(counts))

    def count_rows(
        figure: str, keys: list[str] | None = None, limit: int | None = None
    ) -> list[Row]:
        if keys is None:
            # Only the values the viewer's complaints have, in the order of their counts: a
            # value only confidential complaints have (a category, say) is not named.
            found = [key for key in counted.keys(figure) if seen(pair(figure, key))]
            keys = sorted(found, key=lambda key: (-seen(pair(figure, key)), key))
        return [Row(key, {"count": cell(pair(figure, key))}) for key in keys[:limit]]

    volumes = []
    backlog = list(pair("totals", "backlog_start"))
    for day in query.periods():
        key = day.isoformat()
        received, closed = pair("received", key), pair("closed", key)
        backlog = [backlog[i] + received[i] - closed[i] for i in (0, 1)]
        volumes.append(
            Row(key, {"received": cell(received), "closed": cell(closed), "backlog": cell(backlog)})
        )
    totals = {name: cell(pair("totals", name)) for name in (*TOTAL_EVENTS, "backlog_start")}
    totals["backlog_end"] = cell(backlog)

    steps = {
        step
        for figure in ("sl_met", "sl_breached")
        for step in counted.keys(figure)
        if seen(pair(figure, step))
    }
    order = {name: index for index, name in enumerate(presets.CLOCKS)}
    service_levels = [
        Row(step, {"met": cell(pair("sl_met", step)), "breached": cell(pair("sl_breached", step))})
        for step in sorted(steps, key=lambda step: (order.get(step, len(order)), step))
    ]

    times = []
    for measure in MEASURES:
        histogram = counted.times.get(measure, {})
        counts = [sum(p[0] for p in histogram.values()), sum(p[1] for p in histogram.values())]
        everything = {bucket: seen(p) for bucket, p in histogram.items() if seen(p)}
        times.append(
            Row(
                measure,
                {
                    "count": cell(counts),
                    "median": Cell(_seconds(reporting.percentile(everything, 0.5))),
                    "p90": Cell(_seconds(reporting.percentile(everything, 0.9))),
                },
            )
        )

    sent, answered = pair("totals", "surveys_sent"), pair("totals", "surveys_answered")
    sent_known, answered_known = seen(sent), seen(answered)
    rate = round(answered_known / sent_known, 3) if sent_known else None
    average = round(seen(counted.score_sum) / answered_known, 2) if answered_known else None
    satisfaction = {
        "surveys_sent": cell(sent),
        "answered": cell(answered),
        "response_rate": Cell(rate),
        "average": Cell(average),
    }
    money = counted.money.get("compensation", [Decimal(0), Decimal(0)])
    compensation = {"total": Cell(seen(money))}
    return Figures(
        query=query,
        path=path,
        volumes=volumes,
        totals=totals,
        backlog_by_age=[
            Row(key, {"count": cell(pair("age", key, ages))}) for key, _low, _high in AGE_BUCKETS
        ],
        service_levels=service_levels,
        times=times,
        satisfaction=satisfaction,
        satisfaction_scores=count_rows("scores", [str(score) for score in range(1, 6)]),
        outcomes=count_rows("outcomes"),
        remedies=count_rows("remedies"),
        compensation=compensation,
        escalations=count_rows("escalations"),
        root_causes=count_rows("root_causes", limit=TOP),
        resolution_codes=count_rows("resolution_codes"),
        channels=count_rows("channels"),
        categories=count_rows("categories"),
        departments=count_rows("departments"),
    )


# ---------------------------------------------------------------------------------------------
# Drill-downs: the complaints a figure counts, as far as the viewer may see them
# ---------------------------------------------------------------------------------------------

FIGURES = (
    *TOTAL_EVENTS,
    "backlog",
    "age",
    "scores",
    *CODE_FIGURES,
    *CODE_KINDS,
    "times",
    "compensation",
)


@dataclass(frozen=True)
class ComplaintPage(Paged):
    """One page of the complaints behind a figure."""

    complaints: list[Complaint]
    total: int
    page: int
    per_page: int


def _period_bounds(query: ReportQuery, bucket: str) -> tuple[datetime, datetime]:
    """The UTC bounds of the period keyed `bucket` (the whole query if empty)."""
    if not bucket:
        return _bounds(query)
    keys = query.periods()
    try:
        index = keys.index(date.fromisoformat(bucket))
    except ValueError:
        raise InvalidInput("No such period in this report.") from None
    end = keys[index + 1] if index + 1 < len(keys) else query.end + timedelta(days=1)
    return _moment(keys[index]), _moment(end)


def figure_conditions(query: ReportQuery, figure: str, bucket: str) -> list[ColumnElement[bool]]:
    """Conditions on Complaint selecting what `figure` counts in `bucket`."""
    low, high = _bounds(query)

    def during(column: Any, event_low: datetime = low, event_high: datetime = high) -> Any:
        return and_(column >= event_low, column < event_high)

    if figure in TOTAL_EVENTS:
        if figure in ("received", "closed"):
            low, high = _period_bounds(query, bucket)
        conditions = [during(TOTAL_EVENTS[figure], low, high)]
        if figure in TOTAL_CONDITIONS:
            conditions.append(TOTAL_CONDITIONS[figure])
        return conditions
    if figure == "backlog":
        return _open_at(_period_bounds(query, bucket)[1] if bucket else high)
    if figure == "age":
        today = business_calendar.local_today()
        for key, oldest, youngest in AGE_BUCKETS:
            if key == bucket:
                conditions = _open_at(utcnow())
                if oldest:
                    conditions.append(
                        Complaint.received_at < _moment(today - timedelta(oldest - 1))
                    )
                if youngest is not None:
                    conditions.append(Complaint.received_at >= _moment(today - timedelta(youngest)))
                return conditions
        raise InvalidInput("No such age bucket.")
    if figure == "scores":
        if bucket not in {str(score) for score in range(1, 6)}:
            raise InvalidInput("No such score.")
        return [
            during(TOTAL_EVENTS["surveys_answered"]),
            Complaint.satisfaction_score == int(bucket),
        ]
    if figure in CODE_FIGURES:
        column, event = CODE_FIGURES[figure]
        code = ROW_COLUMNS[column]
        if not bucket and figure in ALWAYS_CODED:
            # "Not recorded" counts the complaints whose code is empty or not set yet.
            return [during(TOTAL_EVENTS[event]), or_(code.is_(None), code == "")]
        return [during(TOTAL_EVENTS[event]), code == bucket]
    if figure in CODE_KINDS:
        return [
            during(Complaint.closed_at),
            exists().where(
                ComplaintCode.complaint_id == Complaint.id,
                ComplaintCode.kind == CODE_KINDS[figure],
                ComplaintCode.code == bucket,
            ),
        ]
    if figure == "times":
        if bucket not in TIME_FIGURES:
            raise InvalidInput("No such working time.")
        column, event = TIME_FIGURES[bucket]
        return [during(TOTAL_EVENTS[event]), ROW_COLUMNS[column].is_not(None)]
    if figure == "compensation":
        return [during(TOTAL_EVENTS[COMPENSATION_EVENT]), Complaint.compensation_paid > 0]
    raise InvalidInput("No such figure.")


def drilldown(
    viewer: User,
    query: ReportQuery,
    figure: str,
    bucket: str = "",
    page: int = 1,
    per_page: int = 25,
) -> ComplaintPage:
    """The complaints `figure` counts in `bucket` that `viewer` may see, newest first."""
    conditions = [
        permissions.visible_complaints_filter(viewer),
        *filter_conditions(query),
        *figure_conditions(query, figure, bucket),
    ]
    total = db.session.scalar(select(func.count()).select_from(Complaint).where(*conditions)) or 0
    found = db.session.scalars(
        select(Complaint)
        .where(*conditions)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return ComplaintPage(list(found), total, page, per_page)


# ---------------------------------------------------------------------------------------------
# The filters' choices, read cheaply
# ---------------------------------------------------------------------------------------------


def departments() -> list[str]:
    """Departments that have complaints (the roll-ups' department slices, not the complaints)."""
    found = db.session.scalars(
        select(ReportDay.value).where(ReportDay.dimension == "department").distinct()
    )
    return sorted(value for value in found if value)


def handlers() -> list[User]:
    """People who handled complaints (the roll-ups' assignee slices), by name."""
    ids = db.session.scalars(
        select(ReportDay.value).where(ReportDay.dimension == "assignee").distinct()
    )
    numbers = [int(value) for value in ids if value.isdigit()]
    if not numbers:
        return []
    return list(
        db.session.scalars(select(User).where(User.id.in_(numbers)).order_by(User.name, User.id))
    )
