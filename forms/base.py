"""What every task form shares: task data out, a JSON Schema, and JSON input in.

jsonschema (about 3 MiB with its referencing and rpds) is imported by the first payload
checked against a schema: an API request, never a page, the Celery worker or gunicorn's
master.
"""

from __future__ import annotations

import gettext
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields import (
    BooleanField,
    DateField,
    DateTimeField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    Field,
    FloatField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from forms.conditions import BLANK_PATTERN, Condition, tree_schema
from forms.numbers import MAX_INT, BoundedIntegerField

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as JsonSchemaError

NOT_TASK_DATA = frozenset({"submit", "csrf_token"})
# The amount columns are Numeric(12, 2): at most ten digits before the decimal point.
MAX_AMOUNT = Decimal("9999999999.99")
NO_NUL: dict[str, Any] = {"not": {"pattern": "\\u0000"}}
# The date and time somewhere on Earth is at most UTC+14: later than that is the future everywhere.
LATEST_UTC_OFFSET = timedelta(hours=14)


class WTFormsTranslations:
    """WTForms' own messages ("Not a valid choice.") in the locale Flask-Babel selected."""

    def gettext(self, string: str) -> str:
        """Translate `string` when the message is built, that is at validation time."""
        return _catalog(_locale_name()).gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate a message with a plural form."""
        return _catalog(_locale_name()).ngettext(singular, plural, n)


def _locale_name() -> str | None:
    try:
        locale = get_locale()  # None outside an app context
    except RuntimeError:
        # The app's locale selector reads the request or session and there is none (CLI,
        # jobs, service tests): WTForms' messages stay in English rather than failing.
        return None
    return str(locale) if locale is not None else None


@lru_cache(maxsize=16)
def _catalog(locale: str | None) -> gettext.NullTranslations:
    if locale is None:
        return gettext.NullTranslations()
    return gettext.translation("wtforms", messages_path(), [locale], fallback=True)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: when `when` holds, `check` must (by default: `field` is filled).

    Its message goes on `field`. A rule written in Python gives `python` (the form in, a
    message or None out) and its JSON Schema in `schema`.
    """

    field: str
    message: Any
    when: Condition | None = None
    check: Condition | None = None
    python: Callable[[Form], Any] | None = None
    schema: dict[str, Any] | None = None

    def broken(self, form: TaskForm, values: Mapping[str, Any]) -> Any:
        """The message when the rule is not met by these values, else None."""
        if self.python is not None:
            return self.python(form)
        if self.when is not None and not self.when.holds(values):
            return None
        met = self.check.holds(values) if self.check is not None else bool(values.get(self.field))
        return None if met else self.message


class TaskForm(Form):
    """A form whose data completes a user task, or starts the procedure."""

    # Conditional fields declared in code: {field: (controlling field, value)}. The field
    # applies only when the controlling field has the value: True/False for a checkbox, a
    # text for a choice, or a collection of texts for "one of them" (a checklist: any of
    # them ticked). Definitions (forms.definitions) give `conditions` directly.
    shown_when: ClassVar[dict[str, tuple[str, Any]]] = {}
    # {field: Condition}: the page hides the field unless it holds (static/js/conditional.js),
    # the server neither requires nor keeps it, and the JSON Schema says so (x-shown-when,
    # and if/then for what it requires).
    conditions: ClassVar[dict[str, Condition]] = {}
    # Cross-field rules, checked after each field's own validators.
    rules: ClassVar[tuple[Rule, ...]] = ()
    # {field: definition type} (forms.definitions.FIELD_TYPES); derived from the fields if empty.
    field_types: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.shown_when and "conditions" not in cls.__dict__:
            cls.conditions = {
                name: Condition.field_set(*condition) for name, condition in cls.shown_when.items()
            }

    class Meta:
        """Strip text input; translate WTForms' own messages; mark conditional fields."""

        def bind_field(
            self, form: Form, unbound_field: UnboundField, options: dict[str, Any]
        ) -> Field:
            """Bind a field, with surrounding white space stripped from text (not passwords)."""
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                filters = unbound_field.kwargs.get("filters") or ()
                options = {**options, "filters": (_strip, *filters)}
            condition = getattr(form, "conditions", {}).get(options.get("name", ""))
            if condition is not None:
                # The page's script reads this attribute to show the field only when it applies.
                render_kw = dict(unbound_field.kwargs.get("render_kw") or {})
                render_kw["data-shown-when"] = json.dumps(condition.tree)
                options = {**options, "render_kw": render_kw}
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form: Form) -> WTFormsTranslations:
            """The translations of WTForms' built-in messages."""
            return WTFORMS_TRANSLATIONS

    def applies(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """True when the field `name` applies given the other answers (see conditions)."""
        condition = self.conditions.get(name)
        if condition is None:
            return True
        if name in seen:
            return False  # a cycle (refused at deploy): the field never shows
        values = {
            read: _task_value(self[read]) if self.applies(read, seen | {name}) else None
            for read in condition.names
            if read in self._fields
        }
        return condition.holds(values)

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        """Validate; a field that does not apply is neither required nor kept; then the rules."""
        super().validate(extra_validators)
        for name in self.conditions:
            if name in self._fields and not self.applies(name):
                field = self[name]
                field.errors = []
                field.data = _empty_value(field)
        if self.rules:
            values = {f.short_name: _task_value(f) for f in self if _is_task_data(f)}
            for rule in self.rules:
                field = self._fields.get(rule.field)
                if field is None or field.errors or not self.applies(rule.field):
                    continue
                message = rule.broken(self, values)
                if message is not None:
                    field.errors = [*field.errors, message]
        return not self.errors

    def fill_choices(self, name: str, pairs: Iterable[tuple[Any, str]]) -> None:
        """Offer these (value, label) choices in field `name`, after its empty option if any."""
        field = self[name]
        head = [c for c in field.choices or () if getattr(c, "value", None) == ""][:1]
        field.choices = head + [SelectChoice(str(value), text) for value, text in pairs]

    def task_data(self) -> dict[str, Any]:
        """The form's values as task data, in plain Python types."""
        return {field.short_name: _task_value(field) for field in self if _is_task_data(field)}

    @classmethod
    def types(cls, form: Form | None = None) -> dict[str, str]:
        """Each field's definition type (text, choice, checklist...), for condition schemas."""
        if cls.field_types:
            return dict(cls.field_types)
        return {f.short_name: field_kind(f) for f in (form or cls()) if _is_task_data(f)}

    @classmethod
    def json_schema(cls, form: Form | None = None) -> dict[str, Any]:
        """A JSON Schema of the task data this form accepts, for the API's OpenAPI document.

        Exact both ways: no other keys, the JSON types formdata_from_json takes, and the
        form's cross-field rules as if/then; a body valid against it passes the form (apart
        from rules that need the database, which the description says). Pass a `form` whose
        choices the caller filled from data (service providers) to list those choices;
        without one, the schema holds the choices declared on the class.
        """
        properties: dict[str, Any] = {}
        required: list[str] = []
        conditional: list[dict[str, Any]] = []
        form = form if form is not None else cls()
        types = cls.types(form)
        for field in form:
            if not _is_task_data(field):
                continue
            properties[field.short_name] = _field_schema(field)
            properties[field.short_name] |= cls.json_schema_overrides().get(field.short_name, {})
            condition = cls.conditions.get(field.short_name)
            if condition is not None:
                properties[field.short_name]["x-shown-when"] = condition.tree
                if _is_required(field) and not isinstance(field, TaskFilesField):
                    conditional.append(
                        {
                            "if": condition.schema(types),
                            "then": {"required": [field.short_name]},
                        }
                    )
            elif _is_required(field) and not isinstance(field, TaskFilesField):
                required.append(field.short_name)
        schema: dict[str, Any] = {"title": cls.__name__}
        if cls.__doc__:
            schema["description"] = cls.__doc__.strip().splitlines()[0]
        schema |= {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        rules = conditional + [cls._rule_schema(rule, types) for rule in cls.rules]
        rules += cls.json_schema_rules()
        if rules:
            schema["allOf"] = rules
        return schema

    @classmethod
    def _rule_schema(cls, rule: Rule, types: Mapping[str, str]) -> dict[str, Any]:
        if rule.schema is not None:
            return rule.schema
        then = (
            rule.check.schema(types)
            if rule.check is not None
            else tree_schema({"field": rule.field, "filled": True}, types)
        )
        then = {**then, "x-field": rule.field}
        guards = [c.schema(types) for c in (cls.conditions.get(rule.field), rule.when) if c]
        if not guards:
            return then
        return {"if": guards[0] if len(guards) == 1 else {"allOf": guards}, "then": then}

    @classmethod
    def json_schema_overrides(cls) -> dict[str, dict[str, Any]]:
        """Keywords that replace the derived ones of some fields (say, a stricter pattern)."""
        return {}

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """Cross-field rules written as JSON Schema by a form declared in code."""
        return []


def field_kind(field: Field) -> str:
    """The definition type of a WTForms field (forms.definitions.FIELD_TYPES)."""
    if isinstance(field, BooleanField):
        return "checkbox"
    if isinstance(field, ChecklistField):
        return "checklist"
    if isinstance(field, SelectMultipleField):
        return "multiple_choice"
    if isinstance(field, SelectField):
        return "choice"
    if isinstance(field, AmountField):
        return "amount"
    if isinstance(field, DecimalField | FloatField | IntegerField):
        return "number"
    if isinstance(field, DateField):
        return "date"
    if isinstance(field, MultipleFileField | TaskFilesField):
        return "file"
    if isinstance(field, TextAreaField):
        return "long_text"
    return "text"


def _empty_value(field: Field) -> Any:
    if isinstance(field, BooleanField):
        return False
    if isinstance(field, SelectMultipleField):
        return []
    if isinstance(field, DecimalField | FloatField | IntegerField | DateField | DateTimeField):
        return None
    if isinstance(field, SelectField) and field.coerce is not str:
        return None
    return ""


# A text the form does not take as empty: something left once white space is stripped.
FILLED_TEXT: dict[str, Any] = {"type": "string", "not": {"pattern": BLANK_PATTERN}}


def needs(**properties: dict[str, Any]) -> dict[str, Any]:
    """A schema requiring each property, with the given schema."""
    return {"required": list(properties), "properties": properties}


def when(name: str, value: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """If the property `name` is present and matches `value`, `then` applies."""
    return {"if": {"properties": {name: value}, "required": [name]}, "then": then}


WTFORMS_TRANSLATIONS = WTFormsTranslations()


class TranslatedForm(Form):
    """A form whose WTForms messages ("Not a valid date value.", "Not a valid choice.") are in
    the reader's language, as the messages written for it are."""

    class Meta:
        def get_translations(self, form: Form) -> WTFormsTranslations:
            """The translations of WTForms' built-in messages."""
            return WTFORMS_TRANSLATIONS


class ChecklistBox(CheckboxInput):
    """One box of a checklist, never `required` in HTML."""

    def __call__(self, field: Field, **kwargs: Any) -> Any:
        """Render the box; a required checklist is checked on the server."""
        # Browsers read `required` on each box as "tick every one", not "tick at least one".
        kwargs.setdefault("required", False)
        return super().__call__(field, **kwargs)


class ChecklistField(SelectMultipleField):
    """Several choices, rendered as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = ChecklistBox()


class TaskFilesWidget:
    """The files attached to the task, listed; they are added in the task's file section."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        """A list of the attached files' names, or a line saying there is none yet."""
        if not field.data:
            return Markup('<p class="hint" id="{}">{}</p>').format(
                field.id,
                _l(
                    "No file attached to this task yet: add them under "
                    "“Staff documents of this task”."
                ),
            )
        items = Markup("").join(Markup("<li>{}</li>").format(f["name"]) for f in field.data)
        return Markup('<ul id="{}" class="task-files">{}</ul>').format(field.id, items)


class TaskFilesField(Field):
    """A form's file field: the files attached to the task when it is completed.

    Files are uploaded to the task (its "Files" section, checked like every upload); the
    form records which ones it was completed with ([{id, name}]). Nothing is posted for it.
    """

    widget = TaskFilesWidget()

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Posted values are ignored: the files are the task's."""

    def _value(self) -> str:
        return ""


class BlankIsNone:
    """A number field left empty holds no number (None) rather than an error: whether it
    is needed is said by its required flag or a rule."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the number; an empty input is None."""
        if valuelist and isinstance(valuelist[0], str) and not valuelist[0].strip():
            self.data = None
            return
        super().process_formdata(valuelist)  # type: ignore[misc]


class AmountField(BlankIsNone, DecimalField):
    """An amount of money: empty means none; otherwise 0 or more, with at most two decimals."""

    def pre_validate(self, form: Form) -> None:
        """Refuse NaN, infinities, negative or huge amounts, and fractions of a cent."""
        amount = self.data
        if amount is None or self.process_errors:
            return
        if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
            raise StopValidation(
                _l(
                    "Enter an amount between 0 and %(max)s.",
                    max=format_decimal(MAX_AMOUNT, format="#,##0.00"),  # in the reader's way
                )
            )
        places = 2 if self.places is None else self.places
        if amount.normalize().as_tuple().exponent < -places:
            raise StopValidation(_l("Use at most %(places)d decimals.", places=places))


class NoPlaceholder:
    """Refuse a letter that still holds a "[...]" part of its draft, naming the first one.

    Square brackets mark what the draft leaves for the handler to write; any text between
    them (or none: "[]") counts, so a letter never reaches a complainant half written.
    """

    PATTERN = r"\[[^\]]*\]"

    def __call__(self, form: Form, field: Field) -> None:
        """Raise naming the first placeholder left in the text."""
        found = re.search(self.PATTERN, field.data or "")
        if found is not None:
            raise ValidationError(
                _l(
                    "Replace the part %(part)s with your text before sending the letter.",
                    part=found.group(0)[:80],
                )
            )


class WithinLastYear:
    """Refuse a date and time more than a year ago (a receipt date mistyped as 1900)."""

    def __init__(self, message: str | LazyString | None = None) -> None:
        self.message = message or _l("Give a date within the last year.")

    def __call__(self, form: Form, field: Field) -> None:
        """Raise if the field's date and time is earlier than a year before now (any zone)."""
        earliest = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=366)
        if isinstance(field.data, datetime) and field.data < earliest:
            raise ValidationError(self.message)


class NotInFuture:
    """Refuse a date, or date and time, that is in the future."""

    def __init__(self, message: str | LazyString | None = None) -> None:
        self.message = message or _l("This cannot be in the future.")

    def __call__(self, form: Form, field: Field) -> None:
        """Raise if the field's date is later than the latest date anywhere on Earth."""
        latest = datetime.now(UTC).replace(tzinfo=None) + LATEST_UTC_OFFSET
        value = field.data
        if isinstance(value, datetime):
            too_late = value > latest
        elif isinstance(value, date):
            too_late = value > latest.date()
        else:
            return
        if too_late:
            raise ValidationError(self.message)


class JsonInputError(ValueError):
    """A JSON body that does not fit a form; `errors` maps each field (or "body") to messages."""

    def __init__(self, errors: dict[str, list[Any]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items())
        )

    def messages(self) -> dict[str, list[str]]:
        """The messages as plain text, in the request's language."""
        return {name: [str(m) for m in msgs] for name, msgs in self.errors.items()}


def formdata_from_json(form_cls: type[Form], payload: Any) -> MultiDict[str, str]:
    """Form data for `form_cls` from a JSON object, so that the same form validates API input.

    Each value must have the JSON type the form's schema publishes: true/false for a checkbox
    (true becomes "y", false is left out, as a browser does), a list for a multiple choice, a
    number for a number, text for text; null is the same as leaving the field out. Anything
    else, and any key the form does not have, raises JsonInputError naming each field, rather
    than being read as text (WTForms takes any text, "0" and "no" too, as a ticked box).
    """
    if not isinstance(payload, Mapping):
        raise JsonInputError({"body": [_l("The input must be a JSON object.")]})
    fields = _json_fields(form_cls)
    formdata: MultiDict[str, str] = MultiDict()
    errors: dict[str, list[Any]] = {}
    for name, value in payload.items():
        field = fields.get(name)
        if field is None:
            errors[str(name)] = [_l("This field is not part of the form.")]
            continue
        if value is None:
            continue
        if isinstance(field, TaskFilesField):
            errors[name] = [_l("Attach files to the task; they are not sent with the form.")]
            continue
        try:
            for text in _form_values(field, value):
                formdata.add(field.name, text)
        except _WrongType as exc:
            errors[name] = [exc.message]
    if errors:
        raise JsonInputError(errors)
    return formdata


# Entries a per-form cache keeps at most (forms as data make a class per definition and
# version): past it, the cache starts again empty.
_MAX_CACHED = 256


def _cached(store: dict[Any, Any], key: Any, make: Callable[[], Any]) -> Any:
    """`store[key]`, made by `make()` the first time."""
    value = store.get(key)
    if value is None:
        if len(store) >= _MAX_CACHED:
            store.clear()
        value = store[key] = make()
    return value


# Each form class's task data fields by name: formdata_from_json reads only their types and
# names, so one unbound instance per class serves every request.
_JSON_FIELDS: dict[type[Form], dict[str, Field]] = {}


def _json_fields(form_cls: type[Form]) -> dict[str, Field]:
    return _cached(
        _JSON_FIELDS,
        form_cls,
        lambda: {field.short_name: field for field in form_cls() if _is_task_data(field)},
    )


class _WrongType(Exception):
    def __init__(self, message: LazyString) -> None:
        self.message = message


def _form_values(field: Field, value: Any) -> list[str]:
    if isinstance(field, SelectMultipleField):
        if not isinstance(value, list | tuple):
            raise _WrongType(_l("Send a list."))
        return [_scalar_text(field, item, in_list=True) for item in value]
    if isinstance(value, list | tuple):
        raise _WrongType(_l("Send a single value, not a list."))
    if isinstance(field, BooleanField):
        if not isinstance(value, bool):
            raise _WrongType(_l("Send true or false."))
        return ["y"] if value else []
    return [_scalar_text(field, value)]


def _scalar_text(field: Field, value: Any, in_list: bool = False) -> str:
    """The text a browser would post for one JSON value, if the value has the field's type."""
    if isinstance(field, IntegerField) or (
        isinstance(field, SelectField | SelectMultipleField) and field.coerce is int
    ):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _WrongType(_l("Send whole numbers.") if in_list else _l("Send a whole number."))
        return str(value)
    if isinstance(field, DecimalField | FloatField):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise _WrongType(_l("Send a number."))
        if isinstance(value, float) and not math.isfinite(value):
            raise _WrongType(_l("Send a finite number."))
        return str(value)
    if isinstance(value, datetime):  # Python callers (services, tests) may pass dates
        if isinstance(field, DateField):
            return value.date().isoformat()
        if isinstance(field, DateTimeField):
            return value.strftime(field.format[0])
    if isinstance(value, date) and isinstance(field, DateField | DateTimeField):
        return value.isoformat()
    if not isinstance(value, str):
        raise _WrongType(_l("Send text in each item.") if in_list else _l("Send text."))
    return value


def _is_task_data(field: Field) -> bool:
    return field.short_name not in NOT_TASK_DATA and not isinstance(
        field, SubmitField | CSRFTokenField
    )


def _is_required(field: Field) -> bool:
    return any(isinstance(v, DataRequired | InputRequired) for v in field.validators)


def _task_value(field: Field) -> Any:
    data = field.data
    if isinstance(field, BooleanField):
        return bool(data)
    if isinstance(field, SelectMultipleField):
        return list(data or [])
    if isinstance(field, DecimalField | FloatField | IntegerField | DateTimeField):
        return data  # None when empty
    if isinstance(field, SelectField):
        return "" if data is None and field.coerce is str else data
    if isinstance(field, StringField):
        return data or ""
    return data


def _field_schema(field: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": str(field.label.text)}
    required = _is_required(field)
    if isinstance(field, TaskFilesField):
        return {
            "description": f"{field.label.text}: the files attached to the task (not sent "
            "here; the task data records them as [{id, name}])"
            + (", at least one." if required else "."),
            "type": "array",
            "readOnly": True,
            "maxItems": 0,
        }
    if isinstance(field, BooleanField):
        schema["type"] = "boolean"
        if required:
            schema["enum"] = [True]
    elif isinstance(field, SelectMultipleField):
        schema["type"] = "array"
        schema["items"] = {"type": _json_type(field.coerce)}
        if field.choices is not None:
            schema["items"]["enum"] = _choice_values(field)
        schema["uniqueItems"] = True
        if required:
            schema["minItems"] = 1
    elif isinstance(field, SelectField):
        schema["type"] = _json_type(field.coerce)
        if field.choices is not None:
            values = _choice_values(field)
            schema["enum"] = [v for v in values if v != ""] if required else values
    elif isinstance(field, IntegerField):
        schema["type"] = "integer"
    elif isinstance(field, DecimalField | FloatField):
        schema["type"] = "number"
        if isinstance(field, AmountField):
            schema["minimum"] = 0
            schema["maximum"] = float(MAX_AMOUNT)
            # Read as the decimal the JSON text writes (json_validator), not as a binary float.
            schema["multipleOf"] = 10 ** -(2 if field.places is None else field.places)
    elif isinstance(field, DateField) and field.format == ["%Y-%m-%d"]:
        schema["type"] = "string"
        schema["format"] = "date"
        if any(isinstance(v, NotInFuture) for v in field.validators):
            # ajv-formats' keyword, checked by json_validator: today somewhere on Earth.
            latest = datetime.now(UTC).replace(tzinfo=None) + LATEST_UTC_OFFSET
            schema["formatMaximum"] = latest.date().isoformat()
    elif isinstance(field, DateTimeField):
        schema["type"] = "string"
        schema["pattern"] = "|".join(_format_pattern(f) for f in field.format)
        if isinstance(field, DateTimeLocalField):
            schema["description"] += (
                ", in the organisation's local time (its business calendar's time zone), "
                "without a UTC offset"
            )
    else:
        schema["type"] = "string"
    if isinstance(field, EmailField):
        schema["format"] = "email"
    for validator in field.validators:
        _apply_validator(schema, validator)
    if isinstance(field, BoundedIntegerField):  # no more than the database holds
        schema["minimum"] = max(schema.get("minimum", -MAX_INT), -MAX_INT)
        schema["maximum"] = min(schema.get("maximum", MAX_INT), MAX_INT)
    rules = []
    content = _content_rule(field)
    if content is not None:
        rules.append(content)
    if any(isinstance(v, NoPlaceholder) for v in field.validators):
        rules.append({"not": {"pattern": NoPlaceholder.PATTERN}})
    if schema["type"] == "string" and "enum" not in schema and "format" not in schema:
        # The request guard refuses NUL anywhere (PostgreSQL cannot store it in text).
        rules.append(NO_NUL)
    if rules:
        schema["allOf"] = rules
    if field.default not in (None, "") and not callable(field.default):
        schema["default"] = field.default
    return schema


def _apply_validator(schema: dict[str, Any], validator: Any) -> None:
    if isinstance(validator, Length) and schema["type"] == "string":
        if validator.min > 0:
            schema["minLength"] = validator.min
        if validator.max >= 0:
            schema["maxLength"] = validator.max
    elif isinstance(validator, NumberRange):
        if validator.min is not None:
            schema["minimum"] = validator.min
        if validator.max is not None:
            schema["maximum"] = validator.max
    elif isinstance(validator, Email):
        schema["format"] = "email"
    elif isinstance(validator, Regexp):
        schema["pattern"] = validator.regex.pattern


def _content_rule(field: Field) -> dict[str, Any] | None:
    """What a text field needs once stripped: something, or at least a length.

    Said as what is refused ("not" a pattern): a pattern beside a maxLength of thousands
    makes schema tools build huge automata; a negated one they only check.
    """
    if not isinstance(field, StringField):
        return None
    least = max((v.min for v in field.validators if isinstance(v, Length)), default=0)
    if _is_required(field):
        least = max(least, 1)
    optional = any(isinstance(v, Optional) for v in field.validators)
    if least <= 0 or (least == 1 and optional):
        return None
    if least == 1:
        return {"not": {"pattern": BLANK_PATTERN}}
    # Shorter than `least` once stripped (from the first to the last non-space character).
    short = r"\S" if least == 2 else rf"\S([\s\S]{{0,{least - 3}}}\S)?"
    if optional:  # blank is fine, too short is not
        return {"not": {"pattern": rf"^\s*{short}\s*$"}}
    return {"not": {"pattern": rf"^\s*({short})?\s*$"}}


def _json_type(coerce: Any) -> str:
    return "integer" if coerce is int else "string"


def _choice_values(field: SelectField) -> list[Any]:
    values = [c.value if c.value == "" else field.coerce(c.value) for c in field.iter_choices()]
    # Other spellings the field reads as one of its choices (a department's French name).
    also = getattr(field, "also_accepted", None)
    if callable(also):
        values += [value for value in also() if value not in values]
    return values


_DIRECTIVE_PATTERNS = {
    "%Y": r"\d{4}",
    "%m": r"\d{2}",
    "%d": r"\d{2}",
    "%H": r"\d{2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
}


def _format_pattern(strptime_format: str) -> str:
    """An ECMA-262 pattern (as JSON Schema uses) for a strptime format such as %Y-%m-%dT%H:%M."""
    parts = re.split(r"(%[YmdHMS])", strptime_format)
    return "^" + "".join(_DIRECTIVE_PATTERNS.get(p) or _escape(p) for p in parts) + "$"


def _escape(literal: str) -> str:
    # Not re.escape: it escapes "-", which ECMA-262 refuses outside a class in unicode mode.
    return "".join("\\" + c if c in r".^$*+?()[]{}|\/" else c for c in literal)


def _multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Any:
    """multipleOf over the decimal the JSON text writes: 19.99 is a multiple of 0.01."""
    if not validator.is_type(instance, "number"):
        return
    try:
        remainder = _decimal(instance) % _decimal(step)
    except (ArithmeticError, ValueError):
        remainder = Decimal(1)
    if remainder != 0:
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} is not a multiple of {step}")


def _decimal(number: Any) -> Decimal:
    return number if isinstance(number, Decimal) else Decimal(repr(number))


def _format_maximum(validator: Any, latest: Any, instance: Any, schema: Any) -> Any:
    """ajv-formats' formatMaximum for dates: ISO dates compare as text."""
    if (
        isinstance(instance, str)
        and schema.get("format") == "date"
        and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", instance)
        and instance > latest
    ):
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} is later than {latest}")


@cache
def _validator_parts() -> tuple[Any, Any]:
    """The validator class and format checker of the published schemas (built once)."""
    import jsonschema

    validator = jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        {"multipleOf": _multiple_of, "formatMaximum": _format_maximum},
    )
    # Dates are checked as dates; an email address by its published pattern (which also
    # takes the empty text a form may send), "email" being only an annotation beside it.
    return validator, jsonschema.FormatChecker(formats=["date"])


