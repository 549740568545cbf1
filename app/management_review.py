"""The management review of a period: figures against the previous period, narrative, PDF."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("management_review", __name__)
