"""Drafts of task forms: one user's unfinished values for one task, kept on the server.

A draft is private to its author (never shown to colleagues, even on the same task), is
restored when they reopen the task, and goes when the task is completed or no longer open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services import permissions
from services.db import db
from services.errors import Conflict
from services.models import Task, TaskDraft, User

# Never kept: the CSRF token and the buttons.
NOT_KEPT = frozenset({"csrf_token", "submit", "save_draft", "next_task"})
MAX_VALUE_LENGTH = 60000


def _values(formdata: Any) -> dict[str, list[str]]:
    """The posted values as {name: [values]} (a MultiDict's lists, or a plain mapping's)."""
    if hasattr(formdata, "lists"):
        items: Iterable[tuple[str, Any]] = formdata.lists()
    else:
        items = ((k, v if isinstance(v, list) else [v]) for k, v in dict(formdata).items())
    return {
        str(name): [str(v)[:MAX_VALUE_LENGTH] for v in values]
        for name, values in items
        if name not in NOT_KEPT
    }


def save(user: User, task: Task, formdata: Mapping[str, Any] | Any) -> TaskDraft:
    """Keep the user's current values of an open task they may work on (one draft each)."""
    permissions.require_work_task(user, task)
    if task.status != "open":
        raise Conflict("This task is no longer open.")
    draft = get(user, task)
    if draft is None:
        draft = TaskDraft(user_id=user.id, task_id=task.id, values={})
        db.session.add(draft)
    draft.values = _values(formdata)
    task.has_drafts = True
    db.session.flush()
    return draft


def get(user: User, task: Task) -> TaskDraft | None:
    """The user's own draft of the task, if any."""
    return db.session.scalar(
        db.select(TaskDraft).where(TaskDraft.user_id == user.id, TaskDraft.task_id == task.id)
    )


def discard(user: User, task: Task) -> bool:
    """Drop the user's draft of the task; True if there was one."""
    draft = get(user, task)
    if draft is None:
        return False
    db.session.delete(draft)
    db.session.flush()
    return True


def discard_all(task: Task) -> int:
    """Drop every draft of a task (it was completed: the drafts have nothing left to fill)."""
    if not task.has_drafts:
        return 0
    result = db.session.execute(db.delete(TaskDraft).where(TaskDraft.task_id == task.id))
    task.has_drafts = False
    return int(getattr(result, "rowcount", 0) or 0)
