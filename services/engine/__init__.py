"""The only package that imports SpiffWorkflow: the rest of the application talks to the engine
through the names exported here, so an engine upgrade stays inside this package.

- sandbox: the restricted evaluator for diagram conditions, scripts, timers and DMN cells
- limits: its time and memory budget per evaluation and its size-guarded operators
- state: serialization (spec stored once per version), the workflow cache, start/load/dump
- history: cutting finished history out of the task tree after each step, with its summary
- runtime: reading and driving a workflow (user tasks, data, timers, messages, outcome)
- problems, validation, decisions: checking diagrams and decision tables before deploy
- migration: moving a running instance to another version

validation, decisions and migration are imported on first use of one of their names: they
bring SpiffWorkflow's BPMN and DMN parsers and its compiled BPMN schema (about 2 MiB), which
only deploying, the process editor and instance migration need, not running a complaint.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.exceptions import SpiffWorkflowException as EngineError
from SpiffWorkflow.exceptions import WorkflowException as WorkflowError

from services.engine.problems import Problem
from services.engine.runtime import (
    Snapshot,
    ThrownMessage,
    UserTaskInfo,
    active_element_ids,
    align_clock_timers,
    case_clocks,
    completed_element_ids,
    element_ids,
    end_event_name,
    find_ready_task,
    fire_due_timers,
    history_length,
    history_size,
    latest_data,
    message_deadline,
    next_timer_due,
    postpone_timers,
    ready_user_tasks,
    run_user_task,
    send_message,
    snapshot,
    step_task_names,
    task_data,
    task_instructions,
    task_properties,
    thrown_messages,
    timer_clock,
    waiting_messages,
)
from services.engine.sandbox import (
    _COMPILED,
    DIAGRAM_HELPERS,
    SCRIPT_ENGINE,
    TIME_LIMIT_HELPERS,
    EvaluationLimitExceeded,
    RestrictedCodeError,
    RestrictedEnvironment,
    StepError,
    check_restricted,
)
from services.engine.state import (
    _SPEC_CACHE,
    SERIALIZER,
    WORKFLOWS,
    Specs,
    WorkflowCache,
    dump_workflow,
    load_workflow,
    specs_from_dict,
    specs_to_dict,
    start_workflow,
)

if TYPE_CHECKING:
    from services.engine.decisions import (
        DecisionInput,
        DecisionTable,
        lint_decisions,
        parse_decision,
        run_decision,
    )
    from services.engine.migration import migrate_instance, migration_obstacles, open_step_ids
    from services.engine.validation import ParseResult, lint_specs, parse_process

# The names imported on first use, and their modules.
_ON_FIRST_USE = {
    **dict.fromkeys(
        ("DecisionInput", "DecisionTable", "lint_decisions", "parse_decision", "run_decision"),
        "services.engine.decisions",
    ),
    **dict.fromkeys(
        ("migrate_instance", "migration_obstacles", "open_step_ids"), "services.engine.migration"
    ),
    **dict.fromkeys(("ParseResult", "lint_specs", "parse_process"), "services.engine.validation"),
}


def __getattr__(name: str) -> Any:
    """A name of validation, decisions or migration: imported now, then kept here."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DIAGRAM_HELPERS",
    "SCRIPT_ENGINE",
    "TIME_LIMIT_HELPERS",
    "SERIALIZER",
    "WORKFLOWS",
    "_COMPILED",
    "_SPEC_CACHE",
    "DecisionInput",
    "DecisionTable",
    "EngineError",
    "EvaluationLimitExceeded",
    "ParseResult",
    "Problem",
    "RestrictedCodeError",
    "RestrictedEnvironment",
    "Snapshot",
    "Specs",
    "StepError",
    "ThrownMessage",
    "UserTaskInfo",
    "WorkflowCache",
    "WorkflowError",
    "active_element_ids",
    "align_clock_timers",
    "case_clocks",
    "check_restricted",
    "completed_element_ids",
    "dump_workflow",
    "element_ids",
    "end_event_name",
    "find_ready_task",
    "fire_due_timers",
    "history_length",
    "history_size",
    "latest_data",
    "message_deadline",
    "lint_decisions",
    "lint_specs",
    "load_workflow",
    "migrate_instance",
    "migration_obstacles",
    "next_timer_due",
    "open_step_ids",
    "parse_decision",
    "parse_process",
    "postpone_timers",
    "ready_user_tasks",
    "run_decision",
    "run_user_task",
    "send_message",
    "snapshot",
    "step_task_names",
    "specs_from_dict",
    "specs_to_dict",
    "start_workflow",
    "task_data",
    "task_instructions",
    "task_properties",
    "thrown_messages",
    "timer_clock",
    "waiting_messages",
]
