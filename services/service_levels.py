"""Service-level clocks: one per complaint and per step the diagram marks with a `clock` property.

The diagram says which element a clock covers (a user task, a subprocess, or the start event
for the whole case); the active preset (services.presets) gives its target; the business
calendar (services.business_calendar) turns the target into a due time. The lifecycle runs in
the transaction of every engine step (services.workflows saves through `sync`):

- an element with clock X becomes active -> X starts (or, met before and active again, as a
  sign-off sent back: runs again with the same due time);
- no element of X is active any more -> X is met, unless the case is still open and the
  procedure now waits for one of the preset's pause messages (the complainant's answer to an
  information request): then X is paused, a pause recorded;
- a paused clock whose wait ended runs again, its due time moved by the paused time (working
  time for working targets);
- an end event with `clocks` = `stop` (closed incomplete, withdrawn) stops every open clock;
- whole-case clocks (start event) run until staff work ends (Complaint.closed_at), pause
  like the others, and are met once: a reopened case does not run them again.

Then the waiting engine timers written `target("X")` are set to clock X's due time and the
open task rows take their due time and "at risk" time from the clock covering them. The
timer loop (`process_due`) marks breaches (audit `clock_breached`) and sends the "at risk"
notice once. A clock's `breached_at` is the moment it ran out (its due time), set by the loop
or, if the step ends late first, then.
"""

from __future__ import annotations

import logging
import tomllib
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from services import (
    audit,
    business_calendar,
    engine,
    events,
    permissions,
    preset_letters,
    presets,
    processes,
    roles,
    staff_notices,
)
from services import tasks as task_service
from services.clock import as_utc, utcnow
from services.db import db
from services.models import (
    Complaint,
    ServiceClock,
    ServiceClockPause,
    Task,
    User,
    UserRole,
)

logger = logging.getLogger(__name__)

CLOCKS_FILE = Path(__file__).resolve().parent.parent / "processes" / "clocks.toml"

RUNNING, PAUSED, MET, STOPPED = "running", "paused", "met", "stopped"
OPEN_STATES = (RUNNING, PAUSED)
# What people see: a running clock is on track, at risk or breached; an ended one met (on
# time or late) or stopped (the case ended otherwise: withdrawn, closed incomplete).
ON_TRACK, AT_RISK, BREACHED, MET_LATE = "on_track", "at_risk", "breached", "met_late"
DISPLAY_STATES = (ON_TRACK, AT_RISK, BREACHED, MET, MET_LATE, PAUSED, STOPPED)
BREACH_EVENT = "clock_breached"
# Tasks that run beside a step (overdue reviews and what they raise) are not covered by the
# step's clock: their own `clock` property only.
SIDE_TASK_PROPERTIES = ("watches", "assignTo")


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


@cache
def _titles() -> dict[str, dict[str, str]]:
    with CLOCKS_FILE.open("rb") as handle:
        raw = tomllib.load(handle)
    return {
        name: {"en": str(entry.get("title") or name), "fr": str(entry.get("title_fr") or "")}
        for name, entry in raw.items()
    }


def title(name: str, language: str | None = "en") -> str:
    """A clock's name as people read it (processes/clocks.toml), in English or French."""
    names = _titles().get(name)
    if names is None:
        return name.replace("_", " ").capitalize()
    return (names["fr"] or names["en"]) if language == "fr" else names["en"]


def titles(name: str) -> dict[str, str]:
    """A clock's name in each language."""
    return {language: title(name, language) for language in ("en", "fr")}


# ---------------------------------------------------------------------------------------------
# The lifecycle, in the save path of every engine step
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    complaint: Complaint
    now: datetime
    calendar: business_calendar.Calendar
    preset: presets.Preset
    rows: dict[str, ServiceClock]


@dataclass(frozen=True)
class SyncResult:
    """The complaint's clocks after a step, and whether an engine timer was moved to one."""

    clocks: dict[str, ServiceClock]
    timers_moved: bool = False


