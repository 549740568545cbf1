"""Every path of processes/complaint_handling.bpmn, driven through the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from services import notifications, workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.models import AuditEvent, Task
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

PARIS = ZoneInfo("Europe/Paris")


def paris(text: str) -> datetime:
    """A moment written in the organisation's time zone (the default calendar: Paris)."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.fixture(autouse=True)
def monday_morning():
    """Complaints arrive on Monday 16 November 2026 at 10:00 in Paris, a week without public
    holidays: the working-day service levels fall due at times one can read (the default
    calendar: Monday to Friday, 9:00 to 17:30; acknowledgement in 2 working days, minor
    resolution in 5, major resolution in 30 calendar days)."""
    with time_machine.travel(paris("2026-11-16 10:00"), tick=True):
        yield


def kinds_sent(complaint) -> list[str]:
    return [n.kind for n in notifications.for_complaint(complaint.id)]


def test_filed_complaint_gets_reference_and_waits_for_registration():
    complaint = j.file()
    assert complaint.reference == f"C-{complaint.received_at.year}-{complaint.id:06d}"
    assert j.open_names(complaint) == ["register_complaint"]
    task = j.open_task(complaint, "register_complaint")
    assert task.role == "intake_agent"
    assert task.form_key == "register_complaint"
    assert task.due_at is not None  # the acknowledgement service level
    assert complaint.status == "registration"


def test_minor_path_resolves_signs_off_and_sends_the_response():
    complaint = j.to_minor_resolution()
    complaint = j.refreshed(complaint)
    assert complaint.route == "minor"
    assert complaint.category == "product_quality"
    assert j.open_task(complaint, "resolve_minor").role == "supervisor"
    j.complete(complaint, "resolve_minor")
    assert j.open_names(complaint) == ["sign_off_minor"]
    j.complete(complaint, "sign_off_minor")
    complaint = j.refreshed(complaint)
    assert j.open_names(complaint) == []
    assert complaint.status == "awaiting_feedback"
    assert kinds_sent(complaint) == [
        "acknowledgement",
        "response_letter",
        "survey_invitation",
    ]
    letter = notifications.for_complaint(complaint.id)[1]
    assert "replaced the faulty seal" in letter.body
    assert letter.channel == "email" and letter.recipient == "aminata@example.org"


def test_major_path_without_escalation_goes_straight_to_resolution():
    complaint = j.to_investigation()
    assert j.refreshed(complaint).route == "major"
    assert j.open_task(complaint, "investigate_complaint").role == "complaint_manager"
    j.complete(complaint, "investigate_complaint")
    assert j.open_names(complaint) == ["resolve_major"]
    j.complete(complaint, "resolve_major")
    j.complete(complaint, "sign_off_major")
    assert j.refreshed(complaint).status == "awaiting_feedback"


def test_approved_escalation_goes_to_legal_review_then_resolution():
    complaint = j.to_investigation()
    j.complete(
        complaint,
        "investigate_complaint",
        escalation_requested=True,
        escalation_target="legal_counsel",
        escalation_reason="Possible fraud by a contractor.",
    )
    approval = j.open_task(complaint, "approve_escalation")
    assert approval.role == "manager"
    assert j.refreshed(complaint).status == "escalation"
    j.complete(complaint, "approve_escalation", escalation_decision="approved")
    assert j.open_task(complaint, "legal_review").role == "legal_counsel"
    j.complete(complaint, "legal_review")
    assert j.open_names(complaint) == ["resolve_major"]


def test_refused_escalation_sends_the_case_back_to_investigation():
    complaint = j.to_investigation()
    j.complete(
        complaint,
        "investigate_complaint",
        escalation_requested=True,
        escalation_target="legal_counsel",
        escalation_reason="Contract dispute.",
    )
    j.complete(
        complaint,
        "approve_escalation",
        escalation_decision="refused",
        escalation_comment="Handle it internally.",
    )
    assert j.open_names(complaint) == ["investigate_complaint"]
    j.complete(complaint, "investigate_complaint")
    assert j.open_names(complaint) == ["resolve_major"]


@pytest.mark.parametrize(
    ("answers", "route"),
    [
        ({"sensitive": True}, "confidential"),
        ({"category": "gender_based_violence"}, "confidential"),
        ({"breach_of_law": True}, "major"),
        ({"safety_issue": True}, "major"),
        ({"severity": "critical"}, "major"),
        ({"financial_impact": "1000.01"}, "major"),
        ({"financial_impact": "1000.00"}, "minor"),
        ({"financial_impact": ""}, "minor"),
        ({"severity": "medium"}, "minor"),
    ],
)
def test_decision_table_routes_the_classified_complaint(answers, route):
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", **answers)
    assert j.refreshed(complaint).route == route


