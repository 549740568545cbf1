"""Events integrators see, read from the audit trail: the change feed and webhook payloads.

No table of its own: each event comes from an audit row the step writes anyway (received,
task_completed, clock_breached, delivery_failed), or from the one row each save of the
procedure adds (PROGRESSED: the status before and after, and the save's time, which is the
created_at of the tasks it opened). That row is added before the save's first flush, so it
goes out in the same multi-row INSERT as the step's own audit row: a task completion makes
no more statements than before.

An event's id is "<audit id>-<n>" (one audit row may give several events); the feed's
cursor is the audit id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from services import audit, permissions
from services.clock import as_utc
from services.db import MAX_INT, db
from services.models import AuditEvent, Complaint, Notification, ServiceClock, Task, User

# The audit kinds written for the feed only (audit.history leaves them out of timelines).
PROGRESSED, AT_RISK = audit.FEED_ONLY_KINDS
FEED_ONLY_KINDS = frozenset(audit.FEED_ONLY_KINDS)

FILED = "complaint.filed"
TASK_CREATED = "task.created"
TASK_COMPLETED = "task.completed"
STATUS_CHANGED = "complaint.status_changed"
CLOSED = "complaint.closed"
SLA_AT_RISK = "sla.at_risk"
SLA_BREACHED = "sla.breached"
MESSAGE_FAILED = "message.failed"
TYPES = (
    FILED,
    TASK_CREATED,
    TASK_COMPLETED,
    STATUS_CHANGED,
    CLOSED,
    SLA_AT_RISK,
    SLA_BREACHED,
    MESSAGE_FAILED,
)
# The audit kind each event type is read from.
SOURCE = {
    FILED: "received",
    TASK_CREATED: PROGRESSED,
    TASK_COMPLETED: "task_completed",
    STATUS_CHANGED: PROGRESSED,
    CLOSED: PROGRESSED,
    SLA_AT_RISK: AT_RISK,
    SLA_BREACHED: "clock_breached",
    MESSAGE_FAILED: "delivery_failed",
}
SOURCE_KINDS = frozenset(SOURCE.values())
MAX_LIMIT = 100
# Audit rows read per round while filling a page (most rows give no event for a filter).
_BATCH = 200
_ROUNDS = 10


@dataclass(frozen=True)
class Event:
    """One event as integrators receive it (the webhook's body, an item of the feed)."""

    id: str
    type: str
    occurred_at: datetime
    complaint_id: int | None
    data: dict[str, Any]
    cursor: int  # the audit row it comes from

    def as_json(self) -> dict[str, Any]:
        """The JSON document: {id, type, occurred_at, data}."""
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }


@dataclass(frozen=True)
class Page:
    """One page of the feed and the cursor to ask for the next one."""

    events: list[Event]
    next: int


def record_progress(complaint: Complaint, before: str | None, now: datetime) -> None:
    """The save's feed row: status before and after, and when it opened its tasks.

    Called by services.workflows before the save's first flush (see the module's doc).
    """
    audit.record(
        complaint.id,
        PROGRESSED,
        summary=f"{before or '-'} -> {complaint.status}",
        data={"from": before, "to": complaint.status, "at": now},
    )


def record_at_risk(clock: ServiceClock, now: datetime) -> None:
    """A service-level clock turned at risk (the timer loop's round)."""
    audit.record(
        clock.complaint_id,
        AT_RISK,
        summary=f"{clock.name}: at risk",
        # UTC with its offset: a clock read back from SQLite has a naive due time.
        data={
            "clock": clock.name,
            "target": clock.target,
            "due_at": as_utc(clock.due_at),
            "at": as_utc(now),
        },
    )


def parse_types(value: str | None) -> frozenset[str] | None:
    """The types asked for (comma-separated), None for all; ValueError names an unknown one."""
    if not value:
        return None
    asked = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(asked - set(TYPES))
    if unknown:
        raise ValueError(", ".join(unknown))
    return asked or None


