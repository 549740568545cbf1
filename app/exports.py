"""Streamed CSV and XLSX exports of the complaint list."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__)
