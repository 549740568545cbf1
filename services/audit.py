"""The audit trail: one event per step, with who did it and the data involved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.db import db
from services.models import AuditEvent, User

SYSTEM = "system"
COMPLAINANT = "complainant"
# The key of an event's data holding its summary's msgid and params (record(message=...)).
SUMMARY = "summary_i18n"


def english(value: Any) -> Any:
    """A summary param as the English sentence shows it: a list of fields joined."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "nothing"
    return value


def jsonable(value: Any) -> Any:
    """Task data made safe for a JSON column (dates as ISO text, decimals as strings)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record(
    complaint_id: int | None,
    kind: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    task_name: str | None = None,
    summary: str = "",
    data: Mapping[str, Any] | None = None,
    public: bool = False,
    message: str = "",
    params: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller's transaction commits it).

    `message` (an English msgid with %(name)s placeholders) and its `params` replace `summary`
    where the event is shown to staff in their language (the admin pages' changes): both are
    kept in data["summary_i18n"] and the English sentence in `summary`. A list param names fields
    (shown by their labels, joined).
    """
    if message:
        values = {str(k): jsonable(v) for k, v in (params or {}).items()}
        summary = message % {k: english(v) for k, v in values.items()}
        data = {**(data or {}), SUMMARY: {"msgid": message, "params": values}}
    event = AuditEvent(
        complaint_id=complaint_id,
        kind=kind,
        actor=actor,
        actor_label=actor_label or (actor.name if actor else SYSTEM),
        task_name=task_name,
        summary=summary[:300],
        data=jsonable(data) if data is not None else None,
        public=public,
    )
    db.session.add(event)
    return event


# Rows written for the change feed only (services.events: a save's progress, a clock at
# risk), not steps a person reads.
FEED_ONLY_KINDS = ("progressed", "clock_at_risk")


def history(complaint_id: int, *, public_only: bool = False) -> list[AuditEvent]:
    """The complaint's events, oldest first."""
    query = db.select(AuditEvent).where(
        AuditEvent.complaint_id == complaint_id, AuditEvent.kind.not_in(FEED_ONLY_KINDS)
    )
    if public_only:
        query = query.where(AuditEvent.public.is_(True))
    return list(db.session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)))
