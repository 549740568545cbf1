"""The complaint's report columns, projected on every save (services.workflows), and the
marks that tell services.reporting which days to count again.

After an engine step `project` copies what reports count from the case data and the messages
the step threw (before anything flushes, so the complaint's row is updated once), and
`project_clocks` what the service-level clocks give once the save brought them in step:

- root_cause_category (investigation), escalation_target / escalated_at (when first
  requested) / escalation_decision (approved, refused), compensation_paid;
- acknowledged_at: the `acknowledgement` message was thrown (none for a complaint closed at
  registration or confidential from receipt); responded_at: the first `response_letter`
  (a review letter after a reopening does not move it); surveyed_at: the survey answered;
- ack / resolve / close_working_seconds: working time on the business calendar from receipt to
  acknowledged_at / responded_at / closed_at, less the pauses of the `acknowledge` clock
  (acknowledgement) or of the whole-case `complaint` clock (the others) before that moment;
- breaches: clocks with breached_at set (the timer loop's breaches too: `note_breaches`);
  handler_id: who completed the resolution step;
- ComplaintCode rows, written when the case closes (again after a reopening): resolution_code,
  remedy, clock_met (ended on time) and clock_breached (code: the clock's name).

Whoever changes a reported column (a save, a reopening, the complainant's appeal), the flush
marks the complaint `report_stale` (no statement of its own: the row is updated anyway), dates
a reopening (reopened_at) and counts an appeal. The refresh takes the complaint's figures as
last counted (its report fact) off the roll-ups and adds the new ones, so an event that moved
(a reopened case's closure) leaves its old day with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, event, inspect, select, update
from sqlalchemy.orm.attributes import flag_modified

from services import business_calendar
from services.clock import as_utc, utcnow
from services.db import db
from services.models import Complaint, ComplaintCode, ServiceClock, ServiceClockPause, Task

# The steps whose completer handles the complaint (the assignee dimension).
RESOLUTION_FORMS = frozenset({"resolve_minor", "resolve_complaint", "handle_confidential"})
ACKNOWLEDGEMENT = "acknowledgement"
RESPONSE = "response_letter"
ACKNOWLEDGE_CLOCK = "acknowledge"
CASE_CLOCK = "complaint"

# The columns whose change moves a figure: a save that changes one marks the complaint stale.
REPORTED = (
    "received_at",
    "channel",
    "department",
    "category",
    "severity",
    "route",
    "confidential",
    "handler_id",
    "outcome",
    "satisfaction_score",
    "closed_at",
    "acknowledged_at",
    "responded_at",
    "surveyed_at",
    "escalated_at",
    "reopened_at",
    "appeal_requested_at",
    "escalation_target",
    "escalation_decision",
    "root_cause_category",
    "compensation_paid",
    "ack_working_seconds",
    "resolve_working_seconds",
    "close_working_seconds",
    "breaches",
)


def project(
    complaint: Complaint,
    data: Mapping[str, Any],
    thrown: Iterable[str],
    now: datetime,
    completed_task_id: str | None = None,
) -> bool:
    """Bring the complaint's report columns up to date after an engine step (see above);
    the clocks' part follows in `project_clocks` once they are in step. Returns whether the
    complaint closes in this step (project_clocks then writes its codes).

    Called before anything flushes in the save, so the complaint's row is updated once. Reads
    nothing, unless a working time is measured on a case that waited for the complainant
    (its clock pauses).
    """
    thrown = set(thrown)
    if data.get("root_cause_category"):
        complaint.root_cause_category = str(data["root_cause_category"])
    if data.get("escalation_requested") and data.get("escalation_target"):
        complaint.escalation_target = str(data["escalation_target"])
        complaint.escalated_at = complaint.escalated_at or now
    if data.get("escalation_decision") and complaint.escalated_at is not None:
        complaint.escalation_decision = str(data["escalation_decision"])
    amount = _amount(data.get("compensation_amount"))
    if amount is not None:
        complaint.compensation_paid = amount
    if complaint.satisfaction_score is not None and complaint.surveyed_at is None:
        complaint.surveyed_at = now
    if ACKNOWLEDGEMENT in thrown and complaint.acknowledged_at is None:
        complaint.acknowledged_at = now
    if RESPONSE in thrown and complaint.responded_at is None:
        complaint.responded_at = now
    if completed_task_id is not None:
        task = db.session.get(Task, completed_task_id)  # in the session: no query
        if task is not None and task.form_key in RESOLUTION_FORMS and task.completed_by:
            complaint.handler_id = task.completed_by.id
    # Closing now (first time, or again after a reopening): its time is not measured yet.
    closing = complaint.closed_at is not None and complaint.close_working_seconds is None
    _measure(complaint, data)
    return closing


def project_clocks(
    complaint: Complaint,
    data: Mapping[str, Any],
    clocks: Mapping[str, ServiceClock],
    closing: bool = False,
) -> None:
    """The report columns the clocks give, after the save brought them in step: breaches,
    and on closing the ComplaintCode rows."""
    breaches = sum(1 for row in clocks.values() if row.breached_at is not None)
    if breaches != (complaint.breaches or 0):
        complaint.breaches = breaches
    if closing:
        _write_codes(complaint, data, clocks)


@event.listens_for(db.session, "before_flush")
def _note_changes(session: Any, _context: Any, _instances: Any) -> None:
    """Mark complaints whose reported figures change, whoever changes them (a save, a
    reopening, the complainant's appeal): each change passes through one flush.

    Also dates a reopening and counts an appeal.
    """
    for complaint in session.new:
        if isinstance(complaint, Complaint):
            complaint.report_stale = True
    for complaint in session.dirty:
        if not isinstance(complaint, Complaint):
            continue
        attrs: Any = inspect(complaint).attrs
        if _increased(attrs.reopen_count.history):
            complaint.reopened_at = utcnow()
        if any(value is not None for value in attrs.appeal_requested_at.history.added):
            complaint.appeals = (complaint.appeals or 0) + 1
        if any(attrs[name].history.has_changes() for name in REPORTED):
            complaint.report_stale = True
            # Written even if this copy already says so: a refresh may have cleared it since
            # the row was read.
            flag_modified(complaint, "report_stale")


def _utc(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _increased(history: Any) -> bool:
    added = [value for value in history.added if value is not None]
    before = [value for value in history.deleted if value is not None]
    return bool(added) and (not before or added[-1] > before[0])


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _measure(complaint: Complaint, data: Mapping[str, Any]) -> None:
    """Working times from receipt, measured once their moment is known."""
    received = as_utc(complaint.received_at)
    if received is None:
        return
    # Clocks pause only while the complaint owes information (before staff work ends):
    # a case never asked for any has no pauses to read.
    waited = bool(data.get("information_requests")) and complaint.id is not None
    calendar = business_calendar.current()
    ack, responded = as_utc(complaint.acknowledged_at), as_utc(complaint.responded_at)
    closed = as_utc(complaint.closed_at)
    if ack is not None and complaint.ack_working_seconds is None:
        pauses = _pauses(complaint.id, ACKNOWLEDGE_CLOCK) if waited else []
        complaint.ack_working_seconds = working_time(calendar, received, ack, pauses)
    if responded is not None and complaint.resolve_working_seconds is None:
        pauses = _pauses(complaint.id, CASE_CLOCK) if waited else []
        complaint.resolve_working_seconds = working_time(calendar, received, responded, pauses)
    if closed is None:
        if complaint.close_working_seconds is not None:
            complaint.close_working_seconds = None  # reopened: measured when it closes again
    elif complaint.close_working_seconds is None:
        pauses = _pauses(complaint.id, CASE_CLOCK) if waited else []
        complaint.close_working_seconds = working_time(calendar, received, closed, pauses)


def _pauses(complaint_id: int, clock: str) -> list[tuple[datetime, datetime | None]]:
    """The pauses of one of the complaint's clocks (read without flushing the save)."""
    with db.session.no_autoflush:
        rows = db.session.execute(
            select(ServiceClockPause.started_at, ServiceClockPause.ended_at)
            .join(ServiceClock, ServiceClock.id == ServiceClockPause.clock_id)
            .where(ServiceClock.complaint_id == complaint_id, ServiceClock.name == clock)
        ).all()
    return [(_utc(start), as_utc(end)) for start, end in rows]


def working_time(
    calendar: business_calendar.Calendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
) -> int:
    """Working seconds from start to end, less the (working) time of the pauses within."""
    total = calendar.working_seconds(start, end)
    for paused, resumed in pauses:
        low, high = max(paused, start), min(resumed or end, end)
        if high > low:
            total -= calendar.working_seconds(low, high)
    return max(0, round(total))


def complaint_codes(
    data: Mapping[str, Any], clocks: Iterable[ServiceClock]
) -> set[tuple[str, str]]:
    """The (kind, code) facts a closed complaint holds (see CODE_KINDS)."""
    codes: set[tuple[str, str]] = set()
    for kind, field_name in (("resolution_code", "resolution_codes"), ("remedy", "remedies")):
        values = data.get(field_name) or ()
        if isinstance(values, str):
            values = [values]
        codes.update((kind, str(v)[:60]) for v in values if v)
    for row in clocks:
        if row.breached_at is not None:
            codes.add(("clock_breached", row.name))
        elif row.state == "met":
            codes.add(("clock_met", row.name))
    return codes


def _write_codes(complaint: Complaint, data: Mapping[str, Any], clocks: Mapping[str, Any]) -> None:
    if complaint.id is None:
        db.session.flush([complaint])
    if complaint.reopen_count:  # closed before: its codes are replaced
        db.session.execute(delete(ComplaintCode).where(ComplaintCode.complaint_id == complaint.id))
    rows = [
        {"complaint_id": complaint.id, "kind": kind, "code": code}
        for kind, code in sorted(complaint_codes(data, clocks.values()))
    ]
    if rows:  # one statement, whatever the ORM holds of the replaced rows
        db.session.execute(ComplaintCode.__table__.insert(), rows)


def note_breaches(references: Iterable[str]) -> None:
    """Count the clocks the timer loop just marked breached on their complaints.

    No figure moves (breaches count on the day the complaint closes): only the column.
    """
    wanted = sorted(set(references))
    if not wanted:
        return
    count = (
        select(db.func.count(ServiceClock.id))
        .where(ServiceClock.complaint_id == Complaint.id, ServiceClock.breached_at.is_not(None))
        .scalar_subquery()
    )
    db.session.execute(
        update(Complaint)
        .where(Complaint.reference.in_(wanted))
        .values(breaches=count)
        .execution_options(synchronize_session=False)
    )
