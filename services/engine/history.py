"""Keeping a workflow's task tree to what can still matter: finished history is pruned.

SpiffWorkflow never forgets a task: every pass through a loop (a sign-off sent back) adds its
task instances to the tree, and every engine step walks the whole tree (looking for READY and
WAITING tasks), so a step costs more the longer the complaint's history, and so does saving
it. After each step we cut out of the tree the finished stretches nothing can read again and
keep what our own readers need of them in a small summary stored with the state.

What is cut: a run of COMPLETED tasks, each with exactly one child, inside the finished part of
the tree (every ancestor COMPLETED), of plain kinds whose instances nothing looks up later
(user, manual, script, service and business-rule tasks, exclusive gateways, start events,
intermediate catch and throw events). The task below the run is re-attached to the task above
it. Never cut, nor re-attached: joins (parallel and inclusive gateways, whose threshold reads
their instances' parents), boundary-event and event-start splits and joins, event-based
gateways, multi-instance and loop tasks, subprocess and call-activity tasks (their
subprocesses hang off them), end events (the outcome and the case data are read from them),
the root and each workflow's last completed task; nothing below a task that is not COMPLETED
(a waiting timer's finished branches, a live branch) is touched. The task right above a live
or predicted task is always kept, as that task inherits or re-copies its data from it.

What is kept of the cut tasks: the names of the steps they were (per process, for the diagram's
"done" highlighting and for refusing a migration that would change a step already done) and
their number (the history's length). Readers: runtime.completed_element_ids and
runtime.history_length, migration.migration_obstacles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    BoundaryEvent,
    EventBasedGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ReceiveTask,
    SendTask,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

# Kinds whose finished instances nothing reads again but their own data: cut, or re-attached.
_PLAIN = (
    UserTask,
    ManualTask,
    NoneTask,
    ScriptEngineTask,  # script and service tasks
    BusinessRuleTaskMixin,
    ExclusiveGateway,
    StartEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    SendTask,
    ReceiveTask,
)
# Never plain, whatever else they are.
_SPECIAL = (
    LoopTask,
    BoundaryEvent,
    EventBasedGateway,
    EndEvent,
    SubWorkflowTask,
    UnstructuredJoin,
    Join,
)
# Finished tasks a cut may start below: their children are never looked up by position or kind
# once they are finished (unlike boundary-event splits, multi-instance tasks).
_ANCHORS = (BpmnStartTask, ParallelGateway, InclusiveGateway, SubWorkflowTask, EventBasedGateway)

_KEY = "pruned_history"


@dataclass
class PrunedHistory:
    """What is kept of the tasks cut out of a workflow (the top one and its subprocesses)."""

    # Process (spec) name -> names of the task specs cut while COMPLETED.
    done: dict[str, set[str]] = field(default_factory=dict)
    # BPMN ids of those steps (the diagram's ids, even if the spec is later replaced).
    element_ids: set[str] = field(default_factory=set)
    # How many task instances were cut.
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in a stable order."""
        return {
            "done": {name: sorted(specs) for name, specs in sorted(self.done.items())},
            "element_ids": sorted(self.element_ids),
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, dct: dict[str, Any]) -> PrunedHistory:
        """The summary stored by to_dict."""
        return cls(
            done={name: set(specs) for name, specs in dct.get("done", {}).items()},
            element_ids=set(dct.get("element_ids", [])),
            count=int(dct.get("count", 0)),
        )


def pruned_history(wf: BpmnWorkflow) -> PrunedHistory:
    """The summary of what was cut out of `wf` (empty if nothing was)."""
    found = wf.__dict__.get(_KEY)
    if found is None:
        found = wf.__dict__[_KEY] = PrunedHistory()
    return found


def set_pruned_history(wf: BpmnWorkflow, history: PrunedHistory) -> None:
    """Attach a restored summary to a restored workflow."""
    wf.__dict__[_KEY] = history


def _plain(task: Any) -> bool:
    spec = task.task_spec
    return isinstance(spec, _PLAIN) and not isinstance(spec, _SPECIAL)


def _anchor(task: Any) -> bool:
    spec = task.task_spec
    return _plain(task) or (isinstance(spec, _ANCHORS) and not isinstance(spec, LoopTask))


def prune_history(wf: BpmnWorkflow) -> int:
    """Cut the finished history nothing can read again out of `wf` and its subprocesses.

    Returns the number of task instances cut. Cheap once pruned: it walks only the finished
    part of each tree, which pruning keeps short.
    """
    history = pruned_history(wf)
    waiting = wf.event_manager.tasks
    cut = 0
    for workflow in [wf, *wf.subprocesses.values()]:
        cut += _prune(workflow, history, waiting)
    history.count += cut
    return cut


def _prune(workflow: Any, history: PrunedHistory, waiting: dict) -> int:
    tasks = workflow.tasks
    root = workflow.task_tree
    keep = {root.id}
    if workflow.last_task is not None:
        keep.add(workflow.last_task.id)

    def removable(task: Any) -> bool:
        return (
            task.state == TaskState.COMPLETED
            and len(task._children) == 1
            and task.id not in keep
            and task.id not in waiting
            and _plain(task)
        )

    done = history.done.setdefault(workflow.spec.name, set())
    cache = workflow.__dict__.get("_serialized_tasks", {})
    cut = 0
    stack = [root]
    while stack:
        anchor = stack.pop()
        if anchor.state != TaskState.COMPLETED:
            continue  # only the finished part of the tree: nothing below a live task
        starts_cut = _anchor(anchor)
        for position, child_id in enumerate(list(anchor._children)):
            node = tasks.get(child_id)
            if node is None:
                continue  # the engine dropped it and left its id behind: leave that be
            run = []
            while starts_cut and removable(node):
                following = tasks.get(node._children[0])
                if following is None:
                    break
                run.append(node)
                node = following
            # The task re-attached must be finished and plain (nothing reads its parent);
            # otherwise the run's last task stays, as the parent of what follows.
            if run and not (node.state == TaskState.COMPLETED and _plain(node)):
                node = run.pop()
            if run:
                anchor._children[position] = node.id
                node._parent = anchor.id
                for task in run:
                    del tasks[task.id]
                    cache.pop(task.id, None)
                    done.add(task.task_spec.name)
                    if getattr(task.task_spec, "bpmn_id", None):
                        history.element_ids.add(task.task_spec.bpmn_id)
                # Their serializations name the old parent and children: make them again.
                cache.pop(anchor.id, None)
                cache.pop(node.id, None)
                cut += len(run)
            stack.append(node)
    if not done:
        del history.done[workflow.spec.name]
    return cut
