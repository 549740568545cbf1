"""The only module that imports SpiffWorkflow: parsing, the restricted evaluator, (de)serialization.

Everything else in the application talks to the engine through the functions here, so
an engine upgrade touches one file.
"""

from __future__ import annotations

import ast
import json
import re
import threading
import types
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any
from uuid import UUID

from lxml import etree
from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins
from RestrictedPython import safe_globals as restricted_safe_globals
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.bpmn.util.diff import migrate_workflow as spiff_migrate_workflow
from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
    TaskNotFoundException,
    WorkflowException,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from services.errors import Conflict, ProcessError, TaskAlreadyCompleted

__all__ = [
    "EngineError",
    "Problem",
    "Specs",
    "UserTaskInfo",
    "WorkflowError",
    "active_element_ids",
    "completed_element_ids",
    "dump_workflow",
    "fire_due_timers",
    "load_workflow",
    "next_timer_due",
    "parse_process",
    "ready_user_tasks",
    "send_message",
    "specs_from_dict",
    "specs_to_dict",
    "start_workflow",
    "run_user_task",
    "task_instructions",
    "thrown_messages",
]

EngineError = SpiffWorkflowException
WorkflowError = WorkflowException

# ---------------------------------------------------------------------------------------------
# Restricted evaluator: every gateway condition, script, timer and DMN entry of a diagram goes
# through RestrictedPython, so a diagram cannot import, open files or walk dunder attributes.
# ---------------------------------------------------------------------------------------------


def _add_days(value: Any, days: int) -> str:
    """Helper for diagrams: an ISO date `days` after `value` (date, datetime or ISO string)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, date | datetime):
        raise TypeError("add_days needs a date")
    return (value + timedelta(days=int(days))).isoformat()


DIAGRAM_HELPERS: dict[str, Any] = {"add_days": _add_days, "Decimal": Decimal}

_BUILTINS = {
    **restricted_safe_globals["__builtins__"],
    **limited_builtins,
    "sum": sum,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "dict": dict,
    "list": list,
    "set": set,
    "sorted": sorted,
    "enumerate": enumerate,
}


def _restricted_globals() -> dict[str, Any]:
    return {
        "__builtins__": _BUILTINS,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        **DIAGRAM_HELPERS,
    }


class RestrictedCodeError(Exception):
    """A diagram expression or script was refused by the restricted compiler."""


_COMPILED: dict[tuple[str, str], Any] = {}


def _compile(source: str, mode: str) -> Any:
    # Compiling is the slow part; diagrams have a handful of distinct expressions.
    key = (mode, source)
    code = _COMPILED.get(key)
    if code is None:
        result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(source)
        if result.errors:
            raise RestrictedCodeError("; ".join(result.errors))
        code = _COMPILED[key] = result.code
    return code


def check_restricted(source: str, mode: str) -> str | None:
    """Return why `source` is refused by the restricted evaluator, or None if it compiles."""
    try:
        _compile(source, mode)
    except RestrictedCodeError as exc:
        return str(exc)
    except SyntaxError as exc:  # pragma: no cover - RestrictedPython reports these as errors
        return f"syntax error: {exc.msg}"
    return None


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Compile every diagram script and expression with RestrictedPython before running it."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """Evaluate a condition or expression against the task data."""
        code = _compile(expression, "eval")
        scope = _restricted_globals()
        scope.update(external_context or {})
        scope.update(context)
        return eval(code, scope)  # noqa: S307 - code was compiled by RestrictedPython

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run a script task; only plain data it assigns is copied back into the task."""
        code = _compile(script, "exec")
        scope = _restricted_globals()
        scope.update(external_context or {})
        local = dict(context)
        exec(code, scope, local)  # noqa: S102 - code was compiled by RestrictedPython
        for key, value in local.items():
            if key.startswith("_") or callable(value) or isinstance(value, types.ModuleType):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        """Service tasks are not part of our procedure."""
        raise RestrictedCodeError("service tasks are not supported")


SCRIPT_ENGINE = PythonScriptEngine(environment=RestrictedEnvironment())

# ---------------------------------------------------------------------------------------------
# Serializer: the instance state is stored without its spec; the process version holds the
# spec once and we keep the restored spec objects in memory per version.
# ---------------------------------------------------------------------------------------------


