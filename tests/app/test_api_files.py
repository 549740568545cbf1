"""Files through the API: documents added to a task (as on its page), listed, completing a
form's file field, and the content of a complaint's files for staff who may see it."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from services import processes
from services.db import db
from services.models import Attachment, AuditEvent, Complaint, Task
from tests import diagrams as d
from tests import journeys as j
from tests import samples
from tests.app.api_helpers import API, bearer, issue_token, problem


def _investigation(app: Flask) -> tuple[int, str]:
    with app.app_context():
        complaint = j.to_investigation()
        return complaint.id, j.open_task(complaint, "investigate_complaint").id


def _post_files(
    client: FlaskClient, token: str, task_id: str, *files: tuple[bytes, str], **parts: str
) -> object:
    data: dict[str, object] = {
        "attachments": [(io.BytesIO(content), name) for content, name in files],
        **parts,
    }
    return client.post(
        f"{API}/tasks/{task_id}/attachments",
        data=data,
        content_type="multipart/form-data",
        headers=bearer(token),
    )


def test_an_integrator_adds_documents_to_a_task_lists_and_downloads_them(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    complaint_id, task_id = _investigation(app)
    token = issue_token(runner, "investigator")
    response = _post_files(
        client, token, task_id, (samples.PDF, "signed-letter.pdf"), (samples.png(), "photo.png")
    )
    assert response.status_code == 201, response.json
    listed = response.json["attachments"]
    assert [(f["filename"], f["content_type"], f["task_id"]) for f in listed] == [
        ("signed-letter.pdf", "application/pdf", task_id),
        ("photo.png", "image/png", task_id),
    ]
    assert listed[0]["uploaded_by"]["username"] == "investigator"
    assert (
        client.get(f"{API}/tasks/{task_id}/attachments", headers=bearer(token)).json["attachments"]
        == listed
    )
    # The case page shows what the API added; the complaint's detail links each file.
    detail = client.get(f"{API}/complaints/{complaint_id}", headers=bearer(token)).json
    content_link = next(a for a in detail["attachments"] if a["filename"] == "photo.png")["links"][
        "content"
    ]
    download = client.get(content_link, headers=bearer(token))
    assert download.status_code == 200
    assert download.data == samples.png()
    assert download.mimetype == "image/png"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "private, no-store"
    download.close()
    with app.app_context():
        rows = db.session.scalars(db.select(Attachment).order_by(Attachment.id)).all()
        assert [(a.filename, a.task_id, a.uploaded_by.username) for a in rows] == [
            ("signed-letter.pdf", task_id, "investigator"),
            ("photo.png", task_id, "investigator"),
        ]


def test_a_refused_file_adds_nothing_and_names_the_problem_in_the_callers_language(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    _, task_id = _investigation(app)
    token = issue_token(runner, "investigator")
    response = client.post(
        f"{API}/tasks/{task_id}/attachments",
        data={
            "attachments": [
                (io.BytesIO(samples.HTML), "report.pdf"),
                (io.BytesIO(samples.PDF), "fine.pdf"),
            ]
        },
        content_type="multipart/form-data",
        headers={**bearer(token), "Accept-Language": "fr"},
    )
    body = problem(response, 422, "validation_failed")
    assert body["detail"] == "Aucun fichier n'a été ajouté."
    assert "report.pdf" in body["errors"]["attachments"][0]
    with app.app_context():
        assert db.session.scalar(db.select(Attachment)) is None  # all or nothing


@pytest.mark.parametrize(
    ("send", "field", "message"),
    [
        # No body at all (a JSON one is a 415: tests/app/test_api_media_types.py).
        ({}, "attachments", "Send files in a multipart/form-data body."),
        (
            {"data": {"note": "x"}, "content_type": "multipart/form-data"},
            "note",
            "This field is not part of the form.",
        ),
        (
            {"data": {}, "content_type": "multipart/form-data"},
            "attachments",
            "Choose a file to add.",
        ),
    ],
)
def test_a_body_without_files_is_a_clear_error(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, send: dict, field: str, message: str
) -> None:
    _, task_id = _investigation(app)
    token = issue_token(runner, "investigator")
    response = client.post(f"{API}/tasks/{task_id}/attachments", headers=bearer(token), **send)
    assert problem(response, 422, "validation_failed")["errors"] == {field: [message]}


def test_a_task_holds_at_most_its_limit_of_files(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    from services import attachments

    _, task_id = _investigation(app)
    token = issue_token(runner, "investigator")
    files = [(samples.PDF, f"page-{n}.pdf") for n in range(attachments.MAX_PER_TASK + 1)]
    response = _post_files(client, token, task_id, *files)
    assert problem(response, 422, "validation_failed")["errors"]["attachments"] == [
        f"Add at most {attachments.MAX_PER_TASK} files to a task."
    ]


@pytest.mark.parametrize("username", ["agent", "supervisor"])
def test_staff_without_the_tasks_role_cannot_add_or_list_its_files(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, username: str
) -> None:
    _, task_id = _investigation(app)
    token = issue_token(runner, username)
    response = _post_files(client, token, task_id, (samples.PDF, "x.pdf"))
    problem(response, 404, "not_found")
    problem(
        client.get(f"{API}/tasks/{task_id}/attachments", headers=bearer(token)), 404, "not_found"
    )
    with app.app_context():
        assert db.session.scalar(db.select(Attachment)) is None


def test_a_confidential_complaints_file_is_hidden_from_other_staff_and_its_opening_recorded(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    from services import attachments

    with app.app_context():
        complaint = j.file(description="My boss harasses me.", sensitive_at_intake=True)
        assert complaint.confidential
        attachments.add(
            complaint,
            "certificat.pdf",
            samples.PDF,
            "application/pdf",
            upload_dir=app.config["UPLOAD_DIR"],
        )
        db.session.commit()
        complaint_id = complaint.id
        attachment_id = db.session.scalar(db.select(Attachment.id))
    url = f"{API}/complaints/{complaint_id}/attachments/{attachment_id}"
    problem(client.get(url, headers=bearer(issue_token(runner, "agent"))), 404, "not_found")
    focal = client.get(url, headers=bearer(issue_token(runner, "focal")))
    assert focal.status_code == 200 and focal.data == samples.PDF
    focal.close()
    with app.app_context():
        opened = db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "confidential_opened"
            )
        ).all()
        assert [(e.data["opened"], e.data["name"], e.data["via"]) for e in opened] == [
            ("file", "certificat.pdf", "api")
        ]


def test_an_unknown_file_of_a_visible_complaint_is_a_404(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    complaint_id, _ = _investigation(app)
    token = issue_token(runner, "investigator")
    response = client.get(f"{API}/complaints/{complaint_id}/attachments/999", headers=bearer(token))
    problem(response, 404, "not_found")


def test_a_form_file_field_is_completed_through_the_api_with_the_tasks_files(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    from tests.processes.test_forms_as_data import FILE_FIELD

    with app.app_context():
        files = d.variant(d.with_call_back())
        files["forms/call_back.toml"] = (d.CALL_BACK_FORM + FILE_FIELD).encode()
        processes.deploy(files, comment="call-back with its summary")
        db.session.commit()
        complaint = j.to_minor_resolution()
        j.complete(complaint, "resolve_minor")
        task_id = j.open_task(complaint, "call_back").id
    token = issue_token(runner, "supervisor")
    answers = {"reached": True, "call_outcome": "satisfied"}
    refused = client.post(f"{API}/tasks/{task_id}/complete", json=answers, headers=bearer(token))
    assert problem(refused, 422, "validation_failed")["errors"] == {
        "call_summary": ["Attach the written summary."]
    }
    added = _post_files(client, token, task_id, (samples.PDF, "summary.pdf"))
    assert added.status_code == 201
    done = client.post(f"{API}/tasks/{task_id}/complete", json=answers, headers=bearer(token))
    assert done.status_code == 200, done.json
    with app.app_context():
        data = db.session.get(Task, task_id).data
        assert [f["name"] for f in data["call_summary"]] == ["summary.pdf"]
        assert db.session.get(Complaint, complaint.id) is not None


def test_a_retry_with_the_same_idempotency_key_adds_the_files_once(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    _, task_id = _investigation(app)
    token = issue_token(runner, "investigator")

    def send() -> object:
        return client.post(
            f"{API}/tasks/{task_id}/attachments",
            data={"attachments": [(io.BytesIO(samples.PDF), "report.pdf")]},
            content_type="multipart/form-data; boundary=fixed-boundary",
            headers={**bearer(token), "Idempotency-Key": "add-report-1"},
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 1


def test_a_completed_tasks_files_stay_what_it_was_completed_with(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    complaint_id, task_id = _investigation(app)
    with app.app_context():
        j.complete(db.session.get(Complaint, complaint_id), "investigate_complaint")
    token = issue_token(runner, "investigator")
    response = _post_files(client, token, task_id, (samples.PDF, "afterwards.pdf"))
    assert problem(response, 409, "conflict")["detail"] == "This task is no longer open."
    with app.app_context():
        assert db.session.query(Attachment).filter_by(task_id=task_id).count() == 0


def test_adding_files_answers_the_absolute_location_of_the_first_file_added(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    # The 201 had no Location, unlike the API's other 201s.
    _, task_id = _investigation(app)
    token = issue_token(runner, "investigator")
    response = _post_files(
        client, token, task_id, (samples.PDF, "signed-letter.pdf"), (samples.png(), "photo.png")
    )
    assert response.status_code == 201, response.json
    first = response.json["attachments"][0]
    assert first["filename"] == "signed-letter.pdf"
    location = response.headers["Location"]
    assert location == f"http://localhost{first['links']['content']}"
    # It leads to the file added, for the caller who added it.
    download = client.get(location, headers=bearer(token))
    assert download.status_code == 200 and download.data == samples.PDF
    assert download.mimetype == "application/pdf"
    download.close()
    # One more file: the Location names it, not the first of the task's files.
    more = _post_files(client, token, task_id, (samples.png(), "second-photo.png"))
    assert more.status_code == 201, more.json
    added = more.json["attachments"][-1]
    assert added["filename"] == "second-photo.png"
    assert more.headers["Location"] == f"http://localhost{added['links']['content']}"
    # A retry with the same Idempotency-Key replays it.
    headers = {**bearer(token), "Idempotency-Key": "files-location-1"}
    data = {"attachments": [(io.BytesIO(samples.PDF), "report.pdf")]}
    kept = client.post(
        f"{API}/tasks/{task_id}/attachments",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )
    data = {"attachments": [(io.BytesIO(samples.PDF), "report.pdf")]}
    again = client.post(
        f"{API}/tasks/{task_id}/attachments",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == kept.headers["Location"]
    assert kept.headers["Location"].startswith(f"http://localhost{API}/complaints/")
    # The document says so.
    document = client.get(f"{API}/openapi.json").json
    created = document["paths"]["/tasks/{task_id}/attachments"]["post"]["responses"]["201"]
    header = created["headers"]["Location"]
    assert header["schema"] == {"type": "string", "format": "uri"}
    assert "absolute URL" in header["description"]
    assert "/complaints/{complaint_id}/attachments/{attachment_id}" in header["description"]
