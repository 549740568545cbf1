"""Who may see and do what: pure predicates, and the matching query filters."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from services import roles
from services.errors import NotAllowed, NotFound
from services.models import Complaint, Task, User

# Roles that may read (non-confidential) complaints.
READER_ROLES = roles.LANE_ROLES | {roles.QUALITY_ANALYST, roles.ADMINISTRATOR}


def sees_confidential(user: User) -> bool:
    """Only the confidential focal point sees confidential complaints."""
    return user.has_role(roles.CONFIDENTIAL_FOCAL_POINT)


def can_view_complaint(user: User, complaint: Complaint) -> bool:
    """True when the user may know this complaint exists."""
    if not user.active:
        return False
    if complaint.confidential:
        return sees_confidential(user)
    return bool(user.role_names & READER_ROLES)


def visible_complaints_filter(user: User) -> ColumnElement[bool]:
    """The SQL form of can_view_complaint, for lists, searches and counts."""
    if not user.active:
        return false()
    if sees_confidential(user):
        return true()
    if user.role_names & READER_ROLES:
        return Complaint.confidential.is_(False)
    return false()


def can_view_task(user: User, task: Task) -> bool:
    """A task is visible to holders of its role, subject to the complaint's confidentiality."""
    if not user.active or not user.has_role(task.role):
        return False
    return not task.confidential or sees_confidential(user)


def visible_tasks_filter(user: User) -> ColumnElement[bool]:
    """The SQL form of can_view_task."""
    if not user.active or not user.role_names:
        return false()
    condition = Task.role.in_(sorted(user.role_names))
    if not sees_confidential(user):
        condition = condition & Task.confidential.is_(False)
    return condition


def require_view_complaint(user: User, complaint: Complaint | None) -> Complaint:
    """The complaint, or NotFound: an invisible complaint does not exist for this user."""
    if complaint is None or not can_view_complaint(user, complaint):
        raise NotFound("No such complaint.")
    return complaint


def require_view_task(user: User, task: Task | None) -> Task:
    """The task, or NotFound."""
    if task is None or not can_view_task(user, task):
        raise NotFound("No such task.")
    return task


def require_work_task(user: User, task: Task | None) -> Task:
    """The task if the user may complete it now, else NotFound or NotAllowed."""
    task = require_view_task(user, task)
    if task.assignee_id is not None and task.assignee_id != user.id:
        name = task.assignee.name if task.assignee else "someone else"
        raise NotAllowed(f"This task is assigned to {name}.")
    return task
