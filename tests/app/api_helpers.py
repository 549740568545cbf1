"""Helpers of the JSON API tests: tokens issued through the CLI, complaints reached by journeys."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner

from services.db import db
from services.models import Complaint
from tests import journeys

API = "/api/v1"


def issue_token(runner: FlaskCliRunner, username: str) -> str:
    """A fresh API token, issued the way an administrator does it."""
    result = runner.invoke(args=["issue-token", username])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def bearer(token: str) -> dict[str, str]:
    """The header that authenticates an API request."""
    return {"Authorization": f"Bearer {token}"}


def file_complaint(app: Flask, **overrides: object) -> tuple[int, str]:
    """File a complaint through the services; its id and reference."""
    with app.app_context():
        complaint = journeys.file(**overrides)
        return complaint.id, complaint.reference


def open_task_id(app: Flask, complaint_id: int, name: str) -> str:
    """The id of the complaint's open task called `name`."""
    with app.app_context():
        return journeys.open_task(db.session.get(Complaint, complaint_id), name).id