class _InstanceConverter(BpmnWorkflowConverter):
    """Like Spiff's converter, but leaves the spec out and takes it back in from the caller."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], specs: Specs | None = None) -> BpmnWorkflow:
        if specs is None:
            return super().from_dict(dct)
        workflow = self.target_class(specs.spec, specs.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _InstanceConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # WTForms hands us Decimal and date; Spiff only knows datetime, UUID and timedelta.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _build_serializer()


@dataclass(frozen=True)
class Specs:
    """A parsed process: the top spec and the specs of its subprocesses and call activities."""

    spec: Any
    subprocess_specs: dict[str, Any]


_SPEC_CACHE: dict[Hashable, Specs] = {}


class WorkflowCache:
    """Recently saved workflows by (instance id, version token), so a request skips the load.

    `take` removes the entry: a request that fails half-way can never leave a mutated object
    behind. Each process has its own cache; a miss just deserializes.
    """

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple[int, str], BpmnWorkflow] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def take(self, key: tuple[int, str]) -> BpmnWorkflow | None:
        """Remove and return the workflow saved under `key`, if any."""
        with self._lock:
            return self._items.pop(key, None)

    def put(self, key: tuple[int, str], wf: BpmnWorkflow) -> None:
        """Keep `wf` under `key`, evicting the least recently kept past the size."""
        with self._lock:
            self._items[key] = wf
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests simulating a restart)."""
        with self._lock:
            self._items.clear()


WORKFLOWS = WorkflowCache()


def specs_to_dict(specs: Specs) -> dict[str, Any]:
    """Serialize a parsed process for storage in its process version."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True  # as serialize_json does: the encoder converts the values
    try:
        dct = {
            "spec": SERIALIZER.to_dict(specs.spec),
            "subprocess_specs": {
                name: SERIALIZER.to_dict(spec) for name, spec in specs.subprocess_specs.items()
            },
        }
        text = json.dumps(dct, cls=SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False
    return json.loads(text)


def specs_from_dict(version_id: Hashable, dct: Mapping[str, Any]) -> Specs:
    """Restore a stored spec, once per process version and process.

    `version_id` identifies the stored spec: services.processes passes the version's id
    with its content hash, as ids repeat across databases (tests) while contents differ.
    """
    specs = _SPEC_CACHE.get(version_id)
    if specs is None:
        specs = Specs(
            SERIALIZER.from_dict(dict(dct["spec"])),
            {k: SERIALIZER.from_dict(dict(v)) for k, v in dct["subprocess_specs"].items()},
        )
        _SPEC_CACHE[version_id] = specs
    return specs


def start_workflow(specs: Specs, data: Mapping[str, Any]) -> BpmnWorkflow:
    """Create a workflow, seed `data` on its start task and run it to the first wait."""
    wf = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=SCRIPT_ENGINE)
    # wf.set_data does not reach the tasks: seed the start task instead.
    wf.get_next_task(state=TaskState.READY).set_data(**dict(data))
    _run_engine(wf)
    return wf


def load_workflow(specs: Specs, state: str) -> BpmnWorkflow:
    """Restore a workflow from its stored state and the spec of its version."""
    dct = json.loads(state, cls=SERIALIZER.json_decoder_cls)
    version = dct.pop(SERIALIZER.VERSION_KEY)
    if version in MIGRATIONS:  # pragma: no cover - only for states written by older Spiff
        MIGRATIONS[version](dct)
    wf = SERIALIZER.registry.restore(dct, specs=specs)
    wf.script_engine = SCRIPT_ENGINE  # the serializer does not restore it
    return wf


def dump_workflow(wf: BpmnWorkflow) -> str:
    """The workflow's state as JSON text, without its spec (our converter leaves it out)."""
    return SERIALIZER.serialize_json(wf)


def _run_engine(wf: BpmnWorkflow) -> None:
    try:
        wf.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise ProcessError(_describe_engine_error(exc)) from exc


def _describe_engine_error(exc: SpiffWorkflowException) -> str:
    spec = getattr(exc, "task_spec", None)
    where = f" at '{spec.bpmn_name or spec.name}'" if spec is not None else ""
    return f"The procedure failed{where}: {exc}"


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
        raise ProcessError(_describe_engine_error(exc)) from exc
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


