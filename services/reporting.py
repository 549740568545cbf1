"""What reports count: the daily roll-ups built from the complaints' report columns.

The complaint's report columns are kept current on every save by services.report_columns
(which also marks the complaints whose figures changed, `report_stale`).

Roll-ups: ReportDay / ReportCodeDay rows per (dimension, value, day, confidential).
Dimensions: `all` (value ""), category, channel, department, severity, route, assignee
(value: the handler's id as text), and each pair of PAIRED dimensions ("severity+route", the
two values joined by SEPARATOR); an empty or NULL column counts under value "". The
dimension values are the complaint's current ones. `day` is the local date, in the
organisation's time zone, of the figure's event:

    received_at      received; kinds channel, category, department
    acknowledged_at  acknowledged; kind time_acknowledge (bucket of ack_working_seconds)
    responded_at     responded, surveys_sent; kind time_resolve
    closed_at        closed, breached (closed with breaches > 0), compensation; kinds outcome,
                     root_cause, resolution_code, remedy, clock_met, clock_breached, time_close
    escalated_at     escalated; kinds escalation_target, escalation_decision
    reopened_at      reopened
    appeal_requested_at  appealed
    surveyed_at      surveys_answered, score_sum; kind score ("1".."5")

Working times are counted in a histogram (processes/reporting.toml): ReportCodeDay.code is the
bucket index; `percentile` turns summed counts back into working seconds.
Report facts (ReportFact, `write_facts`): one narrow row per complaint with its report columns
as last counted, for views filtered on several dimensions. The roll-ups always hold the
figures of the facts: `refresh()` (the report round calls it) takes each changed complaint's
fact off the roll-ups, adds its current row and rewrites its fact, and counts recorded stale
days again from the facts; `rebuild()` rewrites every fact and counts them all (flask
rebuild-reports). All count with the same function, so they agree. services/reports.py reads
the roll-ups (and counts the report facts by the same rules when a view is filtered on
several dimensions).
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services import business_calendar
from services.clock import as_utc
from services.db import db
from services.models import (
    Complaint,
    ComplaintCode,
    ReportCodeDay,
    ReportDay,
    ReportFact,
    ReportStaleDay,
)

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "processes" / "reporting.toml"

ALL = "all"
DIMENSIONS = (ALL, "category", "channel", "department", "severity", "route", "assignee")
# Dimensions also rolled up two at a time (slice "severity+route", value "low\x1fminor"): a
# view filtered on two of them reads a pair's days instead of counting the report facts, whose
# cost grows with the complaints a broad pair selects (a year of "low" + "minor" at a million
# is 56,000 rows, 0.5 s by week). The assignee is left out: a handler's complaints are few,
# and 50 handlers would multiply the rows by 50 for each pair.
PAIRED = ("category", "channel", "department", "severity", "route")
PAIRS = tuple((first, second) for i, first in enumerate(PAIRED) for second in PAIRED[i + 1 :])
SEPARATOR = "\x1f"  # between a pair's two values (the unit separator: in no code or name)


def pair_slice(filters: Mapping[str, str]) -> tuple[str, str] | None:
    """The roll-up slice (dimension, value) of two filters on PAIRED dimensions, else None."""
    if len(filters) != 2 or not set(filters) <= set(PAIRED):
        return None
    first, second = (name for name in PAIRED if name in filters)
    return f"{first}+{second}", f"{filters[first][:100]}{SEPARATOR}{filters[second][:100]}"


# The complaint column behind each dimension (drill-downs, views filtered on several).
DIMENSION_COLUMNS: dict[str, Any] = {
    "category": Complaint.category,
    "channel": Complaint.channel,
    "department": Complaint.department,
    "severity": Complaint.severity,
    "route": Complaint.route,
    "assignee": Complaint.handler_id,
}
# The complaint timestamp whose local day counts each ReportDay figure and ReportCodeDay kind.
EVENT_COLUMNS: dict[str, Any] = {
    "received": Complaint.received_at,
    "acknowledged": Complaint.acknowledged_at,
    "responded": Complaint.responded_at,
    "surveys_sent": Complaint.responded_at,
    "closed": Complaint.closed_at,
    "breached": Complaint.closed_at,
    "compensation": Complaint.closed_at,
    "escalated": Complaint.escalated_at,
    "reopened": Complaint.reopened_at,
    "appealed": Complaint.appeal_requested_at,
    "surveys_answered": Complaint.surveyed_at,
    "score_sum": Complaint.surveyed_at,
    "channel": Complaint.received_at,
    "category": Complaint.received_at,
    "department": Complaint.received_at,
    "time_acknowledge": Complaint.acknowledged_at,
    "time_resolve": Complaint.responded_at,
    "outcome": Complaint.closed_at,
    "root_cause": Complaint.closed_at,
    "resolution_code": Complaint.closed_at,
    "remedy": Complaint.closed_at,
    "clock_met": Complaint.closed_at,
    "clock_breached": Complaint.closed_at,
    "time_close": Complaint.closed_at,
    "escalation_target": Complaint.escalated_at,
    "escalation_decision": Complaint.escalated_at,
    "score": Complaint.surveyed_at,
}
FIGURES = (
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
    "score_sum",
    "compensation",
)
# ComplaintCode kinds (written at closure).
CODE_KINDS = ("resolution_code", "remedy", "clock_met", "clock_breached")
TIME_KINDS = {
    "acknowledge": "time_acknowledge",
    "resolve": "time_resolve",
    "close": "time_close",
}

# ---------------------------------------------------------------------------------------------
# Working-time histograms
# ---------------------------------------------------------------------------------------------


@cache
def bucket_bounds() -> tuple[int, ...]:
    """The buckets' upper bounds in working seconds (processes/reporting.toml)."""
    with SETTINGS_FILE.open("rb") as handle:
        hours = tomllib.load(handle)["time_buckets_hours"]
    return tuple(round(float(h) * 3600) for h in hours)


