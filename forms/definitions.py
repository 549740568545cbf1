"""Form definitions: a task's form as data (processes/forms/*.toml), checked and compiled into
a WTForms class.

One definition gives the page (labels and help in the reader's language, conditional
fields), the server's validation (WTForms validators and the definition's rules), the JSON
Schema the API publishes (TaskForm.json_schema, rules included) and the checks a deploy
runs. A version's choice lists (processes/choices.toml, forms.lists) give the choices a
field names by list. Python keeps what needs code, referenced by name (forms.library): the
application's own lists, choices filled from the database, validators, filters and rules.

A definition (TOML):

    schema_name = "CallbackForm"                       # the API's schema name (optional)
    title = { en = "...", fr = "..." }                 # what the form is for
    phase = { en = "Resolution", fr = "Résolution" }   # the stage the task page names
    context = ["category", "action_taken"]             # case data shown above the form
    context_title = { en = "...", fr = "..." }         # its heading (optional)
    reworked = true                                    # start again from earlier answers

    [[fields]]
    name = "reached"
    type = "checkbox"          # text, long_text, number, amount, date, choice,
                               # multiple_choice, checkbox, checklist, file
    label = { en = "...", fr = "..." }
    help = { en = "...", fr = "..." }                  # optional
    required = true            # or { en = "message", fr = "message" }
    # text: min_length, max_length, pattern = { regex = "...", en = "...", fr = "..." }
    # number: min, max, range_message = {...}, whole = true; date: not_in_future = true
    # choices: a list's name ("remedies", choices.toml) or [{ value = "...", label = {...} }]
    # choices_from = "support_services" (filled from data); placeholder = {...} or false
    # widget = "radio"; default = ...; validators = ["no_placeholder"]; filters = ["upper"]
    shown_when = "outcome == 'reached'"                # forms.conditions' grammar

    [[rules]]                  # the field must be filled (or `check` hold) when `when` holds
    field = "notes"
    when = "not reached"
    check = "notes"            # optional
    message = { en = "...", fr = "..." }
    # or: python = "rule_name"  (forms.library)
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from re import _constants, _parser  # the pattern's parse tree, for _nested_repetition
from typing import Any

from flask_babel.speaklater import LazyString
from wtforms.fields import (
    BooleanField,
    DateField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from forms import conditions, library, toml_edit
from forms import lists as choice_lists
from forms.base import AmountField, ChecklistField, NotInFuture, Rule, TaskFilesField, TaskForm
from forms.choices import PLACEHOLDER, options
from forms.conditions import Condition, ConditionError
from forms.text import N_, localized, pick, text_problems

FIELD_TYPES = (
    "text",
    "long_text",
    "number",
    "amount",
    "date",
    "choice",
    "multiple_choice",
    "checkbox",
    "checklist",
    "file",
)
CHOICE_TYPES = frozenset({"choice", "multiple_choice", "checklist"})
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Fields no definition may declare: the page's own inputs.
RESERVED = frozenset({"submit", "csrf_token", "next_task"})
DEFAULT_MAX_LENGTH = {"text": 200, "long_text": 5000}
FORM_KEYS = frozenset(
    {
        "schema_name",
        "title",
        "phase",
        "context",
        "context_title",
        "reworked",
        "signs_off_letter",
        "fields",
        "rules",
    }
)
FIELD_KEYS = frozenset(
    {
        "name",
        "type",
        "label",
        "help",
        "required",
        "min_length",
        "max_length",
        "pattern",
        "min",
        "max",
        "range_message",
        "whole",
        "not_in_future",
        "choices",
        "choices_from",
        "placeholder",
        "widget",
        "default",
        "validators",
        "filters",
        "shown_when",
    }
)
RULE_KEYS = frozenset({"field", "when", "check", "message", "python"})


class DefinitionError(ValueError):
    """A definition that cannot be compiled; `problems` lists every reason, each readable."""

    def __init__(self, problems: list[str]) -> None:
        # Each problem is a forms.text.Text (its English, translated where it is shown).
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class FieldDefinition:
    """One field of a definition, as written."""

    name: str
    type: str
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class FormDefinition:
    """A checked definition: its fields, rules, context and compiled class."""

    key: str
    spec: Mapping[str, Any]
    fields: tuple[FieldDefinition, ...]
    form_class: type[TaskForm]
    context: tuple[str, ...] = ()
    fills: Mapping[str, str] = field(default_factory=dict)  # field → choices_from source
    # field → (the list it names, or None for inline choices, its values): what the routing
    # table and the diagram's conditions may compare the field with.
    choice_values: Mapping[str, tuple[str | None, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of the fields, in order."""
        return tuple(f.name for f in self.fields)

    def text(self, key: str) -> LazyString | None:
        """A localised text of the definition (title, phase, context_title), if given."""
        value = self.spec.get(key)
        return localized(value) if isinstance(value, Mapping) else None

    @property
    def reworked(self) -> bool:
        """Whether the task starts again from its earlier answers when it comes back."""
        return bool(self.spec.get("reworked"))

    @property
    def signs_off_letter(self) -> str | None:
        """The message kind a sign-off form approves (its page previews that letter)."""
        value = self.spec.get("signs_off_letter")
        return str(value) if value else None


