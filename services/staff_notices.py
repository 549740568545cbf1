"""Emails to staff who opted in: a task given to them, and a daily digest of their overdue tasks.

Both are outbox rows (kinds task_assigned and daily_digest, channel email) that the delivery
worker writes and sends like any message (services/composer.py): in the staff member's
language, from the message templates (processes/messages/).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services import composer, delivery, message_templates
from services.clock import as_utc, utcnow
from services.db import db
from services.models import Notification, Task, User

# The staff site's address, set by the application at start (PUBLIC_BASE_URL).
_settings = {"base_url": "http://localhost:5000"}
# A digest goes out at most once in this time, whatever calls send_digests.
DIGEST_EVERY = timedelta(hours=23)


def configure(base_url: str) -> None:
    """Set the address the links to tasks and the inbox are built on."""
    _settings["base_url"] = base_url.rstrip("/")


def _url(path: str) -> str:
    return f"{_settings['base_url']}{path}"


def _language(user: User) -> str:
    return message_templates.language_of(user.locale)


def task_assigned(task: Task, assignee: User | None, by: User | None) -> Notification | None:
    """Queue "a task was assigned to you" for `assignee`, if they opted in and it was not them."""
    if assignee is None or not assignee.notify_assignment or not assignee.email:
        return None
    if by is not None and by.id == assignee.id:
        return None
    language = _language(assignee)
    due = as_utc(task.due_at)
    values = {
        "user_name": assignee.name,
        "task_name": task.title,
        "reference": task.reference or (task.complaint.reference if task.complaint else ""),
        "task_url": _url(f"/tasks/{task.id}"),
        "due": message_templates.long_date(due, language) if due else "",
    }
    complaint_id = task.complaint.id if task.complaint is not None else task.complaint_id
    return _queue(assignee, values, "task_assigned", complaint_id)


def send_digests(now: datetime | None = None) -> list[Notification]:
    """Queue each opted-in user's digest of overdue tasks, at most once a day; the rows queued."""
    now = as_utc(now) or utcnow()
    queued = []
    users = db.session.scalars(
        db.select(User).where(User.daily_digest.is_(True), User.active.is_(True))
    )
    for user in users:
        last = as_utc(user.last_digest_at)
        if last is not None and now - last < DIGEST_EVERY:
            continue
        user.last_digest_at = now
        overdue = list(
            db.session.scalars(
                db.select(Task)
                .where(
                    Task.assignee_id == user.id,
                    Task.status == "open",
                    Task.due_at.is_not(None),
                    Task.due_at < now,
                )
                .order_by(Task.due_at)
            )
        )
        if not overdue or not user.email:
            continue  # nothing overdue: no email, and the day counts as done
        language = _language(user)
        values = {
            "user_name": user.name,
            "tasks": [
                {
                    "reference": task.reference,
                    "task_name": task.title,
                    "due": message_templates.long_date(as_utc(task.due_at), language),
                    "url": _url(f"/tasks/{task.id}"),
                }
                for task in overdue
            ],
            "inbox_url": _url("/inbox"),
        }
        queued.append(_queue(user, values, "daily_digest", None))
    db.session.flush()
    return queued


def _queue(user: User, values: dict[str, Any], kind: str, complaint_id: int | None) -> Notification:
    """The outbox row; the worker writes the email from its template as it sends it."""
    notification = Notification(
        complaint_id=complaint_id,
        user_id=user.id,
        kind=kind,
        channel="email",
        recipient=user.email,
        language=_language(user),
        status=delivery.initial_status("email"),
    )
    composer.defer(notification, values, None)
    db.session.add(notification)
    return notification


def set_preferences(user: User, *, notify_assignment: bool, daily_digest: bool) -> None:
    """Record which staff emails the user wants."""
    user.notify_assignment = notify_assignment
    user.daily_digest = daily_digest
    db.session.flush()
