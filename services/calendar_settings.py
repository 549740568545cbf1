"""The administrator's side of the business calendar: the settings row and the closure days.

Every change is audited (complaint_id None, kinds calendar_*) and drops the loaded calendar
(business_calendar.invalidate) so that this worker computes the next due time with it; other
workers re-read it within a minute. Due times already computed keep their value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from services import audit, business_calendar, roles
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import AuditEvent, BusinessCalendar, ClosureDay, User

FIELDS = (
    "timezone",
    "working_days",
    "work_starts",
    "work_ends",
    "holiday_country",
    "holiday_subdivision",
    "at_risk_share",
)
# The demo organisation's own closures (seed-demo), as (month, day, name): the next ones.
DEMO_CLOSURES = (
    (12, 24, "Fermeture annuelle (veille de Noël)"),
    (12, 31, "Fermeture annuelle (31 décembre)"),
)


@dataclass(frozen=True)
class DayOff:
    """A day the organisation does not work: a public holiday or one of its closures."""

    day: date
    name: str
    kind: str  # "holiday" or "closure"
    closure_id: int | None = None


def manages_calendar(user: User) -> bool:
    """Administrators keep the business calendar."""
    return user.active and user.has_role(roles.ADMINISTRATOR)


def require_manages_calendar(user: User) -> User:
    """The user if they may change the business calendar, else NotAllowed."""
    if not manages_calendar(user):
        raise NotAllowed("Only administrators change the business calendar.")
    return user


def settings() -> BusinessCalendar:
    """The calendar row (the migration inserts it; made again with defaults if it is gone)."""
    row = db.session.get(BusinessCalendar, 1)
    if row is None:
        row = BusinessCalendar(
            id=1,
            timezone="Europe/Paris",
            working_days="1 2 3 4 5",
            work_starts=time(9, 0),
            work_ends=time(17, 30),
            holiday_country="FR",
            holiday_subdivision="",
            at_risk_share=Decimal("0.75"),
            preset="grievance",
        )
        db.session.add(row)
        db.session.flush()
    return row


def _snapshot(row: BusinessCalendar) -> dict[str, Any]:
    return {name: audit.jsonable(getattr(row, name)) for name in FIELDS}


def update(
    actor: User,
    *,
    timezone: str,
    weekdays: Iterable[int],
    starts: time,
    ends: time,
    country: str,
    subdivision: str,
    at_risk_percent: int,
) -> BusinessCalendar:
    """Change the calendar's settings, checked again here (the form checks them first)."""
    require_manages_calendar(actor)
    days = sorted({int(d) for d in weekdays})
    errors: dict[str, list[str]] = {}
    if not business_calendar.is_timezone(timezone):
        errors["timezone"] = [f"{timezone!r} is not a time zone"]
    if not days or any(not 1 <= d <= 7 for d in days):
        errors["weekdays"] = ["Choose at least one working day, Monday = 1 to Sunday = 7"]
    if not starts < ends:
        errors["ends"] = ["The working day ends after it starts"]
    country = (country or "").strip().upper()
    code: str | None = ""
    if country and country not in business_calendar.countries():
        errors["country"] = [f"{country!r} is not a country the holidays package knows"]
    elif country:
        code = business_calendar.subdivision_code(country, subdivision)
        if code is None:
            errors["subdivision"] = [f"{subdivision!r} is not a subdivision of {country}"]
    elif (subdivision or "").strip():
        errors["subdivision"] = ["A subdivision needs a country"]
    if not 1 <= int(at_risk_percent) <= 99:
        errors["at_risk_share"] = ["The at-risk share is a percentage from 1 to 99"]
    if errors:
        raise InvalidInput("The calendar was not saved.", details=errors)
    row = settings()
    before = _snapshot(row)
    row.timezone = timezone
    row.working_days = " ".join(str(d) for d in days)
    row.work_starts = starts
    row.work_ends = ends
    row.holiday_country = country
    row.holiday_subdivision = code or ""
    row.at_risk_share = Decimal(int(at_risk_percent)) / 100
    row.updated_by_id = actor.id
    after = _snapshot(row)
    if after != before:
        changed = [name for name in FIELDS if after[name] != before[name]]
        audit.record(
            None,
            "calendar_changed",
            actor=actor,
            message="Business calendar changed: %(fields)s",
            params={"fields": changed},
            data={"before": before, "after": after},
        )
    db.session.flush()
    business_calendar.invalidate()
    return row


