"""Conditions of form definitions: when a field shows, when a rule applies, what a rule checks.

A condition is a Python expression over the form's own fields, in a small grammar every
reader of the form understands the same way: the server evaluates it with the restricted
evaluator of the diagrams, the page's script evaluates its tree (static/js/conditional.js),
and the API publishes it as JSON Schema. The grammar:

    field                       the field is filled (ticked, chosen, not empty, not zero)
    field == 'value'            also !=, with text, numbers, true or false
    field in ('a', 'b')         a single choice among values (also not in)
    'value' in field            a checklist or multiple choice that holds the value
    field > 0                   also >=, <, <=, with a number
    a and b, a or b, not a, (a)
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

BLANK_PATTERN = r"^\s*$"

# JSON type of each field type's value, as the condition's schema tests it.
TEXT_TYPES = frozenset({"text", "long_text", "date", "choice"})
ARRAY_TYPES = frozenset({"checklist", "multiple_choice", "file"})
NUMBER_TYPES = frozenset({"number", "amount"})

_COMPARISONS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<="}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_SCHEMA_BOUNDS = {
    ">": "exclusiveMinimum",
    ">=": "minimum",
    "<": "exclusiveMaximum",
    "<=": "maximum",
}
GRAMMAR_HINT = (
    "use field names, text, numbers, true or false, with ==, !=, in, not in, <, <=, >, >=, "
    "and, or, not"
)


class ConditionError(ValueError):
    """An expression outside the grammar, or one that names a field the form lacks."""


@dataclass(frozen=True)
class Condition:
    """A parsed condition: its source, its tree (JSON, for the page) and the fields it reads."""

    source: str
    tree: dict[str, Any]
    names: frozenset[str] = field(default_factory=frozenset)
    # Written in a definition: run by the restricted evaluator. Declared in code: the tree.
    restricted: bool = True

    def schema(self, types: Mapping[str, str]) -> dict[str, Any]:
        """A JSON Schema an object meets exactly when the condition holds."""
        return tree_schema(self.tree, types)

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Evaluate with the restricted evaluator; a comparison that cannot be made is false."""
        evaluate = _RUNTIME.get("evaluate")
        if not self.restricted or evaluate is None:
            return holds(self.tree, values)
        present = {name: EMPTY if value is None else value for name, value in values.items()}
        try:
            return bool(evaluate(self.source, present))
        except TypeError:  # values that cannot be compared: the condition does not hold
            return False

    @classmethod
    def field_set(cls, name: str, expected: Any) -> Condition:
        """The condition of a code-declared shown_when entry (field and value, or values)."""
        if isinstance(expected, bool | str):
            tree: dict[str, Any] = {"field": name, "equals": expected}
        else:
            tree = {"field": name, "in": sorted(expected)}
        return cls(f"{name}: {expected!r}", tree, frozenset({name}), restricted=False)


class _Empty:
    """An empty value (a number or date left blank) as conditions see it: false, equal to
    nothing, holding nothing, and any comparison with it false (None would raise)."""

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return other is None or other is self

    def __hash__(self) -> int:
        return 0

    def __lt__(self, other: object) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def __contains__(self, item: object) -> bool:
        return False

    def __repr__(self) -> str:
        return "empty"


EMPTY = _Empty()


# The restricted evaluator of the diagrams (services.engine.sandbox), given by the services
# that deploy and run definitions (services.form_definitions): forms import no services.
# Until it is given, a condition is evaluated from its tree, with the same meaning.
_RUNTIME: dict[str, Callable[..., Any]] = {}


def use_evaluator(
    evaluate: Callable[[str, dict[str, Any]], Any], refuse: Callable[[str], str | None]
) -> None:
    """Run conditions with `evaluate` (expression, values) and check them with `refuse`
    (expression → why it would be refused, or None)."""
    _RUNTIME["evaluate"] = evaluate
    _RUNTIME["refuse"] = refuse


def parse(source: str, fields: Mapping[str, str]) -> Condition:
    """Parse `source` over `fields` (name → field type); ConditionError says what is wrong."""
    text = (source or "").strip()
    if not text:
        raise ConditionError("the condition is empty")
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ConditionError(f"{text!r} is not an expression: {exc.msg}") from None
    names: set[str] = set()
    tree = _tree(node, fields, names)
    refuse = _RUNTIME.get("refuse")
    refused = refuse(text) if refuse is not None else None
    if refused:
        raise ConditionError(f"{text!r} is refused by the restricted evaluator: {refused}")
    return Condition(text, tree, frozenset(names))


def _tree(node: ast.AST, fields: Mapping[str, str], names: set[str]) -> dict[str, Any]:
    if isinstance(node, ast.BoolOp):
        key = "all" if isinstance(node.op, ast.And) else "any"
        return {key: [_tree(value, fields, names) for value in node.values]}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return {"not": _tree(node.operand, fields, names)}
    if isinstance(node, ast.Name):
        return {"field": _name(node, fields, names), "filled": True}
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _comparison(node.left, node.ops[0], node.comparators[0], fields, names)
    raise ConditionError(f"{ast.unparse(node)!r} is not a condition: {GRAMMAR_HINT}")


