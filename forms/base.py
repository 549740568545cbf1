"""What every task form shares: task data out, a JSON Schema, and JSON input in."""

import gettext
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    EmailField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.core import UnboundField
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

NOT_TASK_DATA = frozenset({"submit", "csrf_token"})
MAX_AMOUNT = Decimal("999999999999.99")
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


class TaskForm(Form):
    """A form whose data completes a user task, or starts the procedure."""

    class Meta:
        """Strip text input; translate WTForms' own messages."""

        def bind_field(
            self, form: Form, unbound_field: UnboundField, options: dict[str, Any]
        ) -> Field:
            """Bind a field, with surrounding white space stripped from text (not passwords)."""
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                filters = unbound_field.kwargs.get("filters") or ()
                options = {**options, "filters": (_strip, *filters)}
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form: Form) -> WTFormsTranslations:
            """The translations of WTForms' built-in messages."""
            return WTFORMS_TRANSLATIONS

    def task_data(self) -> dict[str, Any]:
        """The form's values as task data, in plain Python types."""
        return {field.short_name: _task_value(field) for field in self if _is_task_data(field)}

    @classmethod
    def json_schema(cls, form: Form | None = None) -> dict[str, Any]:
        """A JSON Schema of the task data this form accepts, for the API's OpenAPI document.

        Pass a `form` whose choices the caller filled from data (service providers) to list
        those choices; without one, the schema holds the choices declared on the class.
        """
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in form if form is not None else cls():
            if not _is_task_data(field):
                continue
            properties[field.short_name] = _field_schema(field)
            if _is_required(field):
                required.append(field.short_name)
        schema: dict[str, Any] = {"title": cls.__name__}
        if cls.__doc__:
            schema["description"] = cls.__doc__.strip().splitlines()[0]
        schema |= {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema


WTFORMS_TRANSLATIONS = WTFormsTranslations()


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


class AmountField(DecimalField):
    """An amount of money: empty means none; otherwise 0 or more, with at most two decimals."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the amount; an empty input is no amount rather than an error."""
        if valuelist and isinstance(valuelist[0], str) and not valuelist[0].strip():
            self.data = None
            return
        super().process_formdata(valuelist)

    def pre_validate(self, form: Form) -> None:
        """Refuse NaN, infinities, negative or huge amounts, and fractions of a cent."""
        amount = self.data
        if amount is None or self.process_errors:
            return
        if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
            raise StopValidation(
                _l("Enter an amount between 0 and %(max)s.", max=f"{MAX_AMOUNT:,}")
            )
        places = 2 if self.places is None else self.places
        if amount.normalize().as_tuple().exponent < -places:
            raise StopValidation(_l("Use at most %(places)d decimals.", places=places))


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


def formdata_from_json(form_cls: type[Form], payload: Mapping[str, Any]) -> MultiDict[str, str]:
    """Form data for `form_cls` from a JSON object, so that the same form validates API input.

    True becomes "y" and False is left out (as a browser does for a checkbox), a list becomes
    repeated keys, numbers become text, dates become ISO text. Keys the form does not have are
    dropped. Raises ValueError if the payload is not an object or a value is an object.
    """
    if not isinstance(payload, Mapping):
        raise ValueError("The input must be a JSON object.")
    fields = {field.short_name: field for field in form_cls()}
    formdata: MultiDict[str, str] = MultiDict()
    for name, value in payload.items():
        field = fields.get(name)
        if field is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            text = _form_value(field, name, item)
            if text is not None:
                formdata.add(field.name, text)
    return formdata


def _form_value(field: Field, name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        if isinstance(field, BooleanField):
            return "y" if value else None
        return "true" if value else "false"
    if isinstance(value, datetime):
        if isinstance(field, DateField):
            return value.date().isoformat()
        if isinstance(field, DateTimeField):
            return value.strftime(field.format[0])
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    raise ValueError(f"{name}: expected text, a number, true/false, or a list of them.")


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
    elif isinstance(field, DateField) and field.format == ["%Y-%m-%d"]:
        schema["type"] = "string"
        schema["format"] = "date"
    elif isinstance(field, DateTimeField):
        schema["type"] = "string"
        schema["pattern"] = "|".join(_format_pattern(f) for f in field.format)
    else:
        schema["type"] = "string"
    if isinstance(field, EmailField):
        schema["format"] = "email"
    for validator in field.validators:
        _apply_validator(schema, validator)
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


def _json_type(coerce: Any) -> str:
    return "integer" if coerce is int else "string"


def _choice_values(field: SelectField) -> list[Any]:
    return [c.value if c.value == "" else field.coerce(c.value) for c in field.iter_choices()]


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