def time_bucket(seconds: float) -> int:
    """The bucket index of a working time (ReportCodeDay.code is its text)."""
    return bisect_right(bucket_bounds(), max(0.0, float(seconds)))


def bucket_range(index: int) -> tuple[int, int | None]:
    """A bucket's bounds in working seconds: (lowest, highest excluded or None for the last)."""
    bounds = bucket_bounds()
    low = bounds[index - 1] if index > 0 else 0
    return low, bounds[index] if index < len(bounds) else None


def percentile(histogram: Mapping[Any, int], share: float) -> int | None:
    """The working time (seconds) under which `share` (0.5, 0.9) of the counted times fall.

    `histogram` maps bucket indexes (int or their text) to counts summed over a period.
    Interpolated linearly inside the bucket; in the open last bucket, its lower bound.
    None when nothing was counted.
    """
    counts = sorted((int(k), int(v)) for k, v in histogram.items() if int(v) > 0)
    total = sum(v for _k, v in counts)
    if not total:
        return None
    rank = share * total
    seen = 0
    for index, count in counts:
        if seen + count >= rank:
            low, high = bucket_range(index)
            if high is None:
                return low
            return round(low + (high - low) * max(0.0, rank - seen) / count)
        seen += count
    return bucket_range(counts[-1][0])[0]


def median(histogram: Mapping[Any, int]) -> int | None:
    """The median working time of a histogram, in seconds."""
    return percentile(histogram, 0.5)


def p90(histogram: Mapping[Any, int]) -> int | None:
    """The 90th percentile of a histogram, in seconds."""
    return percentile(histogram, 0.9)


# ---------------------------------------------------------------------------------------------
# Days
# ---------------------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return business_calendar.current().zone


def local_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The organisation's local date of a stored moment."""
    return (as_utc(moment) or moment).astimezone(zone or _zone()).date()


def utc_bounds(first: date, last: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """The UTC interval [start, end) of the local days first..last (both included)."""
    zone = zone or _zone()
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def mark_stale(days: Iterable[date], session: Any = None) -> None:
    """Have the next refresh recompute these days (whatever else is stale)."""
    rows = [{"day": day} for day in sorted(set(days))]
    if not rows:
        return
    session = session or db.session
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(ReportStaleDay).values(rows).on_conflict_do_nothing())