# ---------------------------------------------------------------------------------------------
# Parsing and validating diagrams
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One finding about a diagram: where, and what is wrong.

    `element` is a readable label ("Classify complaint (classify_complaint)"); `element_id`
    is the BPMN/DMN id an editor highlights ("" when the finding concerns the whole file).
    `severity` is "error" (blocks a deploy) or "warning"; `rule` names the check (bpmnlint
    rule name, or "" for our own checks).
    """

    file: str
    element: str
    message: str
    element_id: str = ""
    severity: str = "error"
    rule: str = ""

    def as_dict(self) -> dict[str, str]:
        """The finding as plain JSON-ready data (for an editor or an API)."""
        return {
            "file": self.file,
            "element": self.element,
            "element_id": self.element_id,
            "message": self.message,
            "severity": self.severity,
            "rule": self.rule,
        }

    def __str__(self) -> str:
        where = f"{self.file}" + (f", element '{self.element}'" if self.element else "")
        return f"{where}: {self.message}"


@dataclass
class ParseResult:
    """The outcome of parsing a set of diagram files."""

    specs: Specs | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


_ISO_DURATION = re.compile(
    r"^(R\d*/)?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)


def parse_process(
    files: Mapping[str, bytes],
    process_id: str,
    *,
    known_form_keys: Iterable[str],
    known_roles: Iterable[str],
) -> ParseResult:
    """Parse and validate BPMN and DMN files; every problem names its file and element."""
    parser = SpiffBpmnParser(validator=VALIDATOR)  # a parser is not reusable after an error
    problems: list[Problem] = []
    for name, content in sorted(files.items()):
        try:
            if name.endswith(".dmn"):
                parser.add_dmn_io(BytesIO(content), filename=name)
            else:
                parser.add_bpmn_io(BytesIO(content), filename=name)
        except etree.XMLSyntaxError as exc:
            message = f"not well-formed XML (line {exc.lineno}): {exc.msg}"
            problems.append(Problem(name, "", message))
        except SpiffWorkflowException as exc:
            problems.append(_problem_from(exc, name))
    if problems:
        return ParseResult(None, problems)
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except SpiffWorkflowException as exc:
        return ParseResult(None, [_problem_from(exc, "")])
    specs = Specs(spec, subprocess_specs)
    problems.extend(lint_specs(specs, set(known_form_keys), set(known_roles)))
    problems.extend(lint_decisions(specs))
    return ParseResult(None if problems else specs, problems)


def _problem_from(exc: SpiffWorkflowException, fallback_file: str) -> Problem:
    file = getattr(exc, "file_name", "") or fallback_file
    element_id = getattr(exc, "id", "") or ""
    name = getattr(exc, "name", "") or ""
    element = f"{name} ({element_id})" if name and element_id else element_id
    line = getattr(exc, "line_number", "")
    message = str(getattr(exc, "error_msg", "") or exc).split("\n")[0]
    if line:
        message += f" (line {line})"
    return Problem(file, element, message, element_id)


def lint_specs(specs: Specs, form_keys: set[str], roles: set[str]) -> list[Problem]:
    """Checks Spiff does not make at parse time: roles, form keys, expressions, timers."""
    problems: list[Problem] = []
    for process in [specs.spec, *specs.subprocess_specs.values()]:
        file = getattr(process, "file", "") or ""
        for ts in process.task_specs.values():
            element = getattr(ts, "bpmn_id", None) or ts.name
            label = f"{ts.bpmn_name} ({element})" if getattr(ts, "bpmn_name", None) else element

            def add(
                message: str, element: str = label, file: str = file, element_id: str = element
            ) -> None:
                problems.append(Problem(file, element, message, element_id))

            if isinstance(ts, UserTask):
                form_key = _properties(ts).get("formKey")
                if not form_key:
                    add("user task has no formKey property")
                elif form_key not in form_keys:
                    add(f"unknown form key '{form_key}'")
                if not ts.lane:
                    add("user task is not in a lane")
                elif ts.lane not in roles:
                    add(f"lane '{ts.lane}' is not a known role")
                due_in = _properties(ts).get("dueIn")
                if due_in and _parse_duration(due_in) is None:
                    add(f"dueIn '{due_in}' is not an ISO 8601 duration such as P3D")
            elif getattr(ts, "manual", False) and not isinstance(ts, UserTask):
                add("manual tasks need a person: use a user task with a form key")
            sources: list[tuple[str, str, str]] = []
            if isinstance(ts, ScriptTask):
                sources.append(("script", ts.script or "", "exec"))
            for attr in ("prescript", "postscript"):
                if getattr(ts, attr, None):
                    sources.append((attr, getattr(ts, attr), "exec"))
            for cond, target in getattr(ts, "cond_task_specs", []) or []:
                if cond is not None:
                    sources.append((f"condition to {target}", cond.args[0], "eval"))
            definition = getattr(ts, "event_definition", None)
            for d in getattr(definition, "event_definitions", [definition]):
                if isinstance(d, TimerEventDefinition):
                    sources.append(("timer", d.expression, "eval"))
                    why = _timer_problem(d)
                    if why:
                        add(why)
            for kind, source, mode in sources:
                why = _syntax_problem(source, mode) or check_restricted(source, mode)
                if why:
                    add(f"{kind} refused by the restricted evaluator: {why}")
    return problems


def _syntax_problem(source: str, mode: str) -> str | None:
    try:
        ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return f"syntax error: {exc.msg} (line {exc.lineno})"
    return None


_TIMER_KINDS = {
    TimeDateEventDefinition: ("date", '"2026-12-31T17:00:00+00:00"'),
    DurationTimerEventDefinition: ("duration", '"P5D" or "PT4H"'),
    CycleTimerEventDefinition: ("cycle", '"R3/P1D"'),
}


def _timer_problem(definition: TimerEventDefinition) -> str | None:
    """Why a literal timer would fail when reached; None for valid ones and for variables."""
    text = definition.expression.strip()
    kind, example = _TIMER_KINDS.get(type(definition), ("date, duration or cycle", '"P5D"'))
    unquoted = text.split("/")[-1] if text.startswith("R") else text
    if _ISO_DURATION.match(text) or _is_iso_datetime(unquoted):
        return f'timer {text} is read as Python: quote it, e.g. "{text}"'
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None  # a variable or helper call: checked when it runs
    if not isinstance(value, str):
        return f"timer {text} must be an ISO 8601 {kind} string, e.g. {example}"
    if not _valid_timer_value(type(definition), value.strip()):
        return f"timer {text} is not a valid ISO 8601 {kind}, e.g. {example}"
    return None


def _valid_timer_value(kind: type, value: str) -> bool:
    """Parse `value` with the engine's own timer code, as it will when the timer is reached."""
    try:
        if kind is DurationTimerEventDefinition:
            return value.upper().startswith("P") and bool(
                TimerEventDefinition.parse_iso_duration(value)
            )
        if kind is CycleTimerEventDefinition:
            return value.upper().startswith("R") and bool(
                TimerEventDefinition.parse_iso_recurring_interval(value)
            )
        if kind is TimeDateEventDefinition:
            return isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime)
    except Exception:  # noqa: BLE001 - Spiff raises bare Exception, ValueError, TypeError...
        return False
    return _ISO_DURATION.match(value) is not None or _is_iso_datetime(value)


