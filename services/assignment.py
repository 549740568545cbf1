"""Managers hand an open task to a person, or release it to its team, saying why not when they
cannot (the same rules as the reassign page: services.tasks.reassign)."""

from __future__ import annotations

from services import audit, permissions, tasks
from services.db import db
from services.errors import Conflict, InvalidInput
from services.models import Task, User


def assign(manager: User, task_id: str, assignee_id: int | None) -> Task:
    """Give the task to the user `assignee_id`, or to nobody (its team's queue) for None.

    NotAllowed unless a manager; NotFound for a task the manager does not oversee (the check
    of reading it, tasks.get_to_read: a confidential one without clearance does not exist for
    them, and nothing is written); Conflict once the task is closed; InvalidInput, with a
    code, when the person may not take it (unknown or inactive, not holding its role, not
    cleared for a confidential complaint, kept off by the four-eyes rule).
    """
    task = tasks.get_for_manager(manager, task_id)
    if task.status != "open":
        raise Conflict("This task is no longer open.", code="task_not_open")
    if assignee_id is None:
        if task.assignee_id is not None:
            task.assignee = None
            audit.record(task.complaint_id, "unclaimed", actor=manager, task_name=task.name)
            db.session.flush()
        return task
    assignee = db.session.get(User, assignee_id)
    if assignee is None or not assignee.active:
        raise _refused("No active staff member has this id.", "unknown_assignee")
    if not assignee.has_role(task.role):
        raise _refused("This person does not hold the task's role.", "assignee_lacks_role")
    if (task.confidential or task.complaint.confidential) and not permissions.sees_confidential(
        assignee
    ):
        raise _refused(
            "This person is not cleared to see confidential complaints.", "assignee_not_cleared"
        )
    if permissions.excluded_by_four_eyes(assignee, task):
        raise _refused(
            "This person handled an earlier step of this complaint: four-eyes rule.",
            "four_eyes",
        )
    return tasks.reassign(manager, task.id, assignee)


def _refused(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, details={"assignee_id": [message]}, code=code)
