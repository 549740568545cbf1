"""Restricted evaluator: every condition, script, timer and DMN entry of a diagram runs through
RestrictedPython."""

from __future__ import annotations

import types
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins
from RestrictedPython import safe_globals as restricted_safe_globals
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

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