def feed(user: User, after: int = 0, limit: int = 50, types: frozenset[str] | None = None) -> Page:
    """Events after the cursor `after`, oldest first, of complaints the user may see.

    A page holds whole audit rows: it stops before a row whose events would pass `limit`
    (except the first). `next` is the cursor to send next time, also when nothing was found.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    kinds = SOURCE_KINDS if types is None else {SOURCE[t] for t in types}
    found: list[Event] = []
    cursor = after
    if after >= MAX_INT:  # no row follows (PostgreSQL refuses to compare with a bigger one)
        return Page(found, cursor)
    for _round in range(_ROUNDS):
        rows = list(
            db.session.scalars(
                select(AuditEvent)
                .join(Complaint, Complaint.id == AuditEvent.complaint_id)
                .where(
                    AuditEvent.id > cursor,
                    AuditEvent.kind.in_(sorted(kinds)),
                    permissions.visible_complaints_filter(user),
                )
                .order_by(AuditEvent.id)
                .limit(_BATCH)
            )
        )
        if not rows:
            break
        for row, events in zip(rows, expand(rows, full=True), strict=True):
            events = [e for e in events if types is None or e.type in types]
            if found and len(found) + len(events) > limit:
                return Page(found, cursor)
            found.extend(events)
            cursor = row.id
            if len(found) >= limit:
                return Page(found, cursor)
        if len(rows) < _BATCH:
            break
    return Page(found, cursor)


def of_rows(ids: Iterable[int]) -> list[Event]:
    """The events of these audit rows (for webhooks), oldest first; the payload of a
    confidential complaint carries its id and reference only."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.id.in_(wanted), AuditEvent.kind.in_(sorted(SOURCE_KINDS)))
            .order_by(AuditEvent.id)
        )
    )
    return [event for events in expand(rows, full=False) for event in events]


def expand(rows: Sequence[AuditEvent], *, full: bool) -> list[list[Event]]:
    """The events of each audit row (several for a save, none for one out of scope).

    `full`: the reader may see confidential complaints it is given (the feed filters them);
    otherwise a confidential complaint's data is reduced to its id and reference.
    """
    complaint_ids = {row.complaint_id for row in rows if row.complaint_id is not None}
    complaints = {
        c.id: c
        for c in db.session.scalars(select(Complaint).where(Complaint.id.in_(complaint_ids)))
    }
    created = _created_tasks([r for r in rows if r.kind == PROGRESSED])
    completed = _completed_tasks([r for r in rows if r.kind == "task_completed"])
    messages = _messages([r for r in rows if r.kind == "delivery_failed"])
    result = []
    for row in rows:
        complaint = complaints.get(row.complaint_id) if row.complaint_id is not None else None
        if complaint is None:
            result.append([])
            continue
        data = dict(row.data or {})
        at = as_utc(row.at) or row.at
        base = _complaint(complaint, full)
        items: list[tuple[str, dict[str, Any]]] = []
        if row.kind == "received":
            items.append((FILED, {}))
        elif row.kind == "task_completed":
            task = completed.get(row.id)
            items.append((TASK_COMPLETED, {"task": _task(task)} if task is not None else {}))
        elif row.kind == PROGRESSED:
            before, after = data.get("from"), data.get("to")
            if before is not None and before != after:
                items.append((STATUS_CHANGED, {"status": {"from": before, "to": after}}))
                if after == "closed":
                    items.append((CLOSED, {"outcome": complaint.outcome}))
            for task in created.get(row.id, []):
                items.append((TASK_CREATED, {"task": _task(task)}))
        elif row.kind in (AT_RISK, "clock_breached"):
            clock = {
                "name": data.get("clock"),
                "target": data.get("target"),
                "due_at": _iso_text(data.get("due_at")),
            }
            items.append((SLA_AT_RISK if row.kind == AT_RISK else SLA_BREACHED, {"clock": clock}))
        elif row.kind == "delivery_failed":
            message = messages.get(row.id)
            if message is not None:
                items.append((MESSAGE_FAILED, {"message": message}))
        secret = complaint.confidential and not full
        result.append(
            [
                Event(
                    id=f"{row.id}-{n}",
                    type=kind,
                    occurred_at=at,
                    complaint_id=complaint.id,
                    data={"complaint": base} if secret else {"complaint": base, **extra},
                    cursor=row.id,
                )
                for n, (kind, extra) in enumerate(items)
            ]
        )
    return result


