"""Complaints for staff and integrators: list and search, look-up by reference, authenticated
intake, task reassignment."""

from __future__ import annotations

from typing import Any

from app.api.blueprint import bp  # noqa: F401  (routes of this part register on it)


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    return {}


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    return {}
