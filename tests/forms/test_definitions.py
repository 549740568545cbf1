"""Form definitions: the shipped ones compile, bad ones are refused naming the problem, and a
condition means the same to the server, the page's schema and the restricted evaluator."""

from __future__ import annotations

import itertools
import tomllib
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from forms import conditions
from forms.base import json_validator
from forms.definitions import SHIPPED_DIR, DefinitionError, compile_definition, loads, shipped
from services import form_definitions  # noqa: F401 - gives forms the restricted evaluator

FIELDS = {
    "reached": "checkbox",
    "outcome": "choice",
    "remedies": "checklist",
    "amount": "amount",
    "notes": "long_text",
}
CONDITIONS = [
    "reached",
    "not reached",
    "outcome == 'satisfied'",
    "outcome != 'satisfied'",
    "outcome in ('satisfied', 'unsatisfied')",
    "outcome not in ('satisfied',)",
    "'refund' in remedies",
    "'refund' in remedies or 'compensation' in remedies",
    "amount > 10",
    "amount <= 10",
    "reached and notes",
    "not (reached or amount >= 5)",
    "10 < amount",
]
VALUES = {
    "reached": [True, False],
    "outcome": ["", "satisfied", "unsatisfied"],
    "remedies": [[], ["refund"], ["apology", "compensation"]],
    "amount": [None, Decimal("0"), Decimal("5"), Decimal("10"), Decimal("10.5")],
    "notes": ["", "Called at 10:00."],
}


def _json(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("source", CONDITIONS)
def test_a_condition_means_the_same_to_the_evaluator_the_tree_and_the_schema(source: str) -> None:
    condition = conditions.parse(source, FIELDS)
    validator = json_validator(condition.schema(FIELDS))
    for combination in itertools.product(*VALUES.values()):
        values = dict(zip(VALUES, combination, strict=True))
        evaluated = condition.holds(values)
        assert conditions.holds(condition.tree, values) is evaluated, values
        body = {k: _json(v) for k, v in values.items() if v is not None}
        assert validator.is_valid(body) is evaluated, (source, body)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("__import__('os')", "is not a condition"),
        ("reached.__class__", "is not a condition"),
        ("missing == 'x'", "'missing' is not a field of this form"),
        ("remedies == 'refund'", "equals"),
        ("outcome in ('a', b)", "compare with text"),
        ("'x' in outcome", "holds one value"),
        ("remedies in ('refund',)", "holds several values"),
        ("amount > 'ten'", "compare with a number"),
        ("notes > 3", "is not a number"),
        ("reached ==", "is not an expression"),
    ],
)
def test_a_condition_outside_the_grammar_is_refused_saying_why(source: str, why: str) -> None:
    if why == "equals":  # a checklist compared with one value: allowed, never true
        assert conditions.parse(source, FIELDS).holds({"remedies": ["refund"]}) is False
        return
    with pytest.raises(conditions.ConditionError, match=why.replace("(", r"\(")):
        conditions.parse(source, FIELDS)


def test_every_shipped_definition_compiles_with_both_languages() -> None:
    found = shipped()
    assert {p.stem for p in SHIPPED_DIR.glob("*.toml")} == set(found)
    for key, definition in found.items():
        spec = tomllib.loads((SHIPPED_DIR / f"{key}.toml").read_text())
        for field in spec["fields"]:
            assert field["label"]["en"] and field["label"]["fr"], (key, field["name"])
        for rule in spec.get("rules", []):
            assert "python" in rule or (rule["message"]["en"] and rule["message"]["fr"])
        assert definition.text("phase") is not None, key


def _spec(**field: object) -> dict:
    base = {"name": "notes", "type": "long_text", "label": {"en": "Notes", "fr": "Notes"}}
    return {"fields": [{**base, **field}]}


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (_spec(type="colour"), "unknown type 'colour'"),
        (_spec(label={"en": "Notes"}), "label has no text in fr"),
        (_spec(label={"en": "<b>Notes</b>", "fr": "Notes"}), "must be plain text"),
        (_spec(colour="red"), "unknown setting 'colour'"),
        (_spec(type="choice", choices="flavours"), "unknown list 'flavours'"),
        (_spec(validators=["shout"]), "unknown validator 'shout'"),
        (_spec(shown_when="notes"), "reads the field itself"),
        (_spec(min=3), "min and max are for numbers"),
        (_spec(pattern={"regex": "(", "en": "x", "fr": "x"}), "is not a regular expression"),
        (
            _spec(pattern={"regex": r"^(\w+\s?)+$", "en": "x", "fr": "x"}),
            "repeats a repetition",
        ),
        ({"fields": []}, "at least one field"),
        (
            {**_spec(), "rules": [{"field": "other", "message": {"en": "x", "fr": "x"}}]},
            "field 'other' is not a field of this form",
        ),
    ],
)
def test_a_bad_definition_is_refused_naming_the_problem(spec: dict, problem: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        compile_definition("call_back", spec)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_conditions_that_show_each_other_in_a_circle_are_refused() -> None:
    text = """
[[fields]]
name = "a"
type = "checkbox"
label = { en = "A", fr = "A" }
shown_when = "b"

[[fields]]
name = "b"
type = "checkbox"
label = { en = "B", fr = "B" }
shown_when = "a"
"""
    with pytest.raises(DefinitionError, match="shows only when it is already shown"):
        loads("circle", text)


def test_a_pattern_without_nested_repetition_is_kept_and_checks_the_answer(app) -> None:
    """The shape a deploy refuses is a repeated group that repeats; plain patterns pass."""
    definition = compile_definition(
        "call_back",
        _spec(
            type="text",
            pattern={
                "regex": r"^[A-Z]{2}(-[0-9]{3})?$",
                "en": "Like AB-123.",
                "fr": "Comme AB-123.",
            },
        ),
    )
    with app.test_request_context():
        good = definition.form_class(MultiDict({"notes": "AB-123"}))
        bad = definition.form_class(MultiDict({"notes": "AB-12"}))
        assert good.validate() and not bad.validate()
        assert bad.errors["notes"] == ["Like AB-123."]
