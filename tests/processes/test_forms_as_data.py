"""A step added with its own form, as data: "Call the complainant back" after the minor
resolution, deployed with its definition; the task, its page, its API schema, its errors,
and complaints started on the previous version that never see it."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient

from services import form_definitions, processes
from services.db import db
from services.models import Task
from tests import diagrams as d
from tests import journeys as j
from tests import samples
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import csrf_token, login, post_form


def _to_call_back(app: Flask) -> tuple[int, str, int]:
    """(new complaint id, its call-back task id, id of a complaint on the previous version)."""
    with app.app_context():
        before = j.to_minor_resolution()
        d.deploy_call_back()
        complaint = j.to_minor_resolution()
        j.complete(complaint, "resolve_minor")
        task = j.open_task(complaint, "call_back")
        return complaint.id, task.id, before.id


def test_a_new_complaint_reaches_the_added_step_and_an_earlier_one_never_does(
    app: Flask,
) -> None:
    _, task_id, before_id = _to_call_back(app)
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None and task.form_key == "call_back" and task.role == "supervisor"
        before = db.session.get(type(task.complaint), before_id)
        j.complete(before, "resolve_minor")
        assert j.open_names(before) == ["sign_off_minor"]  # its version has no call-back
        version = before.instance.process_version
        assert "call_back" not in form_definitions.for_version(version)
        assert "forms/call_back.toml" not in version.files


def test_the_added_step_shows_in_the_inbox_with_its_form_and_page(
    app: Flask, client: FlaskClient
) -> None:
    _, task_id, _ = _to_call_back(app)
    login(client, "supervisor")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f"/tasks/{task_id}" in inbox and "Call the complainant back" in inbox
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "The complainant was reached" in page and "Outcome of the call" in page
    assert "Stage: Call-back" in page
    assert "What was done" in page  # the definition's context, above the form
    post_form(client, "/lang/fr", {"next": "/inbox"}, form_url="/inbox")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Le réclamant a été joint" in page and "Résultat de l&#39;appel" in page


def test_bad_data_gives_field_errors_on_the_page_and_nothing_moves(
    app: Flask, client: FlaskClient
) -> None:
    complaint_id, task_id, _ = _to_call_back(app)
    login(client, "supervisor")
    response = post_form(client, f"/tasks/{task_id}", {"reached": "y"})
    assert response.status_code == 422
    assert "Say how the call went." in response.get_data(as_text=True)
    response = post_form(client, f"/tasks/{task_id}", {"call_notes": ""})
    assert "Say when you tried to call." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"
    response = post_form(client, f"/tasks/{task_id}", {"reached": "y", "call_outcome": "satisfied"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task.status == "completed"
        assert task.data["reached"] is True and task.data["call_outcome"] == "satisfied"
        assert j.open_names(task.complaint) == ["sign_off_minor"]


def test_the_api_publishes_the_added_form_and_checks_it(
    app: Flask, client: FlaskClient, runner
) -> None:
    _, task_id, _ = _to_call_back(app)
    headers = bearer(issue_token(runner, "supervisor"))
    detail = client.get(f"{API}/tasks/{task_id}", headers=headers).json
    schema = detail["payload_schema"]
    assert set(schema["properties"]) == {"reached", "call_outcome", "call_notes"}
    assert schema["properties"]["call_outcome"]["x-shown-when"] == {
        "field": "reached",
        "filled": True,
    }
    document = client.get(f"{API}/openapi.json").json
    assert "CallBackForm" in document["components"]["schemas"]
    completion = document["paths"]["/tasks/{task_id}/complete"]["post"]
    assert completion["x-form-keys"]["call_back"] == "#/components/schemas/CallBackForm"
    response = client.post(
        f"{API}/tasks/{task_id}/complete", json={"reached": True}, headers=headers
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"call_outcome": ["Say how the call went."]}
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"reached": False, "call_notes": "Tried at 10:00, no answer."},
        headers=headers,
    )
    assert response.status_code == 200, response.json


def test_deploy_refuses_a_form_without_both_languages_or_with_a_bad_condition(app: Flask) -> None:
    with app.app_context():
        files = d.variant(d.with_call_back())
        broken = d.CALL_BACK_FORM.replace(', fr = "Notes d\'appel"', "").replace(
            'shown_when = "reached"', 'shown_when = "reached and __import__"'
        )
        files["forms/call_back.toml"] = broken.encode()
        result = processes.validate(files)
        texts = [str(p) for p in result.problems]
        assert any("call_notes" in t and "no text in fr" in t for t in texts), texts
        assert any("shown_when" in t and "__import__" in t for t in texts), texts
        assert {p.file for p in result.problems if "call_notes" in str(p)} == {
            "forms/call_back.toml"
        }


def test_deploy_refuses_a_step_whose_form_is_not_defined(app: Flask) -> None:
    with app.app_context():
        result = processes.validate(d.variant(d.with_call_back()))
        assert any("unknown form key 'call_back'" in str(p) for p in result.problems)


def test_deploy_refuses_a_gateway_that_reads_a_field_no_form_has(app: Flask) -> None:
    with app.app_context():
        text = d.edited(
            d.bpmn(), 'escalation_decision == "approved"', 'escalation_verdict == "approved"'
        )
        result = processes.validate(d.variant(text))
        assert any("reads 'escalation_verdict'" in str(p) for p in result.problems), [
            str(p) for p in result.problems
        ]
        assert processes.validate(d.files()).problems == []


FILE_FIELD = """
[[fields]]
name = "call_summary"
type = "file"
label = { en = "Written summary of the call", fr = "Compte rendu écrit de l'appel" }
required = { en = "Attach the written summary.", fr = "Joignez le compte rendu écrit." }
"""


def test_a_file_field_is_completed_with_the_files_attached_to_the_task(
    app: Flask, client: FlaskClient, runner
) -> None:
    with app.app_context():
        files = d.variant(d.with_call_back())
        files["forms/call_back.toml"] = (d.CALL_BACK_FORM + FILE_FIELD).encode()
        processes.deploy(files, comment="call-back with its summary")
        db.session.commit()
        complaint = j.to_minor_resolution()
        j.complete(complaint, "resolve_minor")
        task_id = j.open_task(complaint, "call_back").id
    login(client, "supervisor")
    answers = {"reached": "y", "call_outcome": "satisfied"}
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "No file attached to this task yet" in page
    response = post_form(client, f"/tasks/{task_id}", answers)
    assert response.status_code == 422
    assert "Attach the written summary." in response.get_data(as_text=True)
    headers = bearer(issue_token(runner, "supervisor"))
    refused = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={**{"reached": True, "call_outcome": "satisfied"}, "call_summary": [1]},
        headers=headers,
    )
    assert refused.status_code == 422 and "call_summary" in refused.json["errors"]
    token = csrf_token(client, f"/tasks/{task_id}")
    client.post(
        f"/tasks/{task_id}/attachments",
        data={"csrf_token": token, "attachments": [(io.BytesIO(samples.PDF), "summary.pdf")]},
        content_type="multipart/form-data",
    )
    response = post_form(client, f"/tasks/{task_id}", answers)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        data = db.session.get(Task, task_id).data
        assert [f["name"] for f in data["call_summary"]] == ["summary.pdf"]
