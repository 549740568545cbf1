"""Moving running complaints from one process version to another (not Alembic migrations).

Complaints keep running on the version they started on. A process owner may move the
running ones explicitly: dry_run() says, per complaint, whether it can move and why not;
migrate() moves one. The caller commits once per complaint, so one refusal or failure
never undoes the others (see `flask migrate-complaints`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from services import audit, engine, permissions, processes, workflows
from services.db import db
from services.errors import Conflict, InvalidInput, NotFound
from services.models import Complaint, ProcessInstance, ProcessVersion, Task, User

MIGRATED = "migrated"


@dataclass(frozen=True)
class Candidate:
    """One running complaint on the old version: can it move, and if not, why not."""

    complaint_id: int
    reference: str
    status: str
    current_steps: list[str]
    movable: bool
    reasons: list[str] = field(default_factory=list)


def _check_versions(from_version: ProcessVersion, to_version: ProcessVersion) -> None:
    if from_version.process_id != to_version.process_id:
        raise InvalidInput("Both versions must belong to the same process.")
    if from_version.id == to_version.id:
        raise InvalidInput("Choose two different versions.")


def _hidden(viewer: User | None, complaint: Complaint) -> bool:
    """Confidential complaints exist only for the confidential focal point (None: the system)."""
    return (
        viewer is not None and complaint.confidential and not permissions.sees_confidential(viewer)
    )


def running(from_version: ProcessVersion, viewer: User | None = None) -> list[Complaint]:
    """The complaints still running on a version, oldest first."""
    return list(db.session.scalars(_running_query(from_version, viewer, None)))


def dry_run(
    from_version: ProcessVersion,
    to_version: ProcessVersion,
    *,
    viewer: User | None = None,
    references: list[str] | None = None,
) -> list[Candidate]:
    """For each running complaint on `from_version`: could it move to `to_version`?

    Nothing is written. A viewer, when given, must be a process owner; confidential
    complaints are left out unless they are the confidential focal point. `references`
    limits the run to those complaints.

    Complaints that stand at the same place of the diagram get the same verdict, so the
    engine runs once per group, not once per complaint: complaints are grouped by status,
    pending timer or not, and the set of their user tasks (name and state, read from the
    task table), and the first of each group is loaded, moved in memory, stored and
    restored ("movable" means that move succeeded). migrate() checks each complaint
    again, so a verdict that did not fit one member could only refuse its move.
    """
    if viewer is not None:
        permissions.require_manages_processes(viewer)
    _check_versions(from_version, to_version)
    target = processes.specs_of(to_version)
    source = processes.specs_of(from_version)
    rows = db.session.execute(
        _running_query(from_version, viewer, references).with_only_columns(
            Complaint.id,
            Complaint.reference,
            Complaint.status,
            ProcessInstance.next_timer_due.is_not(None),
        )
    ).all()
    tasks = _task_sets(from_version, viewer, references)
    verdicts: dict[tuple[str, bool, frozenset[tuple[str, str]]], tuple[list[str], list[str]]] = {}
    candidates = []
    for complaint_id, reference, status, timer_pending in rows:
        key = (status, bool(timer_pending), tasks.get(complaint_id, frozenset()))
        if key not in verdicts:
            verdicts[key] = _verdict(complaint_id, source, target)
        steps, reasons = verdicts[key]
        candidates.append(
            Candidate(
                complaint_id=complaint_id,
                reference=reference or str(complaint_id),
                status=status,
                current_steps=list(steps),
                movable=not reasons,
                reasons=list(reasons),
            )
        )
    return candidates


def _running_query(
    from_version: ProcessVersion, viewer: User | None, references: list[str] | None
) -> Select[Any]:
    """Complaints running on a version that the viewer may know of, oldest first."""
    query = (
        db.select(Complaint)
        .join(ProcessInstance, ProcessInstance.complaint_id == Complaint.id)
        .where(
            ProcessInstance.process_version_id == from_version.id,
            ProcessInstance.completed.is_(False),
        )
        .order_by(Complaint.received_at, Complaint.id)
    )
    if viewer is not None and not permissions.sees_confidential(viewer):
        query = query.where(Complaint.confidential.is_(False))
    if references:
        query = query.where(Complaint.reference.in_(references))
    return query


def _task_sets(
    from_version: ProcessVersion, viewer: User | None, references: list[str] | None
) -> dict[int, frozenset[tuple[str, str]]]:
    """complaint id -> the (name, status) of every user task it has had, one query."""
    running_ids = (
        _running_query(from_version, viewer, references)
        .with_only_columns(Complaint.id)
        .order_by(None)
        .scalar_subquery()
    )
    sets: dict[int, set[tuple[str, str]]] = {}
    for complaint_id, name, status in db.session.execute(
        db.select(Task.complaint_id, Task.name, Task.status)
        .where(Task.complaint_id.in_(running_ids))
        .distinct()
    ):
        sets.setdefault(complaint_id, set()).add((name, status))
    return {complaint_id: frozenset(names) for complaint_id, names in sets.items()}


def _verdict(
    complaint_id: int, source: engine.Specs, target: engine.Specs
) -> tuple[list[str], list[str]]:
    """(current steps, reasons it cannot move) for one complaint, by moving it in memory."""
    state = db.session.scalar(
        db.select(ProcessInstance.state).where(ProcessInstance.complaint_id == complaint_id)
    )
    wf = engine.load_workflow(source, state)
    steps = engine.open_step_ids(wf)
    reasons = engine.migration_obstacles(wf, target)
    if not reasons:
        try:
            engine.migrate_instance(wf, target)
            engine.load_workflow(target, engine.dump_workflow(wf))
        except Exception as exc:  # noqa: BLE001 - reported per complaint, not raised
            reasons = [f"the engine could not move it: {exc}"]
    return steps, reasons


def migrate(complaint_id: int, to_version: ProcessVersion, actor: User | None) -> Complaint:
    """Move one running complaint onto `to_version`; the caller commits.

    Open tasks keep their ids and assignees, and service-level clocks keep their due
    times (a changed duration timer is re-based on its original start). Records an audit
    event "migrated" with the versions. Raises NotAllowed (actor not a process owner),
    NotFound, InvalidInput (other process), Conflict (finished, already there, or the
    engine refuses, with the reasons). actor None is the system (CLI).
    """
    if actor is not None:
        permissions.require_manages_processes(actor)
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or complaint.instance is None or _hidden(actor, complaint):
        raise NotFound("No such complaint.")
    instance = complaint.instance
    from_version = instance.process_version
    if instance.completed:
        raise Conflict(f"Complaint {complaint.reference} is closed; it stays on its version.")
    if from_version.id == to_version.id:
        raise Conflict(
            f"Complaint {complaint.reference} is already on version {to_version.version}."
        )
    _check_versions(from_version, to_version)
    workflows.migrate(complaint, to_version)
    audit.record(
        complaint.id,
        MIGRATED,
        actor=actor,
        summary=f"Moved from process version {from_version.version} to {to_version.version}",
        data={
            "process_id": to_version.process_id,
            "from_version": from_version.version,
            "to_version": to_version.version,
        },
    )
    db.session.flush()
    return complaint