SHIPPED_DIR = Path(__file__).resolve().parent.parent / "processes" / "forms"


@lru_cache(maxsize=512)
def compiled(key: str, text: str, lists: choice_lists.ChoiceLists | None = None) -> FormDefinition:
    """loads(), once per distinct text and lists (both are immutable once deployed)."""
    return loads(key, text, lists)


@lru_cache(maxsize=1)
def shipped() -> dict[str, FormDefinition]:
    """The definitions shipped in processes/forms, compiled; a broken one stops the start."""
    found: dict[str, FormDefinition] = {}
    problems: list[str] = []
    lists = choice_lists.shipped()
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        try:
            found[path.stem] = compiled(path.stem, path.read_text("utf-8"), lists)
        except DefinitionError as exc:
            problems += [f"{path.name}: {p}" for p in exc.problems]
    if problems:
        raise DefinitionError(problems)
    return found


def loads(key: str, text: str, lists: choice_lists.ChoiceLists | None = None) -> FormDefinition:
    """Parse and compile the TOML definition of form `key` with the choice lists `lists` (the
    shipped ones by default); DefinitionError names each problem."""
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError([N_("not valid TOML: %(error)s", error=str(exc))]) from None
    return compile_definition(key, spec, lists)


def dumps(spec: Mapping[str, Any], before: str | None = None) -> str:
    """A definition (as parsed, or as the editor's JSON) written as TOML text.

    With `before`, the definition's text until now, only what changed is written into it:
    its comments, key order and inline tables stay (forms.toml_edit). JSON's null means
    "not set": such settings are left out. ValueError when the definition holds something
    TOML cannot (a null in a list, a table that is not one).
    """
    if not isinstance(spec, Mapping):
        raise ValueError(N_("a definition is an object of settings"))
    value = _without_nulls(spec, "definition")
    text = toml_edit.edit(before, value) if before is not None else None
    if text is None:
        text = toml_edit.write(value)
    if text is None:
        raise ValueError(N_("the definition cannot be written as TOML"))
    return text


def _without_nulls(value: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): _without_nulls(v, f"{where}.{k}") for k, v in value.items() if v is not None
        }
    if isinstance(value, list):
        if any(item is None for item in value):
            raise ValueError(N_("%(where)s lists an empty value (null)", where=where))
        return [_without_nulls(item, f"{where}[{n}]") for n, item in enumerate(value)]
    return value


