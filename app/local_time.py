"""Times for people: stored in UTC, read in the organisation's time zone (the business calendar).

One format everywhere, in both languages: "2026-12-01 17:30", with the zone's name after it
("2026-12-01 17:30 (Europe/Paris)") where a time stands alone, or in the column heading of a
table of times. The `local_time` filter writes it; facts.when and Flask-Babel's
`datetimeformat` / `dateformat` filters (replaced here) write the same, so no page mixes
"Dec 2, 2026, 12:30:00" with "2026-12-02 00:30". Dates inside a sentence ("until 23 January
2027") are written out day first in both languages, as emails and letters write them
(services/dates.py). The JSON API keeps UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import get_locale

from app.numbers import per_render
from services import business_calendar, dates
from services.clock import as_utc


def select_timezone() -> str:
    """Flask-Babel's time zone: the calendar's (a name pytz reads, checked when saved)."""
    return business_calendar.current().timezone


DATE = "%Y-%m-%d"
DATE_TIME = "%Y-%m-%d %H:%M"


def local_time(value: datetime | date | None, format: str = DATE_TIME, zone: bool = False) -> str:
    """A stored moment as the organisation's clock shows it, with the zone's name if asked:
    "2026-12-01 17:30 (Europe/Paris)"."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.strftime(format)
    local = business_calendar.to_local(value)
    text = local.strftime(format)
    return f"{text} ({business_calendar.current().timezone})" if zone else text


def datetime_filter(value: datetime | None, format: Any = None, zone: bool = True) -> str:
    """Flask-Babel's `datetimeformat` filter in our one format (its `format` is ignored)."""
    return local_time(value, zone=zone)


def reader_language() -> str:
    """The reader's language, "en" or "fr" (Flask-Babel's locale)."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def long_date(value: date | datetime, format: str = "long") -> str:
    """A date written out in the reader's language, day first in both (services/dates.py):
    "1 December 2026", "1er décembre 2026"; `format` "full" adds the weekday, "short"
    abbreviates the month ("1 Dec 2026")."""
    return dates.written(value, reader_language(), format)


def date_filter(value: date | datetime | None, format: str | None = None) -> str:
    """Flask-Babel's `dateformat` filter: "2026-12-01", or a long date in a sentence."""
    if value is None:
        return ""
    if format in ("long", "full"):
        return long_date(value, format)
    return local_time(value, DATE)


def zone_name() -> str:
    """The organisation's time zone, for pages that say which zone their times are in."""
    return business_calendar.current().timezone


def utc_iso(value: datetime) -> str:
    """A stored time as ISO 8601 with its UTC offset, for <time datetime> (SQLite stores
    naive UTC times: without the offset a reader would take them for local times)."""
    return as_utc(value).isoformat()


def register(app: Flask) -> None:
    """Install the `local_time` filter, the `time_zone()` helper and our `datetimeformat` /
    `dateformat` in templates."""
    app.add_template_filter(per_render(local_time), "local_time")
    app.add_template_filter(utc_iso, "utc_iso")
    app.add_template_global(zone_name, "time_zone")
    # After Flask-Babel's init_app, which installs its own filters under these names.
    app.add_template_filter(per_render(datetime_filter), "datetimeformat")
    app.add_template_filter(per_render(date_filter), "dateformat")
