"""Moving running complaints from one process version to another (not Alembic migrations).

Complaints keep running on the version they started on. A process owner may move the
running ones explicitly: dry_run() says, per complaint, whether it can move and why not;
migrate() moves one. The caller commits once per complaint, so one refusal or failure
never undoes the others (see `flask migrate-complaints`).

Forms come with a version (services.form_definitions): a moved complaint's open tasks show
the new version's forms, so the dry run also says how each open task's form changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from forms.definitions import FieldDefinition, FormDefinition
from services import audit, engine, form_definitions, permissions, processes, timers, workflows
from services.db import db
from services.errors import Conflict, InvalidInput, NotFound
from services.models import Complaint, ProcessInstance, ProcessVersion, Task, User

MIGRATED = "migrated"
# What a changed field may differ in, as FieldChange.aspects names it (the page words them).
ASPECTS = ("type", "choices", "required", "conditions", "limits")
_ASPECT_KEYS = {
    "type": ("type",),
    "choices": ("choices", "choices_from"),
    "limits": (
        "min_length",
        "max_length",
        "pattern",
        "min",
        "max",
        "whole",
        "not_in_future",
        "validators",
    ),
}


@dataclass(frozen=True)
class FieldChange:
    """A field of an open task's form that the new version adds, removes or changes."""

    name: str
    change: str  # "added", "removed" or "changed"
    label: Mapping[str, str]  # {en, fr}, as the definition words it
    required: bool = False  # the new version requires it (added or changed fields)
    aspects: tuple[str, ...] = ()  # what changed (ASPECTS), for changed fields


@dataclass(frozen=True)
class FormChange:
    """How the form of an open task differs between the two versions.

    `missing`: the new version defines no form for the task, so the complaint cannot move.
    Answers to removed fields stay in the case data; they are just no longer asked.
    """

    step: str  # the open task's name (step id)
    form_key: str  # its form in the old version
    new_form_key: str  # its form in the new version (the diagram may name another)
    missing: bool = False
    fields: tuple[FieldChange, ...] = ()

    def of(self, change: str) -> list[FieldChange]:
        """The fields added, removed or changed."""
        return [f for f in self.fields if f.change == change]

    def summary(self) -> str:
        """In a line of English, for the command line (the page words it in each language)."""
        if self.missing:
            return f"form '{self.new_form_key}' is not defined in the new version"
        parts = []
        if self.form_key != self.new_form_key:
            parts.append(f"form {self.form_key} becomes {self.new_form_key}")
        parts += [
            f"added {f.name} (required)" if f.required else f"added {f.name}"
            for f in self.of("added")
        ]
        parts += [f"removed {f.name} (answers kept)" for f in self.of("removed")]
        parts += [f"changed {f.name} ({', '.join(f.aspects)})" for f in self.of("changed")]
        return "; ".join(parts)


@dataclass(frozen=True)
class Candidate:
    """One running complaint on the old version: can it move, and if not, why not."""

    complaint_id: int
    reference: str
    status: str
    current_steps: list[str]
    movable: bool
    reasons: list[str] = field(default_factory=list)
    # The forms of its open tasks that differ in the new version (missing ones block).
    form_changes: list[FormChange] = field(default_factory=list)


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
    restored ("movable" means that move succeeded and every open task has a form in the
    new version). migrate() checks each complaint again, so a verdict that did not fit one
    member could only refuse its move.
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
    forms = _FormComparison(from_version, to_version, source, target)
    Verdict = tuple[list[str], list[str], list[FormChange]]
    verdicts: dict[tuple[str, bool, frozenset[tuple[str, str]]], Verdict] = {}
    candidates = []
    for complaint_id, reference, status, timer_pending in rows:
        key = (status, bool(timer_pending), tasks.get(complaint_id, frozenset()))
        if key not in verdicts:
            steps, reasons = _verdict(complaint_id, source, target)
            changes = forms.of_steps(sorted(name for name, state in key[2] if state == "open"))
            verdicts[key] = (steps, reasons + forms.reasons(changes), changes)
        steps, reasons, changes = verdicts[key]
        candidates.append(
            Candidate(
                complaint_id=complaint_id,
                reference=reference or str(complaint_id),
                status=status,
                current_steps=list(steps),
                movable=not reasons,
                reasons=list(reasons),
                form_changes=list(changes),
            )
        )
    return candidates


def form_changes(
    from_version: ProcessVersion, to_version: ProcessVersion, steps: list[str]
) -> list[FormChange]:
    """How the forms of the open tasks `steps` differ from one version to the other."""
    source, target = processes.specs_of(from_version), processes.specs_of(to_version)
    return _FormComparison(from_version, to_version, source, target).of_steps(steps)


