"""Service levels as staff see them: the managers' breach view, and the state of a clock.

The breach view lists open tasks whose clock is at risk or breached now. It reads the task
table only (each open row carries its clock's name, due time and at-risk time, kept by the
workflow save path), through the partial index ix_task_open_at_risk, so it stays fast at a
million complaints. The service_clock rows are read only for the few tasks shown on a page
(whether their clock is paused) and for one complaint's page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, or_, true
from sqlalchemy.orm import selectinload

from services import business_calendar, permissions, presets, roles
from services import service_levels as clock_rules
from services.business_calendar import Calendar
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import NotAllowed
from services.models import Complaint, ServiceClock, Task, User, UserRole
from services.paging import Paged

# What a row shows: at risk (the at-risk share of its time used) or breached (due time past).
STATES = ("at_risk", "breached")
NOBODY = "none"  # the assignee filter's value for unassigned tasks


@dataclass(frozen=True)
class BreachFilter:
    """What the breach view shows: state, step, team, assignee, order and page."""

    state: str | None = None  # at_risk, breached, or both
    clock: str | None = None  # the step: a clock name (acknowledge, classify, ...)
    task: str | None = None  # a task name (BPMN id) within the step
    role: str | None = None  # the team: the task's lane...
    department: str | None = None  # ...and the complaint's department
    assignee: str | None = None  # a user id, or NOBODY
    sort: str = "due"
    page: int = 1
    per_page: int = 25


# Steps in the procedure's order (the presets' clocks), an unknown one last.
STEP_ORDER = case(
    {name: index for index, name in enumerate(presets.CLOCKS)},
    value=Task.clock,
    else_=len(presets.CLOCKS),
)
# Every order ends on the id so that pages never overlap. "due" puts the most late first
# (time late grows as the due time gets older), then what falls due soonest.
SORTS: dict[str, tuple[ColumnElement, ...]] = {
    "due": (Task.due_at.asc().nulls_last(), Task.id),
    "due_desc": (Task.due_at.desc(), Task.id.desc()),
    "step": (STEP_ORDER, Task.name, Task.due_at, Task.id),
    "team": (Task.role, Task.department, Task.due_at, Task.id),
    # Unassigned first (nobody is on them), then by name: the query joins the user.
    "assignee": (User.name.asc().nulls_first(), Task.due_at, Task.id),
}


@dataclass(frozen=True)
class BreachPage(Paged):
    """One page of at-risk and breached tasks, with the total and the moment it was read."""

    tasks: list[Task]
    total: int
    page: int
    per_page: int
    now: datetime


@dataclass
class Count:
    """How many tasks of one step, team or assignee are at risk and how many breached."""

    key: str
    label: str = ""
    at_risk: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.at_risk + self.breached


@dataclass(frozen=True)
class Group:
    """Tasks at risk and breached that share step, task, lane, department and assignee."""

    clock: str | None
    name: str
    title: str
    role: str
    department: str
    assignee_id: int | None
    at_risk: int
    breached: int


@dataclass
class Counts:
    """The view's figures at `now`: by step (clock), task, lane and department; overall."""

    now: datetime
    by_step: list[Count] = field(default_factory=list)
    by_task: list[Count] = field(default_factory=list)
    by_role: list[Count] = field(default_factory=list)
    by_department: list[Count] = field(default_factory=list)
    at_risk: int = 0
    breached: int = 0
    groups: list[Group] = field(default_factory=list)

    def total_for(self, flt: BreachFilter) -> int:
        """How many tasks a filter lists, from the groups (no second scan of the tasks)."""
        assignee = None if flt.assignee in (None, NOBODY) else int(flt.assignee)
        total = 0
        for group in self.groups:
            if (
                (flt.clock and group.clock != flt.clock)
                or (flt.task and group.name != flt.task)
                or (flt.role and group.role != flt.role)
                or (flt.department and group.department != flt.department)
                or (flt.assignee and group.assignee_id != assignee)
            ):
                continue
            if flt.state != "breached":
                total += group.at_risk
            if flt.state != "at_risk":
                total += group.breached
        return total


def oversees_service_levels(user: User) -> bool:
    """Managers use the breach view."""
    return user.active and user.has_role(roles.MANAGER)


def require_manager(user: User) -> User:
    """The user if they may use the breach view (managers), else NotAllowed."""
    if not oversees_service_levels(user):
        raise NotAllowed("Only managers see the service-level view.")
    return user


def overseen_filter(manager: User) -> ColumnElement[bool]:
    """Tasks a manager oversees, whatever their lane: all but confidential ones, which only
    the confidential focal point sees (the rule of the manager's reassign, services.tasks)."""
    if permissions.sees_confidential(manager):
        return true()
    return Task.confidential.is_(False)


def _attention(manager: User, now: datetime) -> Select[tuple[Task]]:
    """Open tasks at risk or breached now that the manager oversees (ix_task_open_at_risk)."""
    return db.select(Task).where(
        Task.status == "open",
        Task.at_risk_at.is_not(None),
        Task.at_risk_at <= now,
        overseen_filter(manager),
    )