def as_json(value: Any) -> Any:
    """A parsed definition as JSON can hold it (TOML dates and times become ISO 8601 text)."""
    if isinstance(value, Mapping):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def compile_definition(
    key: str, spec: Mapping[str, Any], lists: choice_lists.ChoiceLists | None = None
) -> FormDefinition:
    """Check a parsed definition and build its TaskForm class, its named choice lists read
    in `lists` (the shipped ones by default), then among the application's (forms.library)."""
    lists = lists if lists is not None else choice_lists.shipped()
    problems: list[str] = []
    if not NAME.match(key):
        problems.append(
            N_("the form key %(key)s must be lower case letters, digits and _", key=repr(key))
        )
    problems += [N_("unknown setting %(key)s", key=repr(k)) for k in sorted(set(spec) - FORM_KEYS)]
    for text_key in ("title", "phase", "context_title"):
        if text_key in spec:
            problems += text_problems(spec[text_key], text_key)
    raw_fields = spec.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        problems.append(N_("a form needs at least one field ([[fields]])"))
        raise DefinitionError(problems)
    fields: list[FieldDefinition] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_fields, 1):
        where: str = N_("field %(number)s", number=number)
        if not isinstance(raw, Mapping):
            problems.append(N_("%(where)s is not a table", where=where))
            continue
        name = raw.get("name")
        if not isinstance(name, str) or not NAME.match(name) or name in RESERVED:
            problems.append(
                N_(
                    "%(where)s: name %(name)s must be lower case letters, digits and _",
                    where=where,
                    name=repr(name),
                )
            )
            continue
        where = N_("field %(name)s", name=repr(name))
        if name in seen:
            problems.append(N_("%(where)s is declared twice", where=where))
            continue
        seen.add(name)
        kind = raw.get("type")
        if kind not in FIELD_TYPES:
            problems.append(
                N_(
                    "%(where)s: unknown type %(type)s (one of %(types)s)",
                    where=where,
                    type=repr(kind),
                    types=", ".join(FIELD_TYPES),
                )
            )
            continue
        problems += [
            N_("%(where)s: unknown setting %(key)s", where=where, key=repr(k))
            for k in sorted(set(raw) - FIELD_KEYS)
        ]
        problems += text_problems(raw.get("label"), N_("%(where)s label", where=where))
        if "help" in raw:
            problems += text_problems(raw["help"], N_("%(where)s help", where=where))
        if isinstance(raw.get("required"), Mapping):
            problems += text_problems(
                raw["required"], N_("%(where)s required message", where=where)
            )
        fields.append(FieldDefinition(name, kind, raw))
    types = {f.name: f.type for f in fields}
    shown: dict[str, Condition] = {}
    for definition in fields:
        source = definition.spec.get("shown_when")
        if source is None:
            continue
        try:
            condition = conditions.parse(str(source), types)
        except ConditionError as exc:
            problems.append(
                N_(
                    "field %(name)s shown_when: %(error)s",
                    name=repr(definition.name),
                    error=str(exc),
                )
            )
            continue
        if definition.name in condition.names:
            problems.append(
                N_("field %(name)s shown_when reads the field itself", name=repr(definition.name))
            )
        shown[definition.name] = condition
    problems += _cycles(shown)
    unbound: dict[str, Any] = {}
    fills: dict[str, str] = {}
    values: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for definition in fields:
        try:
            unbound[definition.name] = _field(definition, fills, lists, values)
        except DefinitionError as exc:
            problems += [
                N_("field %(name)s: %(problem)s", name=repr(definition.name), problem=p)
                for p in exc.problems
            ]
    rules = _rules(spec.get("rules", []), types, problems)
    problems += _unknown_values(shown, rules, values)
    context = spec.get("context", [])
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        problems.append(N_("context must be a list of case data names"))
        context = []
    if problems:
        raise DefinitionError(problems)
    comments = {
        name: {"$comment": library.CHOICE_SOURCES[source]} for name, source in fills.items()
    }
    namespace: dict[str, Any] = {
        **unbound,
        "json_schema_overrides": classmethod(lambda cls: comments),
        "conditions": shown,
        "field_types": types,
        "rules": tuple(rules),
        "__doc__": pick(spec["title"]) if isinstance(spec.get("title"), Mapping) else None,
        "__module__": __name__,
    }
    schema_name = str(spec.get("schema_name") or _class_name(key))
    form_class = type(schema_name, (TaskForm,), namespace)
    return FormDefinition(key, spec, tuple(fields), form_class, tuple(context), fills, values)


