"""Named inbox filters a user keeps: each user sees and deletes only their own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import SavedFilter, User

# The inbox settings a saved filter may hold (the page number is not one of them).
KEYS = (
    "scope",
    "category",
    "severity",
    "channel",
    "status",
    "department",
    "search",
    "service_level",
    "sort",
)
MAX_NAME = 100
MAX_VALUE = 200


def save(user: User, name: str, query: Mapping[str, Any]) -> SavedFilter:
    """Keep `query` under `name` for the user; saving under an existing name replaces it."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        message = f"Give the filter a name of 1 to {MAX_NAME} characters."
        raise InvalidInput(message, details={"name": [message]})
    clean = {
        key: str(value)[:MAX_VALUE]
        for key, value in query.items()
        if key in KEYS and value not in (None, "")
    }
    saved: SavedFilter | None = db.session.scalar(
        db.select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name)
    )
    if saved is None:
        saved = SavedFilter(user_id=user.id, name=name, query=clean)
        db.session.add(saved)
    else:
        saved.query = clean
    db.session.flush()
    return saved


def list_for(user: User) -> list[SavedFilter]:
    """The user's saved filters, by name."""
    return list(
        db.session.scalars(
            db.select(SavedFilter)
            .where(SavedFilter.user_id == user.id)
            .order_by(SavedFilter.name, SavedFilter.id)
        )
    )


def get_for(user: User, filter_id: int) -> SavedFilter:
    """One of the user's saved filters; NotFound for anybody else's."""
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound("No such saved filter.")
    return saved


def delete(user: User, filter_id: int) -> SavedFilter:
    """Delete one of the user's saved filters; NotFound for anybody else's."""
    saved = get_for(user, filter_id)
    db.session.delete(saved)
    db.session.flush()
    return saved