def _complaint(complaint: Complaint, full: bool) -> dict[str, Any]:
    if complaint.confidential and not full:
        return {"id": complaint.id, "reference": complaint.reference, "confidential": True}
    return {
        "id": complaint.id,
        "reference": complaint.reference,
        "confidential": complaint.confidential,
        "status": complaint.status,
        "channel": complaint.channel,
        "category": complaint.category,
        "severity": complaint.severity,
        "received_at": _iso(complaint.received_at),
        "closed_at": _iso(complaint.closed_at),
    }


def _task(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "title": task.title,
        "role": task.role,
        "status": task.status,
        "due_at": _iso(task.due_at),
        "created_at": _iso(task.created_at),
        "completed_at": _iso(task.completed_at),
    }


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None  # type: ignore[union-attr]


def _iso_text(value: Any) -> Any:
    """A time stored as ISO text, with its UTC offset: rows recorded from a clock read back
    from SQLite hold it naive (UTC all the same)."""
    if not isinstance(value, str):
        return value
    try:
        return _iso(datetime.fromisoformat(value))
    except ValueError:
        return value


def _created_tasks(rows: Sequence[AuditEvent]) -> dict[int, list[Task]]:
    """The tasks each save opened: its complaint's tasks created at the save's time."""
    if not rows:
        return {}
    keys = {
        (row.complaint_id, as_utc(datetime.fromisoformat(row.data["at"]))): row.id
        for row in rows
        if row.data and row.data.get("at")
    }
    tasks = db.session.scalars(
        select(Task)
        .where(
            or_(
                *(
                    and_(Task.complaint_id == complaint_id, Task.created_at == at)
                    for complaint_id, at in keys
                )
            )
        )
        .order_by(Task.created_at, Task.name, Task.id)
    )
    found: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        row_id = keys.get((task.complaint_id, as_utc(task.created_at)))
        if row_id is not None:
            found[row_id].append(task)
    return found


def _completed_tasks(rows: Sequence[AuditEvent]) -> dict[int, Task]:
    """The task each completion row is about: the one of that name completed last before it."""
    if not rows:
        return {}
    candidates: dict[tuple[int | None, str | None], list[Task]] = defaultdict(list)
    for task in db.session.scalars(
        select(Task)
        .where(
            Task.complaint_id.in_({row.complaint_id for row in rows}),
            Task.name.in_({row.task_name for row in rows if row.task_name}),
            Task.status == "completed",
        )
        .order_by(Task.completed_at)
    ):
        candidates[(task.complaint_id, task.name)].append(task)
    found = {}
    for row in rows:
        at = as_utc(row.at)
        before = [
            t
            for t in candidates.get((row.complaint_id, row.task_name), [])
            if at is None or (as_utc(t.completed_at) or at) <= at
        ]
        if before:
            found[row.id] = before[-1]
    return found


def _messages(rows: Sequence[AuditEvent]) -> dict[int, dict[str, Any]]:
    """The failed message of each delivery_failed row: its id, kind and channel (no address)."""
    ids = {
        int(row.data["notification"]): row.id
        for row in rows
        if row.data and row.data.get("notification") is not None
    }
    if not ids:
        return {}
    found = {}
    for message in db.session.scalars(select(Notification).where(Notification.id.in_(ids))):
        found[ids[message.id]] = {
            "id": message.id,
            "kind": message.kind,
            "channel": message.channel,
            "to_staff": message.user_id is not None,
        }
    return found
