"""Restricted evaluator: every condition, script, timer and DMN entry of a diagram runs through
RestrictedPython, bounded in time and size (services.engine.limits).

Code that calls anything (a builtin, a helper, a method, a lambda) or loops runs under the
backstop too, in the processes that enable it: its process's CPU time and address space are
limited while it runs, so a C call no guard knows ends the process instead of holding it for
hours. What a script leaves in task data, what an expression returns and the arguments of an
error it raises are weighed before they leave (limits.check_nodes): the engine serialises and
logs them afterwards, outside any bound."""

from __future__ import annotations

import ast
import builtins
import operator
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins
from RestrictedPython import safe_globals as restricted_safe_globals
from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from services import business_calendar, presets
from services.clock import utcnow
from services.engine import limits
from services.errors import ProcessError
from services.recent import Recent

# ---------------------------------------------------------------------------------------------
# Restricted evaluator: every gateway condition, script, timer and DMN entry of a diagram goes
# through RestrictedPython, so a diagram cannot import, open files or walk dunder attributes,
# and through the guards of services.engine.limits, so it cannot spin or allocate without end.
# ---------------------------------------------------------------------------------------------


def _add_days(value: Any, days: int) -> str:
    """Helper for diagrams: an ISO date `days` after `value` (date, datetime or ISO string)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, date | datetime):
        raise TypeError("add_days needs a date")
    return (value + timedelta(days=int(days))).isoformat()


def _calendar() -> business_calendar.Calendar:
    """The organisation's calendar; outside the application (a bare engine), the default one."""
    try:
        return business_calendar.current()
    except RuntimeError:  # no application context: nothing stored to read
        return business_calendar.Calendar()


def _preset() -> presets.Preset:
    try:
        return presets.active()
    except RuntimeError:  # no application context: the product's default
        return presets.load(presets.DEFAULT)


def _until(due: datetime, now: datetime) -> str:
    return business_calendar.iso_seconds((due - now).total_seconds())


def _time_limit(kind: str) -> Callable[..., str]:
    """A timer helper: `kind(n)` is the ISO duration from now to n units of the calendar."""

    def helper(amount: int, saturdays: bool = False) -> str:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"{kind}() takes a whole number")
        if saturdays is not False and kind != "working_days":
            raise TypeError(f"{kind}() does not take saturdays=")
        try:
            text = business_calendar.target_text(kind, amount, bool(saturdays))
            target = business_calendar.parse_target(text)
        except business_calendar.TargetError as exc:
            raise ValueError(str(exc)) from None
        now = utcnow()
        return _until(_calendar().due(now, target), now)

    helper.__name__ = kind
    helper.__doc__ = f"{kind}(n): the ISO 8601 duration from now to n {kind.replace('_', ' ')}."
    return helper


def _target(clock: str) -> str:
    """target("acknowledge"): the ISO duration from now to the active preset's target of a clock.

    The service-level clocks (services.service_levels) then set the waiting timer to the
    clock's own due time, which pauses and extensions move.
    """
    if not isinstance(clock, str):
        raise TypeError("target() takes the name of a clock")
    try:
        text = _preset().target(clock)
    except presets.PresetError as exc:
        raise ValueError(str(exc)) from None
    now = utcnow()
    return _until(_calendar().due(now, text), now)


# Timer helpers: durations counted on the organisation's business calendar when the timer
# starts. Deploy accepts them with literal arguments only (services.engine.validation).
TIME_LIMIT_HELPERS: dict[str, Any] = {
    kind: _time_limit(kind) for kind in sorted(business_calendar.KINDS - {"iso"})
}
TIME_LIMIT_HELPERS["target"] = _target

DIAGRAM_HELPERS: dict[str, Any] = {
    "add_days": _add_days,
    "Decimal": Decimal,
    **TIME_LIMIT_HELPERS,
}

# Exceptions that are not errors (SystemExit would stop the timer process, KeyboardInterrupt a
# dev server) are left out, and so is BaseException, which would catch the budget's stop.
_NOT_ERRORS = {"BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"}

_BUILTINS = {
    **{
        name: value
        for name, value in restricted_safe_globals["__builtins__"].items()
        if name not in _NOT_ERRORS and not name.startswith("_")
    },
    "__build_class__": restricted_safe_globals["__builtins__"]["__build_class__"],
    **limited_builtins,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "dict": dict,
    "list": list,
    "set": set,
    "sorted": sorted,
    "enumerate": enumerate,
    **limits.BUILTINS,  # int, str, round, repr, hash, pow, range, sum
}

