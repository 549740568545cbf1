"""The organisation's working time: what "2 working days" or "24 working hours" means.

A calendar is the time zone, the working weekdays and hours, the public holidays of a country
(the maintained `holidays` package, so nobody types Easter Monday by hand) and the
organisation's own closure days. Times are stored in UTC; the calendar says how to read them.

Targets are written the way regulators and process owners say them, as small expressions that
the diagrams' restricted evaluator also understands (services.engine.sandbox):

    working_days(10)                 the close of the 10th working day after receipt
    working_days(10, saturdays=True) jours ouvrables: Monday to Saturday, holidays excluded
    working_hours(24)                24 hours inside working hours
    calendar_days(30), days(30)      30 days, weekends and holidays included
    hours(24), weeks(8), months(2)   plain durations (months: calendar months)
    "P5D"                            an ISO 8601 duration, as BPMN timers write them

Counting days starts the day after the start: a complaint received on Friday at 16:00 with
`working_days(2)` is due on Tuesday at the close of business (Monday is day 1).
"""

from __future__ import annotations

import ast
import calendar as month_calendar
import importlib
import importlib.util
import re
import sys
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property, lru_cache
from importlib.machinery import ModuleSpec
from pathlib import Path
from time import monotonic
from types import ModuleType
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo, available_timezones

import pytz

from services.clock import utcnow

if TYPE_CHECKING:
    from holidays import HolidayBase

# Targets that count working time (the calendar's days and hours), against plain durations.
WORKING_KINDS = frozenset({"working_days", "working_hours"})
KINDS = frozenset(
    {"working_days", "working_hours", "calendar_days", "days", "hours", "weeks", "months", "iso"}
)
# The units "time left" is said in, one per way of counting a target: working days (and
# working hours within the last day), working hours, calendar days (and hours within the last
# day), hours. A person reads a 30-calendar-day clock in calendar days, not working days.
WORKING_DAYS, WORKING_HOURS, CALENDAR_DAYS, HOURS = (
    "working_days",
    "working_hours",
    "calendar_days",
    "hours",
)
UNITS = (WORKING_DAYS, WORKING_HOURS, CALENDAR_DAYS, HOURS)
# Countries whose public holidays come preloaded (any code the holidays package knows works).
COUNTRIES = {"FR": "France", "GB": "United Kingdom", "AU": "Australia"}
_ISO = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_MAX_AMOUNT = 3660  # ten years of days: a target beyond that is a typing error


class TargetError(ValueError):
    """A service-level target that is not one of the forms this module knows."""


@dataclass(frozen=True)
class Target:
    """A parsed target: what to add to a start time."""

    kind: str
    amount: int
    saturdays: bool = False
    text: str = ""

    @property
    def working(self) -> bool:
        """Counted in the calendar's working time (pauses then move it in working time)."""
        return self.kind in WORKING_KINDS

    @property
    def unit(self) -> str:
        """The unit its time left is said in (UNITS): the one it is counted in."""
        if self.kind in (WORKING_DAYS, WORKING_HOURS, HOURS):
            return self.kind
        if self.kind == "iso":
            under_a_day = iso_duration(ast.literal_eval(self.text)) < timedelta(days=1)
            return HOURS if under_a_day else CALENDAR_DAYS
        return CALENDAR_DAYS  # calendar_days, days, weeks, months


def stored_target(text: str | None) -> Target | None:
    """A target as a clock row stored it, read back; None for none, or for one no longer
    readable (its readers then count elapsed time, as for an ISO 8601 due time)."""
    if not text:
        return None
    try:
        return parse_target(text)
    except TargetError:
        return None


def target_unit(text: str | None) -> str:
    """The unit a stored target's time left is said in; elapsed days for no (or no longer
    readable) target, as a due time set by an ISO 8601 duration (dueIn, a timer) is."""
    found = stored_target(text)
    return found.unit if found is not None else CALENDAR_DAYS


