"""Times for people: stored in UTC, read in the organisation's time zone (the business calendar).

Flask-Babel's formatting (`datetimeformat`, facts.when) converts through its time zone
selector; the `local_time` filter does it for the compact "2026-12-01 17:30" style of the
staff tables. Dates without a time are shown as they are. The JSON API keeps UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from services import business_calendar


def select_timezone() -> str:
    """Flask-Babel's time zone: the calendar's (a name pytz reads, checked when saved)."""
    return business_calendar.current().timezone


def local_time(
    value: datetime | date | None, format: str = "%Y-%m-%d %H:%M", zone: bool = False
) -> str:
    """A stored moment as the organisation's clock shows it, with the zone's name if asked:
    "2026-12-01 17:30 (Europe/Paris)"."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.strftime(format)
    local = business_calendar.to_local(value)
    text = local.strftime(format)
    return f"{text} ({business_calendar.current().timezone})" if zone else text


def zone_name() -> str:
    """The organisation's time zone, for pages that say which zone their times are in."""
    return business_calendar.current().timezone


def register(app: Flask) -> None:
    """Install the `local_time` filter and the `time_zone()` helper in templates."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_global(zone_name, "time_zone")
