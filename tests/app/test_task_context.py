"""What a task page shows above its form: the earlier steps the person acting needs to read
(senior management's instructions and the police's answer before the resolution, the
complainant's survey answer before the follow-up of a low score, what the complainant
consented to before a confidential case is handled)."""

from __future__ import annotations

from flask.testing import FlaskClient

from services import tracking
from services.db import db
from services.models import Complaint
from tests import journeys as j
from tests.app.helpers import login
from tests.app.test_task_pages import open_task_at


def above_the_form(client: FlaskClient, task_id: str, headers: dict | None = None) -> str:
    page = client.get(f"/tasks/{task_id}", headers=headers).get_data(as_text=True)
    before, found, _ = page.partition('id="form-title"')
    assert found, "the task page has no form"
    return before


def after_senior_management() -> Complaint:
    complaint = j.escalated("senior_management")
    j.complete(
        complaint,
        "senior_management_decision",
        senior_decision="remedy_authorised",
        senior_instructions="Pay the gate repair up to 800 and apologise in writing.",
    )
    return complaint


def after_the_police() -> Complaint:
    complaint = j.escalated("police")
    j.complete(complaint, "refer_to_police")
    j.complete(
        complaint,
        "record_police_outcome",
        police_outcome="charges_brought",
        police_outcome_notes="The driver is charged.",
    )
    return complaint


def low_score() -> Complaint:
    complaint = j.to_survey()
    tracking.answer_survey(complaint, 2, "The refund took three weeks.")
    db.session.commit()
    return complaint


def confidential_without_disclosure() -> Complaint:
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", sensitive=True, category="gender_based_violence")
    j.complete(
        complaint,
        "record_consent",
        consent_to_disclosure=False,
        safe_contact_method="none",
        safe_times="Weekdays after 18:00",
    )
    j.complete(complaint, "refer_support")
    return complaint


def test_the_resolution_shows_senior_managements_instructions(app, client):
    task_id = open_task_at(app, after_senior_management, "resolve_major")
    login(client, "investigator")
    above = above_the_form(client, task_id)
    assert "Investigation and escalation" in above
    assert "Authorise the remedy proposed" in above
    assert "Pay the gate repair up to 800 and apologise in writing." in above


def test_the_resolution_shows_the_police_answer(app, client):
    task_id = open_task_at(app, after_the_police, "resolve_major")
    login(client, "investigator")
    above = above_the_form(client, task_id)
    assert "PV-2026-4411" in above
    assert "Charges brought" in above
    assert "The driver is charged." in above


def test_the_follow_up_of_a_low_score_shows_the_score_and_comment(app, client):
    task_id = open_task_at(app, low_score, "follow_up_low_satisfaction")
    login(client, "manager")
    above = above_the_form(client, task_id)
    assert "The complainant&#39;s answer to the survey" in above
    assert "2 – dissatisfied" in above
    assert "The refund took three weeks." in above


def test_the_follow_up_of_a_low_score_speaks_french(app, client):
    task_id = open_task_at(app, low_score, "follow_up_low_satisfaction")
    login(client, "manager")
    client.set_cookie("lang", "fr")
    above = above_the_form(client, task_id, headers={"Accept-Language": "fr"})
    assert "La réponse du réclamant à l&#39;enquête" in above
    assert "Enquête de satisfaction" in above
    assert "The refund took three weeks." in above


def test_the_confidential_handling_shows_what_the_complainant_consented_to(app, client):
    task_id = open_task_at(app, confidential_without_disclosure, "handle_confidential")
    login(client, "focal")
    above = above_the_form(client, task_id)
    disclosure = "The complainant agrees that we share what is needed with the people who must act"
    assert disclosure in above
    assert above.split(disclosure, 1)[1].lstrip().startswith("</dt>")  # a fact, then its value
    assert "Weekdays after 18:00" in above
