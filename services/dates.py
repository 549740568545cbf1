"""Dates in words, written one way on every page, email, letter and PDF.

Day, month, year in both languages: "1 November 2026" ("1 Nov 2026" where space is short,
"Sunday 1 November 2026" with the weekday), "1er novembre 2026" ("1 nov. 2026", "dimanche 1er
novembre 2026"). Not Babel's English patterns ("November 1, 2026", "Nov 1, 2026"): they are
American, and the people who read these dates, in Africa and Europe, write the day first. French
writes the first of the month as an ordinal (1er) where the month is written in full. Dates and
times in tables and forms keep the numeric "2026-12-01 17:30" (app/local_time.py).
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

from services import business_calendar

# One pattern per style, the same in both languages (CLDR's French ones, as it happens).
PATTERNS = {
    "long": "d MMMM y",
    "short": "d MMM y",
    "full": "EEEE d MMMM y",
    "month": "MMMM y",
}
LANGUAGES = ("en", "fr")


def written(value: date | datetime | None, language: str, style: str = "long") -> str:
    """`value` in words in `language` ("en" unless "fr"): 1 November 2026, 1er novembre 2026.

    A moment (a datetime) is dated in the organisation's time zone: 23:30 UTC on 1 December is
    2 December in Paris.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = business_calendar.to_local(value).date()
    language = language if language in LANGUAGES else "en"
    pattern = PATTERNS[style]
    if language == "fr" and value.day == 1 and style in ("long", "full"):
        pattern = pattern.replace("d ", "'1er' ", 1)  # le 1er novembre
    return str(format_date(value, pattern, locale=language))


def long_date(value: date | datetime | None, language: str) -> str:
    """A date as a sentence or a letter writes it: 1 November 2026, 1er novembre 2026."""
    return written(value, language, "long")


def short_date(value: date | datetime | None, language: str) -> str:
    """A date where space is short (a chart's axis, a table's row): 1 Nov 2026, 1 nov. 2026."""
    return written(value, language, "short")
