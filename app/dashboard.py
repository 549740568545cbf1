"""The reports dashboard (managers, analysts): figures, charts and their tables, drill-downs."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
