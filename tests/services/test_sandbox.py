"""Diagram code runs in a restricted evaluator: no imports, dunders, files or network."""

from __future__ import annotations

import pytest

from services import engine


def run_script(script: str, data: dict | None = None) -> dict:
    context = dict(data or {})
    engine.RestrictedEnvironment().execute(script, context)
    return context


def test_plain_scripts_and_conditions_work():
    data = run_script(
        "total = sum([x * 2 for x in amounts])\nlabel = 'high' if total > 10 else 'low'",
        {"amounts": [3, 4]},
    )
    assert data["total"] == 14 and data["label"] == "high"
    env = engine.RestrictedEnvironment()
    assert (
        env.evaluate(
            "severity in ('high', 'critical') and amount > 5", {"severity": "high", "amount": 6}
        )
        is True
    )


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "__import__('os').system('true')",
        "open('/etc/passwd').read()",
        "x = ().__class__.__base__.__subclasses__()",
        "x = getattr((), '__class__')",
        "eval('1 + 1')",
        "exec('y = 1')",
        "import socket",
        "x = globals()",
    ],
)
def test_escapes_are_refused_in_scripts(script: str):
    with pytest.raises(Exception) as caught:
        run_script(script)
    assert not isinstance(caught.value, AssertionError)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').getpid() > 0",
        "().__class__.__base__.__subclasses__()",
        "open('/etc/hostname').read()",
        "[c for c in ().__class__.__mro__]",
    ],
)
def test_escapes_are_refused_in_conditions(expression: str):
    with pytest.raises(Exception) as caught:
        engine.RestrictedEnvironment().evaluate(expression, {})
    assert not isinstance(caught.value, AssertionError)


def test_escape_in_a_gateway_condition_is_refused_at_deploy():
    assert engine.check_restricted("().__class__", "eval") is not None
    assert engine.check_restricted("severity == 'high'", "eval") is None


def test_scripts_cannot_smuggle_functions_into_task_data():
    data = run_script("def f():\n    return 1\nvalue = f()")
    assert data == {"value": 1}
