"""The task inbox: queries over the task table, claiming and reassigning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_
from sqlalchemy.orm import joinedload, selectinload

from services import audit, departments, permissions, roles, search, staff_notices
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from services.models import Complaint, Task, Team, User, UserRole
from services.paging import Paged

SCOPES = ("mine", "roles", "unassigned", "team")
# The inbox's service-level filter: at risk or breached ("attention"), or breached only.
SERVICE_LEVELS = ("attention", "breached")


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: scope, filters, search, order and page."""

    scope: str = "roles"
    category: str | None = None
    severity: str | None = None
    channel: str | None = None
    status: str | None = None
    department: str | None = None
    search: str | None = None
    service_level: str | None = None
    sort: str = "due"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class InboxPage(Paged):
    """One page of open tasks and the total count."""

    tasks: list[Task]
    total: int
    page: int
    per_page: int


# Every order ends on the id so pages never overlap; "due" follows ix_task_open_due, the
# others ix_task_open_created ("newest" backwards, so its ties go by id descending too).
SORTS = {
    "due": (Task.due_at.asc().nulls_last(), Task.created_at, Task.id),
    "newest": (Task.created_at.desc(), Task.id.desc()),
    "oldest": (Task.created_at, Task.id),
}


def _visible_open_tasks(user: User, flt: InboxFilter) -> Select[tuple[Task]]:
    """Open tasks the user may see, narrowed by the filters (scope excluded).

    Reads only the task table: open rows carry the complaint columns they are filtered on.
    """
    query = db.select(Task).where(
        Task.status == "open",
        permissions.visible_tasks_filter(user),
        permissions.four_eyes_filter(user),
    )
    for column, value in (
        (Task.category, flt.category),
        (Task.severity, flt.severity),
        (Task.channel, flt.channel),
        (Task.case_status, flt.status),
        (Task.department, flt.department),
    ):
        if value:
            query = query.where(column == value)
    if flt.search and flt.search.strip():
        query = query.where(search.condition(flt.search, Task.reference, Task.complainant_name))
    if flt.service_level in SERVICE_LEVELS:
        now = utcnow()
        breached = Task.due_at <= now
        query = query.where(
            breached if flt.service_level == "breached" else or_(breached, Task.at_risk_at <= now)
        )
    return query


def _scope_condition(
    user: User,
    scope: str,
    assignee: ColumnElement[int | None] = Task.assignee_id,
    team: ColumnElement[int | None] = Task.team_id,
    team_ids: set[int] | None = None,
) -> ColumnElement[bool]:
    if scope == "team":  # the tasks routed to the user's teams, whoever holds them
        ids = sorted(departments.team_ids_of(user) if team_ids is None else team_ids)
        return team.in_(ids) if ids else false()
    if scope == "mine":
        return assignee == user.id
    if scope == "unassigned":
        return assignee.is_(None)
    return or_(assignee.is_(None), assignee == user.id)


def inbox(user: User, flt: InboxFilter | None = None) -> InboxPage:
    """Open tasks the user may work on, filtered, searched, sorted and paginated."""
    flt = flt or InboxFilter()
    query = _visible_open_tasks(user, flt).where(_scope_condition(user, flt.scope))
    return _page(query, flt)


def _page(query: Select[tuple[Task]], flt: InboxFilter, *options: Any) -> InboxPage:
    """The page of `query` that `flt` asks for, with the total (`options`: loader options).

    The page's ids are chosen first, then only those rows are read: on PostgreSQL the ids
    and the total come from ix_task_open_due alone (index-only scans), where reading whole
    rows to find the page would visit a table page per open task passed over.
    """
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    page = max(1, flt.page)
    order = SORTS.get(flt.sort, SORTS["due"])
    ids = (
        query.with_only_columns(Task.id)
        .order_by(*order)
        .limit(flt.per_page)
        .offset((page - 1) * flt.per_page)
        .subquery()
    )
    # The rows carry the complaint columns the inbox shows: no complaint is loaded, and the
    # assignee comes in the same statement (two statements for a page, the total included).
    rows = db.session.scalars(
        db.select(Task)
        .join(ids, Task.id == ids.c.id)
        .options(joinedload(Task.assignee), *options)
        .order_by(*order)
    )
    return InboxPage(list(rows), total, page, flt.per_page)


def scope_counts(user: User, flt: InboxFilter | None = None) -> dict[str, int]:
    """How many tasks each inbox scope holds under the same filters, in one query."""
    flt = flt or InboxFilter()
    visible = _visible_open_tasks(user, flt).subquery()
    team_ids = departments.team_ids_of(user)
    counts = db.session.execute(
        db.select(
            *(
                db.func.count().filter(
                    _scope_condition(
                        user, scope, visible.c.assignee_id, visible.c.team_id, team_ids
                    )
                )
                for scope in SCOPES
            )
        ).select_from(visible)
    ).one()
    return dict(zip(SCOPES, (int(c) for c in counts), strict=True))


