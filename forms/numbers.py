"""Numbers read from forms and query strings, bounded by what the database and WTForms take.

A text of digits is a Python int of any size, but PostgreSQL's INTEGER (the type of every id,
and of what the page numbers become: offsets) stops at MAX_INT and SQLite at 64 bits, and
WTForms' NumberRange compares through a float (math.isnan), which no int of some 310 digits
fits: each was a 500 (OverflowError) rather than the field's error. So every whole number a
form reads is a BoundedIntegerField, every decimal one a FiniteDecimalField (an AmountField
checks its own bounds), and every id read from a text goes through whole_number().
"""

from __future__ import annotations

from typing import Any

from wtforms import Form
from wtforms.fields import DecimalField, IntegerField
from wtforms.validators import NumberRange, StopValidation, ValidationError

# The largest value of PostgreSQL's INTEGER, the type of the ids (services.db re-exports it;
# app.input_guards bounds the ids in addresses by it).
MAX_INT = 2**31 - 1
# WTForms' own messages, which its catalogue translates (forms.base.WTFORMS_TRANSLATIONS), not
# ours: named here so that extracting our messages leaves them out.
WTFORMS_RANGE = "Number must be between %(min)s and %(max)s."
WTFORMS_NOT_DECIMAL = "Not a valid decimal value."


def whole_number(value: Any, low: int = 0, high: int = MAX_INT) -> int | None:
    """The whole number `value` is or writes in ASCII digits (no sign, no spaces), when it is
    from `low` to `high`; None otherwise: empty, other text, or beyond (thousands of digits
    are never read)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        digits = value.lstrip("0") or "0"
        if len(digits) > len(str(high)):
            return None
        number = int(digits)
    else:
        return None
    return number if low <= number <= high else None


def whole_number_pattern(low: int = 0, high: int = MAX_INT) -> str:
    """The regular expression (for a document; a group, to anchor) of the texts
    whole_number(text, low, high) reads as a number: ASCII digits, any leading zeros, a value
    from `low` (0 or 1) to `high`. The digits of `high` bound the numbers as long as it,
    digit by digit."""
    if low not in (0, 1) or high < 1:
        raise ValueError("whole_number_pattern takes low 0 or 1 and a high of 1 or more")
    top = str(high)
    shorter = [f"[1-9][0-9]{{0,{len(top) - 2}}}"] if len(top) > 1 else []
    same = []
    for place, digit in enumerate(top):
        least = 1 if place == 0 else 0
        if int(digit) > least:
            rest = len(top) - place - 1
            below = str(least) if int(digit) - 1 == least else f"[{least}-{int(digit) - 1}]"
            tail = "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}" if rest else ""
            same.append(f"{top[:place]}{below}{tail}")
    numbers = "|".join([*shorter, *same, top])
    zero = "0+|" if low == 0 else ""
    return f"({zero}0*({numbers}))"


def database_int(value: Any) -> int:
    """A choice field's `coerce` for ids: int(), with ValueError (the field's "could not be
    coerced") beyond what the database holds."""
    number = int(value)
    if not -MAX_INT <= number <= MAX_INT:
        raise ValueError(f"{number} is beyond the database's integers")
    return number


class _RefusedAlone:
    """A number read, then refused by process_formdata: its message is the field's only one
    (NumberRange would add its own, or fail on the number)."""

    refused = False
    data: Any

    def pre_validate(self, form: Form) -> None:
        """Stop at a refused number: its message is already the field's error."""
        super().pre_validate(form)  # type: ignore[misc]
        if self.refused:
            raise StopValidation()


class BoundedIntegerField(_RefusedAlone, IntegerField):
    """A whole number the database holds (from -MAX_INT to MAX_INT). One beyond is no number
    (None) and the error is its NumberRange's message (as for a number just past the range),
    else WTForms' range message with the database's bounds."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the number; beyond the database's integers, None and the range's message."""
        self.refused = False
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_INT <= self.data <= MAX_INT:
            self.data = None
            self.refused = True
            raise ValueError(self._range_message())

    def _range_message(self) -> Any:
        for validator in self.validators:
            if isinstance(validator, NumberRange):
                try:
                    validator(None, self)  # no number (None) is in no range: its own words
                except ValidationError as exc:
                    return exc.args[0]
        return self.gettext(WTFORMS_RANGE) % {"min": -MAX_INT, "max": MAX_INT}


class FiniteDecimalField(_RefusedAlone, DecimalField):
    """A decimal number: NaN and the infinities are none (NumberRange cannot compare a
    signalling NaN, and task data has no such number)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the number; NaN, sNaN and ±Infinity are not a valid decimal value."""
        self.refused = False
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            self.refused = True
            raise ValueError(self.invalid_value_message or self.gettext(WTFORMS_NOT_DECIMAL))
