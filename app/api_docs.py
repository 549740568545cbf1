"""The API's readable reference: Swagger UI, served from app/static/vendor, reading the
OpenAPI document the API publishes, so the page and the contract cannot disagree."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__, url_prefix="/api")


@bp.get("/docs")
def index() -> Any:
    """Every operation of /api/v1 with its schemas, examples and errors."""
    return render_template("api/docs.html")
