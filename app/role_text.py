"""The roles' names in the reader's language (the role table, services.roles)."""

from __future__ import annotations

from flask_babel import get_locale

from services import roles


def language() -> str:
    """The reader's language code."""
    return str(get_locale() or "en")


def labels() -> dict[str, str]:
    """Role key -> its name in the reader's language."""
    return roles.labels(language())


def choices(*, lanes_only: bool = False) -> list[tuple[str, str]]:
    """(key, name in the reader's language) of every role or of the lane roles, in list order;
    also what forms.choices.label reads."""
    return roles.choices(language(), lanes_only=lanes_only)


def name_of(key: str) -> str:
    """A role's name in the reader's language (its key if it no longer exists)."""
    return roles.name_of(key, language())