class _FormComparison:
    """The forms of two versions, compared once per step (many complaints share steps)."""

    def __init__(
        self,
        from_version: ProcessVersion,
        to_version: ProcessVersion,
        source: engine.Specs,
        target: engine.Specs,
    ) -> None:
        self.old = form_definitions.for_version(from_version)
        self.new = form_definitions.for_version(to_version)
        self.source, self.target = source, target
        self.to_number = to_version.version
        self._by_step: dict[str, FormChange | None] = {}

    def of_steps(self, steps: list[str]) -> list[FormChange]:
        found = []
        for step in steps:
            if step not in self._by_step:
                self._by_step[step] = self._compare(step)
            change = self._by_step[step]
            if change is not None:
                found.append(change)
        return found

    def reasons(self, changes: list[FormChange]) -> list[str]:
        return [
            f"its open task '{c.step}' uses form '{c.new_form_key}', which version "
            f"{self.to_number} does not define"
            for c in changes
            if c.missing
        ]

    def _compare(self, step: str) -> FormChange | None:
        old_key = engine.task_properties(self.source, step).get("formKey")
        if not old_key:
            return None  # not a user task of the old diagram: nothing to compare
        # Every user task of a deployed diagram has a form key: none means the new diagram
        # removed the step, which is the engine's refusal, not a form's.
        new_key = engine.task_properties(self.target, step).get("formKey")
        if not new_key:
            return None
        new = self.new.get(new_key)
        if new is None:
            return FormChange(step, old_key, new_key, missing=True)
        old = self.old.get(old_key)
        fields = _field_changes(old, new) if old is not None else ()
        if not fields and old_key == new_key:
            return None
        return FormChange(step, old_key, new_key, fields=fields)


def _field_changes(old: FormDefinition, new: FormDefinition) -> tuple[FieldChange, ...]:
    """The fields `new` adds, removes or changes compared with `old`, in form order."""
    before = {f.name: f for f in old.fields}
    after = {f.name: f for f in new.fields}
    changes = []
    for name, now in after.items():
        then = before.get(name)
        if then is None:
            changes.append(FieldChange(name, "added", _label(now), _required(now)))
            continue
        aspects = tuple(
            aspect for aspect in ASPECTS if _aspect(then, old, aspect) != _aspect(now, new, aspect)
        )
        if aspects:
            changes.append(FieldChange(name, "changed", _label(now), _required(now), aspects))
    changes += [
        FieldChange(name, "removed", _label(then))
        for name, then in before.items()
        if name not in after
    ]
    return tuple(changes)


def _label(definition: FieldDefinition) -> Mapping[str, str]:
    label = definition.spec.get("label")
    return label if isinstance(label, Mapping) else {"en": definition.name}


def _required(definition: FieldDefinition) -> bool:
    return bool(definition.spec.get("required"))


def _aspect(definition: FieldDefinition, form: FormDefinition, aspect: str) -> Any:
    """What a field's aspect compares as (a required message's wording is not a change)."""
    if aspect == "required":
        return _required(definition)
    if aspect == "conditions":
        rules = [
            {k: v for k, v in rule.items() if k != "message"}
            for rule in form.spec.get("rules", [])
            if isinstance(rule, Mapping) and rule.get("field") == definition.name
        ]
        return (definition.spec.get("shown_when"), rules)
    return tuple(definition.spec.get(key) for key in _ASPECT_KEYS[aspect])


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
    times (a changed duration timer is re-based on its original start); they show the new
    version's forms, as every form is resolved from the complaint's version. Records an audit
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
        raise Conflict(
            "Complaint %(reference)s is closed; it stays on its version.",
            params={"reference": complaint.reference},
        )
    if from_version.id == to_version.id:
        raise Conflict(
            "Complaint %(reference)s is already on version %(number)s.",
            params={"reference": complaint.reference, "number": str(to_version.version)},
        )
    _check_versions(from_version, to_version)
    open_steps = db.session.scalars(
        db.select(Task.name).where(Task.complaint_id == complaint.id, Task.status == "open")
    )
    missing = [
        c for c in form_changes(from_version, to_version, sorted(set(open_steps))) if c.missing
    ]
    if missing:
        forms = ", ".join(f"'{c.new_form_key}'" for c in missing)
        raise Conflict(
            "Complaint %(reference)s cannot move: version %(number)s does not define the form "
            "of its open task (%(forms)s).",
            params={
                "reference": complaint.reference,
                "number": str(to_version.version),
                "forms": forms,
            },
        )
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
    # Timers the rounds set aside (they ended the timer process) are tried on the new diagram.
    timers.release_after_move(complaint, actor, to_version.version)
    db.session.flush()
    return complaint