# Cached: the inbox and the service-level view read each row's target to say its time left.
@lru_cache(maxsize=256)
def parse_target(text: str) -> Target:
    """Read a target expression; raise TargetError naming what is wrong."""
    source = (text or "").strip()
    try:
        node = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise TargetError(f"{source!r} is not a time limit") from exc
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        match = _ISO.fullmatch(node.value.strip())
        if not match or not any(match.groups()):
            raise TargetError(f'{node.value!r} is not an ISO 8601 duration such as "P5D"')
        return Target("iso", 0, text=source)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise TargetError(f"{source!r} is not a time limit such as working_days(2)")
    kind = node.func.id
    if kind not in KINDS - {"iso"}:
        raise TargetError(f"{kind}() is not a time limit function")
    if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
        raise TargetError(f"{kind}() takes one whole number")
    amount = node.args[0].value
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= _MAX_AMOUNT:
        raise TargetError(f"{kind}() takes a whole number from 1 to {_MAX_AMOUNT}")
    saturdays = False
    for keyword in node.keywords:
        if kind != "working_days" or keyword.arg != "saturdays":
            raise TargetError(f"{kind}() does not take {keyword.arg}=")
        if not isinstance(keyword.value, ast.Constant) or not isinstance(keyword.value.value, bool):
            raise TargetError("saturdays= takes True or False")
        saturdays = keyword.value.value
    return Target(kind, amount, saturdays, source)


def target_text(kind: str, amount: int, saturdays: bool = False) -> str:
    """The expression for a target, as parse_target reads it back."""
    return f"{kind}({amount}, saturdays=True)" if saturdays else f"{kind}({amount})"