def sync(
    complaint: Complaint,
    wf: Any,
    state: engine.Snapshot,
    now: datetime,
    *,
    receipt: datetime | None = None,
) -> SyncResult:
    """Bring the complaint's clocks up to date after an engine step, and the timers with them.

    A clock that starts counts from when its element became active; whole-case clocks, and
    every clock started with the procedure itself (`receipt`: the complaint's receipt, which
    an intake agent may date back), count from the receipt.
    One SELECT of the complaint's clocks; rows are written only when something changed.
    Returns the clocks by name (for the task rows) and whether an engine timer moved.
    """
    rows: dict[str, ServiceClock] = {}
    if complaint.id is not None:
        # Loaded with the task being completed, or lazily here (one SELECT).
        rows = {row.name: row for row in complaint.clock_rows}
    result = _sync(complaint, wf, state, now, rows, receipt)
    # Clocks started now belong to the complaint's collection for a later save in this session.
    set_committed_value(complaint, "clock_rows", list(result.clocks.values()))
    return result


def _sync(
    complaint: Complaint,
    wf: Any,
    state: engine.Snapshot,
    now: datetime,
    rows: dict[str, ServiceClock],
    receipt: datetime | None,
) -> SyncResult:
    if not rows and not state.active_clocks and not state.case_clocks:
        return SyncResult(rows, timers_moved=False)  # a diagram without clocks
    ctx = _Context(complaint, now, business_calendar.current(), presets.active(), rows)
    if state.clocks_stopped:
        for row in rows.values():
            if row.state in OPEN_STATES:
                _stop(ctx, row)
        return SyncResult(rows, timers_moved=False)
    case_open = complaint.closed_at is None and not state.completed
    # Only a case whose staff work is not done pauses: once the response is out, a step that
    # ended (the resolution) is met even though the case waits for the survey.
    pause_for = (
        sorted(state.waiting_messages & ctx.preset.pause_while_waiting_for) if case_open else []
    )
    for name in sorted(state.active_clocks - set(state.case_clocks)):
        _activate(ctx, name, receipt or state.clock_starts.get(name))
    for name, row in rows.items():
        if name in state.case_clocks or name in state.active_clocks:
            continue
        if row.state == RUNNING:
            if pause_for:
                _pause(ctx, row, pause_for[0])
            else:
                _meet(ctx, row, now)
        elif row.state == PAUSED and not pause_for:
            # The wait ended without the step coming back: it ended when it paused.
            _close_pause(ctx, row)
            _meet(ctx, row, as_utc(row.paused_at) or now)
    for name in state.case_clocks:
        case = rows.get(name)
        if case is None:
            if case_open:
                _start(ctx, name, as_utc(complaint.received_at))
        elif case.state in OPEN_STATES and not case_open:
            if case.state == PAUSED:
                _close_pause(ctx, case)
            _meet(ctx, case, as_utc(complaint.closed_at) or now)
        elif case.state == RUNNING and pause_for:
            _pause(ctx, case, pause_for[0])
        elif case.state == PAUSED and not pause_for:
            _resume(ctx, case)
    if state.completed:
        for row in rows.values():
            if row.state == PAUSED:
                _stop(ctx, row)
    dues = {name: _utc(row.due_at) for name, row in rows.items() if row.state == RUNNING}
    return SyncResult(rows, timers_moved=engine.align_clock_timers(wf, dues))


def _activate(ctx: _Context, name: str, since: datetime | None) -> None:
    row = ctx.rows.get(name)
    if row is None:
        _start(ctx, name, since)
    elif row.state == PAUSED:
        _resume(ctx, row)
    elif row.state == MET:
        # Its step is active again (a sign-off sent back): same clock, same due time.
        row.state = RUNNING
        row.ended_at = None


def _start(ctx: _Context, name: str, since: datetime | None = None) -> ServiceClock | None:
    try:
        target = ctx.preset.target(name)
    except presets.PresetError:
        logger.warning("preset %s has no target for clock %s: not started", ctx.preset.id, name)
        return None
    start = min(since, ctx.now) if since is not None else ctx.now
    due = ctx.calendar.due(start, target)
    row = ServiceClock(
        complaint=ctx.complaint,
        name=name,
        target=target,
        preset=ctx.preset.id,
        state=RUNNING,
        started_at=start,
        due_at=due,
        at_risk_at=ctx.calendar.at_risk(start, due, target),
    )
    db.session.add(row)
    ctx.rows[name] = row
    return row


