"""Recurring problems, systemic issues and improvement actions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("improvement", __name__)
