"""The four-eyes rule (notBy), the recourse after closure: letter, low score, appeal, reopening."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import message_templates, notifications, processes, tasks, tracking, users, workflows
from services.clock import utcnow
from services.db import db
from services.errors import Conflict, NotAllowed
from services.models import AuditEvent
from tests import diagrams as d
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def tick(days: float) -> None:
    workflows.tick(utcnow() + timedelta(days=days))
    db.session.commit()


def to_confidential_sign_off():
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", sensitive=True)
    j.complete(complaint, "record_consent")
    j.complete(complaint, "refer_support")
    j.complete(complaint, "handle_confidential", by="focal")
    return complaint


def test_the_handler_cannot_sign_off_their_own_confidential_case():
    complaint = to_confidential_sign_off()
    sign_off = j.open_task(complaint, "sign_off_confidential")
    focal, focal2 = j.user("focal"), j.user("focal2")
    with pytest.raises(NotAllowed, match="Four-eyes rule"):
        j.complete(complaint, "sign_off_confidential", by="focal")
    db.session.rollback()
    with pytest.raises(NotAllowed, match="Four-eyes rule"):
        tasks.claim(focal, sign_off.id)
    db.session.rollback()
    assert sign_off.id not in [t.id for t in tasks.inbox(focal).tasks]
    assert tasks.scope_counts(focal)["roles"] == 0
    assert sign_off.id in [t.id for t in tasks.inbox(focal2).tasks]
    assert [u.username for u in tasks.candidates(sign_off)] == ["focal2"]
    done = j.complete(complaint, "sign_off_confidential", by="focal2")
    assert done.completed_by.username == "focal2"


def test_deploy_refuses_a_not_by_that_names_no_task():
    text = d.edited(
        d.bpmn(), 'name="notBy" value="handle_confidential"', 'name="notBy" value="nobody"'
    )
    result = processes.validate(d.variant(text))
    problem = next(p for p in result.problems if p.element_id == "sign_off_confidential")
    assert "notBy='nobody'" in problem.message


def test_deploy_refuses_a_review_that_watches_nothing():
    text = d.edited(d.bpmn(), 'name="watches" value="minor_case"', 'name="watches" value="nowhere"')
    result = processes.validate(d.variant(text))
    assert any(p.element_id == "review_overdue_minor" for p in result.problems)


def test_response_letter_states_the_recourse_and_the_appeal_deadline():
    complaint = j.to_survey()
    letter = next(
        n for n in notifications.for_complaint(complaint.id) if n.kind == "response_letter"
    )
    assert "replaced the faulty seal" in letter.body
    assert "ask us for a review from your tracking page until" in letter.body
    assert "free of charge, to the consumer mediator or the ombudsman of our sector" in letter.body
    deadline = workflows.appeal_deadline(j.refreshed(complaint))
    assert deadline is not None
    assert deadline - utcnow() == pytest.approx(timedelta(days=56), abs=timedelta(minutes=1))
    # Dated in the organisation's zone, as letters are (after 23:00 UTC it is tomorrow in Paris).
    assert message_templates.long_date(deadline, "en") in letter.body


@pytest.mark.parametrize(("score", "follow_up"), [(1, True), (2, True), (3, False), (5, False)])
def test_a_low_score_raises_a_follow_up_for_the_manager_and_the_case_stays_closed(score, follow_up):
    complaint = j.to_survey()
    tracking.answer_survey(j.refreshed(complaint), score, "")
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed" and complaint.outcome == "closed_with_survey"
    assert j.open_names(complaint) == (["follow_up_low_satisfaction"] if follow_up else [])
    if follow_up:
        assert j.open_task(complaint, "follow_up_low_satisfaction").role == "manager"
        j.complete(complaint, "follow_up_low_satisfaction")
        complaint = j.refreshed(complaint)
        assert complaint.status == "closed" and complaint.outcome == "closed_with_survey"


def test_low_score_after_the_reminder_raises_the_follow_up_too():
    complaint = j.to_survey()
    tick(7.01)
    tracking.answer_survey(j.refreshed(complaint), 1, "Nobody called me.")
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.outcome == "closed_with_survey_after_reminder"
    assert j.open_names(complaint) == ["follow_up_low_satisfaction"]


def test_complainant_asks_for_a_review_within_the_window_and_gets_a_second_decision():
    complaint = j.to_survey()
    tracking.answer_survey(j.refreshed(complaint), 4, "")
    db.session.commit()
    complaint = j.refreshed(complaint)
    first_closed = complaint.closed_at
    assert complaint.status == "closed"
    assert tracking.overview(complaint).review_until is not None
    tracking.request_review(complaint, "The refund never arrived.")
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.reopen_count == 1
    assert complaint.appeal_requested_at is not None
    assert complaint.status == "review" and complaint.closed_at is None
    assert complaint.outcome is None  # reopened: the review will give the outcome
    review = j.open_task(complaint, "review_case")
    assert review.role == "manager"
    assert review.not_by == "resolve_minor resolve_major"
    j.complete(complaint, "review_case", review_decision="upheld")
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed"
    assert complaint.outcome == "closed_after_review"
    assert complaint.closed_at is not None and complaint.closed_at >= first_closed
    letter = notifications.for_complaint(complaint.id)[-1]
    assert letter.kind == "review_outcome_letter"
    assert "we reviewed your complaint" in letter.body
    kinds = db.session.scalars(
        db.select(AuditEvent.kind).where(AuditEvent.complaint_id == complaint.id)
    ).all()
    assert "reopened" in kinds
    assert complaint.instance.completed  # survey answered, review done: nothing waits
    assert j.open_names(complaint) == []


def test_the_first_handler_may_not_review_the_appeal():
    users.create_user("boss", "Bo Both", "long-password", ["supervisor", "manager"])
    db.session.commit()
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor", by="boss")
    j.complete(complaint, "sign_off_minor")
    tracking.request_review(j.refreshed(complaint), "Not satisfied.")
    db.session.commit()
    review = j.open_task(complaint, "review_case")
    assert review.id not in [t.id for t in tasks.inbox(j.user("boss")).tasks]
    with pytest.raises(NotAllowed, match="Four-eyes rule"):
        j.complete(complaint, "review_case", by="boss")
    db.session.rollback()
    j.complete(complaint, "review_case", by="manager")


def test_no_review_after_the_appeal_window():
    complaint = j.to_survey()
    tick(7.01)
    tick(21.02)
    complaint = j.refreshed(complaint)
    assert complaint.outcome == "closed_without_survey" and not complaint.instance.completed
    tick(56.01)
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed" and complaint.outcome == "closed_without_survey"
    assert complaint.instance.completed
    assert tracking.overview(complaint).review_until is None
    with pytest.raises(Conflict):
        tracking.request_review(complaint, "Too late?")
    db.session.rollback()


def test_a_manager_reopens_a_closed_case_with_a_reason():
    complaint = j.to_survey(route="major")
    tracking.answer_survey(j.refreshed(complaint), 3, "")
    db.session.commit()
    with pytest.raises(NotAllowed):
        workflows.reopen_by_staff(j.refreshed(complaint), j.user("supervisor"), "Why not")
    db.session.rollback()
    workflows.reopen_by_staff(j.refreshed(complaint), j.user("manager"), "New evidence.")
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.reopen_count == 1 and complaint.appeal_requested_at is None
    event = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "reopened"
        )
    )
    assert event.actor.username == "manager" and event.summary == "New evidence."
    assert j.open_names(complaint) == ["review_case"]


def test_a_reopened_confidential_case_is_reviewed_by_another_focal_point():
    complaint = to_confidential_sign_off()
    j.complete(complaint, "sign_off_confidential", by="focal2")
    tracking.answer_survey(j.refreshed(complaint), 1, "")
    db.session.commit()
    # A low score on a confidential case is followed up by a focal point, not a manager.
    follow_up = j.open_task(complaint, "follow_up_low_satisfaction_confidential")
    assert follow_up.role == "confidential_focal_point" and follow_up.confidential
    tracking.request_review(j.refreshed(complaint), "I was not protected.")
    db.session.commit()
    review = j.open_task(complaint, "review_confidential_case")
    assert review.role == "confidential_focal_point" and review.confidential
    with pytest.raises(NotAllowed):
        j.complete(complaint, "review_confidential_case", by="focal")
    db.session.rollback()
    j.complete(complaint, "review_confidential_case", by="focal2")
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed" and complaint.outcome == "closed_after_review"
