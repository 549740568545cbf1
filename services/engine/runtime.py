"""Reading and driving a workflow: open user tasks, data, timers, messages, outcome."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
    TaskNotFoundException,
    WorkflowException,
)
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from services.engine.history import pruned_history
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
    properties: dict[str, str] = field(default_factory=dict)
    # The service-level clocks around the task, nearest first: its own `clock` property, then
    # those of the subprocesses it sits in (services.service_levels picks the one that counts).
    clocks: tuple[str, ...] = ()

    @property
    def not_by(self) -> list[str]:
        """Ids of tasks whose completer may not do this one (property notBy, four eyes)."""
        return (self.properties.get("notBy") or "").split()


def _properties(task_spec: Any) -> dict[str, str]:
    return getattr(task_spec, "extensions", {}).get("properties", {}) or {}


# The `clock` property names the service-level clock an element counts for (a user task, a
# subprocess, or the process's start event for the whole case); `clocks` = `stop` on an end
# event stops the running clocks (the case ended without its steps being done).
CLOCK = "clock"


def _clock(task_spec: Any) -> str | None:
    return _properties(task_spec).get(CLOCK) or None


def _enclosing_clocks(workflow: Any, cache: dict[Any, tuple[str, ...]]) -> tuple[str, ...]:
    """The clocks of the subprocesses around a (sub)workflow, nearest first."""
    if workflow.parent_task_id is None:
        return ()
    found = cache.get(workflow.parent_task_id)
    if found is None:
        outer = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        own = _clock(outer.task_spec) if outer is not None else None
        rest = _enclosing_clocks(outer.workflow, cache) if outer is not None else ()
        found = cache[workflow.parent_task_id] = ((own,) if own else ()) + rest
    return found


def _case_clocks(spec: Any) -> tuple[str, ...]:
    """Clocks on the process's start events: they run for the whole case."""
    found = spec.__dict__.get("_case_clocks")
    if found is None:
        found = tuple(
            sorted(
                {
                    clock
                    for ts in spec.task_specs.values()
                    if isinstance(ts, StartEvent) and (clock := _clock(ts))
                }
            )
        )
        spec.__dict__["_case_clocks"] = found
    return found


def case_clocks(specs: Specs) -> tuple[str, ...]:
    """The whole-case clocks of a process (its start events' `clock` properties)."""
    return _case_clocks(specs.spec)


_TARGET = re.compile(r"""\s*target\(\s*(["'])(\w+)\1\s*\)\s*""")


def timer_clock(expression: str | None) -> str | None:
    """The clock a timer follows: `target("acknowledge")` -> "acknowledge"; else None."""
    match = _TARGET.fullmatch(expression or "")
    return match.group(2) if match else None


def align_clock_timers(wf: BpmnWorkflow, dues: Mapping[str, datetime]) -> bool:
    """Set each waiting `target("X")` timer to clock X's due time; True when one moved.

    The timer was computed from the preset when it started; the clock's due time is the
    one pauses and extensions move, so the overdue review fires when the clock runs out.
    """
    moved = False
    for task in _waiting_event_tasks(wf):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        due = dues.get(timer_clock(definition.expression) or "")
        value = task.internal_data.get("event_value")
        if due is None or value is None or _parse_due(value) == due:
            continue
        if isinstance(value, dict):
            value["next"] = due.isoformat()
        else:
            task.internal_data["event_value"] = due.isoformat()
        moved = True
    return moved


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


def _is_timer(task: Any) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def _is_clock(task: Any) -> bool:
    """A waiting service-level timer on a parallel branch of a subprocess (not a wait)."""
    return (
        task.state == TaskState.WAITING
        and _is_timer(task)
        and task.workflow.parent_task_id is not None
        and not isinstance(task.task_spec, BoundaryEvent)
        and type(task.parent.task_spec).__name__ != "EventBasedGateway"
    )


def _covering_timers(task: Any) -> list[Any]:
    """The waiting service-level timers that run while `task` is open.

    A non-interrupting timer attached to the task; a timer on a parallel branch of the
    subprocess the task is in (the diagram's "clock" branch beside the watched steps); and,
    outwards, the same for each enclosing subprocess. Event-gateway timers are waits, not
    service levels, and are left out.
    """
    parent = task.parent
    if parent is None:
        return []
    timers = [
        sibling
        for sibling in parent.children
        if isinstance(sibling.task_spec, BoundaryEvent)
        and _is_timer(sibling)
        and sibling.state == TaskState.WAITING
    ]
    workflow = task.workflow
    if workflow.parent_task_id is not None:
        timers.extend(t for t in workflow.tasks.values() if _is_clock(t))
        if not timers:
            outer = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            if outer is not None:
                timers.extend(_covering_timers(outer))
    return timers


