"""The task inbox: queries over the task table, claiming and reassigning."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import or_

from services import audit, permissions, roles
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.models import Complaint, Task, User, UserRole

AT_RISK_WINDOW = timedelta(days=1)
SCOPES = ("mine", "roles", "unassigned")


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
    sort: str = "due"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class InboxPage:
    """One page of open tasks and the total count."""

    tasks: list[Task]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages."""
        return max(1, -(-self.total // self.per_page))


SORTS = {
    "due": (Task.due_at.is_(None), Task.due_at, Task.created_at),
    "newest": (Task.created_at.desc(),),
    "oldest": (Task.created_at,),
}


def inbox(user: User, flt: InboxFilter | None = None) -> InboxPage:
    """Open tasks the user may work on, filtered, searched, sorted and paginated."""
    flt = flt or InboxFilter()
    query = (
        db.select(Task)
        .join(Task.complaint)
        .where(Task.status == "open", permissions.visible_tasks_filter(user))
    )
    if flt.scope == "mine":
        query = query.where(Task.assignee_id == user.id)
    elif flt.scope == "unassigned":
        query = query.where(Task.assignee_id.is_(None))
    else:
        query = query.where(or_(Task.assignee_id.is_(None), Task.assignee_id == user.id))
    for column, value in (
        (Complaint.category, flt.category),
        (Complaint.severity, flt.severity),
        (Complaint.channel, flt.channel),
        (Complaint.status, flt.status),
        (Complaint.department, flt.department),
    ):
        if value:
            query = query.where(column == value)
    if flt.search:
        term = flt.search.strip()
        query = query.where(
            or_(
                Complaint.reference == term.upper(),
                Complaint.complainant_name.ilike(f"%{term}%"),
            )
        )
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    page = max(1, flt.page)
    rows = db.session.scalars(
        query.order_by(*SORTS.get(flt.sort, SORTS["due"]))
        .limit(flt.per_page)
        .offset((page - 1) * flt.per_page)
    )
    return InboxPage(list(rows), total, page, flt.per_page)


def due_badge(task: Task) -> str | None:
    """'overdue', 'at_risk' or None, from the task's due time."""
    if task.due_at is None:
        return None
    due = as_utc(task.due_at)
    now = utcnow()
    if due is None:
        return None
    if due < now:
        return "overdue"
    if due - now < AT_RISK_WINDOW:
        return "at_risk"
    return None


def get_for(user: User, task_id: str) -> Task:
    """A task the user may see, or NotFound."""
    return permissions.require_view_task(user, db.session.get(Task, task_id))


def claim(user: User, task_id: str) -> Task:
    """Take an open task for oneself."""
    task = get_for(user, task_id)
    _require_open(task)
    if task.assignee_id not in (None, user.id):
        raise Conflict(f"{task.assignee.name if task.assignee else 'Someone'} has claimed it.")
    task.assignee = user
    audit.record(task.complaint_id, "claimed", actor=user, task_name=task.name, summary=task.title)
    db.session.flush()
    return task


def unclaim(user: User, task_id: str) -> Task:
    """Give a claimed task back to the role's queue."""
    task = get_for(user, task_id)
    _require_open(task)
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
        raise InvalidInput(f"{assignee.name} does not hold the role '{task.role}'.")
    task.assignee = assignee
    audit.record(
        task.complaint_id,
        "reassigned",
        actor=manager,
        task_name=task.name,
        summary=f"Assigned to {assignee.name}",
    )
    db.session.flush()
    return task


def _task_for_manager(manager: User, task_id: str) -> Task:
    """Managers oversee every non-confidential task, whatever its role."""
    task = db.session.get(Task, task_id)
    if task is None or (task.confidential and not permissions.sees_confidential(manager)):
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


def scope_counts(user: User, flt: InboxFilter | None = None) -> dict[str, int]:
    """How many tasks each inbox scope holds under the same filters (same visibility rules)."""
    flt = flt or InboxFilter()
    return {
        scope: inbox(user, replace(flt, scope=scope, page=1, per_page=1)).total for scope in SCOPES
    }


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
    return [user for user in holders if permissions.can_view_task(user, task)]
