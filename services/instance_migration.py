"""Moving running complaints from one process version to another (not Alembic migrations).

Complaints keep running on the version they started on. A process owner may move the
running ones explicitly: dry_run() says, per complaint, whether it can move and why not;
migrate() moves one. The caller commits once per complaint, so one refusal or failure
never undoes the others (see `flask migrate-complaints`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services import audit, engine, permissions, processes, workflows
from services.db import db
from services.errors import Conflict, InvalidInput, NotFound
from services.models import Complaint, ProcessInstance, ProcessVersion, User

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
    complaints = db.session.scalars(
        db.select(Complaint)
        .join(ProcessInstance, ProcessInstance.complaint_id == Complaint.id)
        .where(
            ProcessInstance.process_version_id == from_version.id,
            ProcessInstance.completed.is_(False),
        )
        .order_by(Complaint.received_at, Complaint.id)
    )
    return [c for c in complaints if not _hidden(viewer, c)]


def dry_run(
    from_version: ProcessVersion,
    to_version: ProcessVersion,
    *,
    viewer: User | None = None,
    references: list[str] | None = None,
) -> list[Candidate]:
    """For each running complaint on `from_version`: could it move to `to_version`?

    Nothing is written: each workflow is loaded afresh, moved in memory and stored and
    restored once, so "movable" means the move would succeed now. A viewer, when given,
    must be a process owner; confidential complaints are left out unless they are the
    confidential focal point. `references` limits the run to those complaints.
    """
    if viewer is not None:
        permissions.require_manages_processes(viewer)
    _check_versions(from_version, to_version)
    target = processes.specs_of(to_version)
    source = processes.specs_of(from_version)
    candidates = []
    for complaint in running(from_version, viewer):
        if references and complaint.reference not in references:
            continue
        wf = engine.load_workflow(source, complaint.instance.state)
        steps = engine.open_step_ids(wf)
        reasons = engine.migration_obstacles(wf, target)
        if not reasons:
            try:
                engine.migrate_instance(wf, target)
                engine.load_workflow(target, engine.dump_workflow(wf))
            except Exception as exc:  # noqa: BLE001 - reported per complaint, not raised
                reasons = [f"the engine could not move it: {exc}"]
        candidates.append(
            Candidate(
                complaint_id=complaint.id,
                reference=complaint.reference or str(complaint.id),
                status=complaint.status,
                current_steps=steps,
                movable=not reasons,
                reasons=reasons,
            )
        )
    return candidates


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