def due_badge(task: Task, now: datetime | None = None) -> str | None:
    """'overdue' (due time passed), 'at_risk' (its clock's at-risk time passed) or None."""
    now = now or utcnow()
    due, at_risk = as_utc(task.due_at), as_utc(task.at_risk_at)
    if due is not None and due <= now:
        return "overdue"
    if at_risk is not None and at_risk <= now:
        return "at_risk"
    return None


def get_for(user: User, task_id: str) -> Task:
    """A task the user may see, or NotFound."""
    return permissions.require_view_task(user, db.session.get(Task, task_id))


def get_to_read(user: User, task_id: str) -> Task:
    """A task the user may read: one of their roles' (get_for), or, for a manager, any task
    they oversee (the ones they may reassign), or NotFound. Working on it still takes its
    role (permissions.require_work_task: 403 for such a manager)."""
    task = db.session.get(Task, task_id)
    if task is not None and (
        permissions.can_view_task(user, task) or permissions.oversees_task(user, task)
    ):
        return task
    raise NotFound("No such task.")


def claim(user: User, task_id: str) -> Task:
    """Take an open task for oneself."""
    task = get_for(user, task_id)
    _require_open(task)
    permissions.require_four_eyes(user, task)
    if task.assignee_id not in (None, user.id):
        if task.assignee is None:
            raise Conflict("Someone has claimed it.")
        raise Conflict("%(name)s has claimed it.", params={"name": task.assignee.name})
    task.assignee = user
    audit.record(task.complaint_id, "claimed", actor=user, task_name=task.name, summary=task.title)
    db.session.flush()
    return task


def unclaim(user: User, task_id: str) -> Task:
    """Give a claimed task back to the role's queue."""
    task = get_for(user, task_id)
    _require_open(task)
    if task.assignee_id is None:
        raise Conflict("Nobody has claimed it yet.")
    if task.assignee_id != user.id and not user.has_role(roles.MANAGER):
        raise NotAllowed("Only the assignee or a manager can release this task.")
    task.assignee = None
    audit.record(task.complaint_id, "unclaimed", actor=user, task_name=task.name)
    db.session.flush()
    return task


def reassign(manager: User, task_id: str, assignee: User) -> Task:
    """A manager gives an open task to a person holding its role."""
    if not manager.has_role(roles.MANAGER):
        raise NotAllowed("Only a manager can reassign tasks.")
    task = _task_for_manager(manager, task_id)
    _require_open(task)
    if not permissions.can_view_task(assignee, task):
        raise InvalidInput(
            "%(name)s does not hold the role %(role)s.",
            params={"name": assignee.name, "role": task.role},
        )
    if permissions.excluded_by_four_eyes(assignee, task):
        raise InvalidInput(
            "%(name)s handled an earlier step: four-eyes rule.", params={"name": assignee.name}
        )
    _assign(task, assignee, manager)
    db.session.flush()
    return task


def _task_for_manager(manager: User, task_id: str) -> Task:
    """Managers oversee every non-confidential task, whatever its role."""
    task = db.session.get(Task, task_id)
    if task is None or not permissions.oversees_task(manager, task):
        raise NotFound("No such task.")
    return task


def _require_open(task: Task) -> None:
    if task.status != "open":
        raise Conflict("This task is no longer open.")


def for_complaint(complaint_id: int) -> list[Task]:
    """Every task of a complaint (open and done), oldest first."""
    return list(
        db.session.scalars(
            db.select(Task).where(Task.complaint_id == complaint_id).order_by(Task.created_at)
        )
    )


def get_for_manager(manager: User, task_id: str) -> Task:
    """A task as a manager sees it to reassign it: NotAllowed for others, NotFound if hidden."""
    if not manager.has_role(roles.MANAGER):
        raise NotAllowed("Only a manager can reassign tasks.")
    return _task_for_manager(manager, task_id)