def _is_iso_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


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
        if parent.state & _OPEN:
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
    for workflow, spec_diff, task_diff in _diffs(wf, target):
        if spec_diff is None or task_diff is None:
            if not workflow.is_completed():
                reasons.append(f"it is inside subprocess '{workflow.spec.name}', which is gone")
            continue
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


def lint_decisions(specs: Specs) -> list[Problem]:
    """Every DMN cell the business rule tasks of a process will evaluate, restricted-compiled."""
    problems: list[Problem] = []
    for process in [specs.spec, *specs.subprocess_specs.values()]:
        for ts in process.task_specs.values():
            table = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
            if table is not None:
                problems.extend(_table_problems(table, ""))
    return problems


def _table_problems(table: Any, file: str) -> list[Problem]:
    problems = []
    for rule in table.rules:
        where = f"rule {rule.row_number}" + (f" ({rule.description})" if rule.description else "")
        for entry in rule.inputEntries:
            for text in entry.lhs:
                why = _dmn_match_problem(entry.input.expression or "", text) if text else None
                if why:
                    problems.append(Problem(file, where, f"input entry {text!r}: {why}", entry.id))
        for entry in rule.outputEntries:
            why = _syntax_problem(entry.text, "eval") or check_restricted(entry.text, "eval")
            if entry.text and why:
                problems.append(
                    Problem(file, where, f"output entry {entry.text!r}: {why}", entry.id)
                )
    return problems


