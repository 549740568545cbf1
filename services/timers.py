"""The timer process's bookkeeping: failures recorded on complaints, and its heartbeat.

A complaint whose timers raise keeps its last error, when it happened and how many rounds
in a row failed. After MAX_FAILURES the timer loop leaves it alone (so one broken case
cannot keep the process busy or flood the log) until a manager asks for a retry.

A complaint whose timers end the process itself (diagram code past the backstop's CPU or
memory limit: nothing the round wrote survives) is counted in services.timer_attempts; after
SET_ASIDE_AFTER such deaths in a row the round sets it aside (`set_aside`): given up on the
same way, with the time it was set aside, an audit line, and a place on the process owner's
versions page until someone tries its timers again (a manager, the process owner, or moving
the complaint to another version of the procedure).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement

from services import audit, permissions, roles, timer_attempts
from services.clock import as_utc
from services.db import db
from services.errors import NotAllowed, NotFound
from services.models import AuditEvent, Complaint, Heartbeat, User

MAX_FAILURES = 5
TIMERS = "timers"
DELIVERY = "delivery"  # the outbox worker (flask deliver-messages) beats under this name
RETRIED = "timers_retried"
SET_ASIDE = "timers_set_aside"
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
    if complaint.engine_failures or complaint.engine_error or complaint.timers_set_aside_at:
        _clear(complaint)


def _clear(complaint: Complaint) -> None:
    complaint.engine_failures = 0
    complaint.engine_error = ""
    complaint.engine_error_at = None
    complaint.timers_set_aside_at = None


def set_aside(complaint: Complaint, deaths: int, now: datetime) -> None:
    """The timer process died `deaths` times in a row evaluating the complaint's timers:
    leave them alone until someone retries them; audited. In the round's transaction."""
    version = complaint.instance.process_version.version if complaint.instance else None
    complaint.engine_failures = max(complaint.engine_failures or 0, MAX_FAILURES)
    complaint.engine_error = (
        f"The timer process was ended {deaths} times in a row while firing this complaint's "
        "timers (diagram code past its CPU or memory limit); its timers are set aside."
    )
    complaint.engine_error_at = now
    complaint.timers_set_aside_at = now
    audit.record(
        complaint.id,
        SET_ASIDE,
        summary="Timers set aside: evaluating them ended the timer process",
        data={"deaths": deaths, "version": version},
    )
    db.session.flush()


def set_aside_complaints(limit: int = 50) -> list[tuple[Complaint, Mapping[str, Any]]]:
    """The complaints whose timers are set aside now, latest first, each with the data of
    the audit event that set it aside (the deaths counted, the version it ran on)."""
    complaints = list(
        db.session.scalars(
            db.select(Complaint)
            .where(Complaint.timers_set_aside_at.is_not(None))
            .order_by(Complaint.timers_set_aside_at.desc(), Complaint.id.desc())
            .limit(limit)
        )
    )
    events = db.session.execute(
        db.select(AuditEvent.complaint_id, AuditEvent.data)
        .where(
            AuditEvent.kind == SET_ASIDE,
            AuditEvent.complaint_id.in_([c.id for c in complaints]),
        )
        .order_by(AuditEvent.id.desc())
    )
    data: dict[int, Mapping[str, Any]] = {}
    for complaint_id, event_data in events:
        data.setdefault(complaint_id, event_data or {})
    return [(complaint, data.get(complaint.id, {})) for complaint in complaints]


def set_aside_count() -> int:
    """How many complaints have their timers set aside now."""
    return int(
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Complaint)
            .where(Complaint.timers_set_aside_at.is_not(None))
        )
        or 0
    )


def given_up(complaint: Complaint) -> bool:
    """True when the timer loop skips the complaint until someone retries it."""
    return (complaint.engine_failures or 0) >= MAX_FAILURES


def can_retry(user: User, complaint: Complaint) -> bool:
    """Managers (and the focal point, for the confidential cases only they see) may retry."""
    if not permissions.can_view_complaint(user, complaint):
        return False
    # Clearance lets someone see confidential cases; only the focal point handles them.
    return user.has_role(roles.MANAGER) or permissions.handles_confidential(user)


def retry(complaint_id: int, actor: User | None, *, set_aside_only: bool = False) -> Complaint:
    """Clear a complaint's timer failures so the loop fires its timers again; audited.

    actor None is the system (CLI). With `set_aside_only` (the process owner's versions page)
    the complaint must be one the rounds set aside, and a process owner may retry it without
    seeing the complaint (the page names none they may not open); nothing else is cleared.
    Raises NotFound, or NotAllowed for other staff.
    """
    complaint = db.session.get(Complaint, complaint_id)
    if set_aside_only:
        if complaint is None or complaint.timers_set_aside_at is None:
            raise NotFound("No such complaint.")
        if actor is not None and not (
            permissions.manages_processes(actor) or can_retry(actor, complaint)
        ):
            raise NotAllowed("Only process owners and managers retry a complaint's timers.")
    else:
        if complaint is None or (
            actor is not None and not permissions.can_view_complaint(actor, complaint)
        ):
            raise NotFound("No such complaint.")
        if actor is not None and not can_retry(actor, complaint):
            raise NotAllowed("Only managers retry a complaint's timers.")
    error = complaint.engine_error
    _clear(complaint)
    audit.record(
        complaint.id,
        RETRIED,
        actor=actor,
        summary="Timers retried after repeated failures",
        data={"error": error[:300]},
    )
    db.session.flush()
    # The deaths counted so far: the next round tries the timers afresh (the ledger is
    # written outside this transaction; a retry that is not committed leaves the complaint
    # set aside all the same).
    timer_attempts.forget([complaint.id])
    return complaint


def release_after_move(complaint: Complaint, actor: User | None, version: int) -> None:
    """A complaint set aside moved to another version of the procedure: its timers are tried
    again on the new diagram; audited. Nothing when it was not set aside."""
    if complaint.timers_set_aside_at is None:
        return
    _clear(complaint)
    audit.record(
        complaint.id,
        RETRIED,
        actor=actor,
        summary=f"Timers tried again on version {version}",
        data={"to_version": version},
    )
    db.session.flush()
    timer_attempts.forget([complaint.id])


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