# ---------------------------------------------------------------------------------------------
# Roll-ups
# ---------------------------------------------------------------------------------------------

# What a complaint row brings to the tally.
_ROW = (
    Complaint.id,
    Complaint.confidential,
    Complaint.category,
    Complaint.channel,
    Complaint.department,
    Complaint.severity,
    Complaint.route,
    Complaint.handler_id,
    Complaint.received_at,
    Complaint.acknowledged_at,
    Complaint.responded_at,
    Complaint.closed_at,
    Complaint.escalated_at,
    Complaint.reopened_at,
    Complaint.appeal_requested_at,
    Complaint.surveyed_at,
    Complaint.satisfaction_score,
    Complaint.outcome,
    Complaint.root_cause_category,
    Complaint.escalation_target,
    Complaint.escalation_decision,
    Complaint.compensation_paid,
    Complaint.breaches,
    Complaint.ack_working_seconds,
    Complaint.resolve_working_seconds,
    Complaint.close_working_seconds,
)
_EVENT_ATTRS = (
    "received_at",
    "acknowledged_at",
    "responded_at",
    "closed_at",
    "escalated_at",
    "reopened_at",
    "appeal_requested_at",
    "surveyed_at",
)

# A complaint's values of the six dimensions (the slices it counts in), and its confidential flag.
Cell = tuple[tuple[str, str, str, str, str, str], bool, date]


@dataclass
class Tally:
    """Figures and code counts summed per cell (one combination of the dimension values, a
    confidential flag, a day); each cell is counted into its seven slices when written, so
    the work per complaint does not grow with the number of dimensions."""

    days: dict[Cell, dict[str, Any]]
    codes: dict[tuple[Cell, str, str], int]

    @classmethod
    def empty(cls) -> Tally:
        return cls(defaultdict(dict), defaultdict(int))

    def add(
        self,
        row: Any,
        codes: Iterable[tuple[str, str]],
        zone: ZoneInfo,
        keep: Any,
        sign: int = 1,
    ) -> None:
        """Count one complaint's events whose day passes `keep(day)` (sign -1: take them off)."""
        values = (
            (row.category or "")[:100],
            (row.channel or "")[:100],
            (row.department or "")[:100],
            (row.severity or "")[:100],
            (row.route or "")[:100],
            str(row.handler_id) if row.handler_id is not None else "",
        )
        confidential = bool(row.confidential)
        for day, figures, kinds in _events(row, codes, zone):
            if not keep(day):
                continue
            cell = (values, confidential, day)
            if figures:
                sums = self.days[cell]
                for name, amount in figures:
                    sums[name] = sums.get(name, 0) + sign * amount
            for kind, code in kinds:
                self.codes[(cell, kind, code[:100])] += sign

    def slices(self) -> tuple[dict[tuple[Any, ...], dict[str, Any]], dict[tuple[Any, ...], int]]:
        """The ReportDay figures and ReportCodeDay counts by their keys (dimension, value,
        day, confidential[, kind, code])."""
        days: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(dict)
        for (values, confidential, day), figures in self.days.items():
            for dimension, value in _slices_of(values):
                sums = days[(dimension, value, day, confidential)]
                for name, amount in figures.items():
                    sums[name] = sums.get(name, 0) + amount
        codes: dict[tuple[Any, ...], int] = defaultdict(int)
        for ((values, confidential, day), kind, code), count in self.codes.items():
            for dimension, value in _slices_of(values):
                codes[(dimension, value, day, confidential, kind, code)] += count
        return days, codes


# Where each PAIRED dimension's value sits in a cell's values (DIMENSIONS without ALL).
_PAIR_POSITIONS = tuple(
    (f"{first}+{second}", DIMENSIONS.index(first) - 1, DIMENSIONS.index(second) - 1)
    for first, second in PAIRS
)