def _pause(ctx: _Context, row: ServiceClock, reason: str) -> None:
    row.state = PAUSED
    row.paused_at = ctx.now
    db.session.add(ServiceClockPause(clock=row, reason=reason[:100], started_at=ctx.now))


def _close_pause(ctx: _Context, row: ServiceClock) -> None:
    for pause in row.pauses:
        if pause.ended_at is None:
            pause.ended_at = ctx.now


def _resume(ctx: _Context, row: ServiceClock) -> None:
    """Run again after a pause: due and at-risk times move by the paused (working) time."""
    paused_from = as_utc(row.paused_at) or ctx.now
    _close_pause(ctx, row)
    row.due_at = ctx.calendar.shift(_utc(row.due_at), paused_from, ctx.now, row.target)
    row.at_risk_at = ctx.calendar.shift(_utc(row.at_risk_at), paused_from, ctx.now, row.target)
    row.state = RUNNING
    row.paused_at = None
    if row.at_risk_notified_at is not None and _utc(row.at_risk_at) > ctx.now:
        row.at_risk_notified_at = None  # at risk again later: tell them again then


def _meet(ctx: _Context, row: ServiceClock, at: datetime) -> None:
    row.state = MET
    row.ended_at = at
    row.paused_at = None
    due = _utc(row.due_at)
    if at > due and not _breach_recorded(row):
        _mark_breached(row)


def _stop(ctx: _Context, row: ServiceClock) -> None:
    if row.state == PAUSED:
        _close_pause(ctx, row)
    row.state = STOPPED
    row.ended_at = ctx.now
    row.paused_at = None


def _utc(value: datetime) -> datetime:
    """A stored time that cannot be empty, as aware UTC (SQLite hands back naive values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _breach_recorded(row: ServiceClock) -> bool:
    """Whether this due time's breach is recorded (an extension or a pause moves the due)."""
    breached = as_utc(row.breached_at)
    return breached is not None and breached >= _utc(row.due_at)


def _mark_breached(row: ServiceClock) -> None:
    row.breached_at = row.due_at
    audit.record(
        row.complaint_id if row.complaint_id is not None else row.complaint.id,
        BREACH_EVENT,
        summary=f"{title(row.name)}: target {row.target} missed",
        data={"clock": row.name, "target": row.target, "due_at": _utc(row.due_at)},
    )


# ---------------------------------------------------------------------------------------------
# Task rows: which clock sets an open task's due time
# ---------------------------------------------------------------------------------------------


def task_fields(
    info: engine.UserTaskInfo, clocks: Mapping[str, ServiceClock]
) -> tuple[str | None, datetime | None, datetime | None]:
    """(clock, due_at, at_risk_at) of an open task: its own clock, else the nearest enclosing
    subprocess's (not for overdue reviews and what they raise). A `dueIn` keeps the due time.
    """
    names = info.clocks
    if not info.properties.get("clock") and any(p in info.properties for p in SIDE_TASK_PROPERTIES):
        names = ()
    for name in names:
        row = clocks.get(name)
        if row is not None:
            due = info.due_at if info.properties.get("dueIn") else _utc(row.due_at)
            return name, due, _utc(row.at_risk_at)
    return None, info.due_at, None


# ---------------------------------------------------------------------------------------------
# Extending the deadline (an overdue review's choice)
# ---------------------------------------------------------------------------------------------


def plus_working_days(
    calendar: business_calendar.Calendar, moment: datetime, days: int, saturdays: bool = False
) -> datetime:
    """`days` working days after `moment`, at the same working time of day; `saturdays`:
    Saturdays count as working days (jours ouvrables).

    A due time at the close of business stays at the close of business; one outside
    working hours counts from the next opening.
    """
    day_length = (
        datetime.combine(datetime.min, calendar.ends)
        - datetime.combine(datetime.min, calendar.starts)
    ).total_seconds()
    return calendar.add_working_seconds(moment, days * day_length, saturdays)


def counts_saturdays(target: str | None) -> bool:
    """Whether a stored target counts Saturdays as working days (jours ouvrables)."""
    found = business_calendar.stored_target(target)
    return found is not None and found.saturdays