@dataclass(frozen=True)
class Calendar:
    """Working days and hours in a time zone, with the days off."""

    timezone: str = "Europe/Paris"
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO: Monday = 1
    starts: time = time(9, 0)
    ends: time = time(17, 30)
    country: str = "FR"
    subdivision: str = ""
    closures: frozenset[date] = frozenset()
    at_risk_share: float = 0.75
    preset: str = "grievance"
    _cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def public_holidays(self) -> HolidayBase | dict[date, str]:
        if not self.country:
            return {}
        return country_holidays(self.country, self.subdivision)

    @property
    def day_seconds(self) -> float:
        """The length of a working day in seconds (at least an hour, whatever is configured):
        what a "working day" of time left is."""
        starts = self.starts.hour * 3600 + self.starts.minute * 60
        ends = self.ends.hour * 3600 + self.ends.minute * 60
        return float(max(3600, ends - starts))

    # -- days ------------------------------------------------------------------------------

    def holiday_name(self, day: date, language: str | None = None) -> str | None:
        """The public holiday or closure on this day, if any (holiday names in `language`)."""
        if day in self.closures:
            return "closure"
        table = self.public_holidays if language is None else self.holidays_in(language)
        name = table.get(day)
        return str(name) if name else None

    def holidays_in(self, language: str) -> HolidayBase | dict[date, str]:
        """The public holidays named in the reader's language ("fr", "en") when the holidays
        package has it for this country, else in English, else in the country's own."""
        key = f"holidays:{language}"
        if key not in self._cache:
            self._cache[key] = (
                country_holidays(
                    self.country, self.subdivision, holiday_language(self.country, language)
                )
                if self.country
                else {}
            )
        return self._cache[key]

    def is_working_day(self, day: date, saturdays: bool = False) -> bool:
        """Open on this day: a working weekday (or any Saturday for jours ouvrables), not off."""
        weekday = day.isoweekday()
        if saturdays:
            if weekday == 7:
                return False
        elif weekday not in self.weekdays:
            return False
        return day not in self.closures and day not in self.public_holidays

    def local(self, moment: datetime) -> datetime:
        """The moment in the organisation's time zone (naive values are taken as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)

    def _window(self, day: date, saturdays: bool = False) -> tuple[datetime, datetime] | None:
        # Cached per day: inbox rows and clocks ask for the same weeks over and over, and a
        # holiday lookup plus two zone conversions cost more than the arithmetic around them.
        key = ("window", day, saturdays)
        if key not in self._cache:
            self._cache[key] = (
                (self._at(day, self.starts), self._at(day, self.ends))
                if self.is_working_day(day, saturdays)
                else None
            )
        return self._cache[key]

    # -- adding time -----------------------------------------------------------------------

    def add_working_days(self, start: datetime, count: int, saturdays: bool = False) -> datetime:
        """The close of business on the `count`-th working day after the start's day."""
        day = self.local(start).date()
        counted = 0
        for _ in range(count * 7 + 400):  # bounded: a year of holidays cannot stall it
            day += timedelta(days=1)
            if self.is_working_day(day, saturdays):
                counted += 1
                if counted == count:
                    return self._at(day, self.ends)
        raise TargetError("no working day found: check the calendar's working days")

    def add_working_seconds(
        self, start: datetime, seconds: float, saturdays: bool = False
    ) -> datetime:
        """`seconds` of working time after `start` (from the next opening if closed);
        `saturdays`: Saturdays count as working days (jours ouvrables)."""
        start = self.local(start).astimezone(UTC)
        remaining = max(0.0, seconds)
        day = self.local(start).date()
        for _ in range(int(remaining // 3600) + 800):
            window = self._window(day, saturdays)
            if window is not None:
                opens, closes = max(window[0], start), window[1]
                if opens < closes:
                    available = (closes - opens).total_seconds()
                    if remaining <= available:
                        return opens + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
        raise TargetError("no working hours found: check the calendar's working hours")

    def working_seconds(self, start: datetime, end: datetime, saturdays: bool = False) -> float:
        """Working time between two moments (0 when end is before start): the working hours
        of the calendar's working days, holidays and closures left out; `saturdays`:
        Saturdays count as working days (jours ouvrables)."""
        start, end = self.local(start).astimezone(UTC), self.local(end).astimezone(UTC)
        if end <= start:
            return 0.0
        total = 0.0
        day, last = self.local(start).date(), self.local(end).date()
        while day <= last:
            window = self._window(day, saturdays)
            if window is not None:
                opens, closes = max(window[0], start), min(window[1], end)
                if opens < closes:
                    total += (closes - opens).total_seconds()
            day += timedelta(days=1)
        return total

    def due(self, start: datetime, target: Target | str) -> datetime:
        """When a target that starts at `start` falls due."""
        if isinstance(target, str):
            target = parse_target(target)
        start = self.local(start).astimezone(UTC)
        if target.kind == "working_days":
            return self.add_working_days(start, target.amount, target.saturdays)
        if target.kind == "working_hours":
            return self.add_working_seconds(start, target.amount * 3600)
        if target.kind in ("calendar_days", "days"):
            return self._add_local(start, timedelta(days=target.amount))
        if target.kind == "hours":
            return start + timedelta(hours=target.amount)
        if target.kind == "weeks":
            return self._add_local(start, timedelta(weeks=target.amount))
        if target.kind == "months":
            return self._add_months(start, target.amount)
        return start + iso_duration(ast.literal_eval(target.text))

    def _add_local(self, start: datetime, delta: timedelta) -> datetime:
        # Days are local days: 30 days after 10:00 is 10:00, across a clock change too.
        local = self.local(start).replace(tzinfo=None) + delta
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _add_months(self, start: datetime, months: int) -> datetime:
        local = self.local(start)
        index = local.month - 1 + months
        year, month = local.year + index // 12, index % 12 + 1
        day = min(local.day, month_calendar.monthrange(year, month)[1])
        return local.replace(year=year, month=month, day=day).astimezone(UTC)

    def at_risk(self, start: datetime, due: datetime, target: Target | str) -> datetime:
        """When a clock from `start` to `due` has used the at-risk share of its time."""
        if isinstance(target, str):
            target = parse_target(target)
        if target.working:
            used = self.working_seconds(start, due, target.saturdays) * self.at_risk_share
            return self.add_working_seconds(start, used, target.saturdays)
        return start + (due - start) * self.at_risk_share

    def shift(
        self, due: datetime, paused_from: datetime, paused_to: datetime, target: Target | str
    ) -> datetime:
        """The due time after a pause: moved by the paused time, counted like the target."""
        if isinstance(target, str):
            target = parse_target(target)
        if target.working:
            paused = self.working_seconds(paused_from, paused_to, target.saturdays)
            # A pause outside working time moves nothing (adding 0 from a close of business
            # would otherwise jump to the next opening).
            return self.add_working_seconds(due, paused, target.saturdays) if paused > 0 else due
        return due + (paused_to - paused_from)

    def time_left(self, now: datetime, due: datetime, target: Target | str | None) -> float:
        """Seconds left before `due` (negative once late), counted like the target: for a
        working target, the working hours of the days the target counts (the calendar's
        working days, Saturdays too for jours ouvrables; holidays and closures left out);
        elapsed time otherwise, and for no (or no longer readable) target, as a due time set
        by an ISO 8601 duration is. Every reader of a time left (pages, the API, the "at
        risk" email) counts it here."""
        if isinstance(target, str):
            target = stored_target(target)
        if target is None or not target.working:
            return (due - now).total_seconds()
        if due >= now:
            return self.working_seconds(now, due, target.saturdays)
        return -self.working_seconds(due, now, target.saturdays)

    def days_off(
        self, first: date, last: date, language: str | None = None
    ) -> list[tuple[date, str]]:
        """Public holidays and closures between two days (for the administrator's page)."""
        found = []
        day = first
        while day <= last:
            name = self.holiday_name(day, language)
            if name:
                found.append((day, name))
            day += timedelta(days=1)
        return found


def iso_duration(text: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds ("PT3600S")."""
    match = _ISO.fullmatch(text.strip())
    if not match or not any(match.groups()):
        raise TargetError(f'{text!r} is not an ISO 8601 duration such as "P5D"')
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def iso_seconds(seconds: float) -> str:
    """An ISO 8601 duration SpiffWorkflow's duration timers read ("PT3600S")."""
    return f"PT{max(0, int(round(seconds)))}S"


def weekdays_from_text(text: str) -> frozenset[int]:
    """ "1 2 3 4 5" -> {1, 2, 3, 4, 5}; ignores anything that is not a weekday number."""
    return frozenset(int(p) for p in text.split() if p.isdigit() and 1 <= int(p) <= 7)


def from_rows(row: Any, closures: Iterable[date]) -> Calendar:
    """A calendar from the BusinessCalendar row and the ClosureDay days."""
    return Calendar(
        timezone=row.timezone,
        weekdays=weekdays_from_text(row.working_days),
        starts=row.work_starts,
        ends=row.work_ends,
        country=row.holiday_country or "",
        subdivision=row.holiday_subdivision or "",
        closures=frozenset(closures),
        at_risk_share=float(row.at_risk_share),
        preset=row.preset,
    )


# ---------------------------------------------------------------------------------------------
# What an administrator may choose (checked by the calendar form and by calendar_settings)
# ---------------------------------------------------------------------------------------------


@cache
def timezones() -> tuple[str, ...]:
    """The IANA time zone names ("Europe/Paris") both zoneinfo and Flask-Babel (pytz) read."""
    return tuple(sorted(available_timezones() & pytz.all_timezones_set))


def is_timezone(name: str) -> bool:
    """A time zone an administrator may choose."""
    return name in timezones()


@cache
def countries() -> tuple[str, ...]:
    """Every country code the holidays package knows ("FR", "FRA", aliases such as "UK"),
    read from its registry without loading any country."""
    from holidays.registry import EntityLoader

    return tuple(EntityLoader.get_country_codes())


@cache
def subdivision_lookup(country: str) -> dict[str, str]:
    """How a subdivision of `country` may be written ("eng", "England"), case-folded, to the
    holidays package's code ("ENG"); empty for a country it does not know."""
    table = _country_class(country)
    if table is None:
        return {}
    lookup = {code.casefold(): code for code in table.subdivisions}
    aliases = getattr(table, "subdivisions_aliases", {}) or {}
    for alias, code in aliases.items():
        lookup.setdefault(str(alias).casefold(), code)
    return lookup


def subdivision_code(country: str, text: str) -> str | None:
    """The holidays package's code for a subdivision of `country` ("eng", "England" -> "ENG"),
    "" for none, or None when the country has no such subdivision."""
    text = (text or "").strip()
    if not text:
        return ""
    return subdivision_lookup(country).get(text.casefold())


def holiday_language(country: str, language: str) -> str | None:
    """The holidays package's language for names read in `language` ("fr", "en"): that
    language if it has it for the country, else English, else the country's own (None)."""
    table = _country_class(country)
    localized = sorted(table.supported_languages or ()) if table is not None else []
    base = (language or "en").split("_")[0].lower()
    wanted = [base, f"{base}_{country}"] + [name for name in localized if name.startswith(base)]
    wanted += [f"en_{country}", "en_GB", "en_US"]
    for name in wanted:
        if name in localized:
            return name
    return None


def country_holidays(
    country: str, subdivision: str = "", language: str | None = None
) -> HolidayBase:
    """The public holidays of `country` (and `subdivision`), named in `language` (the holidays
    package's code, None: the country's own), as `holidays.country_holidays` gives them."""
    table = _country_class(country)
    if table is None:
        raise NotImplementedError(f"Country {country} not available")
    return table(subdiv=subdivision or None, language=language)


# A country defined from another one (a French overseas territory from France) names it so.
_BASED_ON = re.compile(r"^from holidays\.countries\.(\w+) import", re.MULTILINE)


def _country_class(code: str) -> type[HolidayBase] | None:
    """The holidays package's class for a country code ("FR", "GBR", "UK"), importing that
    country's module only; None for a code it does not know.

    Asking the package itself (`holidays.country_holidays`) imports `holidays.countries`,
    whose __init__ imports all ~270 countries: about 8 MiB in every web worker and Celery
    process that computes a due date, for the one country the calendar names."""
    from holidays.registry import COUNTRIES

    for module, (_name, *codes) in COUNTRIES.items():
        if code in codes:
            found: type[HolidayBase] = getattr(_country_module(module), code)
            return found
    return None


def _country_module(module: str) -> ModuleType:
    """holidays.countries.<module>, loaded by itself (the package's __init__ runs only if
    something else imports it: it then reuses the modules loaded here)."""
    from holidays.registry import IMPORT_LOCK

    name = f"holidays.countries.{module}"
    with IMPORT_LOCK:  # the package's own lazy loading holds it too
        found = sys.modules.get(name)
        if found is not None:
            return found
        spec = None if "holidays.countries" in sys.modules else _alone(name, module)
        if spec is None or spec.loader is None:
            return importlib.import_module(name)  # the package's own way
        for parent in _BASED_ON.findall(Path(str(spec.origin)).read_text(encoding="utf-8")):
            _country_module(parent)  # loaded first, so that its import finds it
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[name]
            raise
        return loaded


def _alone(name: str, module: str) -> ModuleSpec | None:
    """How to load one module of holidays.countries without running the package's __init__
    (find_spec locates the package without importing it)."""
    package = importlib.util.find_spec("holidays.countries")
    places = package.submodule_search_locations if package is not None else None
    if not places:
        return None
    return importlib.util.spec_from_file_location(name, Path(places[0]) / f"{module}.py")


# ---------------------------------------------------------------------------------------------
# Reading stored times: UTC in the database, the organisation's time zone for people
# ---------------------------------------------------------------------------------------------


def display_zone() -> ZoneInfo:
    """The zone people read times in: the calendar's; UTC outside the application (no
    database to ask, e.g. a unit test of a formatting function)."""
    from services.db import db

    try:
        db.engine  # noqa: B018 (raises outside an application context)
    except RuntimeError:
        return ZoneInfo("UTC")
    return current().zone


@overload
def to_local(moment: datetime) -> datetime: ...
@overload
def to_local(moment: None) -> None: ...
def to_local(moment: datetime | None) -> datetime | None:
    """A stored moment (aware, or naive UTC as SQLite gives it) in the organisation's zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(display_zone())


def from_local(moment: datetime) -> datetime:
    """A date and time a person typed (naive: the organisation's time) as aware UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=display_zone())
    return moment.astimezone(UTC)


def local_today(now: datetime | None = None) -> date:
    """Today's date in the organisation's time zone (letters are dated with it)."""
    moment = now or utcnow()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(display_zone()).date()


# ---------------------------------------------------------------------------------------------
# The organisation's calendar, as stored
# ---------------------------------------------------------------------------------------------

# One calendar per database engine (each app, and each test, has its own), re-read after a
# minute so that other workers see an administrator's change; the worker that saves it
# drops its copy at once (invalidate).
_LOADED: weakref.WeakKeyDictionary[Any, tuple[Calendar, float]] = weakref.WeakKeyDictionary()
RELOAD_AFTER_SECONDS = 60.0


def current() -> Calendar:
    """The organisation's calendar (the BusinessCalendar row and the closure days)."""
    from services.db import db
    from services.models import BusinessCalendar, ClosureDay

    engine = db.engine
    cached = _LOADED.get(engine)
    if cached is not None and monotonic() - cached[1] < RELOAD_AFTER_SECONDS:
        return cached[0]
    # Read without flushing: callers compute due times in the middle of building rows.
    with db.session.no_autoflush:
        row = db.session.get(BusinessCalendar, 1)
        closures = db.session.scalars(db.select(ClosureDay.day)).all()
    loaded = from_rows(row, closures) if row is not None else Calendar()
    _LOADED[engine] = (loaded, monotonic())
    return loaded


def invalidate() -> None:
    """Forget the loaded calendar (after an administrator saved a change)."""
    from services.db import db

    _LOADED.pop(db.engine, None)