def test_confidential_complaint_is_handled_by_the_focal_point_only():
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", category="gender_based_violence")
    complaint = j.refreshed(complaint)
    assert complaint.confidential is True
    # A classified-sensitive complaint joins the survivor-centred path at consent.
    task = j.open_task(complaint, "record_consent")
    assert task.role == "confidential_focal_point"
    assert task.confidential is True
    every_task = db.session.scalars(db.select(Task).where(Task.complaint_id == complaint.id))
    assert {t.name: t.confidential for t in every_task} == {
        "register_complaint": True,
        "classify_complaint": True,
        "record_consent": True,
    }
    j.complete(complaint, "record_consent")
    j.complete(complaint, "refer_support")
    j.complete(complaint, "handle_confidential")
    sign_off = j.open_task(complaint, "sign_off_confidential")
    assert sign_off.role == "confidential_focal_point"
    j.complete(complaint, "sign_off_confidential", by="focal2")
    assert j.refreshed(complaint).status == "awaiting_feedback"


def test_incomplete_complaint_asks_for_information_and_resumes_when_answered():
    complaint = j.file()
    j.complete(
        complaint,
        "register_complaint",
        registration_outcome="incomplete",
        form_complete=False,
        missing_information="Please send a copy of your invoice.",
    )
    complaint = j.refreshed(complaint)
    assert j.open_names(complaint) == []
    assert complaint.status == "awaiting_information"
    j.write_messages()
    request = notifications.for_complaint(complaint.id)[-1]
    assert request.kind == "information_request"
    assert "copy of your invoice" in request.body
    workflows.deliver_message(
        complaint, "information_received", {"information": "Invoice number 4411."}
    )
    db.session.commit()
    assert j.open_names(complaint) == ["register_complaint"]
    j.complete(complaint, "register_complaint")
    assert j.open_names(complaint) == ["classify_complaint"]


def test_unanswered_information_request_closes_the_complaint_after_the_deadline():
    complaint = j.file()
    j.complete(
        complaint,
        "register_complaint",
        registration_outcome="incomplete",
        form_complete=False,
        missing_information="Your address, please.",
    )
    report = workflows.tick(utcnow() + timedelta(days=13))
    db.session.commit()
    assert report.fired == {}
    assert j.refreshed(complaint).status == "awaiting_information"
    workflows.tick(utcnow() + timedelta(days=14, minutes=1))
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed"
    assert complaint.outcome == "closed_incomplete"
    assert kinds_sent(complaint)[-1] == "closure_letter"


def test_fourth_information_request_closes_the_complaint():
    complaint = j.file()
    for _ in range(3):
        j.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="Still missing the invoice.",
        )
        workflows.deliver_message(complaint, "information_received", {"information": "x"})
        db.session.commit()
    j.complete(
        complaint,
        "register_complaint",
        registration_outcome="incomplete",
        form_complete=False,
        missing_information="Still missing the invoice.",
    )
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed"
    assert complaint.outcome == "closed_incomplete"


@pytest.mark.parametrize("outcome", ["not_a_complaint", "duplicate"])
def test_not_a_complaint_or_duplicate_is_closed_with_a_letter(outcome):
    original = j.file()
    complaint = j.file()
    j.complete(
        complaint,
        "register_complaint",
        registration_outcome=outcome,
        duplicate_of=original.reference if outcome == "duplicate" else "",
    )
    complaint = j.refreshed(complaint)
    assert complaint.duplicate_of_id == (original.id if outcome == "duplicate" else None)
    assert complaint.status == "closed"
    assert complaint.outcome == "closed_not_a_complaint"
    assert kinds_sent(complaint) == ["closure_letter"]
    assert j.open_names(complaint) == []


def test_sign_off_sent_back_returns_to_the_resolution():
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor")
    j.complete(
        complaint,
        "sign_off_minor",
        sign_off_decision="sent_back",
        resolution_codes=[],
        sign_off_comment="Offer a refund as well.",
    )
    assert j.open_names(complaint) == ["resolve_minor"]
    j.complete(
        complaint, "resolve_minor", remedies=["repair", "refund"], compensation_amount="20.00"
    )
    j.complete(complaint, "sign_off_minor")
    assert j.refreshed(complaint).status == "awaiting_feedback"


