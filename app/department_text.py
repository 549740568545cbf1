"""Departments' names in the reader's language (services.departments: complaints carry the
English name, French readers read the French one)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from flask_babel import gettext as _

from app.role_text import language
from services import departments


def name_of(name: str | None) -> str:
    """A department, as a complaint or a task names it, in the reader's language."""
    return departments.name_of(name, language())


def recorded(
    name: str | None = None, name_fr: str | None = None, department_id: int | None = None
) -> str:
    """A department as an audit event recorded it (its English name then, its French name
    then, its id), in the reader's language, read now: services.departments.recorded_name."""
    found = departments.recorded_name(language(), name, name_fr, department_id)
    if found is None:
        return _("a department since deleted") if department_id is not None else ""
    return found


def names_in() -> dict[str, str]:
    """Department name as stored -> name in the reader's language, when it differs (a table
    for many rows: an export, a report's table)."""
    return departments.names_in(language())


def labels(names: Iterable[str]) -> list[tuple[str, str]]:
    """(name as stored, name in the reader's language), in the reader's order: a filter's
    department choices."""
    return departments.labels(names, language())


def choices(*, keep: str = "") -> list[tuple[str, str]]:
    """The active departments (and `keep`) as (name as stored, name in the reader's
    language), for the public form's and staff intake's select."""
    return departments.choices(language(), keep=keep)


def aliases() -> dict[str, str]:
    """The active departments' French names -> the names complaints carry: the intake takes
    either (services.departments.french_aliases)."""
    return departments.french_aliases()


def register(app: Flask) -> None:
    """Install `department_name(name)` in templates."""
    app.add_template_global(name_of, "department_name")
