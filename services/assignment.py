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
    problem = permissions.assignment_problem(assignee, task)
    if problem is not None or assignee is None:
        code = problem or "unknown_assignee"
        raise _refused(permissions.ASSIGNMENT_PROBLEMS[code], code)
    return tasks.reassign(manager, task.id, assignee)


def _refused(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, details={"assignee_id": [message]}, code=code)