def _filtered(query: Select[tuple[Task]], flt: BreachFilter, now: datetime) -> Select[tuple[Task]]:
    if flt.state == "breached":
        query = query.where(Task.due_at <= now)
    elif flt.state == "at_risk":
        query = query.where(or_(Task.due_at.is_(None), Task.due_at > now))
    for column, value in (
        (Task.clock, flt.clock),
        (Task.name, flt.task),
        (Task.role, flt.role),
        (Task.department, flt.department),
    ):
        if value:
            query = query.where(column == value)
    if flt.assignee == NOBODY:
        query = query.where(Task.assignee_id.is_(None))
    elif flt.assignee:
        query = query.where(Task.assignee_id == int(flt.assignee))
    return query


def breaches(
    manager: User,
    flt: BreachFilter | None = None,
    now: datetime | None = None,
    figures: Counts | None = None,
) -> BreachPage:
    """One page of what is at risk or breached now, filtered and sorted, with its total
    (taken from `figures`, the counts read at the same moment, when given)."""
    require_manager(manager)
    flt = flt or BreachFilter()
    now = figures.now if figures is not None else (now or utcnow())
    query = _filtered(_attention(manager, now), flt, now)
    if figures is not None:
        total = figures.total_for(flt)
    else:
        total = db.session.scalar(db.select(func.count()).select_from(query.subquery())) or 0
    page = max(1, flt.page)
    sort = flt.sort if flt.sort in SORTS else "due"
    # The page's ids first, from the index alone where it allows (the planner underrates how
    # many open rows are at risk and would otherwise sort them all), then their rows.
    ids = query.with_only_columns(Task.id)
    rows_query = db.select(Task)
    if sort == "assignee":
        ids = ids.outerjoin(User, User.id == Task.assignee_id)
        rows_query = rows_query.outerjoin(User, User.id == Task.assignee_id)
    ids = ids.order_by(*SORTS[sort]).limit(flt.per_page).offset((page - 1) * flt.per_page)
    # The complaint's flag is what permissions.can_view_task reads (reassign choices); the
    # assignees come from the identity map when the caller listed the staff first (staff()).
    rows = db.session.scalars(
        rows_query.where(Task.id.in_(ids))
        .options(selectinload(Task.complaint).load_only(Complaint.confidential))
        .order_by(*SORTS[sort])
    )
    return BreachPage(list(rows), total, page, flt.per_page, now)


def counts(manager: User, now: datetime | None = None) -> Counts:
    """Everything at risk or breached now that the manager oversees, counted by step, task,
    lane and department (one grouped query; its groups also give any filter's total)."""
    require_manager(manager)
    now = now or utcnow()
    seen = _attention(manager, now).subquery()
    columns = (seen.c.clock, seen.c.name, seen.c.role, seen.c.department, seen.c.assignee_id)
    grouped = db.session.execute(
        db.select(
            *columns,
            func.min(seen.c.title),  # a task's name gives its title: one sort key less
            func.count(),
            func.count().filter(seen.c.due_at <= now),
        ).group_by(*columns)
    ).all()
    result = Counts(now)
    tallies: dict[str, dict[str, Count]] = {k: {} for k in ("step", "task", "role", "department")}
    for clock, name, role, department, assignee_id, title, total, breached in grouped:
        group = Group(clock, name, title, role, department, assignee_id, total - breached, breached)
        result.groups.append(group)
        for kind, key, text in (
            ("step", clock or "", clock or ""),
            ("task", name, title),
            ("role", role, role),
            ("department", department, department),
        ):
            count = tallies[kind].setdefault(key, Count(key, text))
            count.breached += breached
            count.at_risk += total - breached
        result.breached += breached
        result.at_risk += total - breached
    order = {name: index for index, name in enumerate(presets.CLOCKS)}
    result.by_step = sorted(tallies["step"].values(), key=lambda c: (order.get(c.key, 99), c.key))
    result.by_task = sorted(tallies["task"].values(), key=lambda c: (c.label, c.key))
    result.by_role = sorted(tallies["role"].values(), key=lambda c: (-c.total, c.key))
    result.by_department = sorted(tallies["department"].values(), key=lambda c: (-c.total, c.key))
    return result


def staff() -> list[User]:
    """Active staff holding a lane role: who may be filtered on or given a task."""
    return list(
        db.session.scalars(
            db.select(User)
            .where(
                User.active.is_(True),
                User.id.in_(
                    db.select(UserRole.user_id).where(UserRole.role.in_(roles.lane_keys_query()))
                ),
            )
            .order_by(User.name, User.id)
        )
    )


# ---------------------------------------------------------------------------------------------
# Reassigning from the view
# ---------------------------------------------------------------------------------------------