def test_major_sign_off_sent_back_returns_to_the_major_resolution():
    complaint = j.to_investigation()
    j.complete(complaint, "investigate_complaint")
    j.complete(complaint, "resolve_major")
    j.complete(
        complaint,
        "sign_off_major",
        sign_off_decision="sent_back",
        resolution_codes=[],
        sign_off_comment="The compensation is too low.",
    )
    assert j.open_names(complaint) == ["resolve_major"]


def test_answered_survey_closes_the_complaint_with_its_score():
    complaint = j.to_survey()
    workflows.deliver_message(complaint, "survey_answered", {"score": 4, "comment": "Quick."})
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed"
    assert complaint.outcome == "closed_with_survey"
    assert complaint.satisfaction_score == 4
    assert complaint.satisfaction_comment == "Quick."


def test_unanswered_survey_sends_a_reminder_then_closes():
    complaint = j.to_survey(route="major")
    workflows.tick(utcnow() + timedelta(days=7, minutes=1))
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert kinds_sent(complaint)[-1] == "survey_reminder"
    assert complaint.status == "awaiting_feedback"
    workflows.tick(utcnow() + timedelta(days=22))
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed"
    assert complaint.outcome == "closed_without_survey"
    assert complaint.satisfaction_score is None


def test_survey_answered_after_the_reminder_still_counts():
    complaint = j.to_survey()
    workflows.tick(utcnow() + timedelta(days=8))
    db.session.commit()
    workflows.deliver_message(complaint, "survey_answered", {"score": 2, "comment": ""})
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.outcome == "closed_with_survey_after_reminder"
    assert complaint.satisfaction_score == 2


def test_overdue_acknowledgement_raises_a_manager_task_without_cancelling_registration():
    complaint = j.file()
    # Two working days after Monday 10:00: the close of business on Wednesday.
    workflows.tick(paris("2026-11-18 17:29"))
    db.session.commit()
    assert j.open_names(complaint) == ["register_complaint"]
    workflows.tick(paris("2026-11-18 17:31"))
    db.session.commit()
    assert j.open_names(complaint) == ["register_complaint", "review_overdue_acknowledgement"]
    review = j.open_task(complaint, "review_overdue_acknowledgement")
    assert review.role == "manager"
    j.complete(complaint, "review_overdue_acknowledgement")
    j.complete(complaint, "register_complaint")
    assert j.open_names(complaint) == ["classify_complaint"]
    fired = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "timer_fired"
        )
    ).all()
    assert len(fired) == 1


def test_overdue_minor_resolution_raises_a_manager_task():
    complaint = j.to_minor_resolution()
    # Five working days after Monday 10:00: the close of business on the next Monday.
    workflows.tick(paris("2026-11-23 17:29"))
    db.session.commit()
    assert j.open_names(complaint) == ["resolve_minor"]
    workflows.tick(paris("2026-11-23 17:31"))
    db.session.commit()
    assert j.open_names(complaint) == ["resolve_minor", "review_overdue_minor"]


def test_major_service_level_covers_the_whole_investigation():
    complaint = j.to_investigation()
    j.complete(complaint, "investigate_complaint")
    due = j.open_task(complaint, "resolve_major").due_at
    # 30 calendar days after the major case opened on Monday 16 November at 10:00 (the clock
    # ticks from there: a loaded machine takes seconds to get this far, never minutes).
    assert as_utc(due) == pytest.approx(paris("2026-12-16 10:00"), abs=timedelta(minutes=1))
    workflows.tick(paris("2026-12-16 10:01"))
    db.session.commit()
    assert j.open_names(complaint) == ["resolve_major", "review_overdue_major"]
    j.complete(complaint, "resolve_major")
    assert "sign_off_major" in j.open_names(complaint)


def test_completed_tasks_keep_who_completed_them_and_their_data():
    complaint = j.to_minor_resolution()
    done = db.session.scalars(
        db.select(Task).where(Task.complaint_id == complaint.id, Task.status == "completed")
    ).all()
    assert {t.name: t.completed_by.username for t in done} == {
        "register_complaint": "agent",
        "classify_complaint": "supervisor",
    }
    classify = next(t for t in done if t.name == "classify_complaint")
    assert classify.data["category"] == "product_quality"
    assert classify.data["financial_impact"] == "120.00"