def _class_name(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_")) + "Form"


def _cycles(shown: Mapping[str, Condition]) -> list[str]:
    problems = []
    for start in shown:
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            for read in shown.get(name, Condition("", {})).names:
                if read == start:
                    problems.append(
                        N_("field %(name)s shows only when it is already shown", name=repr(start))
                    )
                    todo = []
                    break
                if read not in seen:
                    seen.add(read)
                    todo.append(read)
    return problems


def _nested_repetition(regex: str) -> bool:
    """True when a repeated part of the pattern itself repeats: the shape (star height above
    one) behind catastrophic backtracking, which Python's `re` cannot time out. Conservative:
    a few harmless patterns are refused too, and can always be written without the nesting."""
    repeats = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)

    def walk(items: Any, inside: bool) -> bool:
        for op, value in items:
            if op in repeats:
                low, high, sub = value
                many = high is _constants.MAXREPEAT or high > 1
                if many and inside:
                    return True
                if walk(sub, inside or many):
                    return True
            elif op is _constants.SUBPATTERN:
                if walk(value[-1], inside):
                    return True
            elif op is _constants.BRANCH:
                if any(walk(branch, inside) for branch in value[1]):
                    return True
            elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
                if walk(value[1], inside):
                    return True
        return False

    return walk(_parser.parse(regex), inside=False)


def _message(spec: Mapping[str, Any], key: str) -> LazyString | None:
    value = spec.get(key)
    return localized(value) if isinstance(value, Mapping) else None


def _field(
    definition: FieldDefinition,
    fills: dict[str, str],
    lists: choice_lists.ChoiceLists,
    values: dict[str, tuple[str | None, tuple[str, ...]]],
) -> Any:
    spec, kind = definition.spec, definition.type
    problems: list[str] = []
    label = localized(spec["label"])
    validators: list[Any] = []
    required = spec.get("required", False)
    if required:
        message = _message(spec, "required")
        if kind in ("number", "amount"):
            validators.append(InputRequired(message=message))
        else:
            validators.append(DataRequired(message=message))
    elif kind not in ("checkbox", "file"):
        validators.append(Optional())
    if kind in ("text", "long_text"):
        least = int(spec.get("min_length", 0))
        most = int(spec.get("max_length", DEFAULT_MAX_LENGTH[kind]))
        if not 0 <= least <= most <= 100_000:
            problems.append(N_("min_length and max_length must be 0 ≤ min ≤ max ≤ 100000"))
        validators.append(Length(min=least, max=most))
        pattern = spec.get("pattern")
        if pattern is not None:
            if not isinstance(pattern, Mapping) or not isinstance(pattern.get("regex"), str):
                problems.append(N_("pattern needs a regex and its message in each language"))
            else:
                problems += text_problems(pattern, N_("pattern message"))
                try:
                    validators.append(Regexp(pattern["regex"], message=localized(pattern)))
                except re.error as exc:
                    problems.append(
                        N_(
                            "pattern %(regex)s is not a regular expression: %(error)s",
                            regex=repr(pattern["regex"]),
                            error=str(exc),
                        )
                    )
                else:
                    if _nested_repetition(pattern["regex"]):
                        problems.append(
                            N_(
                                "pattern %(regex)s repeats a repetition (like (a+)+ or "
                                "(a*b?)*), which can take exponential time on some answers; "
                                "write it without a repeated group that repeats",
                                regex=repr(pattern["regex"]),
                            )
                        )
    elif "min_length" in spec or "max_length" in spec or "pattern" in spec:
        problems.append(N_("min_length, max_length and pattern are for text fields"))
    if kind in ("number", "amount") and ("min" in spec or "max" in spec):
        validators.append(
            NumberRange(
                min=spec.get("min"), max=spec.get("max"), message=_message(spec, "range_message")
            )
        )
    elif "min" in spec or "max" in spec:
        problems.append(N_("min and max are for numbers"))
    if spec.get("not_in_future"):
        if kind != "date":
            problems.append(N_("not_in_future is for dates"))
        validators.append(NotInFuture())
    for name in spec.get("validators", []):
        found = library.VALIDATORS.get(name)
        if found is None:
            problems.append(
                N_(
                    "unknown validator %(name)s (one of %(names)s)",
                    name=repr(name),
                    names=", ".join(library.VALIDATORS),
                )
            )
        else:
            validators.append(found())
    filters = []
    for name in spec.get("filters", []):
        found = library.FILTERS.get(name)
        if found is None:
            problems.append(
                N_(
                    "unknown filter %(name)s (one of %(names)s)",
                    name=repr(name),
                    names=", ".join(library.FILTERS),
                )
            )
        else:
            filters.append(found)
    kwargs: dict[str, Any] = {"validators": validators}
    if filters:
        kwargs["filters"] = filters
    if "help" in spec:
        kwargs["description"] = localized(spec["help"])
    if "default" in spec:
        kwargs["default"] = spec["default"]
    if kind in CHOICE_TYPES:
        kwargs["choices"] = _choices(definition, fills, problems, lists, values)
    elif "choices" in spec or "choices_from" in spec:
        problems.append(N_("choices are for choice, multiple_choice and checklist fields"))
    if problems:
        raise DefinitionError(problems)
    return _FIELD_CLASSES[kind](spec)(label, **kwargs)