def closures() -> list[ClosureDay]:
    """The organisation's closure days, by date."""
    return list(db.session.scalars(db.select(ClosureDay).order_by(ClosureDay.day)))


def closure_on(day: date) -> ClosureDay | None:
    """The closure on this day, if there is one."""
    return db.session.scalar(db.select(ClosureDay).where(ClosureDay.day == day))


def add_closure(actor: User, day: date, name: str) -> ClosureDay:
    """Close the organisation on a day; one closure per day."""
    require_manages_calendar(actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Name the closure.", details={"name": ["Name the closure."]})
    existing = closure_on(day)
    if existing is not None:
        message = f"{day.isoformat()} is already a closure day ({existing.name})."
        raise InvalidInput(message, details={"day": [message]})
    closure = ClosureDay(day=day, name=name[:200], created_by_id=actor.id)
    try:
        with db.session.begin_nested():  # two administrators adding the same day at once
            db.session.add(closure)
    except IntegrityError:
        message = f"{day.isoformat()} is already a closure day."
        raise InvalidInput(message, details={"day": [message]}) from None
    audit.record(
        None,
        "calendar_closure_added",
        actor=actor,
        message="Closure day added: %(day)s %(name)s",
        params={"day": day.isoformat(), "name": closure.name},
        data={"day": day, "name": closure.name},
    )
    business_calendar.invalidate()
    return closure


def remove_closure(actor: User, closure_id: int) -> ClosureDay:
    """Open again on a closure day."""
    require_manages_calendar(actor)
    closure = db.session.get(ClosureDay, closure_id)
    if closure is None:
        raise NotFound("No such closure day.")
    db.session.delete(closure)
    db.session.flush()
    audit.record(
        None,
        "calendar_closure_removed",
        actor=actor,
        message="Closure day removed: %(day)s %(name)s",
        params={"day": closure.day.isoformat(), "name": closure.name},
        data={"day": closure.day, "name": closure.name},
    )
    business_calendar.invalidate()
    return closure


def days_off_ahead(first: date, language: str, days: int = 366) -> list[DayOff]:
    """Public holidays (named in `language` where the holidays package can) and closures from
    `first` for a year, by date; a closure on a holiday is listed under both."""
    calendar = business_calendar.current()
    last = first + timedelta(days=days - 1)
    found = []
    if calendar.country:
        table = calendar.holidays_in(language)
        for year in range(first.year, last.year + 1):
            table.get(date(year, 1, 1))  # the holidays package fills a year on first use
        found = [
            DayOff(day, str(name), "holiday") for day, name in table.items() if first <= day <= last
        ]
    found += [
        DayOff(c.day, c.name, "closure", c.id)
        for c in db.session.scalars(
            db.select(ClosureDay).where(ClosureDay.day >= first, ClosureDay.day <= last)
        )
    ]
    return sorted(found, key=lambda d: (d.day, d.kind != "holiday", d.name))


def history(limit: int = 50) -> list[AuditEvent]:
    """The audit events about the calendar, newest first."""
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.kind.like("calendar_%"), AuditEvent.complaint_id.is_(None))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


def ensure_demo_closures(today: date) -> int:
    """Add the demo organisation's next closure days once (seed-demo); how many were added."""
    if db.session.scalar(db.select(db.func.count()).select_from(ClosureDay)):
        return 0
    for month, day, name in DEMO_CLOSURES:
        when = date(today.year, month, day)
        if when < today:
            when = date(today.year + 1, month, day)
        db.session.add(ClosureDay(day=when, name=name))
    db.session.flush()
    business_calendar.invalidate()
    return len(DEMO_CLOSURES)