def json_validator(schema: dict[str, Any]) -> Any:
    """A validator of the published schemas: draft 2020-12 with dates checked, decimal
    multipleOf and formatMaximum on dates."""
    validator, format_checker = _validator_parts()
    return validator(schema, format_checker=format_checker)


def schema_errors(
    form_cls: type[TaskForm], payload: Any, form: Form | None = None
) -> dict[str, list[str]]:
    """What the form's published schema refuses in `payload`, by field name ("body" if none).

    With `form` (choices filled from data: support services, people) the task's own schema.
    """
    validator = _schema_validator(form_cls, form)
    schema = validator.schema
    probe = form
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(payload):
        for name in _error_fields(error, schema):
            messages = errors.setdefault(name, [])
            own = None
            if error.validator == "pattern":
                probe = probe if probe is not None else form_cls()
                own = _pattern_message(probe, name, error)
            message = str(own or schema_message(error))
            if message not in messages:
                messages.append(message)
    return errors


def _pattern_message(form: Form, name: str, error: JsonSchemaError) -> Any:
    """The message the field's own Regexp gives for the pattern the schema refused with ("Enter
    a reference such as C-2025-000042.", in the reader's language), if it gives one."""
    if error.validator != "pattern" or list(error.absolute_path) != [name]:
        return None
    field = form._fields.get(name)
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, Regexp) and validator.regex.pattern == error.validator_value:
            return validator.message
    return None