def extend(
    complaint: Complaint, names: Iterable[str], days: int, now: datetime | None = None
) -> list[ServiceClock]:
    """Move the named open clocks' due and at-risk times by `days` working days, counted as
    each clock's target counts them (Saturdays too for jours ouvrables).

    The next save sets the engine timers and the task rows to the new due times. A clock
    moved past its breach is "at risk" again later, and is told so again.
    """
    now = now or utcnow()
    wanted = set(names)
    if not wanted or days <= 0:
        return []
    calendar = business_calendar.current()
    moved = []
    for row in db.session.scalars(
        db.select(ServiceClock).where(
            ServiceClock.complaint_id == complaint.id,
            ServiceClock.name.in_(wanted),
            ServiceClock.state.in_(OPEN_STATES),
        )
    ):
        saturdays = counts_saturdays(row.target)
        row.due_at = plus_working_days(calendar, _utc(row.due_at), days, saturdays)
        row.at_risk_at = plus_working_days(calendar, _utc(row.at_risk_at), days, saturdays)
        if row.at_risk_notified_at is not None and _utc(row.at_risk_at) > now:
            row.at_risk_notified_at = None
        moved.append(row)
    return moved


def watched_clocks(specs: Any, watched: str, open_tasks: Iterable[Task]) -> set[str]:
    """The clocks an overdue review watching `watched` acts on: the element's own clock and
    those of the watched step's open tasks."""
    names = {t.clock for t in open_tasks if t.clock}
    own = engine.task_properties(specs, watched).get("clock")
    if own:
        names.add(own)
    return names


# ---------------------------------------------------------------------------------------------
# Reading clocks (complaint page, inbox, breach view)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseView:
    reason: str  # the message waited for: information_received, survey_answered...
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class ClockView:
    """A clock as people see it: its display state and the time left (counted like its
    target)."""

    id: int
    name: str
    target: str
    preset: str
    stored_state: str  # running, paused, met, stopped
    state: str  # on_track, at_risk, breached, met, met_late, paused, stopped
    started_at: datetime
    due_at: datetime
    at_risk_at: datetime
    ended_at: datetime | None
    breached_at: datetime | None
    paused_at: datetime | None
    # Seconds left before the due time, counted like the target (working time for a working
    # target), negative once late; for a paused clock, what was left when it paused; None once
    # it ended.
    time_left: float | None
    pauses: tuple[PauseView, ...] = field(default_factory=tuple)

    def title(self, language: str | None = "en") -> str:
        return title(self.name, language)


def display_state(clock: ServiceClock, now: datetime | None = None) -> str:
    """on_track, at_risk, breached, met, met_late, paused or stopped."""
    now = as_utc(now) or utcnow()
    if clock.state == MET:
        return MET_LATE if clock.breached_at is not None else MET
    if clock.state in (PAUSED, STOPPED):
        return clock.state
    return running_state(now, _utc(clock.due_at), _utc(clock.at_risk_at))


def running_state(now: datetime, due: datetime | None, at_risk: datetime | None) -> str:
    """on_track, at_risk or breached for a running clock (or an open task's copy of it)."""
    if due is not None and now >= due:
        return BREACHED
    if at_risk is not None and now >= at_risk:
        return AT_RISK
    return ON_TRACK


def left_between(
    now: datetime,
    due: datetime,
    target: str | None,
    calendar: business_calendar.Calendar | None = None,
) -> float:
    """Seconds from `now` to `due` (negative once late), counted like `target`: working time
    for a working target (the days it counts on the business calendar), elapsed time
    otherwise (and for none: an ISO 8601 due time). Calendar.time_left counts it, for every
    reader."""
    calendar = calendar or business_calendar.current()
    return calendar.time_left(now, due, target)


def time_left(
    clock: ServiceClock,
    now: datetime | None = None,
    calendar: business_calendar.Calendar | None = None,
) -> float | None:
    """Seconds left (negative once late), counted like the clock's target (working time for
    a working target, elapsed time for calendar days...); a paused clock keeps what it had
    left."""
    if clock.state in (MET, STOPPED):
        return None
    now = as_utc(now) or utcnow()
    at = as_utc(clock.paused_at) if clock.state == PAUSED else now
    return left_between(at or now, _utc(clock.due_at), clock.target, calendar)