def _choices(
    definition: FieldDefinition,
    fills: dict[str, str],
    problems: list[str],
    lists: choice_lists.ChoiceLists,
    values: dict[str, tuple[str | None, tuple[str, ...]]],
) -> Any:
    spec = definition.spec
    blank: Any = None
    if definition.type == "choice" and spec.get("widget") != "radio":
        placeholder = spec.get("placeholder", True)
        if isinstance(placeholder, Mapping):
            problems += text_problems(placeholder, N_("placeholder"))
            blank = localized(placeholder)
        elif placeholder:
            blank = PLACEHOLDER
    if "choices_from" in spec:
        source = spec["choices_from"]
        if source not in library.CHOICE_SOURCES:
            problems.append(
                N_(
                    "unknown choices_from %(name)s (one of %(names)s)",
                    name=repr(source),
                    names=", ".join(library.CHOICE_SOURCES),
                )
            )
        fills[definition.name] = str(source)
        return options((), blank)
    chosen = spec.get("choices")
    if isinstance(chosen, str):
        found = lists.choices(chosen) if chosen in lists else library.LISTS.get(chosen)
        if found is None:
            problems.append(
                N_(
                    "unknown list %(name)s (one of %(names)s)",
                    name=repr(chosen),
                    names=", ".join(sorted({*lists.names(), *library.LISTS})),
                )
            )
            return []
        values[definition.name] = (chosen, tuple(str(value) for value, _ in found))
        return options(found, blank)
    if not isinstance(chosen, list) or not chosen:
        problems.append(N_("choices must name a list or list the choices"))
        return []
    inline = []
    for item in chosen:
        if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
            problems.append(N_("each choice needs a value (text) and a label in each language"))
            continue
        problems += text_problems(
            item.get("label"), N_("choice %(value)s", value=repr(item["value"]))
        )
        inline.append((item["value"], localized(item.get("label") or {})))
    given = [value for value, _ in inline]
    if len(set(given)) != len(given):
        problems.append(N_("two choices have the same value"))
    values[definition.name] = (None, tuple(given))
    return options(tuple(inline), blank)


def _unknown_values(
    shown: Mapping[str, Condition],
    rules: list[Rule],
    values: Mapping[str, tuple[str | None, tuple[str, ...]]],
) -> list[str]:
    """A condition comparing a choice field with a value it does not offer never holds (a
    value renamed or removed from its list): each such comparison, named."""
    conditions_of = [(N_("field %(name)s shown_when", name=repr(n)), c) for n, c in shown.items()]
    for number, rule in enumerate(rules, 1):
        for key in ("when", "check"):
            condition = getattr(rule, key, None)
            if isinstance(condition, Condition):
                where = N_("rule %(number)s %(key)s", number=number, key=key)
                conditions_of.append((where, condition))
    problems = []
    for where, condition in conditions_of:
        for name, value in compared_values(condition.tree):
            if name in values and value not in values[name][1]:
                problems.append(value_problem(where, name, value, values[name][0]))
    return problems