def _boundary_due(task: Any) -> datetime | None:
    """Due time of the service level covering `task`, if any (see _covering_timers)."""
    dues = [_parse_due(t.internal_data.get("event_value")) for t in _covering_timers(task)]
    return min((d for d in dues if d is not None), default=None)


def postpone_timers(wf: BpmnWorkflow, task_names: set[str], delta: timedelta) -> set[str]:
    """Move the waiting service-level timers covering the open tasks named so by `delta`.

    Returns the ids of the open tasks whose due time follows a moved timer.
    """
    moved: dict[Any, None] = {}
    covered = set()
    for task in _all_tasks(wf):
        if task.state != TaskState.READY or task.task_spec.name not in task_names:
            continue
        for timer in _covering_timers(task):
            covered.add(str(task.id))
            if timer.id in moved:
                continue
            moved[timer.id] = None
            value = timer.internal_data.get("event_value")
            due = _parse_due(value)
            if due is None:
                continue
            shifted = (due + delta).isoformat()
            if isinstance(value, dict):
                value["next"] = shifted
            else:
                timer.internal_data["event_value"] = shifted
    return covered


def parse_duration(text: str) -> timedelta | None:
    """An ISO 8601 duration of weeks, days, hours and minutes ("P3D", "PT4H"), else None."""
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


