"""Emails to staff: a task given to them and a daily digest of their overdue tasks (for those
who opted in), and the "at risk" notice of a service level (operational, to everyone concerned).

All are outbox rows (kinds task_assigned, daily_digest, clock_at_risk; channel email) that the
delivery worker sends like any message; they are written in the staff member's language from
the message templates (processes/messages/).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services import (
    business_calendar,
    composer,
    delivery,
    message_templates,
    permissions,
    presets,
)
from services.clock import as_utc, utcnow
from services.db import db
from services.models import Notification, ServiceClock, Task, User

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


def clock_at_risk(
    clock: ServiceClock,
    user: User,
    task: Task | None,
    clock_titles: Mapping[str, str],
    now: datetime | None = None,
) -> Notification | None:
    """Queue "this service level is at risk" for `user` (services.service_levels decides who).

    Operational, like the overdue review it comes before: sent whatever the assignment-email
    opt-in says (that one is about being told of every task given to you). The link is the
    user's task when they may do one, else the complaint's page.
    """
    if not user.email:
        return None
    language = _language(user)
    complaint = clock.complaint
    due = as_utc(clock.due_at)
    now = as_utc(now) or utcnow()
    calendar = business_calendar.current()
    # Counted and said like the clock's target: calendar days for a 30-calendar-day clock.
    left = max(0.0, calendar.time_left(now, due, clock.target)) if due else 0.0
    url = _url(f"/tasks/{task.id}") if task is not None else _url(f"/complaints/{complaint.id}")
    values = {
        "user_name": user.name,
        "clock_name": clock_titles.get(language) or clock_titles.get("en") or clock.name,
        "reference": complaint.reference or "",
        "due": message_templates.long_datetime(due, language) if due else "",
        "time_left": presets.duration_words(
            left,
            business_calendar.target_unit(clock.target),
            calendar.day_seconds,
            language,
        ),
        "url": url,
    }
    return _queue(user, values, "clock_at_risk", complaint.id)


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
                    # Still theirs to see: a focal point moved to another role keeps the
                    # confidential tasks they claimed, which only focal points may know of.
                    permissions.visible_tasks_filter(user),
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
