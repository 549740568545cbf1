"""Numbers read from forms (forms/numbers.py): whole numbers no larger than the database holds,
decimals that are numbers; each refused with the field's error, never an exception."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields import SelectMultipleField
from wtforms.validators import NumberRange, Optional

from forms.definitions import compile_definition
from forms.numbers import (
    MAX_INT,
    BoundedIntegerField,
    FiniteDecimalField,
    database_int,
    whole_number,
    whole_number_pattern,
)
from services import form_definitions  # noqa: F401 - gives forms the restricted evaluator
from services.db import MAX_INT as DATABASE_MAX_INT

HUGE = "9" * 400  # beyond a float: NumberRange's math.isnan raised OverflowError
BIG = "99999999999999999999999"  # beyond SQLite's 64 bits


class Numbers(Form):
    page = BoundedIntegerField(validators=[Optional(), NumberRange(min=1, max=100000)])
    days = BoundedIntegerField(
        validators=[Optional(), NumberRange(min=1, max=90, message="Between 1 and 90 days.")]
    )
    count = BoundedIntegerField(validators=[Optional()])
    share = FiniteDecimalField(validators=[Optional(), NumberRange(min=0, max=1)])
    ids = SelectMultipleField(coerce=database_int, validate_choice=False)


def _errors(data: dict[str, str | list[str]]) -> dict[str, list[str]]:
    form = Numbers(MultiDict(data))
    assert not form.validate()
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def test_the_forms_bound_is_the_databases() -> None:
    assert MAX_INT == DATABASE_MAX_INT == 2**31 - 1


@pytest.mark.parametrize("number", [HUGE, BIG, str(MAX_INT + 1), f"-{HUGE}"])
def test_a_whole_number_beyond_the_database_is_the_fields_range_error_alone(number) -> None:
    form = Numbers(MultiDict({"page": number}))
    assert form.page.data is None  # no number a query could be given, validated or not
    assert _errors({"page": number, "days": number, "count": number}) == {
        "page": ["Number must be between 1 and 100000."],
        "days": ["Between 1 and 90 days."],
        "count": [f"Number must be between {-MAX_INT} and {MAX_INT}."],
    }


def test_whole_numbers_the_database_holds_are_read_as_before() -> None:
    form = Numbers(MultiDict({"page": "3", "count": str(MAX_INT), "ids": ["1", str(-MAX_INT)]}))
    assert form.validate(), form.errors
    assert (form.page.data, form.count.data, form.ids.data) == (3, MAX_INT, [1, -MAX_INT])
    assert _errors({"page": "0"}) == {"page": ["Number must be between 1 and 100000."]}


@pytest.mark.parametrize("number", ["sNaN", "NaN", "Infinity", "-Infinity"])
def test_a_decimal_that_is_no_number_is_not_a_valid_decimal_value(number) -> None:
    # NumberRange cannot compare a signalling NaN (ValueError); the others are no answer either.
    assert _errors({"share": number}) == {"share": ["Not a valid decimal value."]}


def test_ids_beyond_the_database_cannot_be_coerced() -> None:
    assert _errors({"ids": ["1", BIG]}) == {
        "ids": ["Invalid choice(s): one or more data inputs could not be coerced."]
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("0042", 42),
        (str(MAX_INT), MAX_INT),
        (7, 7),
        (str(MAX_INT + 1), None),
        (BIG, None),
        (HUGE, None),
        ("0" * 5000 + "1", 1),
        ("9" * 5000, None),  # more digits than int() reads
        ("²", None),  # a digit to str.isdigit, none to int()
        ("١٢", None),  # Arabic-Indic digits: int() reads them, an address should not
        ("-1", None),
        (" 1", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_whole_number_reads_plain_digits_within_the_bounds(value, expected) -> None:
    assert whole_number(value) == expected


def test_whole_number_takes_its_bounds() -> None:
    assert whole_number("0", 1) is None
    assert whole_number(str(2**63 - 1), 0, 2**63 - 1) == 2**63 - 1
    assert whole_number(str(2**63), 0, 2**63 - 1) is None


def test_a_definitions_whole_number_is_bounded_by_the_database_and_says_so() -> None:
    label = {"en": "N", "fr": "N"}
    whole = {"name": "visits", "type": "number", "whole": True, "label": label}
    ratio = {"name": "ratio", "type": "number", "min": 0, "max": 1, "label": label}
    form_class = compile_definition("call_back", {"fields": [whole, ratio]}).form_class
    properties = form_class.json_schema()["properties"]
    assert (properties["visits"]["minimum"], properties["visits"]["maximum"]) == (-MAX_INT, MAX_INT)
    form = form_class(MultiDict({"visits": HUGE, "ratio": "sNaN"}))
    assert not form.validate()
    assert {name: [str(m) for m in messages] for name, messages in form.errors.items()} == {
        "visits": [f"Number must be between {-MAX_INT} and {MAX_INT}."],
        "ratio": ["Not a valid decimal value."],
    }


@pytest.mark.parametrize("low", [0, 1])
@pytest.mark.parametrize("high", [MAX_INT, 100000, 100, 99, 21, 10, 9, 1])
def test_the_documents_pattern_takes_what_whole_number_reads(low, high) -> None:
    """The document states the ids and numbers of a query with this pattern: the texts it
    takes are exactly those whole_number reads (leading zeros, up to `high`, from `low`)."""
    pattern = re.compile(whole_number_pattern(low, high))
    top = str(high)
    texts = [str(n) for n in range(0, 250)] + [f"000{n}" for n in range(0, 120)]
    texts += [top, str(high - 1), str(high + 1), f"0{top}", f"00{high + 1}", "1" + "0" * len(top)]
    texts += [
        str(int(top[:i] + str(d) + "9" * (len(top) - i - 1)))
        for i in range(len(top))
        for d in range(10)
    ]
    texts += ["", "a", "1a", " 1", "+1", "-1", "1.0", "١", HUGE, BIG]
    for text in texts:
        assert (pattern.fullmatch(text) is not None) == (
            whole_number(text, low, high) is not None
        ), text