def compared_values(tree: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (field, text value) pairs a condition's tree compares."""
    found: list[tuple[str, str]] = []
    for key in ("all", "any"):
        for sub in tree.get(key, ()):
            found += compared_values(sub)
    if "not" in tree:
        found += compared_values(tree["not"])
    if "field" in tree:
        for key in ("equals", "contains"):
            if isinstance(tree.get(key), str):
                found.append((tree["field"], tree[key]))
        found += [(tree["field"], v) for v in tree.get("in", ()) if isinstance(v, str)]
    return found


def value_problem(where: str, name: str, value: str, listed: str | None) -> str:
    """The problem of a comparison with a value the field's choices do not have."""
    if listed is None:
        return N_(
            "%(where)s compares %(field)s with %(value)s, which is not one of its choices",
            where=where,
            field=name,
            value=repr(value),
        )
    return N_(
        "%(where)s compares %(field)s with %(value)s, which the list %(list)s does not have",
        where=where,
        field=name,
        value=repr(value),
        list=listed,
    )


def _rules(raw_rules: Any, types: Mapping[str, str], problems: list[str]) -> list[Rule]:
    if not isinstance(raw_rules, list):
        problems.append(N_("rules must be a list of [[rules]] tables"))
        return []
    rules = []
    for number, raw in enumerate(raw_rules, 1):
        where: str = N_("rule %(number)s", number=number)
        if not isinstance(raw, Mapping):
            problems.append(N_("%(where)s is not a table", where=where))
            continue
        problems += [
            N_("%(where)s: unknown setting %(key)s", where=where, key=repr(k))
            for k in sorted(set(raw) - RULE_KEYS)
        ]
        if "python" in raw:
            coded = library.RULES.get(raw["python"])
            if coded is None:
                problems.append(
                    N_(
                        "%(where)s: unknown python rule %(name)s",
                        where=where,
                        name=repr(raw["python"]),
                    )
                )
            elif not set(coded.reads) <= set(types):
                problems.append(
                    N_(
                        "%(where)s: %(name)s needs the fields %(fields)s",
                        where=where,
                        name=raw["python"],
                        fields=", ".join(coded.reads),
                    )
                )
            else:
                rules.append(coded.rule)
            continue
        target = raw.get("field")
        if target not in types:
            problems.append(
                N_(
                    "%(where)s: field %(name)s is not a field of this form",
                    where=where,
                    name=repr(target),
                )
            )
            continue
        problems += text_problems(raw.get("message"), N_("%(where)s message", where=where))
        parsed: dict[str, Condition | None] = {"when": None, "check": None}
        for key in parsed:
            if key in raw:
                try:
                    parsed[key] = conditions.parse(str(raw[key]), types)
                except ConditionError as exc:
                    problems.append(
                        N_("%(where)s %(key)s: %(error)s", where=where, key=key, error=str(exc))
                    )
        rules.append(
            Rule(
                field=target,
                message=localized(raw.get("message") or {"en": "Check this field."}),
                when=parsed["when"],
                check=parsed["check"],
            )
        )
    return rules


def _number(spec: Mapping[str, Any]) -> Callable[..., Field]:
    return library.WholeNumberField if spec.get("whole") else library.NumberField


_FIELD_CLASSES: dict[str, Callable[[Mapping[str, Any]], Callable[..., Field]]] = {
    "text": lambda spec: StringField,
    "long_text": lambda spec: TextAreaField,
    "number": _number,
    "amount": lambda spec: AmountField,
    "date": lambda spec: DateField,
    "choice": lambda spec: RadioField if spec.get("widget") == "radio" else SelectField,
    "multiple_choice": lambda spec: SelectMultipleField,
    "checkbox": lambda spec: BooleanField,
    "checklist": lambda spec: ChecklistField,
    "file": lambda spec: TaskFilesField,
}