def candidates(
    tasks: Iterable[Task], people: Iterable[User] | None = None
) -> dict[str, list[User]]:
    """For each task, the active users who may be given it (services.tasks.candidates's rule:
    they hold its role, see it if confidential, and the four-eyes rule does not keep them off
    it). `people`: the staff already read (staff()), else they are read here; then one query
    per task that has a notBy."""
    tasks = list(tasks)
    people = staff() if people is None else list(people)
    found: dict[str, list[User]] = {}
    for task in tasks:
        excluded = permissions.four_eyes_excluded(task)
        found[task.id] = [
            user
            for user in people
            if user.active
            and user.has_role(task.role)
            and user.id not in excluded
            and permissions.can_view_task(user, task)
        ]
    return found


def reassign_problem(task: Task, assignee: User | None) -> str | None:
    """Why `assignee` may not be given the task ('unknown', 'role', 'four_eyes'), or None."""
    if assignee is None or not assignee.active:
        return "unknown"
    if not permissions.can_view_task(assignee, task):
        return "role"
    if permissions.excluded_by_four_eyes(assignee, task):
        return "four_eyes"
    return None


# ---------------------------------------------------------------------------------------------
# A clock's state, as a row or a page shows it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockStatus:
    """Where a task's (or a clock's) time stands now.

    state: one of services.service_levels.DISPLAY_STATES (on_track, at_risk, breached, met,
    met_late, paused, stopped). `seconds`: time left (negative: how late; for a clock met
    late, how late it was met), None once ended on time, counted like the target: working
    time for a working target, elapsed time otherwise. `unit`: what to say it in
    (services.business_calendar.UNITS: working_days, working_hours, calendar_days, hours);
    `day_seconds`: the length of a working day, to say working time in working days.
    """

    state: str
    seconds: float | None = None
    day_seconds: float = 8.5 * 3600
    due_at: datetime | None = None
    unit: str = business_calendar.CALENDAR_DAYS


def working_day_seconds(calendar: Calendar) -> float:
    """The length of a working day in seconds (at least an hour, whatever is configured)."""
    return calendar.day_seconds


def clocks_of(tasks: Iterable[Task]) -> dict[tuple[int, str], ServiceClock]:
    """The clocks the tasks name, by (complaint id, clock name): one query by complaint."""
    tasks = [task for task in tasks if task.clock]
    if not tasks:
        return {}
    ids = sorted({task.complaint_id for task in tasks})
    rows = db.session.scalars(db.select(ServiceClock).where(ServiceClock.complaint_id.in_(ids)))
    return {(row.complaint_id, row.name): row for row in rows}


def task_status(
    task: Task,
    clock: ServiceClock | None,
    now: datetime,
    calendar: Calendar | None = None,
) -> ClockStatus | None:
    """The task's service-level state from its row (due_at, at_risk_at); its clock, when
    given, only says whether it is paused. None when the task has no due time."""
    calendar = calendar or business_calendar.current()
    if clock is not None and clock.state == clock_rules.PAUSED:
        return clock_status(clock, now, calendar)
    state = clock_rules.task_state(task, now)
    if state is None:
        return None
    seconds = clock_rules.task_time_left(task, now, calendar, clock)
    unit = business_calendar.target_unit(clock_rules.task_target(task, clock))
    return ClockStatus(state, seconds, working_day_seconds(calendar), as_utc(task.due_at), unit)


def statuses(tasks: Iterable[Task], now: datetime | None = None) -> dict[str, ClockStatus | None]:
    """Each task's service-level state by task id (the clocks read in one query, to know
    which are paused: the inbox query itself reads task rows only)."""
    tasks = list(tasks)
    now = now or utcnow()
    calendar = business_calendar.current()
    clocks = clocks_of(tasks)
    return {
        task.id: task_status(task, clocks.get((task.complaint_id, task.clock or "")), now, calendar)
        for task in tasks
    }


def clock_status(
    clock: ServiceClock, now: datetime, calendar: Calendar | None = None
) -> ClockStatus:
    """A clock's state now (services.service_levels' rules), with the time it has left (a
    paused one: what it had left when it stopped) or how late it was met, counted and said
    like its target."""
    calendar = calendar or business_calendar.current()
    state = clock_rules.display_state(clock, now)
    due = as_utc(clock.due_at)
    seconds = clock_rules.time_left(clock, now, calendar)
    ended = as_utc(clock.ended_at)
    if state == clock_rules.MET_LATE and due is not None and ended is not None:
        seconds = clock_rules.left_between(ended, due, clock.target, calendar)
    unit = business_calendar.target_unit(clock.target)
    return ClockStatus(state, seconds, working_day_seconds(calendar), due, unit)


def complaint_clocks(complaint_id: int) -> list[ServiceClock]:
    """A complaint's clocks with their pauses, in the order they started.

    The caller has checked that the user may see the complaint (its page does)."""
    return list(
        db.session.scalars(
            db.select(ServiceClock)
            .where(ServiceClock.complaint_id == complaint_id)
            .options(selectinload(ServiceClock.pauses))
            .order_by(ServiceClock.started_at, ServiceClock.id)
        )
    )
