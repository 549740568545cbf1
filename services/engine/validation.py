"""Parsing and checking diagrams; every problem names its file and element."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from forms.text import N_
from services import business_calendar, presets
from services.engine.decisions import lint_decisions
from services.engine.problems import Problem, _problem_from, _syntax_problem
from services.engine.runtime import CLOCK, _properties, parse_duration
from services.engine.sandbox import TIME_LIMIT_HELPERS, check_restricted
from services.engine.state import Specs

# ---------------------------------------------------------------------------------------------
# Parsing and validating diagrams
# ---------------------------------------------------------------------------------------------


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
            message = N_(
                "not well-formed XML (line %(line)s): %(why)s", line=exc.lineno, why=exc.msg
            )
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
                    add(N_("user task has no formKey property"))
                elif form_key not in form_keys:
                    add(N_("unknown form key '%(key)s'", key=form_key))
                if not ts.lane:
                    add(N_("user task is not in a lane"))
                elif ts.lane not in roles:
                    add(N_("lane '%(lane)s' is not a known role", lane=ts.lane))
                due_in = _properties(ts).get("dueIn")
                if due_in and parse_duration(due_in) is None:
                    add(N_("dueIn '%(due)s' is not an ISO 8601 duration such as P3D", due=due_in))
            elif getattr(ts, "manual", False) and not isinstance(ts, UserTask):
                add(N_("manual tasks need a person: use a user task with a form key"))
            why = _clock_problem(ts, process is specs.spec)
            if why:
                add(why)
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


_TIMER_KINDS = {
    TimeDateEventDefinition: ("date", '"2026-12-31T17:00:00+00:00"'),
    DurationTimerEventDefinition: ("duration", '"P5D" or "PT4H"'),
    CycleTimerEventDefinition: ("cycle", '"R3/P1D"'),
}


def _clock_problem(ts: object, top_level: bool) -> str | None:
    """A `clock` property must name a known clock, on an element that can carry one."""
    props = _properties(ts)
    stop = props.get("clocks")
    if stop is not None and stop != "stop":
        return f"property clocks='{stop}': the only value is 'stop' (on an end event)"
    name = props.get(CLOCK)
    if name is None:
        return None
    known = presets.CLOCKS
    if name not in known:
        return (
            f"property clock='{name}' names no service-level clock; the clocks are: "
            + ", ".join(known)
        )
    if not (
        isinstance(ts, UserTask | SubWorkflowTask) or (top_level and isinstance(ts, StartEvent))
    ):
        return (
            "property clock belongs on a user task, a subprocess or the process's start event "
            "(the whole case)"
        )
    return None


def _helper_problem(text: str, kind: type) -> str | None:
    """Calls of the time-limit helpers: literal arguments, known clocks, duration timers only."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None  # reported by the restricted evaluator's check
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if name not in TIME_LIMIT_HELPERS:
            continue
        call = ast.get_source_segment(text, node) or ast.unparse(node)
        if kind is not DurationTimerEventDefinition:
            return f"timer {call} gives a duration: use it in a duration timer (timeDuration)"
        if name == "target":
            literal = len(node.args) == 1 and not node.keywords
            first = node.args[0] if literal else None
            clock = first.value if isinstance(first, ast.Constant) else None
            if not isinstance(clock, str):
                return 'target() takes the name of a clock in quotes, e.g. target("acknowledge")'
            if clock not in presets.CLOCKS:
                return (
                    f"timer {call}: no service-level clock is called '{clock}'; the clocks are: "
                    + ", ".join(presets.CLOCKS)
                )
            continue
        try:
            business_calendar.parse_target(call)
        except business_calendar.TargetError as exc:
            return f"timer {call}: {exc} (write the number itself, e.g. {name}(2))"
    return None


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
        # A variable or helper call: the time-limit helpers are checked now, the rest runs.
        return _helper_problem(text, type(definition))
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