# What a draft's values are checked against of each field's published schema: the JSON type
# and the limits a value may not pass. A draft is unfinished, so nothing it may still lack is
# asked for: no required field, no least length or number of items, no pattern or format
# (half-typed), no cross-field rule, and an empty choice. null is a field left out.
DRAFT_KEYWORDS = frozenset(
    {"type", "maxLength", "maxItems", "maximum", "minimum", "multipleOf", "uniqueItems", "enum"}
)


def draft_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a draft of the form whose published schema is `schema` must fit: exact
    (no other keys, each value of its field's JSON type or null, within its limits), so that
    a body valid against it is kept and any other is refused."""
    properties: dict[str, Any] = {}
    for name, published in schema.get("properties", {}).items():
        if published.get("readOnly"):  # files: added to the task, never sent with the form
            properties[name] = {"description": published.get("description", ""), "type": "null"}
            continue
        kept = {k: v for k, v in published.items() if k in DRAFT_KEYWORDS}
        if published.get("type") == "boolean":
            kept.pop("enum", None)  # a box the finished form must tick ([true])
        elif "enum" in kept and published.get("type") == "string" and "" not in kept["enum"]:
            kept["enum"] = [*kept["enum"], ""]  # nothing chosen yet
        if "enum" in kept:
            kept["enum"] = [*kept["enum"], None]
        items = published.get("items")
        if isinstance(items, Mapping):
            kept["items"] = {k: v for k, v in items.items() if k in DRAFT_KEYWORDS}
        if published.get("type") == "string" and "enum" not in kept:
            # NUL is refused anywhere (a 400), in half-typed dates too; null is no text.
            kept["allOf"] = [{"not": {"type": "string", **NO_NUL["not"]}}]
        if "type" in kept:
            kept["type"] = [kept["type"], "null"]
        if "description" in published:
            kept = {"description": published["description"], **kept}
        properties[name] = kept
    draft: dict[str, Any] = {}
    if "title" in schema:
        draft["title"] = f"{schema['title']}Draft"
    return {**draft, "type": "object", "properties": properties, "additionalProperties": False}


def draft_errors(
    form_cls: type[TaskForm], payload: Any, form: Form | None = None
) -> dict[str, list[str]]:
    """What a draft's JSON body breaks of its draft schema (draft_schema), by field name:
    unknown fields, types, lengths, numbers of items, ranges, choices; every field at once.

    A wrong type is named as formdata_from_json names it ("Send text.", "Send a list."), the
    words every other body gets; the other limits as the published schema words them."""
    if not isinstance(payload, Mapping):
        return {"body": [str(_l("The input must be a JSON object."))]}
    fields = _json_fields(form_cls)
    errors: dict[str, list[str]] = {}
    checked: dict[str, Any] = {}
    for name, value in payload.items():
        try:
            formdata_from_json(form_cls, {name: value})
        except JsonInputError as exc:
            errors.update(exc.messages())
            continue
        if name in fields:
            checked[name] = value
    validator = _schema_validator(form_cls, form, draft=True)
    for error in validator.iter_errors(checked):
        for name in _error_fields(error, validator.schema):
            messages = errors.setdefault(name, [])
            message = str(schema_message(error))
            if message not in messages:
                messages.append(message)
    return errors


# A form's schema validators, built once per form class, filled choices and day: an API call
# checked its body against a schema it built anew each time.
_VALIDATORS: dict[tuple[Any, ...], Any] = {}


def _schema_validator(form_cls: type[TaskForm], form: Form | None, draft: bool = False) -> Any:
    """The validator of `form_cls`'s schema with `form`'s choices (json_schema), cached by
    what the schema depends on: the class, the choices the form was given, and today (the
    latest date a not-in-the-future date may take). Without a form, a fresh one's: choices
    read when a form is built (the procedure's lists, the departments) change with the data."""
    probe = form if form is not None else form_cls()
    choices = tuple(
        (f.short_name, tuple(map(str, _choice_values(f))))
        for f in probe
        if isinstance(f, SelectField | SelectMultipleField) and f.choices is not None
    )
    today = (datetime.now(UTC).replace(tzinfo=None) + LATEST_UTC_OFFSET).date()

    def make() -> Any:
        schema = form_cls.json_schema(probe)
        return json_validator(draft_schema(schema) if draft else schema)

    return _cached(_VALIDATORS, (form_cls, choices, today, draft), make)


def _error_fields(error: JsonSchemaError, schema: dict[str, Any]) -> list[str]:
    if error.absolute_path:
        return [str(error.absolute_path[0])]
    ruled = error.schema.get("x-field") if isinstance(error.schema, Mapping) else None
    if ruled:  # a rule's message goes on its field, whichever key it finds missing
        return [ruled]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        return [n for n in error.validator_value if n not in error.instance]
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        return [str(n) for n in error.instance if n not in schema["properties"]]
    field = error.schema.get("x-field") if isinstance(error.schema, Mapping) else None
    return [field or "body"]


def _decimal_places(step: Any) -> int | None:
    """n when `step` is 10 to the power -n (0.01: 2), else None."""
    try:
        exponent = Decimal(str(step)).normalize().as_tuple()
    except (InvalidOperation, ValueError):
        return None
    if exponent.digits == (1,) and isinstance(exponent.exponent, int) and exponent.exponent < 0:
        return -exponent.exponent
    return None


def schema_message(error: JsonSchemaError) -> LazyString:
    """What a published schema's refusal means, in words (the rule's name for the rare ones)."""
    rule, value = error.validator, error.validator_value
    blank = (rule == "pattern" and value == r"\S") or (
        rule == "not" and value == {"pattern": r"^\s*$"}
    )
    if rule == "required" or blank:  # missing, or only spaces where a text is needed
        return _l("This field is required.")
    if rule == "additionalProperties":
        return _l("This field is not part of the form.")
    if rule == "type":
        if isinstance(value, list):  # a draft's [type, "null"]: null is a field left out
            value = ", ".join(str(v) for v in value if v != "null")
        return _l("Send a value of type %(type)s.", type=value)
    if rule == "maxLength":
        return _l("At most %(max)d characters.", max=value)
    if rule == "minLength":
        if value == 1:  # an empty text where one is needed
            return _l("This field is required.")
        return _l("At least %(min)d characters.", min=value)
    if rule == "enum":
        # An empty text (a draft's choice left empty) is written as JSON writes it, "".
        # null (a draft's field left out) is no choice to offer.
        shown = (v if isinstance(v, str) and v else json.dumps(v) for v in value if v is not None)
        return _l("Choose one of: %(values)s.", values=", ".join(shown))
    if rule == "minimum":
        return _l("At least %(min)s.", min=value)
    if rule == "maximum":
        return _l("At most %(max)s.", max=value)
    if rule == "minItems":
        if value == 1:
            return _l("Choose at least one.")
        return _l("Choose at least %(min)d.", min=value)
    if rule == "uniqueItems":
        return _l("Each value at most once.")
    if rule == "format" and value == "date":
        return _l("Give a date as YYYY-MM-DD.")
    if rule == "multipleOf":
        places = _decimal_places(value)
        if places is not None:
            return _l("Use at most %(places)d decimals.", places=places)
        return _l("Give a multiple of %(step)s.", step=value)
    return _l("Not accepted by the published schema (%(rule)s).", rule=error.validator)
