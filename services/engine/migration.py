"""Moving a running instance to another version of its process."""

from __future__ import annotations

import ast
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.bpmn.util.diff import migrate_workflow as spiff_migrate_workflow
from SpiffWorkflow.util.task import TaskState

from services.engine.history import pruned_history
from services.engine.runtime import _all_tasks, active_element_ids
from services.engine.state import SERIALIZER, Specs, _run_engine
from services.errors import Conflict

# --- versions, diff, migration, replay ---
# Moving a running instance to another version of its process (services.instance_migration)
# and running a candidate decision table on past data (services.replay).

# Attributes whose change does not alter how a finished step ran.
_COSMETIC_ATTRIBUTES = {"bpmn_name", "description", "documentation"}
_OPEN = TaskState.READY | TaskState.WAITING
_DONE = TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR


def _step(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    element_id = getattr(spec, "bpmn_id", None) or spec.name
    return f"'{name}' ({element_id})" if name else f"'{element_id}'"


def _diffs(
    wf: BpmnWorkflow, target: Specs
) -> list[tuple[Any, SpecDiff | None, WorkflowDiff | None]]:
    """(workflow, spec diff, task diff) for the instance and each of its live subprocesses."""
    registry = SERIALIZER.registry
    spec_diff = SpecDiff(registry, wf.spec, target.spec)
    result = [(wf, spec_diff, WorkflowDiff(wf, spec_diff))]
    for sub in wf.subprocesses.values():
        new_spec = target.subprocess_specs.get(sub.spec.name)
        if new_spec is None:
            result.append((sub, None, None))
            continue
        sub_diff = SpecDiff(registry, sub.spec, new_spec)
        result.append((sub, sub_diff, WorkflowDiff(sub, sub_diff)))
    return result


def _dropped_by_reset(task: Any) -> bool:
    """True for a predicted task below a READY/WAITING one: migration re-predicts it."""
    parent = task.parent
    while parent is not None:
        # A subprocess the instance is inside counts as open: what follows it is predicted.
        if parent.state & _OPEN or (
            parent.state == TaskState.STARTED and isinstance(parent.task_spec, SubWorkflowTask)
        ):
            return True
        parent = parent.parent
    return False


def migration_obstacles(wf: BpmnWorkflow, target: Specs) -> list[str]:
    """Why the instance cannot move to the `target` spec; an empty list means it can.

    Refused: a step it waits at (READY/WAITING) that the target removes; a step it has
    done or is inside (COMPLETED/STARTED) that the target removes or changes beyond its
    label or documentation; a live subprocess the target no longer has.
    """
    reasons = []
    # The steps done whose tasks were cut out of the tree (engine/history.py), per process.
    pruned = {name: set(specs) for name, specs in pruned_history(wf).done.items()}
    for workflow, spec_diff, task_diff in _diffs(wf, target):
        if spec_diff is None or task_diff is None:
            if not workflow.is_completed():
                reasons.append(f"it is inside subprocess '{workflow.spec.name}', which is gone")
            continue
        for name in sorted(pruned.pop(workflow.spec.name, ())):
            spec = workflow.spec.task_specs.get(name)
            if spec is None:
                continue
            if spec in spec_diff.removed:
                reasons.append(f"it has been through {_step(spec)}, which is removed")
            elif changed := set(spec_diff.changed.get(spec, [])) - _COSMETIC_ATTRIBUTES:
                what = ", ".join(sorted(changed))
                reasons.append(f"{_step(spec)}, already done, is changed ({what})")
        for task in task_diff.removed:
            if task.state & _OPEN:
                reasons.append(f"it waits at {_step(task.task_spec)}, which is removed")
            elif task.state & _DONE:
                reasons.append(f"it has been through {_step(task.task_spec)}, which is removed")
            elif not _dropped_by_reset(task):
                reasons.append(f"its next step {_step(task.task_spec)} is removed")
        for task in task_diff.changed:
            changed = set(spec_diff.changed.get(task.task_spec, [])) - _COSMETIC_ATTRIBUTES
            if task.state & _DONE and changed:
                what = ", ".join(sorted(changed))
                reasons.append(f"{_step(task.task_spec)}, already done, is changed ({what})")
    return list(dict.fromkeys(reasons))


def migrate_instance(wf: BpmnWorkflow, target: Specs) -> None:
    """Move the instance onto the `target` spec in place, then run it to the next wait.

    Raises Conflict naming the reasons when migration_obstacles() finds any. Spiff resets
    the open steps (their ids are kept) and would restart their timers; we keep the open
    steps' clocks instead: an unchanged timer keeps its due time and a step its start time
    (dueIn), and a changed literal duration timer is re-based on the original start.
    """
    reasons = migration_obstacles(wf, target)
    if reasons:
        raise Conflict("This complaint cannot move: " + "; ".join(reasons) + ".")
    diffs = _diffs(wf, target)
    kept = {
        task.id: (task.task_spec, dict(task.internal_data), task.last_state_change)
        for task in _all_tasks(wf)
        if task.state & _OPEN
    }
    changed_specs = {spec for _, spec_diff, _ in diffs if spec_diff for spec in spec_diff.changed}
    for workflow, _spec_diff, task_diff in diffs:
        new_spec = target.spec if workflow is wf else target.subprocess_specs[workflow.spec.name]
        spiff_migrate_workflow(task_diff, workflow, new_spec)
        # Spiff re-predicts below READY/WAITING tasks only: below a subprocess the instance is
        # inside (STARTED), predict again what follows it under the new spec.
        for task in list(workflow.tasks.values()):
            if task.state == TaskState.STARTED and isinstance(task.task_spec, SubWorkflowTask):
                task._drop_children()
                task.task_spec._predict(task)
    wf.subprocess_specs = target.subprocess_specs
    for task in _all_tasks(wf):
        if task.id not in kept or not task.state & _OPEN:
            continue
        old_spec, internal, started = kept[task.id]
        task.last_state_change = started
        if old_spec not in changed_specs:
            task.internal_data = internal
        elif "event_value" in internal:
            _rebase_timer(task, old_spec, internal["event_value"])
    _run_engine(wf)


def _rebase_timer(task: Any, old_spec: Any, old_due: Any) -> None:
    """A changed duration timer: due = original start + new duration (else Spiff's restart)."""
    old_def = getattr(old_spec, "event_definition", None)
    new_def = getattr(task.task_spec, "event_definition", None)
    if not (
        isinstance(old_def, DurationTimerEventDefinition)
        and isinstance(new_def, DurationTimerEventDefinition)
        and isinstance(old_due, str)
    ):
        return
    try:
        old_value, new_value = (ast.literal_eval(d.expression.strip()) for d in (old_def, new_def))
        due = TimerEventDefinition.get_datetime(old_due)
        parse = TimerEventDefinition.parse_iso_duration
        start = due - TimerEventDefinition.get_timedelta_from_end(parse(old_value), due)
        rebased = start + TimerEventDefinition.get_timedelta_from_start(parse(new_value), start)
    except Exception:  # noqa: BLE001 - a variable or odd expression: keep Spiff's restart
        return
    task.internal_data["event_value"] = rebased.isoformat()


def open_step_ids(wf: BpmnWorkflow) -> list[str]:
    """The BPMN ids of the steps the instance is at (for migration reports)."""
    return active_element_ids(wf)