def task_state(task: Task, now: datetime | None = None) -> str | None:
    """An open task's clock state from its row alone (on_track, at_risk, breached), or None."""
    if task.due_at is None:
        return None
    now = as_utc(now) or utcnow()
    return running_state(now, _utc(task.due_at), as_utc(task.at_risk_at))


def task_target(task: Task, clock: ServiceClock | None) -> str | None:
    """The target an open task's due time is counted in: its clock's, when the task's due
    time is the clock's (a `dueIn` or a timer sets an elapsed one of its own), else None."""
    if clock is None or task.due_at is None or _utc(task.due_at) != _utc(clock.due_at):
        return None
    return clock.target


def task_time_left(
    task: Task,
    now: datetime | None = None,
    calendar: business_calendar.Calendar | None = None,
    clock: ServiceClock | None = None,
) -> float | None:
    """Seconds left before an open task's due time (negative once late), or None; counted
    like its clock's target (read here when not given), elapsed time without one."""
    if task.due_at is None:
        return None
    if clock is None and task.clock:
        clock = db.session.scalar(
            db.select(ServiceClock).where(
                ServiceClock.complaint_id == task.complaint_id, ServiceClock.name == task.clock
            )
        )
    due = _utc(task.due_at)
    return left_between(as_utc(now) or utcnow(), due, task_target(task, clock), calendar)


def clocks_of(complaint_id: int) -> list[ServiceClock]:
    """The complaint's clocks with their pauses, in the order they started."""
    return list(
        db.session.scalars(
            db.select(ServiceClock)
            .where(ServiceClock.complaint_id == complaint_id)
            .options(selectinload(ServiceClock.pauses))
            .order_by(ServiceClock.started_at, ServiceClock.id)
        )
    )


def view(
    clock: ServiceClock,
    now: datetime | None = None,
    calendar: business_calendar.Calendar | None = None,
) -> ClockView:
    """A clock as people see it."""
    now = as_utc(now) or utcnow()
    calendar = calendar or business_calendar.current()
    return ClockView(
        id=clock.id,
        name=clock.name,
        target=clock.target,
        preset=clock.preset,
        stored_state=clock.state,
        state=display_state(clock, now),
        started_at=_utc(clock.started_at),
        due_at=_utc(clock.due_at),
        at_risk_at=_utc(clock.at_risk_at),
        ended_at=as_utc(clock.ended_at),
        breached_at=as_utc(clock.breached_at),
        paused_at=as_utc(clock.paused_at),
        time_left=time_left(clock, now, calendar),
        pauses=tuple(
            PauseView(p.reason, _utc(p.started_at), as_utc(p.ended_at)) for p in clock.pauses
        ),
    )


def views(complaint_id: int, now: datetime | None = None) -> list[ClockView]:
    """Every clock of a complaint as people see it (two queries: clocks, pauses)."""
    now = as_utc(now) or utcnow()
    calendar = business_calendar.current()
    return [view(clock, now, calendar) for clock in clocks_of(complaint_id)]


# ---------------------------------------------------------------------------------------------
# The timer loop: breaches and "at risk" notices
# ---------------------------------------------------------------------------------------------


@dataclass
class ClockReport:
    """What one pass over the clocks did: references by clock name."""

    breached: list[tuple[str, str]] = field(default_factory=list)
    at_risk: list[tuple[str, str]] = field(default_factory=list)


# Up to which due time this process has marked every breach (per database), and when it last
# looked at all of them: a round only reads the clocks that ran out since, as the running
# clocks past due (an open backlog's whole-case clocks) can be many; a full look every
# FULL_SWEEP_SECONDS catches clocks that started already late (a complaint dated back).
_MARKED: weakref.WeakKeyDictionary[Any, tuple[datetime, float]] = weakref.WeakKeyDictionary()
FULL_SWEEP_SECONDS = 600.0