def _comparison(
    left: ast.AST, op: ast.cmpop, right: ast.AST, fields: Mapping[str, str], names: set[str]
) -> dict[str, Any]:
    shown = ast.unparse(ast.Compare(left=left, ops=[op], comparators=[right]))
    if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, ast.Name):
        left, right = right, left
    if isinstance(op, ast.Eq | ast.NotEq) and isinstance(left, ast.Name):
        equal = {"field": _name(left, fields, names), "equals": _literal(right, shown)}
        return equal if isinstance(op, ast.Eq) else {"not": equal}
    if isinstance(op, ast.In | ast.NotIn):
        if isinstance(right, ast.Name):  # 'value' in checklist
            name = _name(right, fields, names)
            if fields[name] not in ARRAY_TYPES:
                raise ConditionError(f"{shown!r}: {name} holds one value; write {name} == ...")
            found = {"field": name, "contains": _literal(left, shown)}
        elif isinstance(left, ast.Name) and isinstance(right, ast.Tuple | ast.List | ast.Set):
            name = _name(left, fields, names)
            if fields[name] in ARRAY_TYPES:
                raise ConditionError(
                    f"{shown!r}: {name} holds several values; write 'value' in {name}"
                )
            found = {"field": name, "in": [_literal(item, shown) for item in right.elts]}
        else:
            raise ConditionError(f"{shown!r} is not a condition: {GRAMMAR_HINT}")
        return found if isinstance(op, ast.In) else {"not": found}
    symbol = _COMPARISONS.get(type(op))
    if symbol is not None:
        if isinstance(right, ast.Name) and not isinstance(left, ast.Name):
            left, right, symbol = right, left, _FLIPPED[symbol]
        if isinstance(left, ast.Name):
            value = _literal(right, shown)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConditionError(f"{shown!r}: compare with a number")
            name = _name(left, fields, names)
            if fields[name] not in NUMBER_TYPES:
                raise ConditionError(f"{shown!r}: {name} is not a number")
            return {"field": name, "op": symbol, "value": value}
    raise ConditionError(f"{shown!r} is not a condition: {GRAMMAR_HINT}")


def _name(node: ast.Name, fields: Mapping[str, str], names: set[str]) -> str:
    if node.id in ("True", "False", "None"):
        raise ConditionError(f"{node.id} alone is not a condition")
    if node.id not in fields:
        raise ConditionError(f"{node.id!r} is not a field of this form")
    names.add(node.id)
    return node.id


def _literal(node: ast.AST, shown: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ConditionError(f"{shown!r}: compare with text, a number, true or false") from None
    if value is None or not isinstance(value, str | int | float | bool):
        raise ConditionError(f"{shown!r}: compare with text, a number, true or false")
    return value


def filled_schema(field_type: str) -> dict[str, Any]:
    """What a filled value of a field type is in JSON (what `field` alone tests)."""
    if field_type == "checkbox":
        return {"const": True}
    if field_type in ARRAY_TYPES:
        return {"type": "array", "minItems": 1}
    if field_type in NUMBER_TYPES:
        return {"type": "number", "not": {"const": 0}}
    if field_type in ("text", "long_text"):
        return {"type": "string", "not": {"pattern": BLANK_PATTERN}}
    if field_type == "date":
        return {"type": "string", "minLength": 1}
    return {"type": ["string", "integer"], "minLength": 1}  # a choice ("" is none)


def tree_schema(tree: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """The JSON Schema of a condition tree (see parse)."""
    if "all" in tree:
        return {"allOf": [tree_schema(t, types) for t in tree["all"]]}
    if "any" in tree:
        return {"anyOf": [tree_schema(t, types) for t in tree["any"]]}
    if "not" in tree:
        return {"not": tree_schema(tree["not"], types)}
    name = tree["field"]
    if "filled" in tree:
        value = filled_schema(types.get(name, "text"))
    elif "equals" in tree:
        value = {"const": tree["equals"]}
    elif "in" in tree:
        value = {"enum": list(tree["in"])}
    elif "contains" in tree:
        value = {"type": "array", "contains": {"const": tree["contains"]}}
    else:
        value = {"type": "number", _SCHEMA_BOUNDS[tree["op"]]: tree["value"]}
    return {"properties": {name: value}, "required": [name]}


def holds(tree: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """A tree evaluated in Python (code-declared conditions, which have no source to run)."""
    if "all" in tree:
        return all(holds(t, values) for t in tree["all"])
    if "any" in tree:
        return any(holds(t, values) for t in tree["any"])
    if "not" in tree:
        return not holds(tree["not"], values)
    value = values.get(tree["field"])
    if "filled" in tree:
        return bool(value)
    if "equals" in tree:
        expected = tree["equals"]
        return bool(value) is expected if isinstance(expected, bool) else value == expected
    if "in" in tree:
        if isinstance(value, list | tuple | set | frozenset):  # a checklist: any of them
            return bool(set(value) & set(tree["in"]))
        return value in tree["in"]
    if "contains" in tree:
        return isinstance(value, Collection) and tree["contains"] in value
    try:
        return bool(_COMPARE[tree["op"]](value, tree["value"]))
    except TypeError:
        return False


_COMPARE = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
