"""Helpers of the JSON API tests: tokens issued through the CLI, complaints reached by journeys."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from werkzeug.test import TestResponse

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


def problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The RFC 9457 problem the API answered, after checking its status, type and code."""
    assert response.status_code == status, response.text
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["code"] == code, body
    assert body["type"] == f"/api/v1/problems/{code}"
    return body
