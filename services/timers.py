"""The timer process's bookkeeping: failures recorded on complaints, and its heartbeat.

A complaint whose timers raise keeps its last error, when it happened and how many rounds
in a row failed. After MAX_FAILURES the timer loop leaves it alone (so one broken case
cannot keep the process busy or flood the log) until a manager asks for a retry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement

from services import audit, permissions, roles
from services.clock import as_utc
from services.db import db
from services.errors import NotAllowed, NotFound
from services.models import Complaint, Heartbeat, User

MAX_FAILURES = 5
TIMERS = "timers"
DELIVERY = "delivery"  # the outbox worker (flask deliver-messages) beats under this name
RETRIED = "timers_retried"
_ERROR_LENGTH = 2000


def runnable() -> ColumnElement[bool]:
    """The complaints the timer loop still fires timers for (not given up on)."""
    return Complaint.engine_failures < MAX_FAILURES


def record_failure(complaint: Complaint, error: str, now: datetime) -> None:
    """Keep the error of a failed timer round on the complaint and count it."""
    complaint.engine_error = error[:_ERROR_LENGTH] or "unknown error"
    complaint.engine_error_at = now
    complaint.engine_failures = (complaint.engine_failures or 0) + 1


def record_success(complaint: Complaint) -> None:
    """A round that worked forgets the earlier failures."""
    if complaint.engine_failures or complaint.engine_error:
        complaint.engine_failures = 0
        complaint.engine_error = ""
        complaint.engine_error_at = None


def given_up(complaint: Complaint) -> bool:
    """True when the timer loop skips the complaint until someone retries it."""
    return (complaint.engine_failures or 0) >= MAX_FAILURES


def can_retry(user: User, complaint: Complaint) -> bool:
    """Managers (and the focal point, for the confidential cases only they see) may retry."""
    if not permissions.can_view_complaint(user, complaint):
        return False
    # Clearance lets someone see confidential cases; only the focal point handles them.
    return user.has_role(roles.MANAGER) or permissions.handles_confidential(user)


def retry(complaint_id: int, actor: User | None) -> Complaint:
    """Clear a complaint's timer failures so the loop fires its timers again; audited.

    actor None is the system (CLI). Raises NotFound, or NotAllowed for other staff.
    """
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or (
        actor is not None and not permissions.can_view_complaint(actor, complaint)
    ):
        raise NotFound("No such complaint.")
    if actor is not None and not can_retry(actor, complaint):
        raise NotAllowed("Only managers retry a complaint's timers.")
    error = complaint.engine_error
    complaint.engine_failures = 0
    complaint.engine_error = ""
    complaint.engine_error_at = None
    audit.record(
        complaint.id,
        RETRIED,
        actor=actor,
        summary="Timers retried after repeated failures",
        data={"error": error[:300]},
    )
    db.session.flush()
    return complaint


def beat(now: datetime, name: str = TIMERS) -> None:
    """Record that the background process `name` is alive at `now`."""
    row = db.session.get(Heartbeat, name)
    if row is None:
        db.session.add(Heartbeat(name=name, beat_at=now))
    else:
        row.beat_at = now
    db.session.flush()


def last_beat(name: str = TIMERS) -> datetime | None:
    """When the background process `name` last reported alive, if ever."""
    return as_utc(db.session.scalar(db.select(Heartbeat.beat_at).where(Heartbeat.name == name)))
