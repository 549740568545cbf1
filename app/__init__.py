"""complaintflow's Flask application; `create_app` builds it (app/factory.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application (imports the web layer, SQLAlchemy and the engine on first use)."""
    from app.factory import create_app as build

    return build(test_config)
