"""Reading and driving a workflow: open user tasks, data, timers, messages, outcome."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
    TaskNotFoundException,
    WorkflowException,
)
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from services.engine.state import Specs, _run_engine, step_error
from services.errors import Conflict, TaskAlreadyCompleted

# ---------------------------------------------------------------------------------------------
# Reading and driving a workflow
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserTaskInfo:
    """What the task table needs to know about a READY user task."""

    id: str
    name: str
    title: str
    lane: str | None
    form_key: str | None
    phase: str | None
    instructions: str
    due_at: datetime | None


def _properties(task_spec: Any) -> dict[str, str]:
    return getattr(task_spec, "extensions", {}).get("properties", {}) or {}


def _parse_due(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        return None
    return due if due.tzinfo else due.replace(tzinfo=UTC)


def _waiting_event_tasks(wf: BpmnWorkflow) -> list[Any]:
    return list(wf.event_manager.tasks.values())


def _boundary_due(task: Any) -> datetime | None:
    """Due time of a service-level timer attached to `task`, if any."""
    parent = task.parent
    if parent is None:
        return None
    dues = [
        _parse_due(sibling.internal_data.get("event_value"))
        for sibling in parent.children
        if isinstance(sibling.task_spec, BoundaryEvent)
        and isinstance(sibling.task_spec.event_definition, TimerEventDefinition)
        and sibling.state == TaskState.WAITING
    ]
    dues = [d for d in dues if d is not None]
    if dues:
        return min(dues)
    # A timer on an enclosing subprocess covers every task inside it.
    subprocess_task = task.workflow.parent_task_id
    if subprocess_task is not None:
        outer = task.workflow.top_workflow.get_task_from_id(subprocess_task)
        return _boundary_due(outer) if outer is not None else None
    return None


def _parse_duration(text: str) -> timedelta | None:
    match = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", text.strip())
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def _all_tasks(wf: BpmnWorkflow) -> list[Any]:
    """Every task instance, subprocesses included, by a flat scan (no tree-depth limit)."""
    tasks = list(wf.tasks.values())
    for subprocess in wf.subprocesses.values():
        tasks.extend(subprocess.tasks.values())
    return tasks


def _user_task_info(task: Any) -> UserTaskInfo:
    spec = task.task_spec
    props = _properties(spec)
    due = _boundary_due(task)
    if due is None and props.get("dueIn"):
        delta = _parse_duration(props["dueIn"])
        if delta is not None:
            due = datetime.fromtimestamp(task.last_state_change, UTC) + delta
    return UserTaskInfo(
        id=str(task.id),
        name=spec.name,
        title=spec.bpmn_name or spec.name,
        lane=spec.lane,
        form_key=props.get("formKey"),
        phase=props.get("phase"),
        instructions=spec.extensions.get("instructionsForEndUser") or "",
        due_at=due,
    )


def ready_user_tasks(wf: BpmnWorkflow) -> list[UserTaskInfo]:
    """The READY human tasks, with their lane, form key and due time."""
    return snapshot(wf).ready


@dataclass(frozen=True)
class Snapshot:
    """Everything the application reads from a workflow after a step, in one pass."""

    completed: bool
    data: dict[str, Any]
    ready: list[UserTaskInfo]
    waiting_messages: set[str]
    next_timer_due: datetime | None
    end_event: str | None


def snapshot(wf: BpmnWorkflow) -> Snapshot:
    """Read the workflow's state once: open user tasks, freshest data, waits, outcome."""
    tasks = _all_tasks(wf)
    ready = sorted(
        (t for t in tasks if t.state == TaskState.READY and t.task_spec.manual),
        key=lambda t: t.last_state_change,
    )
    completed = wf.is_completed()
    if completed:
        data = dict(wf.data)
    else:
        live = [
            t for t in tasks if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        ]
        newest = max(live or tasks, key=lambda t: t.last_state_change, default=None)
        data = dict(newest.data) if newest is not None else {}
    return Snapshot(
        completed=completed,
        data=data,
        ready=[_user_task_info(t) for t in ready],
        waiting_messages=waiting_messages(wf),
        next_timer_due=next_timer_due(wf),
        end_event=end_event_name(wf) if completed else None,
    )


def find_ready_task(wf: BpmnWorkflow, task_id: str) -> Any:
    """The READY human task with this id, or raise Conflict."""
    try:
        task = wf.get_task_from_id(UUID(task_id))
    except (ValueError, TaskNotFoundException):
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskAlreadyCompleted(
            "This task is no longer open: someone may have completed it already."
        )
    return task


