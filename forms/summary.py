"""Recorded form data made readable: each value under its field's label, choices as labels."""

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectChoice
from wtforms.fields import BooleanField, DecimalField, Field, IntegerField, SelectFieldBase

from forms.base import AmountField
from forms.choices import label

YES = _l("Yes")
NO = _l("No")
# Data the application records itself with an event (messages sent, files added, timers).
RECORDED = {
    "channel": _l("Channel"),
    "subject": _l("Subject"),
    "attachment_id": _l("File number"),
    "filename": _l("File name"),
    "content_type": _l("File type"),
    "size": _l("Size in bytes"),
    "sha256": _l("SHA-256 fingerprint"),
    "at": _l("When"),
    "information": _l("Information sent"),
    "attachments": _l("Files"),
    "error": _l("Error"),
    "previous_error": _l("Previous error"),
    "posted_on": _l("Posted on"),
    "days": _l("Days"),
    "working_days": _l("Working days"),
    "saturdays": _l("Saturdays counted"),
    "tasks": _l("Steps"),
    "process_id": _l("Procedure"),
    "from_version": _l("From version"),
    "to_version": _l("To version"),
    "what": _l("What was opened"),
}


def describe(
    form_cls: type[Form] | None,
    data: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """(label, text) pairs for `data`, in the form's field order; empty values are left out.

    `labels` overrides a field's label (a form that speaks to the complainant, read by staff).
    Keys the form does not know (data recorded by an older form, or by the engine) follow,
    under their own name.
    """
    labels = labels or {}
    fields = {field.short_name: field for field in form_cls()} if form_cls else {}
    rows = [
        (str(labels.get(name) or field.label.text), _text(field, data[name]))
        for name, field in fields.items()
        if name in data
    ]
    rows += [
        (
            str(labels.get(name) or RECORDED.get(name) or name.replace("_", " ").capitalize()),
            _text(None, value),
        )
        for name, value in data.items()
        if name not in fields
    ]
    return [(name, text) for name, text in rows if text]


def _text(field: Field | None, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(field, BooleanField):
        return str(YES if value else NO)
    if isinstance(value, list | tuple):
        return ", ".join(_text(field, item) for item in value if item not in (None, ""))
    if isinstance(value, Mapping):
        return labelled(
            (RECORDED.get(k) or k.replace("_", " ").capitalize(), _text(None, v))
            for k, v in value.items()
            if v not in (None, "")
        )
    if isinstance(field, SelectFieldBase) and field.choices:
        if value == "":  # left on its placeholder ("Choose…"): nothing was chosen
            return ""
        pairs = [_pair(choice) for choice in field.choices]
        return str(label(pairs, str(value)))
    return number_text(field, value)


def number_text(field: Field | None, value: Any) -> str:
    """A number field's value (recorded as text or a number) in the reader's way of writing
    numbers ("1 250,50" in French), an amount with its two decimals; any other value as is
    (file numbers and sizes the application records are not a form's numbers)."""
    if not isinstance(field, DecimalField | IntegerField) or isinstance(value, bool):
        return str(value)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    pattern = "#,##0.00" if isinstance(field, AmountField) else None
    return str(format_decimal(number, format=pattern))


def labelled(parts: Iterable[tuple[Any, str]]) -> str:
    """Labelled values on one line ("Files: a.png; Information: …"), in the reader's
    typography (French puts a space before ":" and ";")."""
    return gettext("; ").join(
        gettext("%(label)s: %(value)s", label=str(name), value=text) for name, text in parts
    )


def colon(label: Any) -> str:
    """A label before its value ("Subject:"), in the reader's typography ("Objet :", with a
    no-break space)."""
    # The labelled value's own message, without its value: one translation of the spacing.
    return gettext("%(label)s: %(value)s", label=str(label), value="").rstrip(" ")


def _pair(choice: Any) -> tuple[str, Any]:
    if isinstance(choice, SelectChoice):
        return str(choice.value), choice.label
    value, text = choice[0], choice[1] if len(choice) > 1 else choice[0]
    return str(value), text
