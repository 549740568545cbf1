"""The application's notion of now, always timezone-aware UTC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

# Set only while the demo plays a step of a complaint's past (services.demo).
_PLAYED_AT: ContextVar[datetime | None] = ContextVar("played_at", default=None)


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def step_time() -> datetime:
    """When the procedure's step being saved happened: now, except in played_at's block."""
    played = _PLAYED_AT.get()
    return datetime.now(UTC) if played is None else played


@contextmanager
def played_at(moment: datetime) -> Iterator[None]:
    """Within the block, steps saved happened at `moment`: their service levels are judged
    met on time or late as of then. For replaying a complaint's past only (the demo)."""
    token = _PLAYED_AT.set(as_utc(moment))
    try:
        yield
    finally:
        _PLAYED_AT.reset(token)


def as_utc(value: datetime | None) -> datetime | None:
    """Make a datetime aware UTC; SQLite hands back naive values."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
