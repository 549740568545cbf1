"""Complaints for API clients: filters, and keyset pages that stay stable while complaints arrive.

The order is by receipt time then id (newest first by default). A page ends with a cursor that
holds the last row's sort key: the next page starts strictly after it, so rows neither repeat
nor go missing when complaints are filed between two requests, and deep pages cost no OFFSET.
Visibility is the staff list's rule (services.permissions.visible_complaints_filter).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, or_, union_all

from services import business_calendar, permissions
from services.clock import as_utc
from services.db import MAX_INT, db
from services.errors import InvalidInput
from services.models import Complaint, User

SORTS = ("newest", "oldest")
STATES = ("open", "closed")
MAX_LIMIT = 100


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row's receipt time and id, in the page's order."""

    sort: str
    received_at: datetime
    id: int

    def encode(self) -> str:
        """The cursor as an opaque URL-safe text."""
        raw = json.dumps([self.sort, self.received_at.astimezone(UTC).isoformat(), self.id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The cursor an earlier page gave, or InvalidInput if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sort, moment, number = json.loads(raw)
        received_at = datetime.fromisoformat(moment)
        if sort not in SORTS or received_at.tzinfo is None or type(number) is not int:
            raise ValueError(text)
        if not 0 <= number <= MAX_INT:  # no complaint's id: PostgreSQL refuses to compare
            raise ValueError(text)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "This cursor is not one this list gave.",
            details={"cursor": ["This cursor is not one this list gave."]},
        ) from None
    return Cursor(sort, received_at, number)


@dataclass(frozen=True)
class ComplaintQuery:
    """What an API client asks of the complaint list; every filter is optional."""

    reference: str | None = None
    name: str | None = None  # part of the complainant's name
    status: str | None = None
    category: str | None = None
    channel: str | None = None
    department: str | None = None
    received_from: date | None = None  # days in the organisation's time zone, both included
    received_to: date | None = None
    state: str | None = None  # open, or closed (staff work done: closed_at set)
    sort: str = "newest"
    after: Cursor | None = None
    limit: int = 25


@dataclass(frozen=True)
class ComplaintSlice:
    """One page of complaints, and the cursor of the next page (None on the last)."""

    complaints: list[Complaint]
    next_cursor: str | None


def conditions(user: User, query: ComplaintQuery) -> list[ColumnElement[bool]]:
    """The SQL conditions of the query's filters, visibility first."""
    found: list[ColumnElement[bool]] = [permissions.visible_complaints_filter(user)]
    for column, value in (
        (Complaint.status, query.status),
        (Complaint.category, query.category),
        (Complaint.channel, query.channel),
        (Complaint.department, query.department),
    ):
        if value:
            found.append(column == value)
    if query.reference:
        found.append(Complaint.reference == query.reference.strip().upper())
    if query.name and query.name.strip():
        found.append(name_contains(query.name))
    # A day at the ends of the calendar (0001-01-01, 9999-12-31) bounds nothing: its start in
    # UTC, or the next day, lies outside what datetime holds.
    if query.received_from is not None:
        start = _day_start_within_range(query.received_from)
        if start is not None:
            found.append(Complaint.received_at >= start)
    if query.received_to is not None and query.received_to < date.max:
        end = _day_start_within_range(query.received_to + timedelta(days=1))
        if end is not None:
            found.append(Complaint.received_at < end)
    if query.state == "open":
        found.append(Complaint.closed_at.is_(None))
    elif query.state == "closed":
        found.append(Complaint.closed_at.is_not(None))
    return found


def name_contains(term: str) -> ColumnElement[bool]:
    """Complainant names containing `term`, whatever the case; % and _ are plain characters."""
    escaped = term.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Complaint.complainant_name.ilike(f"%{escaped}%", escape="\\")


def day_start(day: date) -> datetime:
    """The UTC moment a day of the organisation's calendar begins."""
    return business_calendar.from_local(datetime.combine(day, time()))


def _day_start_within_range(day: date) -> datetime | None:
    """day_start, or None when it is before (or after) any time datetime can hold."""
    try:
        return day_start(day)
    except OverflowError:
        return None


def _after(cursor: Cursor) -> ColumnElement[bool]:
    """Rows strictly after the cursor in its order; written so that the receipt-time bound
    alone can be an index condition (ix_complaint_confidential_received)."""
    moment = cursor.received_at.astimezone(UTC)
    if cursor.sort == "oldest":
        return and_(
            Complaint.received_at >= moment,
            or_(Complaint.received_at > moment, Complaint.id > cursor.id),
        )
    return and_(
        Complaint.received_at <= moment,
        or_(Complaint.received_at < moment, Complaint.id < cursor.id),
    )


def search(user: User, query: ComplaintQuery) -> ComplaintSlice:
    """One page of the complaints the user may see that match the query."""
    if query.after is not None and query.after.sort != query.sort:
        raise InvalidInput(
            "This cursor belongs to another order of the list.",
            details={"cursor": ["This cursor belongs to another order of the list."]},
        )
    limit = max(1, min(query.limit, MAX_LIMIT))
    where = conditions(user, query)
    if query.after is not None:
        where.append(_after(query.after))
    descending = query.sort == "newest"
    order = (
        (Complaint.received_at.desc(), Complaint.id.desc())
        if descending
        else (Complaint.received_at.asc(), Complaint.id.asc())
    )
    # One ordered branch per confidentiality value, each walking the (confidential,
    # received_at) index and stopping after a page; merged, they give the page in order.
    flags = (False, True) if permissions.sees_confidential(user) else (False,)
    branches = [
        db.select(Complaint.id, Complaint.received_at)
        .where(*where, Complaint.confidential.is_(flag))
        .order_by(*order)
        .limit(limit + 1)
        for flag in flags
    ]
    if len(branches) == 1:
        keys = branches[0].subquery()
    else:
        keys = union_all(*(db.select(b.subquery()) for b in branches)).subquery()
    merged = (
        (keys.c.received_at.desc(), keys.c.id.desc())
        if descending
        else (keys.c.received_at.asc(), keys.c.id.asc())
    )
    ids = list(db.session.scalars(db.select(keys.c.id).order_by(*merged).limit(limit + 1)))
    rows = {c.id: c for c in db.session.scalars(db.select(Complaint).where(Complaint.id.in_(ids)))}
    found = [rows[i] for i in ids if i in rows]
    page, more = found[:limit], len(found) > limit
    last = page[-1] if page else None
    next_cursor = (
        Cursor(query.sort, as_utc(last.received_at) or last.received_at, last.id).encode()
        if more and last is not None
        else None
    )
    return ComplaintSlice(page, next_cursor)