def _slices_of(values: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """The slices (dimension, value) a cell counts in: everything, each dimension, each pair."""
    yield from zip(DIMENSIONS, ("", *values), strict=True)
    for dimension, first, second in _PAIR_POSITIONS:
        yield dimension, f"{values[first]}{SEPARATOR}{values[second]}"


def _events(
    row: Any, codes: Iterable[tuple[str, str]], zone: ZoneInfo
) -> Iterator[tuple[date, list[tuple[str, Any]], list[tuple[str, str]]]]:
    """(day, figures, kinds) for each event of a complaint row."""

    def day(value: datetime | None) -> date | None:
        return local_day(value, zone) if value is not None else None

    if (received := day(row.received_at)) is not None:
        kinds = [
            ("channel", row.channel or ""),
            ("category", row.category or ""),
            ("department", row.department or ""),
        ]
        yield received, [("received", 1)], kinds
    if (acknowledged := day(row.acknowledged_at)) is not None:
        kinds = _time_kind("time_acknowledge", row.ack_working_seconds)
        yield acknowledged, [("acknowledged", 1)], kinds
    if (responded := day(row.responded_at)) is not None:
        kinds = _time_kind("time_resolve", row.resolve_working_seconds)
        yield responded, [("responded", 1), ("surveys_sent", 1)], kinds
    if (closed := day(row.closed_at)) is not None:
        figures: list[tuple[str, Any]] = [("closed", 1)]
        if row.breaches:
            figures.append(("breached", 1))
        if row.compensation_paid is not None:
            figures.append(("compensation", Decimal(row.compensation_paid)))
        kinds = [*codes, *_time_kind("time_close", row.close_working_seconds)]
        if row.outcome:
            kinds.append(("outcome", row.outcome))
        if row.root_cause_category:
            kinds.append(("root_cause", row.root_cause_category))
        yield closed, figures, kinds
    if (escalated := day(row.escalated_at)) is not None:
        kinds = [("escalation_target", row.escalation_target or "")]
        if row.escalation_decision:
            kinds.append(("escalation_decision", row.escalation_decision))
        yield escalated, [("escalated", 1)], kinds
    if (reopened := day(row.reopened_at)) is not None:
        yield reopened, [("reopened", 1)], []
    if (appealed := day(row.appeal_requested_at)) is not None:
        yield appealed, [("appealed", 1)], []
    surveyed = day(row.surveyed_at)
    if surveyed is not None and row.satisfaction_score is not None:
        score = int(row.satisfaction_score)
        yield (
            surveyed,
            [("surveys_answered", 1), ("score_sum", score)],
            [("score", str(score))],
        )


def _time_kind(kind: str, seconds: int | None) -> list[tuple[str, str]]:
    return [] if seconds is None else [(kind, str(time_bucket(seconds)))]


def _codes_of(ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """The ComplaintCode facts of these complaints."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for complaint_id, kind, code in db.session.execute(
            select(ComplaintCode.complaint_id, ComplaintCode.kind, ComplaintCode.code).where(
                ComplaintCode.complaint_id.in_(chunk)
            )
        ):
            found[complaint_id].append((kind, code))
    return found


def _tally_rows(
    rows: Sequence[Any], zone: ZoneInfo, keep: Any, tally: Tally, sign: int = 1
) -> None:
    """Count complaint rows (their codes read from ComplaintCode)."""
    closed = [row.id for row in rows if row.closed_at is not None]
    codes = _codes_of(closed) if closed else {}
    for row in rows:
        tally.add(row, codes.get(row.id, ()), zone, keep, sign)


# A fact's columns as plain rows (read with Core: facts a refresh rewrote in this transaction
# must not come back as the session's older copies).
_FACT = select(*ReportFact.__table__.columns)


def _tally_facts(
    rows: Sequence[Any], zone: ZoneInfo, keep: Any, tally: Tally, sign: int = 1
) -> None:
    """Count ReportFact rows (their codes: the fact's "kind:code kind:code" text)."""
    for row in rows:
        codes = [tuple(each.split(":", 1)) for each in row.codes.split(" ") if ":" in each]
        tally.add(row, codes, zone, keep, sign)


def _rows(tally: Tally) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tally's ReportDay and ReportCodeDay rows, those holding something (a tally of
    changes can bring a key to nothing)."""
    days, codes = tally.slices()
    day_rows = [
        {
            "dimension": dimension,
            "value": value,
            "day": day,
            "confidential": confidential,
            **{name: 0 for name in FIGURES},
            "compensation": Decimal("0"),
            **figures,
        }
        for (dimension, value, day, confidential), figures in days.items()
        if any(figures.values())
    ]
    code_rows = [
        {
            "dimension": dimension,
            "value": value,
            "day": day,
            "confidential": confidential,
            "kind": kind,
            "code": code,
            "count": count,
        }
        for (dimension, value, day, confidential, kind, code), count in codes.items()
        if count
    ]
    return day_rows, code_rows


def _write(tally: Tally) -> int:
    """Insert the tallied rows (the days were emptied before)."""
    day_rows, code_rows = _rows(tally)
    # Core inserts of the tables: the ORM's bulk path costs more than the database here.
    for table, rows in ((ReportDay.__table__, day_rows), (ReportCodeDay.__table__, code_rows)):
        for start in range(0, len(rows), 5000):
            db.session.execute(table.insert(), rows[start : start + 5000])
    return len(day_rows) + len(code_rows)


def _add(tally: Tally) -> int:
    """Add a tally of changes (counts may be negative) to the stored rows: each key's figures
    are summed into its row, created if missing; rows left at zero are removed. The rows
    written."""
    day_rows, code_rows = _rows(tally)
    dialect = db.session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    for model, rows, summed in (
        (ReportDay, day_rows, FIGURES),
        (ReportCodeDay, code_rows, ("count",)),
    ):
        if not rows:
            continue
        table = model.__table__
        key = list(table.primary_key.columns)
        statement = upsert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[column.name for column in key],
            set_={name: table.c[name] + statement.excluded[name] for name in summed},
        ).returning(*key, *(table.c[name] for name in summed))
        emptied = []
        for start in range(0, len(rows), 1000):
            for row in db.session.execute(statement, rows[start : start + 1000]):
                if not any(row[len(key) :]):
                    emptied.append(tuple(row[: len(key)]))
        # A row the change brought to nothing goes, as a recount would not write it.
        for start in range(0, len(emptied), 500):
            db.session.execute(delete(table).where(tuple_(*key).in_(emptied[start : start + 500])))
    return len(day_rows) + len(code_rows)


def _any_event_between(start: datetime, end: datetime) -> Any:
    """Complaints with an event in [start, end): each term reads its column's index."""
    terms = [
        and_(getattr(Complaint, name) >= start, getattr(Complaint, name) < end)
        for name in _EVENT_ATTRS
        if name != "received_at"
    ]
    # received_at is indexed behind confidential: name both values to use that index.
    received = and_(
        Complaint.confidential.in_([False, True]),
        Complaint.received_at >= start,
        Complaint.received_at < end,
    )
    return or_(received, *terms)


def _fact_event_between(start: datetime, end: datetime) -> Any:
    return or_(
        *(
            and_(getattr(ReportFact, name) >= start, getattr(ReportFact, name) < end)
            for name in _EVENT_ATTRS
        )
    )


def recompute_day(day: date, zone: ZoneInfo | None = None) -> int:
    """Recompute one day's roll-ups from the report facts; the rows written.

    The facts with an event that day are found through the complaint table's event indexes
    (a complaint whose reported columns have not changed since its fact was written has the
    same events), with the facts of complaints waiting for a refresh (their fact may hold an
    event that has moved since): one statement, so one snapshot of both.
    """
    zone = zone or _zone()
    start, end = utc_bounds(day, day, zone)
    current = select(Complaint.id).where(_any_event_between(start, end))
    waiting = (
        select(ReportFact.complaint_id)
        .join(Complaint, Complaint.id == ReportFact.complaint_id)
        .where(Complaint.report_stale, _fact_event_between(start, end))
    )
    rows = db.session.execute(
        _FACT.where(or_(ReportFact.complaint_id.in_(current), ReportFact.complaint_id.in_(waiting)))
    ).all()
    tally = Tally.empty()
    _tally_facts(rows, zone, lambda d: d == day, tally)
    db.session.execute(delete(ReportDay).where(ReportDay.day == day))
    db.session.execute(delete(ReportCodeDay).where(ReportCodeDay.day == day))
    return _write(tally)


def _take_stale(complaints: int, days: int) -> tuple[list[date], list[int]]:
    """Up to `days` of the recorded stale days, and up to `complaints` stale complaints, whose
    marks are cleared here: first, so that a save committed meanwhile marks its complaint
    again for the next round. Clearing a mark locks the complaint's row until the caller
    commits: no save changes it while its figures are counted and its fact rewritten."""
    # `WHERE report_stale` (not IS TRUE, which reads every complaint): the partial index's own
    # predicate, so the stale few are found through it.
    picked = select(Complaint.id).where(Complaint.report_stale).limit(complaints)
    cleared = db.session.scalars(
        update(Complaint)
        .where(Complaint.id.in_(picked.scalar_subquery()))
        .values(report_stale=False)
        .returning(Complaint.id)
        .execution_options(synchronize_session=False)
    ).all()
    recorded = list(
        db.session.scalars(select(ReportStaleDay.day).order_by(ReportStaleDay.day).limit(days))
    )
    if recorded:
        db.session.execute(delete(ReportStaleDay).where(ReportStaleDay.day.in_(recorded)))
    return recorded, list(cleared)


def _bring_in(ids: Sequence[int], zone: ZoneInfo) -> None:
    """The changes of these complaints since their facts were written: each one's fact taken
    off the roll-ups, its current row added, and the fact rewritten from the row."""
    tally = Tally.empty()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        facts = db.session.execute(_FACT.where(ReportFact.complaint_id.in_(chunk))).all()
        _tally_facts(facts, zone, lambda _d: True, tally, sign=-1)
        rows = db.session.execute(select(*_ROW).where(Complaint.id.in_(chunk))).all()
        _tally_rows(rows, zone, lambda _d: True, tally)
    _add(tally)
    write_facts(ids)


def refresh(complaints: int = 500, days: int = 7) -> int:
    """Bring the roll-ups up to date with the saves; what was done (complaints and days).

    The roll-ups always hold the figures of the report facts. A save marks its complaint
    (`report_stale`): here its old fact is taken off the roll-ups and its current row added,
    rows that reach nothing removed, and the fact rewritten, so a round costs a few statements
    per changed complaint, not a day's recount. Recorded stale days (ReportStaleDay: after a
    migration) are counted again from the facts. The caller commits. Called by the report
    round, so the bounds keep a round short (the days a migration marks are done a week per
    round); what one call leaves, the next one takes: call it until it returns 0 to catch up.
    """
    zone = _zone()
    recorded, ids = _take_stale(complaints, days)
    if ids:
        _bring_in(ids, zone)
    for day in recorded:
        recompute_day(day, zone)
    return len(ids) + len(recorded)


def rebuild(since: date | None = None, batch: int = 5000) -> int:
    """Recompute every day's roll-ups (from `since` on, if given); the rows written.

    The whole rebuild writes every report fact from the complaint table first; from `since`
    on, the saves not yet brought in are brought in first. Then the facts are counted in
    batches of `batch`. The caller commits.
    """
    zone = _zone()
    facts: Any
    if since is None:
        db.session.execute(delete(ReportDay))
        db.session.execute(delete(ReportCodeDay))
        db.session.execute(delete(ReportStaleDay))
        db.session.execute(
            update(Complaint)
            .where(Complaint.report_stale)
            .values(report_stale=False)
            .execution_options(synchronize_session=False)
        )
        write_facts()
        facts = True
        keep: Any = lambda _day: True  # noqa: E731
    else:
        while ids := _take_stale(batch, 0)[1]:
            _bring_in(ids, zone)
        db.session.execute(delete(ReportDay).where(ReportDay.day >= since))
        db.session.execute(delete(ReportCodeDay).where(ReportCodeDay.day >= since))
        db.session.execute(delete(ReportStaleDay).where(ReportStaleDay.day >= since))
        start = utc_bounds(since, since, zone)[0]
        # Every event of a complaint falls between its receipt and its latest event (until).
        facts = or_(ReportFact.until_at >= start, ReportFact.until_at.is_(None))
        keep = lambda day: day >= since  # noqa: E731
    tally = Tally.empty()
    last = 0
    while True:
        rows = db.session.execute(
            _FACT.where(ReportFact.complaint_id > last, facts)
            .order_by(ReportFact.complaint_id)
            .limit(batch)
        ).all()
        if not rows:
            break
        _tally_facts(rows, zone, keep, tally)
        last = rows[-1].complaint_id
    return _write(tally)


# ---------------------------------------------------------------------------------------------
# Report facts: one narrow row per complaint (views filtered on several dimensions)
# ---------------------------------------------------------------------------------------------

# The complaint columns a ReportFact row copies (same names on both tables).
FACT_COLUMNS = (
    "confidential",
    "category",
    "channel",
    "department",
    "severity",
    "route",
    "handler_id",
    *_EVENT_ATTRS,
    "satisfaction_score",
    "outcome",
    "root_cause_category",
    "escalation_target",
    "compensation_paid",
    "breaches",
    "ack_working_seconds",
    "resolve_working_seconds",
    "close_working_seconds",
    "escalation_decision",
)


def _until() -> ColumnElement[Any]:
    """The complaint's latest event, NULL while it is open (it counts in every later backlog)."""
    dialect = db.session.get_bind().dialect.name
    latest = func.greatest if dialect == "postgresql" else func.max  # SQLite's scalar max()
    events = [
        func.coalesce(getattr(Complaint, name), Complaint.received_at) for name in _EVENT_ATTRS
    ]
    return case((Complaint.closed_at.is_(None), None), else_=latest(*events))


def _codes() -> ColumnElement[str]:
    """The complaint's ComplaintCode rows of CODE_KINDS as "kind:code kind:code ..."."""
    found = (
        select(func.aggregate_strings(ComplaintCode.kind + ":" + ComplaintCode.code, " "))
        .where(ComplaintCode.complaint_id == Complaint.id, ComplaintCode.kind.in_(CODE_KINDS))
        .correlate(Complaint)
        .scalar_subquery()
    )
    return func.coalesce(found, "")


def write_facts(ids: Sequence[int] | None = None, condition: Any = None) -> None:
    """Write the ReportFact rows of these complaints (all when neither is given) from their
    current report columns; the caller commits. Rows are inserted in order of receipt, so a
    period's rows sit together."""
    if ids is not None and not ids:
        return
    chunks: list[Any]
    if ids is not None:
        chunks = [Complaint.id.in_(ids[i : i + 1000]) for i in range(0, len(ids), 1000)]
    else:
        chunks = [condition if condition is not None else True]
    target = [*FACT_COLUMNS, "until_at", "codes"]
    for where in chunks:
        chosen = select(Complaint.id).where(where)
        if ids is None and condition is None:
            # All of them: TRUNCATE on PostgreSQL leaves no dead rows to scan past.
            if db.session.get_bind().dialect.name == "postgresql":
                db.session.execute(text("TRUNCATE report_fact"))
            else:
                db.session.execute(delete(ReportFact))
        else:
            db.session.execute(
                delete(ReportFact)
                .where(ReportFact.complaint_id.in_(chosen.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
        source = (
            select(
                Complaint.id,
                *(getattr(Complaint, name) for name in FACT_COLUMNS),
                _until(),
                _codes(),
            )
            .where(where)
            .order_by(Complaint.received_at, Complaint.id)
        )
        db.session.execute(
            insert(ReportFact).from_select(["complaint_id", *target], source),
            execution_options={"synchronize_session": False},
        )