def candidates(task: Task) -> list[User]:
    """Active users who may be given the task: they hold its role (and see it if confidential)."""
    holders = db.session.scalars(
        db.select(User)
        .join(UserRole)
        .where(UserRole.role == task.role, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return [
        user
        for user in holders
        if permissions.can_view_task(user, task)
        and not permissions.excluded_by_four_eyes(user, task)
    ]


def open_step_tasks(complaint_id: int, names: set[str]) -> list[Task]:
    """The complaint's open tasks that belong to a watched step."""
    if not names:
        return []
    return list(
        db.session.scalars(
            db.select(Task)
            .where(Task.complaint_id == complaint_id, Task.status == "open", Task.name.in_(names))
            .order_by(Task.created_at)
        )
    )


def overdue_people(review: Task, step: set[str]) -> tuple[list[User], list[User]]:
    """Whom an overdue review may give the watched step to, and escalate the case to.

    Reassign: the users who may do one of the step's open tasks. Escalate: the users who may
    do the review itself (its lane), as the escalated task is raised in that lane.
    """
    reassign: dict[int, User] = {}
    for task in open_step_tasks(review.complaint_id, step):
        reassign.update({u.id: u for u in candidates(task)})
    escalate = candidates(review)
    return sorted(reassign.values(), key=lambda u: (u.name, u.id)), escalate


def act_on_overdue_review(
    actor: User,
    review: Task,
    step: set[str],
    data: dict,
    *,
    timer_moved: set[str],
    working_days: bool = False,
    saturdays: bool = False,
) -> None:
    """Carry out the review's choice on the watched step's open tasks (after its completion).

    deadline_extended: the caller moved the step's service-level clocks by `extend_days`
    working days (`working_days`; Monday to Saturday for jours ouvrables: `saturdays`), or,
    without clocks, the engine's timers by calendar days;
    `timer_moved` are the tasks whose due time followed, the others move by calendar days
    here. reassigned gives them to `reassign_to`. Escalation is the diagram's: the task it
    raises is given to the person.
    """
    action = data.get("overdue_action")
    open_tasks = open_step_tasks(review.complaint_id, step)
    if action == "deadline_extended":
        days = int(data["extend_days"])
        unit = "working days" if working_days else "days"
        if saturdays:
            unit += " (Monday to Saturday)"
        for task in open_tasks:
            if task.id not in timer_moved:
                task.due_at = (as_utc(task.due_at) or utcnow()) + timedelta(days=days)
        audit.record(
            review.complaint_id,
            "deadline_extended",
            actor=actor,
            task_name=review.name,
            summary=f"Deadline extended by {days} {unit}",
            data={
                "days": days,
                "working_days": working_days,
                "saturdays": saturdays,
                "tasks": [t.name for t in open_tasks],
            },
        )
    elif action == "reassigned":
        assignee = db.session.get(User, int(data["reassign_to"]))
        for task in open_tasks:
            if assignee is not None and permissions.can_view_task(assignee, task):
                _assign(task, assignee, actor)
    elif action == "escalated":
        person = db.session.get(User, int(data["escalate_to"]))
        audit.record(
            review.complaint_id,
            "escalated",
            actor=actor,
            task_name=review.name,
            summary=f"Delay escalated to {person.name if person else '?'}",
        )
    db.session.flush()


def _assign(task: Task, assignee: User, actor: User | None) -> None:
    """Give the task to `assignee`: their opt-in email and the audit line go with it."""
    task.assignee = assignee
    staff_notices.task_assigned(task, assignee, actor)
    audit.record(
        task.complaint_id,
        "reassigned",
        actor=actor,
        task_name=task.name,
        summary=f"Assigned to {assignee.name}",
    )


# --- staff workspace (issue 12): next task, bulk actions, all open tasks, workload ------------

BULK_ACTIONS = ("claim", "release", "assign")
BULK_LIMIT = 100


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk action did to one task: done, or why not (the refusal: `error`, whose
    `message` is the English reason and msgid/params what a page translates)."""

    task_id: str
    title: str
    reference: str
    done: bool
    error: DomainError | None = None

    @property
    def reason(self) -> str:
        return self.error.message if self.error is not None else ""


def next_task(user: User) -> Task | None:
    """The first open task of the user's inbox in its usual order (mine and unassigned, by due)."""
    found = inbox(user, InboxFilter(per_page=1)).tasks
    return found[0] if found else None


def bulk(
    user: User, action: str, task_ids: list[str], assignee: User | None = None
) -> list[BulkOutcome]:
    """Claim, release or assign several tasks: each all or nothing, each checked on its own.

    Each task runs in its own savepoint with the same checks as one at a time (visibility,
    four eyes, who holds it, the manager's right to assign), so one refused task leaves the
    others done; every task done is audited by the action itself.
    """
    if action not in BULK_ACTIONS:
        raise InvalidInput("Choose what to do with the selected tasks.")
    if action == "assign" and assignee is None:
        raise InvalidInput("Choose who takes the selected tasks.")
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        raise InvalidInput("Select at least one task.")
    if len(ids) > BULK_LIMIT:
        raise InvalidInput(
            "Select at most %(limit)s tasks at once.", params={"limit": str(BULK_LIMIT)}
        )
    outcomes = []
    for task_id in ids:
        savepoint = db.session.begin_nested()
        try:
            if action == "claim":
                task = claim(user, task_id)
            elif action == "release":
                task = unclaim(user, task_id)
            elif assignee is not None:
                task = reassign(user, task_id, assignee)
            savepoint.commit()
        except (Conflict, InvalidInput, NotAllowed, NotFound) as exc:
            savepoint.rollback()
            title, reference = _label_for(user, task_id)
            outcomes.append(BulkOutcome(task_id, title, reference, False, exc))
            continue
        outcomes.append(BulkOutcome(task_id, task.title, task.reference, True))
    return outcomes


def _label_for(user: User, task_id: str) -> tuple[str, str]:
    """A refused task's title and reference, only if the user may know it exists."""
    task = db.session.get(Task, task_id)
    if task is None:
        return "", ""
    if permissions.can_view_task(user, task) or (
        user.has_role(roles.MANAGER)
        and (not task.confidential or permissions.sees_confidential(user))
    ):
        return task.title, task.reference
    return "", ""


def _manager_visible(manager: User) -> ColumnElement[bool]:
    """Open task rows a manager oversees: every role's, confidential ones with clearance."""
    condition = Task.status == "open"
    if not permissions.sees_confidential(manager):
        condition = condition & Task.confidential.is_(False)
    return condition


def require_manager(user: User) -> User:
    """The user if a manager (the all-tasks and workload views), else NotAllowed."""
    if not (user.active and user.has_role(roles.MANAGER)):
        raise NotAllowed("Only managers see every open task and the workload.")
    return user


def all_open(manager: User, flt: InboxFilter, assignee: int | str = "") -> InboxPage:
    """Every open task a manager oversees, filtered like the inbox; `assignee`: a user id,
    'none' (the tasks nobody holds), anything else everyone's."""
    require_manager(manager)
    query = db.select(Task).where(_manager_visible(manager))
    for column, value in (
        (Task.category, flt.category),
        (Task.severity, flt.severity),
        (Task.channel, flt.channel),
        (Task.case_status, flt.status),
        (Task.department, flt.department),
    ):
        if value:
            query = query.where(column == value)
    if flt.search and flt.search.strip():
        query = query.where(search.condition(flt.search, Task.reference, Task.complainant_name))
    if assignee == "none":
        query = query.where(Task.assignee_id.is_(None))
    elif isinstance(assignee, int):  # read by the form (forms.inbox), which bounds it
        query = query.where(Task.assignee_id == assignee)
    # Other roles' tasks among them: the complaint's flag is what permissions.can_view_task
    # reads to tell which the manager may open (one statement for the page).
    return _page(query, flt, selectinload(Task.complaint).load_only(Complaint.confidential))


@dataclass(frozen=True)
class Load:
    """Open and overdue task counts of one person, role or department."""

    key: str
    label: str
    open: int
    overdue: int


@dataclass(frozen=True)
class Workload:
    """Open tasks per assignee, per role and per department, with the overdue ones."""

    people: list[Load]
    teams: list[Load]
    roles: list[Load]
    departments: list[Load]
    total: int
    overdue: int


def workload(manager: User, now: datetime | None = None) -> Workload:
    """Who holds how many open tasks: grouped counts over open task rows only."""
    require_manager(manager)
    now = now or utcnow()
    visible = _manager_visible(manager)
    overdue = db.func.count().filter(Task.due_at <= now)

    def grouped(column: Any) -> list[tuple[Any, int, int]]:
        rows = db.session.execute(
            db.select(column, db.func.count(), overdue).where(visible).group_by(column)
        )
        return [(key, int(n), int(late)) for key, n, late in rows]

    by_person = grouped(Task.assignee_id)
    names = {
        user.id: user.name
        for user in db.session.scalars(
            db.select(User).where(User.id.in_([k for k, _n, _l in by_person if k is not None]))
        )
    }
    people = sorted(
        (
            Load("none" if key is None else str(key), names.get(key, ""), n, late)
            for key, n, late in by_person
        ),
        key=lambda load: (load.key != "none", -load.open, load.label),
    )
    by_team = grouped(Task.team_id)
    team_names = {
        team.id: team.name
        for team in db.session.scalars(
            db.select(Team).where(Team.id.in_([k for k, _n, _l in by_team if k is not None]))
        )
    }
    teams = sorted(
        (
            Load("none" if key is None else str(key), team_names.get(key, ""), n, late)
            for key, n, late in by_team
        ),
        key=lambda load: (load.key == "none", -load.open, load.label),
    )
    by_role = [Load(key, key, n, late) for key, n, late in grouped(Task.role)]
    by_department = [
        Load(key or "", key or "", n, late) for key, n, late in grouped(Task.department)
    ]
    return Workload(
        people=people,
        teams=teams,
        roles=sorted(by_role, key=lambda load: -load.open),
        departments=sorted(by_department, key=lambda load: -load.open),
        total=sum(load.open for load in by_role),
        overdue=sum(load.overdue for load in by_role),
    )


def assignable_people() -> list[User]:
    """Active staff holding a lane role: whom a manager may hand tasks to (each task checks)."""
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
