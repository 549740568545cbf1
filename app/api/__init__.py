"""The JSON API under /api/v1: filing and tracking for the public, the task inbox for staff."""

from app.api.views import bp

__all__ = ["bp"]