# Real builtins diagram code cannot use: refused at deploy, as they would fail at run time.
# Task data may be named like anything else (`route == 'major'`), so only these are refused.
UNAVAILABLE_NAMES = frozenset(
    name
    for name in dir(builtins)
    if not name.startswith("_") and name not in _BUILTINS and name not in DIAGRAM_HELPERS
)


_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    **limits.GUARDS,
}


def _restricted_globals(
    code: Any, data: dict, external: dict | None, time_limit: float, memory_limit: int
) -> dict[str, Any]:
    """Helpers, then the data, then the guards: no data key can replace a guard."""
    scope = {**DIAGRAM_HELPERS, **(external or {}), **data, **_GUARDS}
    if _loops(code):  # straight-line code ends on its own; the size guards still apply
        scope["_tick_"] = limits.Budget(time_limit, memory_limit).tick
    return scope


def _loops(code: types.CodeType) -> bool:
    """Whether compiled code ticks a budget (has a loop, comprehension, def or lambda)."""
    found = _LOOPS.get(code)
    if found is None:
        found = _LOOPS[code] = "_tick_" in code.co_names or any(
            _loops(const) for const in code.co_consts if isinstance(const, types.CodeType)
        )
    return found


_LOOPS: Recent[types.CodeType, bool] = Recent(4096)


class RestrictedCodeError(Exception):
    """A diagram expression or script was refused by the restricted compiler or evaluator."""


class StepError(ProcessError):
    """The engine failed at a diagram element; nothing was saved.

    `message` is short and names the step; `detail` (the engine's own words, with the
    expression) is for the log and the process owner, not for the staff who hit it.
    """

    def __init__(
        self, message: str, *, element_id: str = "", element: str = "", detail: str = ""
    ) -> None:
        super().__init__(message)
        self.element_id = element_id
        self.element = element
        self.detail = detail or message


class EvaluationLimitExceeded(StepError):
    """A diagram expression or script ran past its time budget or built something too large."""


# Diagrams have a few dozen distinct expressions per version: the bound only matters after
# many deploys in a long-running process.
_COMPILED: Recent[tuple[str, str], tuple[Any, bool]] = Recent(2048)

# What makes code worth the backstop: without a call, a loop or a definition, an expression
# is operators on task data, each bounded by the size guards (`route == 'major'`).
_CALLING = (
    ast.Call,
    ast.For,
    ast.While,
    ast.comprehension,
    ast.Lambda,
    ast.FunctionDef,
    ast.ClassDef,
)


def _compile(source: str, mode: str) -> tuple[Any, bool]:
    """The compiled code, and whether it calls anything (and so runs under the backstop)."""
    # Compiling is the slow part; diagrams have a handful of distinct expressions.
    key = (mode, source)
    found = _COMPILED.get(key)
    if found is None:
        compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = compiler(source, policy=limits.BoundedTransformer)
        if result.errors:
            raise RestrictedCodeError("; ".join(result.errors))
        calls = any(isinstance(node, _CALLING) for node in ast.walk(ast.parse(source, mode=mode)))
        found = _COMPILED[key] = (result.code, calls)
    return found


def check_restricted(source: str, mode: str) -> str | None:
    """Return why `source` would be refused when it runs, or None if it may be deployed.

    Besides the restricted compiler: imports, builtins outside the whitelist, and constant
    expressions that would exceed the size limits (`10**10**10`, `'a' * 10**10`).
    """
    try:
        _compile(source, mode)
    except RestrictedCodeError as exc:
        return str(exc)
    except SyntaxError as exc:  # pragma: no cover - RestrictedPython reports these as errors
        return f"syntax error: {exc.msg}"
    tree = ast.parse(source, mode=mode)
    return _unavailable_name(tree) or _explosive_constant(tree)


def _unavailable_name(tree: ast.AST) -> str | None:
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            return f"import statements are not allowed (line {node.lineno})"
        if isinstance(node, ast.Name) and node.id in UNAVAILABLE_NAMES and node.id not in bound:
            return f"name '{node.id}' is not available in diagram code (line {node.lineno})"
    return None


class _NotConstant(Exception):
    pass


_FOLDED_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Pow: limits.guarded_pow,
    ast.Mult: limits.guarded_mul,
    ast.LShift: limits.guarded_lshift,
    ast.Add: limits.guarded_add,
    ast.Mod: limits.guarded_mod,
    ast.Sub: operator.sub,
}