def run_user_task(wf: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> Any:
    """Complete a READY human task with `data` and run the engine to the next wait."""
    task = find_ready_task(wf, task_id)
    task.set_data(**dict(data))
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise step_error(exc) from exc
    _run_engine(wf)
    return task


def task_data(wf: BpmnWorkflow, task_id: str) -> dict[str, Any]:
    """The data a READY task would see (the case data so far)."""
    return dict(find_ready_task(wf, task_id).data)


def latest_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The freshest case data: the workflow's final data, or the newest open or waiting task's."""
    return snapshot(wf).data


def next_timer_due(wf: BpmnWorkflow) -> datetime | None:
    """The earliest due time of any waiting timer, event gateways included."""
    dues = [_parse_due(t.internal_data.get("event_value")) for t in _waiting_event_tasks(wf)]
    return min((d for d in dues if d is not None), default=None)


_PAST = "2000-01-01T00:00:00+00:00"


def fire_due_timers(wf: BpmnWorkflow, now: datetime) -> list[str]:
    """Fire every timer due at `now` (our clock, not the engine's) and run the engine.

    Returns the names of the timers that fired.
    """
    fired = []
    for task in _waiting_event_tasks(wf):
        value = task.internal_data.get("event_value")
        due = _parse_due(value)
        if due is None or due > now:
            continue
        if isinstance(value, dict):
            value["next"] = _PAST
        else:
            task.internal_data["event_value"] = _PAST
        fired.append(task.task_spec.bpmn_name or task.task_spec.name)
    if fired:
        wf.refresh_timers()
        _run_engine(wf)
    return fired


def send_message(wf: BpmnWorkflow, name: str, payload: Mapping[str, Any]) -> None:
    """Deliver a message from outside (the complainant) to the waiting workflow."""
    try:
        wf.send_event(BpmnEvent(MessageEventDefinition(name), payload=dict(payload)))
    except WorkflowException as exc:
        raise Conflict("The procedure is not waiting for this right now.") from exc
    _run_engine(wf)


@dataclass(frozen=True)
class ThrownMessage:
    """A message the diagram threw and nothing inside caught: for the application to act on."""

    name: str
    payload: Any


def thrown_messages(wf: BpmnWorkflow) -> list[ThrownMessage]:
    """Drain the messages thrown since the last call."""
    return [
        ThrownMessage(e.event_definition.name, e.payload)
        for e in wf.get_events()
        if isinstance(e.event_definition, MessageEventDefinition)
    ]


def waiting_messages(wf: BpmnWorkflow) -> set[str]:
    """Names of the messages the workflow is waiting for right now."""
    names = set()
    for task in _waiting_event_tasks(wf):
        definition = task.task_spec.event_definition
        for d in getattr(definition, "event_definitions", [definition]):
            if isinstance(d, MessageEventDefinition):
                names.add(d.name)
    return names


def active_element_ids(wf: BpmnWorkflow) -> list[str]:
    """BPMN ids of the steps the workflow is at: open user tasks and events it waits for.

    Subprocesses are searched too. The enclosing subprocess and the service-level timers
    attached to a task are left out: they run alongside the step, they are not the step.
    """
    ids = set()
    for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING):
        spec = task.task_spec
        if not getattr(spec, "bpmn_id", None) or isinstance(spec, BoundaryEvent):
            continue
        if task.state == TaskState.READY and not spec.manual:
            continue
        ids.add(spec.bpmn_id)
    return sorted(ids)


def task_instructions(specs: Specs, task_name: str) -> str:
    """The instructions for end users (instructionsForEndUser) of a task of the process, or ''."""
    for process in [specs.spec, *specs.subprocess_specs.values()]:
        spec = process.task_specs.get(task_name)
        if spec is not None:
            return getattr(spec, "extensions", {}).get("instructionsForEndUser") or ""
    return ""


def completed_element_ids(wf: BpmnWorkflow) -> list[str]:
    """BPMN ids of the elements the workflow has passed through, the current steps excepted."""
    done = {
        task.task_spec.bpmn_id
        for task in wf.get_tasks(state=TaskState.COMPLETED)
        if getattr(task.task_spec, "bpmn_id", None)
    }
    return sorted(done - set(active_element_ids(wf)))


def end_event_name(wf: BpmnWorkflow) -> str | None:
    """The id of the end event the top-level process finished on."""
    if not wf.is_completed():
        return None
    ends = [
        t
        for t in wf.tasks.values()
        if type(t.task_spec).__name__ == "EndEvent" and t.state == TaskState.COMPLETED
    ]
    if not ends:
        return None
    # An overdue-review branch may have ended earlier: the outcome is the last end reached.
    last = max(ends, key=lambda t: t.last_state_change)
    return last.task_spec.bpmn_id or last.task_spec.name


def history_size(wf: BpmnWorkflow) -> int:
    """Number of task instances in the tree (for benchmarks and diagnostics)."""
    return len(wf.tasks) + sum(len(sp.tasks) for sp in wf.subprocesses.values())