def process_due(now: datetime | None = None, limit: int = 500) -> ClockReport:
    """Mark running clocks past their due time breached; tell people once when one is at risk."""
    now = as_utc(now) or utcnow()
    report = ClockReport()
    memo = _MARKED.get(db.engine)
    full = memo is None or now < memo[0] or monotonic() - memo[1] > FULL_SWEEP_SECONDS
    query = db.select(ServiceClock).where(
        ServiceClock.state == RUNNING,
        ServiceClock.due_at <= now,
        or_(ServiceClock.breached_at.is_(None), ServiceClock.breached_at < ServiceClock.due_at),
    )
    if not full and memo is not None:
        query = query.where(ServiceClock.due_at > memo[0])
    late = db.session.scalars(
        query.options(selectinload(ServiceClock.complaint))
        .order_by(ServiceClock.due_at)
        .limit(limit)
    ).all()
    if len(late) < limit:  # all marked up to now (a full page leaves the rest to the next round)
        _MARKED[db.engine] = (now, monotonic() if full or memo is None else memo[1])
    for row in late:
        _mark_breached(row)
        # The preset's letter rule for this breach (FCA: the delay letter), at most once.
        preset_letters.on_clock_breached(row, now)
        report.breached.append((row.complaint.reference or str(row.complaint_id), row.name))
    risky = db.session.scalars(
        db.select(ServiceClock)
        .where(
            ServiceClock.state == RUNNING,
            ServiceClock.at_risk_notified_at.is_(None),
            ServiceClock.at_risk_at <= now,
        )
        .options(selectinload(ServiceClock.complaint))
        .order_by(ServiceClock.at_risk_at)
        .limit(limit)
    ).all()
    for row in risky:
        row.at_risk_notified_at = now
        if _utc(row.due_at) <= now:
            continue  # already breached: the overdue review says it, not an "at risk" email
        for user, task in at_risk_recipients(row):
            staff_notices.clock_at_risk(row, user, task, titles(row.name), now)
        events.record_at_risk(row, now)
        report.at_risk.append((row.complaint.reference or str(row.complaint_id), row.name))
    db.session.flush()
    return report


def next_event() -> datetime | None:
    """When the next running clock turns at risk (not yet told) or runs out (not yet marked)."""
    at_risk = db.session.scalar(
        db.select(db.func.min(ServiceClock.at_risk_at)).where(
            ServiceClock.state == RUNNING, ServiceClock.at_risk_notified_at.is_(None)
        )
    )
    # From now on (the index's range): what ran out before is marked by the next round.
    due = db.session.scalar(
        db.select(db.func.min(ServiceClock.due_at)).where(
            ServiceClock.state == RUNNING,
            ServiceClock.due_at > utcnow(),
            or_(ServiceClock.breached_at.is_(None), ServiceClock.breached_at < ServiceClock.due_at),
        )
    )
    found = [_utc(d) for d in (at_risk, due) if d is not None]
    return min(found, default=None)


def at_risk_recipients(clock: ServiceClock) -> list[tuple[User, Task | None]]:
    """Who hears that a clock is at risk: the assignee of each open task it covers (or, if
    unassigned, the people who may do it), and the managers who oversee the complaint (the
    confidential focal points for a confidential one). Active users with an email only.

    Operational notices: sent whatever the assignment-email opt-in says (staff_notices).
    """
    complaint = clock.complaint
    query = db.select(Task).where(Task.complaint_id == complaint.id, Task.status == "open")
    case_clock = clock.name in _case_clock_names(complaint)
    query = query.where(Task.clock.is_not(None) if case_clock else Task.clock == clock.name)
    found: dict[int, tuple[User, Task | None]] = {}
    for task in db.session.scalars(query.order_by(Task.created_at)):
        people = [task.assignee] if task.assignee is not None else task_service.candidates(task)
        for user in people:
            if user.active and user.id not in found:
                found[user.id] = (user, task)
    overseer_role = roles.CONFIDENTIAL_FOCAL_POINT if complaint.confidential else roles.MANAGER
    overseers = db.session.scalars(
        db.select(User)
        .join(UserRole)
        .where(UserRole.role == overseer_role, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    for user in overseers:
        if user.id not in found and permissions.can_view_complaint(user, complaint):
            found[user.id] = (user, None)
    return [(user, task) for user, task in found.values() if user.email]


def _case_clock_names(complaint: Complaint) -> set[str]:
    """The whole-case clocks of a complaint's procedure (its start event's `clock`)."""
    instance = complaint.instance
    if instance is None:
        return set()
    return set(engine.case_clocks(processes.specs_of(instance.process_version)))
