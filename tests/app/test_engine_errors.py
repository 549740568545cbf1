"""A diagram that fails or runs away at run time: a logged engine error, a short message for
staff, nothing saved, and a worker that goes on serving."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import REPO_ROOT
from services import processes, users
from services.db import db
from services.models import AuditEvent, Complaint, ProcessInstance, Task
from tests import journeys as j
from tests.app.helpers import login, post_form

BPMN = REPO_ROOT / "processes" / "complaint_handling.bpmn"
COUNT_SCRIPT = "information_requests = information_requests + 1"
INCOMPLETE = {"registration_outcome": "incomplete", "missing_information": "Your signature."}


def deploy_with(app: Flask, old: str, new: str) -> None:
    """Deploy the default procedure with one edit, as a process owner would."""
    text = BPMN.read_text()
    assert old in text
    with app.app_context():
        files = {
            **processes.read_directory(BPMN.parent),
            "complaint_handling.bpmn": text.replace(old, new, 1).encode(),
        }
        processes.deploy(files, comment="test")
        db.session.commit()


def registration_task(app: Flask) -> tuple[str, str]:
    with app.app_context():
        complaint = j.file()
        return complaint.reference, j.open_task(complaint, "register_complaint").id


def database_state(app: Flask, reference: str) -> dict[str, Any]:
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint).where(Complaint.reference == reference))
        instance = db.session.scalar(
            db.select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)
        )
        return {
            "status": complaint.status,
            "token": instance.version_token,
            "state": instance.state,
            "tasks": sorted(
                (t.name, t.status)
                for t in db.session.scalars(
                    db.select(Task).where(Task.complaint_id == complaint.id)
                )
            ),
            "events": db.session.scalar(db.select(db.func.count(AuditEvent.id))),
        }


def engine_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "services.workflows"]


def test_a_script_that_loops_for_ever_is_stopped_and_nothing_is_saved(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
):
    deploy_with(app, COUNT_SCRIPT, "while True:\n        pass")
    reference, task_id = registration_task(app)
    before = database_state(app, reference)
    login(client, "agent")
    with caplog.at_level(logging.ERROR, logger="services.workflows"):
        response = post_form(client, f"/tasks/{task_id}", INCOMPLETE)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "The procedure stopped at step “Count information request”" in page
    assert "Nothing was saved; please tell the process owner." in page
    assert "while True" not in page
    [record] = engine_log(caplog)
    assert record.complaint_reference == reference  # type: ignore[attr-defined]
    assert record.element_id == "count_information_request"  # type: ignore[attr-defined]
    message = record.getMessage()
    assert message.startswith(
        f"engine error on complaint {reference} at element count_information_request: "
        "The procedure stopped at 'Count information request': diagram code was stopped: "
        "it ran longer than 1 s"
    )
    assert database_state(app, reference) == before
    # The worker is healthy: the next request is served, and the task can still be done.
    assert client.get(f"/tasks/{task_id}").status_code == 200
    response = post_form(client, f"/tasks/{task_id}", j.ANSWERS["register_complaint"])
    assert response.status_code == 302
    assert database_state(app, reference)["tasks"] == [
        ("classify_complaint", "open"),
        ("register_complaint", "completed"),
    ]


@pytest.mark.parametrize(
    ("script", "stopped"),
    [
        # One C call of hours (int() of it writes a hundred million digits).
        (
            "information_requests = int(Decimal('1e99999999'))",
            "int() of a Decimal would have 99,999,999 digits (limit 30,103)",
        ),
        # Sixty steps build 2**60 references the serializer would walk after the step.
        (
            "a = ()\nfor i in range(60):\n    a = (a, a)\ninformation_requests = a",
            "the task data the script leaves would hold more than 100,000 values",
        ),
    ],
)
def test_a_script_that_would_hold_the_worker_for_hours_is_refused_and_nothing_is_saved(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture, script: str, stopped: str
):
    deploy_with(app, COUNT_SCRIPT, script)
    reference, task_id = registration_task(app)
    before = database_state(app, reference)
    login(client, "agent")
    with caplog.at_level(logging.ERROR, logger="services.workflows"):
        response = post_form(client, f"/tasks/{task_id}", INCOMPLETE)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "The procedure stopped at step “Count information request”" in page
    assert "ran too long or grew too large. Nothing was saved; please tell the process" in page
    [record] = engine_log(caplog)
    assert record.element_id == "count_information_request"  # type: ignore[attr-defined]
    assert f"diagram code was stopped: {stopped}" in record.getMessage()
    assert database_state(app, reference) == before


def test_a_failing_condition_is_logged_and_staff_see_a_short_message(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
):
    condition = 'registration_outcome == "incomplete"'
    # Deploys (every name exists) but fails when it runs: text plus a number.
    deploy_with(app, condition, "registration_outcome + 1 == 1")
    reference, task_id = registration_task(app)
    before = database_state(app, reference)
    login(client, "agent")
    with caplog.at_level(logging.ERROR, logger="services.workflows"):
        response = post_form(client, f"/tasks/{task_id}", INCOMPLETE)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "The procedure could not continue at step “" in page
    assert "registration_outcome + 1" not in page
    [record] = engine_log(caplog)
    assert record.complaint_reference == reference  # type: ignore[attr-defined]
    assert record.element_id  # type: ignore[attr-defined]
    assert f"engine error on complaint {reference} at element {record.element_id}: " in (
        record.getMessage()
    )
    assert "registration_outcome + 1" in record.getMessage()  # the expression, for us
    assert database_state(app, reference) == before


def test_the_api_gives_the_short_message_and_the_element(app: Flask, client: FlaskClient):
    deploy_with(app, COUNT_SCRIPT, "while True:\n        pass")
    _, task_id = registration_task(app)
    with app.app_context():
        token = users.issue_api_token(j.user("agent"))
        db.session.commit()
    response = client.post(
        f"/api/v1/tasks/{task_id}/complete",
        json=INCOMPLETE,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 500
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert body["element_id"] == "count_information_request"
    assert body["detail"].startswith("The procedure stopped at step “Count information request”")