def _user_task_info(task: Any, enclosing: dict[Any, tuple[str, ...]] | None = None) -> UserTaskInfo:
    spec = task.task_spec
    props = _properties(spec)
    # The task's own dueIn is more specific than the clock of the step around it.
    delta = parse_duration(props["dueIn"]) if props.get("dueIn") else None
    if delta is not None:
        due = datetime.fromtimestamp(task.last_state_change, UTC) + delta
    else:
        due = _boundary_due(task)
    return UserTaskInfo(
        id=str(task.id),
        name=spec.name,
        title=spec.bpmn_name or spec.name,
        lane=spec.lane,
        form_key=props.get("formKey"),
        phase=props.get("phase"),
        instructions=spec.extensions.get("instructionsForEndUser") or "",
        due_at=due,
        properties=dict(props),
        clocks=((props[CLOCK],) if props.get(CLOCK) else ())
        + _enclosing_clocks(task.workflow, {} if enclosing is None else enclosing),
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
    # The outcome end event the main path reached last, even while the appeal window waits.
    outcome: str | None = None
    # Service levels (services.service_levels): the clocks of the active elements (open user
    # tasks, running subprocesses), the whole-case clocks, and whether an end event that
    # stops the clocks (property `clocks` = `stop`) was reached.
    active_clocks: frozenset[str] = frozenset()
    case_clocks: tuple[str, ...] = ()
    clocks_stopped: bool = False
    # When the earliest active element of each active clock became active (a clock that
    # starts now counts from there: a complaint moved onto a version with clocks, say).
    clock_starts: Mapping[str, datetime] = field(default_factory=dict)


def snapshot(wf: BpmnWorkflow) -> Snapshot:
    """Read the workflow's state once: open user tasks, freshest data, waits, outcome."""
    tasks = _all_tasks(wf)
    ready = sorted(
        (t for t in tasks if t.state == TaskState.READY and t.task_spec.manual),
        key=lambda t: t.last_state_change,
    )
    completed = wf.is_completed()
    stop_ends = [
        t
        for t in tasks
        if isinstance(t.task_spec, EndEvent)
        and t.state == TaskState.COMPLETED
        and _properties(t.task_spec).get("clocks") == "stop"
    ]
    if completed:
        data = dict(wf.data)
    else:
        live = [
            t for t in tasks if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        ]
        # A branch that ended (the survey) while another waits (the appeal window) keeps
        # what it learnt: merge the open tasks' and the reached end events' data, newest last.
        ended = [
            t
            for t in wf.tasks.values()
            if isinstance(t.task_spec, EndEvent) and t.state == TaskState.COMPLETED
        ]
        sources = sorted(live + ended, key=lambda t: t.last_state_change) or tasks[-1:]
        data = {}
        for source in sources:
            data.update(source.data)
    # A finished process's end event is the last outcome reached: one scan for both.
    outcome = end_event_name(wf, running=True)
    enclosing: dict[Any, tuple[str, ...]] = {}
    infos = [_user_task_info(t, enclosing) for t in ready]
    starts: dict[str, float] = {}

    def active(clock: str | None, since: float) -> None:
        if clock:
            starts[clock] = min(since, starts.get(clock, since))

    for task in ready:
        active(_clock(task.task_spec), task.last_state_change)
    for task_id, subprocess in wf.subprocesses.items():
        if not subprocess.completed:
            outer = wf.get_task_from_id(task_id)
            if outer is not None and outer.state & (TaskState.STARTED | TaskState.WAITING):
                active(_clock(outer.task_spec), outer.last_state_change)
    return Snapshot(
        completed=completed,
        data=data,
        ready=infos,
        waiting_messages=waiting_messages(wf),
        next_timer_due=next_timer_due(wf),
        end_event=outcome if completed else None,
        outcome=outcome,
        active_clocks=frozenset(starts),
        case_clocks=_case_clocks(wf.spec),
        clocks_stopped=bool(stop_ends),
        clock_starts={k: datetime.fromtimestamp(v, UTC) for k, v in starts.items()},
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
        if _is_clock(task):
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
    """BPMN ids of the elements the workflow has passed through, the current steps excepted.

    The steps cut out of the task tree (engine/history.py) count too.
    """
    done = {
        task.task_spec.bpmn_id
        for task in wf.get_tasks(state=TaskState.COMPLETED)
        if getattr(task.task_spec, "bpmn_id", None)
    }
    done |= pruned_history(wf).element_ids
    return sorted(done - set(active_element_ids(wf)))


def end_event_name(wf: BpmnWorkflow, *, running: bool = False) -> str | None:
    """The id of the outcome end event the top-level process reached last.

    An end event declaring `spiffworkflow:property name="outcome" value="none"` (the end of
    the appeal window, of a follow-up) records no outcome. With `running`, an outcome reached
    while another branch still waits counts too; otherwise only a finished process has one.
    """
    if not running and not wf.is_completed():
        return None
    ends = [
        t
        for t in wf.tasks.values()
        if isinstance(t.task_spec, EndEvent)
        and t.state == TaskState.COMPLETED
        and _properties(t.task_spec).get("outcome") != "none"
    ]
    if not ends:
        return None
    last = max(ends, key=lambda t: t.last_state_change)
    return last.task_spec.bpmn_id or last.task_spec.name


def _spec_of(specs: Specs, name: str) -> Any:
    for process in [specs.spec, *specs.subprocess_specs.values()]:
        spec = process.task_specs.get(name)
        if spec is not None:
            return spec
    return None


def task_properties(specs: Specs, task_name: str) -> dict[str, str]:
    """The spiffworkflow:properties of a task of the process (formKey, watches, notBy...)."""
    spec = _spec_of(specs, task_name)
    return dict(_properties(spec)) if spec is not None else {}


def step_task_names(specs: Specs, element_id: str) -> set[str]:
    """The user tasks a step consists of: the task itself, or every one inside a subprocess.

    Tasks that watch something (overdue reviews and what they raise) are not part of it.
    """
    process = specs.subprocess_specs.get(element_id)
    if process is None:
        return {element_id}
    names = set()
    for name, spec in process.task_specs.items():
        if isinstance(spec, SubWorkflowTask):
            names |= step_task_names(specs, name)
        elif (
            spec.manual
            and "watches" not in _properties(spec)
            and "assignTo" not in _properties(spec)
        ):
            names.add(name)
    return names


def element_ids(specs: Specs) -> set[str]:
    """Every BPMN element id of the process and its subprocesses."""
    ids = set(specs.subprocess_specs)
    for process in [specs.spec, *specs.subprocess_specs.values()]:
        ids |= {getattr(s, "bpmn_id", None) or n for n, s in process.task_specs.items()}
    return ids


def message_deadline(wf: BpmnWorkflow, message: str) -> datetime | None:
    """When the wait for `message` ends: the due time of the timer racing it at its gateway."""
    for task in _waiting_event_tasks(wf):
        definition = task.task_spec.event_definition
        names = {
            d.name
            for d in getattr(definition, "event_definitions", [definition])
            if isinstance(d, MessageEventDefinition)
        }
        if message not in names:
            continue
        due = _parse_due(task.internal_data.get("event_value"))
        if due is not None:
            return due
        for sibling in task.parent.children if task.parent else []:
            if sibling is not task and _is_timer(sibling):
                due = _parse_due(sibling.internal_data.get("event_value"))
                if due is not None:
                    return due
    return None


def history_size(wf: BpmnWorkflow) -> int:
    """Number of task instances in the tree (for benchmarks and diagnostics)."""
    return len(wf.tasks) + sum(len(sp.tasks) for sp in wf.subprocesses.values())


def history_length(wf: BpmnWorkflow) -> int:
    """Number of task instances the workflow has had: those in the tree and those cut out of
    it (engine/history.py); what history_size would be had nothing been cut."""
    return history_size(wf) + pruned_history(wf).count
