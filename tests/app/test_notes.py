"""Internal notes on a case: staff read and add them, mentions notify, complainants never see."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from services import tracking_links
from services.db import db
from services.models import AuditEvent, CaseNote, Complaint, NoteMention, Notification
from tests import journeys as j
from tests.app.helpers import login, post_form

NOTE = "Called the depot: @manager please check the refund. Secret detail 4711."


def _complaint(app: Flask) -> tuple[int, str]:
    with app.app_context():
        complaint = j.to_minor_resolution()
        task = j.open_task(complaint, "resolve_minor")
        return complaint.id, task.id


def _add_note(client: FlaskClient, complaint_id: int, body: str, page: str) -> object:
    return post_form(
        client, f"/complaints/{complaint_id}/notes", {"body": body, "next": page}, form_url=page
    )


def test_supervisor_adds_a_note_with_a_mention_seen_on_the_task_page(
    app: Flask, client: FlaskClient
) -> None:
    complaint_id, task_id = _complaint(app)
    with app.app_context():
        manager = j.user("manager")
        manager.notify_assignment = True
        db.session.commit()
    login(client, "supervisor")
    page = f"/tasks/{task_id}"
    response = _add_note(client, complaint_id, NOTE, page)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{page}#notes"
    html = client.get(page).get_data(as_text=True)
    assert "Internal notes" in html
    assert "Secret detail 4711" in html
    assert "Samuel Supervisor" in html
    with app.app_context():
        note = db.session.scalar(db.select(CaseNote))
        assert note is not None and note.body == NOTE
        assert [m.user.username for m in note.mentions] == ["manager"]
        email = db.session.scalar(
            db.select(Notification).where(Notification.kind == "note_mention")
        )
        assert email is not None and email.recipient == "manager@example.org"
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "note_added"))
        assert event is not None and not event.public
        assert "4711" not in str(event.data) and "4711" not in event.summary
        assert event.data["mentioned"] == ["manager"]


def test_the_mentioned_manager_sees_the_mention_and_opening_it_marks_it_read(
    app: Flask, client: FlaskClient
) -> None:
    complaint_id, task_id = _complaint(app)
    login(client, "supervisor")
    _add_note(client, complaint_id, NOTE, f"/tasks/{task_id}")
    client.post("/auth/logout", data={})
    other = app.test_client()
    login(other, "manager")
    inbox = other.get("/inbox").get_data(as_text=True)
    assert "A colleague mentioned you in a note (1 unread)." in inbox
    html = other.get("/mentions").get_data(as_text=True)
    assert "1 unread mention" in html
    assert "Samuel Supervisor" in html
    link = re.search(r'href="(/mentions/\d+)"', html)
    assert link
    response = other.get(link.group(1))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/complaints/{complaint_id}#notes")
    assert "0 unread mentions" in other.get("/mentions").get_data(as_text=True)
    case_page = other.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert 'id="notes"' in case_page and "Secret detail 4711" in case_page
    with app.app_context():
        assert db.session.scalar(db.select(NoteMention)).read_at is not None


def test_no_email_for_a_mentioned_colleague_who_did_not_opt_in(
    app: Flask, client: FlaskClient
) -> None:
    complaint_id, task_id = _complaint(app)
    login(client, "supervisor")
    _add_note(client, complaint_id, NOTE, f"/tasks/{task_id}")
    with app.app_context():
        assert db.session.scalar(db.select(NoteMention)) is not None
        assert (
            db.session.scalar(db.select(Notification).where(Notification.kind == "note_mention"))
            is None
        )


def test_mentioning_someone_who_cannot_see_a_confidential_case_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        complaint = j.to_classification()
        j.complete(
            complaint, "classify_complaint", sensitive=True, category="gender_based_violence"
        )
        complaint_id = complaint.id
    login(client, "focal")
    page = f"/complaints/{complaint_id}"
    response = _add_note(client, complaint_id, "Please look @manager and @nobody", page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "@manager cannot see this complaint, so cannot be mentioned here." in html
    assert "Nobody active has the username @nobody." in html
    assert "Please correct the following" in html
    assert "Please look @manager and @nobody" in html  # the text is kept
    with app.app_context():
        assert db.session.scalar(db.select(CaseNote)) is None
        assert (
            db.session.scalar(db.select(Notification).where(Notification.kind == "note_mention"))
            is None
        )


def test_staff_who_cannot_see_the_complaint_can_neither_read_nor_add_notes(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        complaint = j.to_classification()
        j.complete(
            complaint, "classify_complaint", sensitive=True, category="gender_based_violence"
        )
        complaint_id = complaint.id
    login(client, "manager")
    response = _add_note(client, complaint_id, "hello", "/inbox")
    assert response.status_code == 404
    login(client, "owner")  # a process owner reads no complaints: 403, as /complaints says
    mentions = client.get("/mentions")
    assert mentions.status_code == 403
    assert "Your role does not give access to complaints." in mentions.text


def test_an_empty_note_shows_the_error_summary(app: Flask, client: FlaskClient) -> None:
    complaint_id, task_id = _complaint(app)
    login(client, "supervisor")
    response = _add_note(client, complaint_id, "   ", f"/tasks/{task_id}")
    assert response.status_code == 422
    assert "Write the note." in response.get_data(as_text=True)


def test_the_complainant_never_sees_a_note(app: Flask, client: FlaskClient) -> None:
    complaint_id, task_id = _complaint(app)
    login(client, "supervisor")
    _add_note(client, complaint_id, NOTE, f"/tasks/{task_id}")
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint is not None
        token = tracking_links.issue(complaint, "resend")
        db.session.commit()
    public = app.test_client()
    response = public.get(f"/track/{token}", follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Aminata Diallo" in html or "C-" in html
    assert "4711" not in html and "Internal note" not in html
    with app.app_context():
        j.write_messages()
        bodies = " ".join(
            n.body + n.subject
            for n in db.session.scalars(
                db.select(Notification).where(Notification.user_id.is_(None))
            )
        )
        assert "4711" not in bodies


def test_notes_in_french(app: Flask, client: FlaskClient) -> None:
    complaint_id, task_id = _complaint(app)
    login(client, "supervisor")
    post_form(client, "/lang/fr", {"next": "/inbox"}, form_url="/inbox")
    page = f"/tasks/{task_id}"
    _add_note(client, complaint_id, "Note en français pour @manager.", page)
    html = client.get(page).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Note en français pour @manager." in html
    with app.app_context():
        assert db.session.scalar(db.select(NoteMention)) is not None


def test_mentions_are_read_from_the_text_but_email_addresses_are_not() -> None:
    from services.notes import mentioned_names

    text = "Ask @Manager and @supervisor. Copy bob@example.org, then @manager again (@focal2)."
    assert mentioned_names(text) == ["manager", "supervisor", "focal2"]
