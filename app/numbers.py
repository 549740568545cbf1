"""Numbers in pages in the reader's language: "1 234,5" and "84,6 %" in French, "1,234.5" and
"84.6%" in English (Babel's patterns for the locale); and a label's colon ("Objet :")."""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel.numbers import format_percent
from flask import Flask
from flask_babel import format_decimal, get_locale
from jinja2 import pass_context

from forms.summary import colon
from services.reports import Cell


def number(value: Cell | int | float | Decimal | None) -> str:
    """A count or a measure, or a report cell's."""
    if isinstance(value, Cell):
        value = value.value
    return "" if value is None else str(format_decimal(value))


def percent(share: float | Decimal | None) -> str:
    """A share (0.846) as a percentage to a tenth, in the locale's pattern ("84,6 %")."""
    if share is None:
        return ""
    # The locale's pattern shows whole percents: round first, then show what is left.
    return format_percent(round(float(share), 3), locale=get_locale(), decimal_quantization=False)


def money(amount: int | float | Decimal | None) -> str:
    """An amount with its two decimals (the currency is the organisation's, named elsewhere)."""
    return "" if amount is None else str(format_decimal(amount, format="#,##0.00"))


def per_render(func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that reads the reader's language (or time zone), applied at every render:
    Jinja's compiler works out a filter of a constant (`""|colon`) once, as it compiles the
    template, in the language of whoever happened to read it first, unless the filter takes
    the render's context."""

    @pass_context
    @functools.wraps(func)
    def apply(_context: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return apply


def register(app: Flask) -> None:
    """The `number`, `percent`, `money` and `colon` filters."""
    app.add_template_filter(per_render(number), "number")
    app.add_template_filter(per_render(percent), "percent")
    app.add_template_filter(per_render(money), "money")
    app.add_template_filter(per_render(colon), "colon")
