"""The task page: every form renders for its role, completes, refuses bad input, guards access."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services import business_calendar, tasks, users, workflows
from services.db import db
from services.models import AuditEvent, Complaint, Task
from tests import journeys as j
from tests.app.helpers import csrf_token, login, post_form

ESCALATION = {
    "escalation_requested": True,
    "escalation_target": "legal_counsel",
    "escalation_reason": "Possible breach of consumer law by the depot.",
}


def at_registration() -> Complaint:
    return j.file()


def at_escalation() -> Complaint:
    complaint = j.to_investigation()
    j.complete(complaint, "investigate_complaint", **ESCALATION)
    return complaint


def at_legal_review() -> Complaint:
    complaint = at_escalation()
    j.complete(complaint, "approve_escalation")
    return complaint


def at_major_resolution() -> Complaint:
    complaint = j.to_investigation()
    j.complete(complaint, "investigate_complaint")
    return complaint


def at_confidential() -> Complaint:
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", sensitive=True, category="gender_based_violence")
    # The survivor-centred path: consent and the referral offer come first.
    j.complete(complaint, "record_consent")
    j.complete(complaint, "refer_support")
    return complaint


def at_minor_sign_off() -> Complaint:
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor")
    return complaint


def at_major_sign_off() -> Complaint:
    complaint = at_major_resolution()
    j.complete(complaint, "resolve_major")
    return complaint


def at_confidential_sign_off() -> Complaint:
    complaint = at_confidential()
    j.complete(complaint, "handle_confidential")
    return complaint


def overdue(build: Callable[[], Complaint], clock: str) -> Callable[[], Complaint]:
    """Build, then fire the timers just after the service-level clock runs out."""

    def builder() -> Complaint:
        return j.overdue(build(), clock)

    return builder


# task name, how to get there, who works it, a label of its form
PAGES = [
    ("register_complaint", at_registration, "agent", "Outcome"),
    ("classify_complaint", j.to_classification, "supervisor", "Severity"),
    ("resolve_minor", j.to_minor_resolution, "supervisor", "Action taken"),
    ("investigate_complaint", j.to_investigation, "investigator", "Root cause"),
    ("approve_escalation", at_escalation, "manager", "Approve the escalation"),
    ("legal_review", at_legal_review, "counsel", "Legal opinion"),
    ("resolve_major", at_major_resolution, "investigator", "Amount refunded or paid"),
    ("handle_confidential", at_confidential, "focal", "Protective measures"),
    ("sign_off_minor", at_minor_sign_off, "manager", "Resolution codes"),
    ("sign_off_major", at_major_sign_off, "manager", "Resolution codes"),
    # Four eyes: the focal point who handled the case does not sign it off.
    ("sign_off_confidential", at_confidential_sign_off, "focal2", "Resolution codes"),
    (
        "review_overdue_acknowledgement",
        overdue(at_registration, "acknowledge"),
        "manager",
        "Extend the deadline",
    ),
    (
        "review_overdue_minor",
        overdue(j.to_minor_resolution, "resolve_minor"),
        "manager",
        "Extend the deadline",
    ),
    (
        "review_overdue_major",
        overdue(j.to_investigation, "resolve_major"),
        "manager",
        "Extend the deadline",
    ),
]


def open_task_at(app: Flask, build: Callable[[], Complaint], name: str) -> str:
    """Drive a complaint to the open task `name`; its id."""
    with app.app_context():
        return j.open_task(build(), name).id


def task_row(app: Flask, task_id: str) -> Task:
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None
        db.session.expunge(task)
        return task


def completed_events(app: Flask, task_name: str) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count(AuditEvent.id)).where(
                AuditEvent.kind == "task_completed", AuditEvent.task_name == task_name
            )
        )


@pytest.mark.parametrize(("name", "build", "username", "label"), PAGES, ids=[p[0] for p in PAGES])
def test_each_task_page_shows_the_case_the_diagram_and_the_form_to_its_role(
    app: Flask, client: FlaskClient, name: str, build: Callable, username: str, label: str
) -> None:
    task_id = open_task_at(app, build, name)
    login(client, username)
    response = client.get(f"/tasks/{task_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.app_context():
        task = db.session.get(Task, task_id)
        title, reference = task.title, task.complaint.reference
        instructions = workflows.instructions(task)
    assert title in page
    assert reference in page
    assert instructions and instructions in page
    assert label in page
    assert "Complete task" in page
    assert f'action="/tasks/{task_id}"' in page
    assert f'action="/inbox/tasks/{task_id}/claim"' in page
    assert "data-bpmn-diagram" in page
    assert f"/tasks/{task_id}/diagram.bpmn" in page
    assert "Complaint received" in page  # the history


def test_supervisor_completes_classification_and_the_complaint_moves_on(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    login(client, "supervisor")
    response = post_form(
        client,
        f"/tasks/{task_id}",
        {"category": "billing", "severity": "low", "classification_notes": "Double charge."},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task.status == "completed"
        assert task.completed_by.username == "supervisor"
        assert task.data["category"] == "billing"
        complaint = task.complaint
        assert complaint.category == "billing"
        assert j.open_names(complaint) == ["resolve_minor"]
    with client.session_transaction() as session:
        assert ("message", "Task completed") in session["_flashes"]


def test_invalid_answers_come_back_with_messages_and_nothing_is_saved(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    login(client, "supervisor")
    response = post_form(
        client,
        f"/tasks/{task_id}",
        {"severity": "high", "classification_notes": "Kept while I fix the rest."},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a category." in page
    assert "Please correct the highlighted fields." in page
    assert "Kept while I fix the rest." in page
    assert re.search(r'<option selected value="high">|<option value="high" selected>', page)
    assert task_row(app, task_id).status == "open"
    assert completed_events(app, "classify_complaint") == 0


def test_second_submission_of_the_same_task_is_refused_with_a_message(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    login(client, "supervisor")
    url = f"/tasks/{task_id}"
    token = csrf_token(client, url)
    answers = {"category": "billing", "severity": "low", "csrf_token": token}
    assert client.post(url, data=answers).status_code == 302
    again = client.post(url, data=answers)
    page = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "already completed by Samuel Supervisor" in page
    assert completed_events(app, "classify_complaint") == 1


def test_user_of_another_role_does_not_find_the_task(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    login(client, "investigator")
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert client.get(f"/tasks/{task_id}/diagram.bpmn").status_code == 404
    token = csrf_token(client, f"/tasks/{task_id}")  # the 404 page carries a token too
    response = client.post(
        f"/tasks/{task_id}", data={"category": "billing", "severity": "low", "csrf_token": token}
    )
    assert response.status_code == 404
    assert task_row(app, task_id).status == "open"


def test_task_claimed_by_a_colleague_is_read_only_and_refuses_completion(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    with app.app_context():
        colleague = users.create_user("samira", "Samira Second", "demo-password", ["supervisor"])
        tasks.claim(colleague, task_id)
        db.session.commit()
    login(client, "supervisor")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Samira Second is working on this task" in page
    assert "Complete task" not in page
    token = csrf_token(client, f"/tasks/{task_id}")
    response = client.post(
        f"/tasks/{task_id}", data={"category": "billing", "severity": "low", "csrf_token": token}
    )
    assert response.status_code == 403
    assert task_row(app, task_id).status == "open"


def test_confidential_task_is_hidden_from_everyone_but_the_focal_point(app, client):
    task_id = open_task_at(app, at_confidential, "handle_confidential")
    for username in ("manager", "supervisor", "investigator", "admin"):
        login(client, username)
        assert client.get(f"/tasks/{task_id}").status_code == 404, username
        assert client.get(f"/tasks/{task_id}/diagram.bpmn").status_code == 404, username
    login(client, "focal")
    assert client.get(f"/tasks/{task_id}").status_code == 200


def test_classification_done_before_the_complaint_turned_confidential_is_hidden_too(app, client):
    with app.app_context():
        complaint = j.to_classification()
        classify_id = j.open_task(complaint, "classify_complaint").id
        j.complete(complaint, "classify_complaint", sensitive=True)
    login(client, "supervisor")
    assert client.get(f"/tasks/{classify_id}").status_code == 404


def test_completed_task_shows_who_completed_it_and_the_submitted_data(app, client):
    with app.app_context():
        complaint = j.to_classification()
        task_id = j.complete(complaint, "classify_complaint", category="billing").id
    login(client, "supervisor")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Completed by Samuel Supervisor" in page
    assert "Billing" in page
    assert "Complete task" not in page


def test_resolution_form_starts_from_a_drafted_response_letter(app, client):
    task_id = open_task_at(app, j.to_minor_resolution, "resolve_minor")
    with app.app_context():
        reference = db.session.get(Task, task_id).complaint.reference
    login(client, "supervisor")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    letter = re.search(r'<textarea[^>]*name="response_letter"[^>]*>(.*?)</textarea>', page, re.S)
    assert letter is not None
    text = letter.group(1)
    assert "Dear Aminata Diallo" in text
    assert reference in text
    assert "Washing machine WM-300" in text
    assert "Samuel Supervisor" in text
    assert "supervisor@example.org" in text


def test_manager_sees_the_escalation_request_above_the_decision(app, client):
    task_id = open_task_at(app, at_escalation, "approve_escalation")
    login(client, "manager")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    request_part, _, decision_part = page.partition("Your decision")
    assert "Escalation requested" in request_part
    assert "Legal counsel" in request_part
    assert ESCALATION["escalation_reason"] in request_part
    assert "the unit was dropped during loading" in request_part  # the investigation report
    assert "Refuse the escalation" in decision_part


def test_sign_off_page_shows_the_resolution_and_letter_being_signed_off(app, client):
    task_id = open_task_at(app, at_minor_sign_off, "sign_off_minor")
    login(client, "manager")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    answers = j.ANSWERS["resolve_minor"]
    assert "Resolution to sign off" in page
    assert answers["resolution_summary"] in page
    assert answers["response_letter"] in page
    assert "Repair" in page


def test_manager_approves_escalation_through_the_page(app, client):
    task_id = open_task_at(app, at_escalation, "approve_escalation")
    login(client, "manager")
    response = post_form(
        client, f"/tasks/{task_id}", {"escalation_decision": "approved", "escalation_comment": ""}
    )
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.get(Task, task_id).complaint
        assert j.open_names(complaint) == ["legal_review"]


def test_diagram_is_the_bpmn_of_the_complaints_own_version(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    login(client, "supervisor")
    response = client.get(f"/tasks/{task_id}/diagram.bpmn")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    with app.app_context():
        version = db.session.get(Task, task_id).complaint.instance.process_version
        assert response.get_data(as_text=True) == version.files["complaint_handling.bpmn"]


def test_diagram_needs_a_signed_in_user(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    response = client.get(f"/tasks/{task_id}/diagram.bpmn")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_page_marks_the_current_step_for_the_diagram(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    login(client, "supervisor")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert """data-current='["classify_complaint"]'""" in page


def test_current_and_done_steps_follow_the_case(app_context):
    complaint = j.file()
    drawing = workflows.diagram(complaint)
    assert drawing.current == ["register_complaint"]
    assert "complaint_received" in drawing.done

    complaint = at_escalation()
    drawing = workflows.diagram(complaint)
    assert drawing.current == ["approve_escalation"]  # inside the major case subprocess
    assert {"investigate_complaint", "classify_complaint", "route_complaint"} <= set(drawing.done)
    assert "major_sla" not in drawing.current

    complaint = j.to_survey()
    # The survey and the appeal window wait side by side after the response letter.
    assert workflows.diagram(complaint).current == ["await_appeal", "await_survey"]


def test_overdue_review_lists_the_late_task(app, client):
    task_id = open_task_at(
        app, overdue(j.to_minor_resolution, "resolve_minor"), "review_overdue_minor"
    )
    login(client, "manager")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Open tasks of this complaint" in page
    assert "Resolve minor complaint" in page


def test_claiming_from_the_task_page_comes_back_to_it(app, client):
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    login(client, "supervisor")
    url = f"/tasks/{task_id}"
    response = post_form(client, f"/inbox/tasks/{task_id}/claim", {"next": url}, form_url=url)
    assert response.status_code == 302
    assert response.headers["Location"] == url
    assert task_row(app, task_id).assignee_id is not None
    page = client.get(url).get_data(as_text=True)
    assert "Assigned to you" in page
    assert "Give it back to the queue" in page


def test_duplicate_refusals_speak_the_readers_language(app, client):
    """The registration's refusals of a duplicate reference (unknown, or the complaint itself)
    read in French under the field for a French reader, not in English."""
    task_id = open_task_at(app, j.file, "register_complaint")
    with app.app_context():
        own = db.session.get(Task, task_id).complaint.reference
    login(client, "agent")
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    for reference, said, english in (
        (
            "C-2026-999999",
            "Aucune réclamation ne porte la référence C-2026-999999.",
            "No complaint has the reference",
        ),
        (
            own,
            "Une réclamation ne peut pas être son propre doublon\u00a0: indiquez la référence "
            "de l&#39;autre.",
            "A complaint cannot duplicate itself",
        ),
    ):
        response = post_form(
            client,
            f"/tasks/{task_id}",
            {"registration_outcome": "duplicate", "duplicate_of": reference},
            headers=french,
        )
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert said in page
        assert english not in page
    assert task_row(app, task_id).status == "open"


def test_duplicate_of_an_unknown_complaint_comes_back_on_its_field(app, client):
    task_id = open_task_at(app, j.file, "register_complaint")
    login(client, "agent")
    response = post_form(
        client,
        f"/tasks/{task_id}",
        {"registration_outcome": "duplicate", "duplicate_of": "c-2026-999999"},
    )
    assert response.status_code == 422
    assert "No complaint has the reference C-2026-999999." in response.get_data(as_text=True)
    assert task_row(app, task_id).status == "open"
    with app.app_context():
        assert db.session.get(Task, task_id).complaint.duplicate_of_id is None


def test_the_case_summary_names_the_time_zone_of_its_receipt_time(app, client):
    """The task page's "Received 2026-11-30 02:40" did not say in which zone, as the other
    times of the page do."""
    task_id = open_task_at(app, j.to_classification, "classify_complaint")
    with app.app_context():
        zone = business_calendar.current().timezone
    login(client, "supervisor")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    received = html.split("Received", 1)[1].split("</dd>", 1)[0]
    assert f"({zone})" in received, received
