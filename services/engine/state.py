"""Serialization and workflow state: the spec is stored once per version, instances without it."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from services.engine.history import (
    PrunedHistory,
    prune_history,
    pruned_history,
    set_pruned_history,
)
from services.engine.sandbox import SCRIPT_ENGINE, EvaluationLimitExceeded, StepError
from services.recent import Recent

# ---------------------------------------------------------------------------------------------
# Serializer: the instance state is stored without its spec; the process version holds the
# spec once and we keep the restored spec objects in memory per version.
# ---------------------------------------------------------------------------------------------


# A stored state names each task id four times (its key, its own id, its parent's children,
# its children's parent): parsed once here instead of four times per load, the largest part
# of a load after the data. UUIDs are immutable, so sharing them between workflows is safe.
_uuid = lru_cache(maxsize=8192)(UUID)


class _TaskIds:
    """Task mappings keyed by ids parsed through the shared cache."""

    registry: Any

    def mapping_from_dict(
        self, mapping: dict[str, Any], key_class: Any = None, **kwargs: Any
    ) -> Any:
        if key_class is not UUID:
            return super().mapping_from_dict(mapping, key_class, **kwargs)  # type: ignore[misc]
        restore = self.registry.restore
        return {_uuid(k): restore(v, **kwargs) for k, v in mapping.items()}


class _SubWorkflowConverter(_TaskIds, BpmnSubWorkflowConverter):
    """Spiff's, with the task ids parsed through the shared cache."""


