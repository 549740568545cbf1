"""Staff documents on a task: checked like public uploads, listed with who added them, internal."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services import attachments
from services.db import db
from services.models import Attachment, AuditEvent, Complaint
from tests import journeys as j
from tests import samples
from tests.app.helpers import csrf_token, login, post_form


def _investigation(app: Flask) -> tuple[int, str]:
    with app.app_context():
        complaint = j.to_investigation()
        return complaint.id, j.open_task(complaint, "investigate_complaint").id


def _upload(client: FlaskClient, task_id: str, *files: tuple[bytes, str]) -> object:
    token = csrf_token(client, f"/tasks/{task_id}")
    data = {
        "csrf_token": token,
        "attachments": [(io.BytesIO(content), name) for content, name in files],
    }
    return client.post(
        f"/tasks/{task_id}/attachments", data=data, content_type="multipart/form-data"
    )


def test_the_investigator_adds_a_signed_letter_listed_with_who_added_it(
    app: Flask, client: FlaskClient
) -> None:
    complaint_id, task_id = _investigation(app)
    login(client, "investigator")
    response = _upload(
        client, task_id, (samples.PDF, "signed-letter.pdf"), (samples.png(), "photo.png")
    )
    assert response.status_code == 302
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "2 files added." in html
    assert "signed-letter.pdf" in html and "photo.png" in html
    assert "added by Ines Investigator" in html
    with app.app_context():
        rows = list(db.session.scalars(db.select(Attachment)))
        assert {(a.filename, a.task_id, a.uploaded_by.username) for a in rows} == {
            ("signed-letter.pdf", task_id, "investigator"),
            ("photo.png", task_id, "investigator"),
        }
        events = list(
            db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == "attachment_added"))
        )
        assert events and not any(e.public for e in events)
        # Staff documents do not use up the complainant's own allowance of files.
        assert attachments.count(complaint_id) == 0
    case_page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "Staff documents" in case_page and "signed-letter.pdf" in case_page
    assert "added by Ines Investigator" in case_page
    download = client.get(f"/complaints/{complaint_id}/attachments/{rows[0].id}")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF") or download.data.startswith(b"\x89PNG")
    # Personal data: a download only, kept by no shared cache.
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()


def test_a_disguised_file_is_refused_with_the_error_summary(
    app: Flask, client: FlaskClient
) -> None:
    _, task_id = _investigation(app)
    login(client, "investigator")
    response = _upload(client, task_id, (samples.HTML, "report.pdf"), (samples.PDF, "fine.pdf"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please correct the following" in html
    assert "report.pdf" in html
    with app.app_context():
        assert db.session.scalar(db.select(Attachment)) is None  # all or nothing


def test_no_file_chosen_is_a_clear_error(app: Flask, client: FlaskClient) -> None:
    _, task_id = _investigation(app)
    login(client, "investigator")
    response = post_form(client, f"/tasks/{task_id}/attachments", {}, form_url=f"/tasks/{task_id}")
    assert response.status_code == 422
    assert "Choose a file to add." in response.get_data(as_text=True)


def test_staff_documents_never_reach_the_tracking_page(app: Flask, client: FlaskClient) -> None:
    from services import tracking_links

    complaint_id, task_id = _investigation(app)
    login(client, "investigator")
    _upload(client, task_id, (samples.PDF, "internal-memo.pdf"))
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        token = tracking_links.issue(complaint, "resend")
        db.session.commit()
    html = app.test_client().get(f"/track/{token}", follow_redirects=True).get_data(as_text=True)
    assert "internal-memo.pdf" not in html


@pytest.mark.parametrize("username", ["agent", "supervisor"])
def test_staff_who_cannot_see_the_task_cannot_add_files(
    app: Flask, client: FlaskClient, username: str
) -> None:
    _, task_id = _investigation(app)
    login(client, username)
    token = csrf_token(client, "/inbox")
    response = client.post(
        f"/tasks/{task_id}/attachments",
        data={"csrf_token": token, "attachments": [(io.BytesIO(samples.PDF), "x.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
