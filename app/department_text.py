"""Departments' names in the reader's language (services.departments: complaints carry the
English name, French readers read the French one)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask

from app.role_text import language
from services import departments


def name_of(name: str | None) -> str:
    """A department, as a complaint or a task names it, in the reader's language."""
    return departments.name_of(name, language())


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


def register(app: Flask) -> None:
    """Install `department_name(name)` in templates."""
    app.add_template_global(name_of, "department_name")