def _fold(node: ast.AST) -> Any:
    """The value of a constant expression, computed through the guards; else _NotConstant."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _fold(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.Tuple | ast.List):
        items = [_fold(item) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLDED_OPERATORS:
        left, right = _fold(node.left), _fold(node.right)
        try:
            return _FOLDED_OPERATORS[type(node.op)](left, right)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise _NotConstant from exc  # fails the same way at run time, with its message
    is_range = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "range"
    if is_range and not node.keywords:  # type: ignore[attr-defined]
        args = [_fold(arg) for arg in node.args]  # type: ignore[attr-defined]
        try:
            return limits.guarded_range(*args)
        except (TypeError, ValueError) as exc:
            raise _NotConstant from exc
    raise _NotConstant


def _explosive_constant(tree: ast.AST) -> str | None:
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp | ast.Call):
            continue
        try:
            _fold(node)
        except _NotConstant:
            continue
        except limits.Runaway as exc:
            return f"{ast.unparse(node)[:80]} is too large: {exc}"
    return None


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Compile every diagram script and expression with RestrictedPython and run it bounded."""

    def __init__(
        self, time_limit: float = limits.TIME_LIMIT, memory_limit: int = limits.MEMORY_LIMIT
    ) -> None:
        super().__init__()
        self.time_limit = time_limit
        self.memory_limit = memory_limit

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """Evaluate a condition or expression against the task data."""
        code, calls = _compile(expression, "eval")
        scope = _restricted_globals(
            code, context, external_context, self.time_limit, self.memory_limit
        )
        with self._bounded(calls):
            result = eval(code, scope)  # noqa: S307 - compiled by RestrictedPython
            # A DMN output or a timer's value goes on to task data and the serializer.
            limits.check_nodes(result, "the value")
        return result

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run a script task; only plain data it assigns is copied back into the task."""
        code, calls = _compile(script, "exec")
        scope = _restricted_globals(code, {}, external_context, self.time_limit, self.memory_limit)
        # Module-level code looks names up in `local` first: no data key may stand for a guard.
        local = {key: value for key, value in context.items() if not key.startswith("_")}
        with self._bounded(calls):
            exec(code, scope, local)  # noqa: S102 - compiled by RestrictedPython
            kept = {
                key: value
                for key, value in local.items()
                if not key.startswith("_")
                and not callable(value)
                and not isinstance(value, types.ModuleType)
            }
            # The engine serialises task data after the step: it must never meet a structure
            # shared with itself (`a = (a, a)` sixty times), however few objects it takes.
            limits.check_nodes(kept, "the task data the script leaves")
        context.update(kept)
        return True

    @contextmanager
    def _bounded(self, calls: bool) -> Iterator[None]:
        """Diagram code runs under the process-limit backstop when it calls anything; what it
        raises leaves as an error the engine reports (the limits' stops included)."""
        stop = limits.lower_limits(self.memory_limit) if calls else None
        try:
            yield
        except Exception as exc:
            error = _raised(exc, self.memory_limit)
            if error is exc:
                raise  # the engine reports it, naming the task
            raise error from None
        except BaseException as exc:
            raise _engine_error(exc) from None
        finally:
            if stop is not None:
                limits.restore_limits(stop)

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        """Service tasks are not part of our procedure."""
        raise RestrictedCodeError("service tasks are not supported")


def _raised(exc: Exception, memory_limit: int) -> BaseException:
    """What an Exception of diagram code leaves the evaluator as: itself, unless it is a
    MemoryError (the backstop's address space ran out: the memory budget's stop) or carries a
    structure the engine's message and the log could not write out."""
    if isinstance(exc, MemoryError):
        return _engine_error(
            limits.Runaway(f"it used more than {memory_limit // 2**20} MB of memory")
        )
    try:
        limits.check_nodes(exc.args, "the error it raised")
    except limits.Runaway as refused:
        exc.args = ()  # nothing may write it out later (a traceback's context, say)
        return _engine_error(refused)
    return exc


def _engine_error(exc: BaseException) -> BaseException:
    """What diagram code's BaseException leaves the evaluator as: an Exception the engine reports.

    KeyboardInterrupt is the operator's Ctrl+C, not the diagram's: it goes on as it is.
    """
    if isinstance(exc, limits.Runaway):
        return EvaluationLimitExceeded(
            f"Diagram code was stopped: {exc}.", detail=f"was stopped: {exc}"
        )
    if isinstance(exc, KeyboardInterrupt):
        return exc
    return RestrictedCodeError(f"diagram code raised {type(exc).__name__}")  # SystemExit...


SCRIPT_ENGINE = PythonScriptEngine(environment=RestrictedEnvironment())