def _dmn_match_problem(input_expression: str, text: str) -> str | None:
    """Compile a DMN input cell the ways DMNEngine.evaluate may run it; None if one works."""
    match = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", text)
    if "dmninputexpr" in match:
        candidates = [match]
    else:
        candidates = [f"({input_expression}) == ({match})", f"{input_expression} {match}"]
    whys = [_syntax_problem(c, "eval") or check_restricted(c, "eval") for c in candidates]
    return None if any(w is None for w in whys) else whys[0]


_DECISION_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="decision_replay" targetNamespace="http://bpmn.io/schema/bpmn">
  <process id="decision_replay_process" isExecutable="true">
    <startEvent id="start"><outgoing>to_decide</outgoing></startEvent>
    <businessRuleTask id="decide" name="Decide">
      <extensionElements>
        <spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>
      </extensionElements>
      <incoming>to_decide</incoming><outgoing>to_end</outgoing>
    </businessRuleTask>
    <endEvent id="end"><incoming>to_end</incoming></endEvent>
    <sequenceFlow id="to_decide" sourceRef="start" targetRef="decide" />
    <sequenceFlow id="to_end" sourceRef="decide" targetRef="end" />
  </process>
</definitions>"""


@dataclass(frozen=True)
class DecisionInput:
    """One input column of a decision table."""

    label: str
    expression: str
    type_ref: str


@dataclass(frozen=True)
class DecisionTable:
    """A parsed candidate decision table, ready to run on data (see run_decision)."""

    decision_id: str
    name: str
    inputs: list[DecisionInput]
    outputs: list[str]
    specs: Specs


def parse_decision(
    dmn: bytes, decision_id: str | None = None, file: str = "decision.dmn"
) -> tuple[DecisionTable | None, list[Problem]]:
    """Parse one DMN document and pick a decision (the only one, or `decision_id`).

    Returns the table, or None and the problems (XML, DMN schema, restricted cells).
    """
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_dmn_io(BytesIO(dmn), filename=file)
    except etree.XMLSyntaxError as exc:
        return None, [Problem(file, "", f"not well-formed XML (line {exc.lineno}): {exc.msg}")]
    except SpiffWorkflowException as exc:
        return None, [_problem_from(exc, file)]
    found = list(parser.dmn_parsers)
    chosen = decision_id if decision_id in found else (found[0] if len(found) == 1 else None)
    if chosen is None:
        wanted = f"decision '{decision_id}'" if decision_id else "exactly one decision"
        return None, [Problem(file, "", f"expected {wanted}; found {', '.join(found) or 'none'}")]
    try:
        parser.add_bpmn_io(BytesIO(_DECISION_PROCESS.format(decision_id=chosen).encode()))
        spec = parser.get_spec("decision_replay_process")
        dmn_parser = parser.dmn_parsers[chosen]
        table = dmn_parser.decision.decisionTables[0]
    except SpiffWorkflowException as exc:
        return None, [_problem_from(exc, file)]
    except (IndexError, AttributeError, KeyError, ValueError, SyntaxError) as exc:
        return None, [Problem(file, chosen, f"the decision table cannot be read: {exc}", chosen)]
    problems = _table_problems(table, file)
    if problems:
        return None, problems
    inputs = [
        DecisionInput(i.label or i.name or i.id, i.expression or "", i.typeRef or "")
        for i in table.inputs
    ]
    outputs = [o.name or o.label for o in table.outputs]
    name = dmn_parser.decision.name or chosen
    return DecisionTable(chosen, name, inputs, outputs, Specs(spec, {})), []


def run_decision(table: DecisionTable, data: Mapping[str, Any]) -> dict[str, Any]:
    """Run the decision on `data` as a business rule task would; its outputs by name.

    Raises ProcessError when a cell fails on this data.
    """
    wf = start_workflow(table.specs, data)
    result = dict(wf.data) if wf.is_completed() else latest_data(wf)
    return {name: result.get(name) for name in table.outputs}