class _InstanceConverter(_TaskIds, BpmnWorkflowConverter):
    """Like Spiff's converter, but leaves the spec out and takes it back in from the caller."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        pruned = pruned_history(workflow)
        if pruned.count:  # what is kept of the history cut out of the tree (engine/history.py)
            dct[_PRUNED_KEY] = pruned.to_dict()
        return dct

    def from_dict(self, dct: dict[str, Any], specs: Specs | None = None) -> BpmnWorkflow:
        pruned = dct.pop(_PRUNED_KEY, None)
        if specs is None:
            workflow = super().from_dict(dct)
        else:
            workflow = self.target_class(specs.spec, specs.subprocess_specs, deserializing=True)
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
            workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        if pruned is not None:
            set_pruned_history(workflow, PrunedHistory.from_dict(pruned))
        return workflow


_PRUNED_KEY = "pruned_history"


_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
# The test suite turns this on: every reuse is compared with a fresh serialization.
CHECK_TASK_CACHE = False


class _FinishedTaskConverter(TaskConverter):
    """Serializes a finished task once and reuses the result on later saves.

    A finished (completed or cancelled) task no longer changes, so re-serializing the whole
    history on every save is wasted work that grows with the complaint. The cache lives on the
    workflow object (kept between requests by WORKFLOWS) and is keyed by what would change if a
    task were reset: its state, state-change time, trigger flag and number of children.
    """

    def to_dict(self, task: Any) -> dict[str, Any]:
        if not task.state & _FINISHED:
            return super().to_dict(task)
        cache = task.workflow.__dict__.setdefault("_serialized_tasks", {})
        key = _finished_key(task)
        hit = cache.get(task.id)
        if hit is not None and hit[0] == key:
            if CHECK_TASK_CACHE:
                fresh = json.dumps(super().to_dict(task), cls=_ENCODER, sort_keys=True)
                cached = dict(hit[1])
                cached.pop("typename", None)
                if fresh != json.dumps(cached, cls=_ENCODER, sort_keys=True):
                    raise RuntimeError(f"stale serialization cached for {task}")
            return hit[1]
        dct = super().to_dict(task)
        cache[task.id] = (key, dct)
        return dct

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        task = self._task_from_dict(dct, workflow)
        if task.state & _FINISHED and _KEEP_FINISHED.get():
            # Saved as it would serialize now: a workflow restored to be saved (after a cache
            # miss, on another worker) does not serialize its finished history again. Only
            # then: a workflow restored to be read would hold these for nothing.
            cache = task.workflow.__dict__.setdefault("_serialized_tasks", {})
            cache[task.id] = (_finished_key(task), dct)
        return task

    def _task_from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        # Spiff's TaskConverter.from_dict (3.2.0), with the ids from the shared cache.
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_uuid(dct["id"]))
        parent = dct["parent"]
        task._parent = _uuid(parent) if parent is not None else None
        task._children = [_uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


def _finished_key(task: Any) -> tuple[Any, ...]:
    # What would change if a finished task were reset: a serialization cached under another
    # key is stale.
    return (task.state, task.last_state_change, task.triggered, len(task._children))


# Set while load_workflow restores a workflow that will be saved (to_save=True).
_KEEP_FINISHED: ContextVar[bool] = ContextVar("keep_finished", default=False)


_LEAVES = frozenset({str, int, float, bool, type(None)})


class _Registry(DefaultRegistry):
    """Spiff's registry, restoring plain JSON values without a call per value.

    Restoring a workflow walks every value of its tasks' data; Spiff's restore calls itself
    once per value, even a string, which made it the largest part of a load. A dict or list
    of plain values is rebuilt in one comprehension; anything else goes to Spiff's restore,
    so the result is the same.
    """

    def restore(self, val: Any, **kwargs: Any) -> Any:
        kind = type(val)
        if kind in _LEAVES:
            return val
        if kind is dict and "typename" not in val:
            return {
                k: v if type(v) in _LEAVES else self.restore(v, **kwargs) for k, v in val.items()
            }
        if kind is list:
            return [v if type(v) in _LEAVES else self.restore(v, **kwargs) for v in val]
        return super().restore(val, **kwargs)


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _InstanceConverter
    config[Task] = _FinishedTaskConverter
    config[BpmnSubWorkflow] = _SubWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config, _Registry())
    # WTForms hands us Decimal and date; Spiff only knows datetime, UUID and timedelta.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _build_serializer()
_ENCODER = SERIALIZER._encoder_cls


@dataclass(frozen=True)
class Specs:
    """A parsed process: the top spec and the specs of its subprocesses and call activities."""

    spec: Any
    subprocess_specs: dict[str, Any]


# Restored specs by version (about 1-2 MiB each): the versions running complaints are few,
# and one evicted is restored again from its row.
_SPEC_CACHE: Recent[Hashable, Specs] = Recent(4)


class WorkflowCache:
    """Recently saved workflows by (instance id, version token), so a request skips the load.

    `take` removes the entry: a request that fails half-way can never leave a mutated object
    behind. Each process has its own cache; a miss just deserializes. The cache keeps the
    most recent workflows up to `size` of them and `budget` characters of their saved states
    (a restored workflow holds about four times its JSON text in memory): a worker that
    serves hundreds of complaints keeps the last few, not all of them.
    """

    def __init__(self, size: int = 128, budget: int = 1_000_000) -> None:
        self._items: OrderedDict[tuple[int, str], tuple[BpmnWorkflow, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._held = 0
        self.size = size
        self.budget = budget

    def take(self, key: tuple[int, str]) -> BpmnWorkflow | None:
        """Remove and return the workflow saved under `key`, if any."""
        with self._lock:
            found = self._items.pop(key, None)
            if found is None:
                return None
            self._held -= found[1]
            return found[0]

    def put(self, key: tuple[int, str], wf: BpmnWorkflow, state_size: int = 0) -> None:
        """Keep `wf` (whose saved state is `state_size` characters) under `key`, evicting the
        least recently kept past the size or the budget."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._held -= old[1]
            self._items[key] = (wf, state_size)
            self._held += state_size
            while len(self._items) > self.size or (self._held > self.budget and self._items):
                _key, (_wf, size) = self._items.popitem(last=False)
                self._held -= size

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Forget everything (tests simulating a restart)."""
        with self._lock:
            self._items.clear()
            self._held = 0


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


def specs_from_dict(
    version_id: Hashable, dct: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
) -> Specs:
    """Restore a stored spec, once per process version and process.

    `version_id` identifies the stored spec: services.processes passes the version's id
    with its content hash, as ids repeat across databases (tests) while contents differ.
    `dct` may be a function giving the stored spec, called only when it is not cached (so
    that the large column is read only then).
    """
    specs = _SPEC_CACHE.get(version_id)
    if specs is None:
        if callable(dct):
            dct = dct()
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


def load_workflow(specs: Specs, state: str, *, to_save: bool = False) -> BpmnWorkflow:
    """Restore a workflow from its stored state and the spec of its version; `to_save`: the
    caller will save it, so its finished tasks keep their stored serialization for that."""
    dct = json.loads(state, cls=SERIALIZER.json_decoder_cls)
    version = dct.pop(SERIALIZER.VERSION_KEY)
    if version in MIGRATIONS:  # pragma: no cover - only for states written by older Spiff
        MIGRATIONS[version](dct)
    token = _KEEP_FINISHED.set(to_save)
    try:
        wf = SERIALIZER.registry.restore(dct, specs=specs)
    finally:
        _KEEP_FINISHED.reset(token)
    wf.script_engine = SCRIPT_ENGINE  # the serializer does not restore it
    return wf


def dump_workflow(wf: BpmnWorkflow) -> str:
    """The workflow's state as JSON text, without its spec (our converter leaves it out)."""
    return SERIALIZER.serialize_json(wf)


def _run_engine(wf: BpmnWorkflow) -> None:
    """Run the engine to the next wait, then cut the history nothing reads any more (so the
    next step and the save cost the same however long the complaint's history)."""
    try:
        wf.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise step_error(exc) from exc
    prune_history(wf)


def step_error(exc: SpiffWorkflowException) -> StepError:
    """The engine's error as a StepError naming the element; a runaway keeps its own class."""
    spec = getattr(exc, "task_spec", None)
    element_id = str(getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") or "")
    element = str(getattr(spec, "bpmn_name", None) or element_id)
    where = f" at '{element}'" if element else ""
    detail = f"The procedure failed{where}: {exc}"
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, StepError):
        cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
    cls = type(cause) if isinstance(cause, StepError) else StepError
    if isinstance(cause, EvaluationLimitExceeded):
        detail = f"The procedure stopped{where}: diagram code {cause.detail} ({exc})"
    return cls(
        f"The procedure could not continue{where}.",
        element_id=element_id,
        element=element,
        detail=detail,
    )
