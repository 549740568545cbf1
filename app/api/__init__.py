"""The JSON API under /api/v1. Each module adds one part of it to the shared blueprint and
its operations to the OpenAPI document (app/api/openapi.py gathers them from SECTIONS)."""

from app.api import complainant, complaints, events, files, processes, tokens, views
from app.api.blueprint import bp

SECTIONS = (complaints, complainant, files, tokens, processes, events)

__all__ = ["SECTIONS", "bp", "views"]
