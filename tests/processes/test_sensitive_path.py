"""The survivor-centred path: a complaint flagged at receipt goes straight to the focal point."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import notifications, permissions, tracking, workflows
from services.clock import utcnow
from services.db import db
from services.errors import Conflict, NotAllowed
from services.models import AuditEvent, Task, User
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

GBV = "My supervisor harasses me and threatened me when I refused."


def file_sensitive():
    return j.file(description=GBV, sensitive_at_intake=True)


def test_flagged_complaint_goes_straight_to_consent_with_the_focal_point():
    complaint = j.refreshed(file_sensitive())
    assert complaint.confidential and complaint.route == "confidential"
    assert j.open_names(complaint) == ["record_consent"]
    consent = j.open_task(complaint, "record_consent")
    assert consent.role == "confidential_focal_point" and consent.confidential
    names = db.session.scalars(db.select(Task.name).where(Task.complaint_id == complaint.id))
    assert set(names) == {"record_consent"}  # no registration, no classification
    others = db.session.scalars(db.select(User).where(User.username.in_(["agent", "manager"])))
    assert not any(permissions.can_view_complaint(u, complaint) for u in others)


def test_consent_then_referral_then_handling_then_second_focal_point_signs_off():
    complaint = file_sensitive()
    j.complete(complaint, "record_consent", safe_contact_method="none")
    assert j.open_names(complaint) == ["refer_support"]
    j.complete(complaint, "refer_support", declined=True)
    assert j.open_names(complaint) == ["handle_confidential"]
    j.complete(complaint, "handle_confidential", by="focal")
    sign_off = j.open_task(complaint, "sign_off_confidential")
    assert sign_off.not_by == "handle_confidential"
    with pytest.raises(NotAllowed):
        j.complete(complaint, "sign_off_confidential", by="focal")
    db.session.rollback()
    j.complete(complaint, "sign_off_confidential", by="focal2")
    complaint = j.refreshed(complaint)
    assert complaint.status == "awaiting_feedback"
    letter = next(
        n for n in notifications.for_complaint(complaint.id) if n.kind == "response_letter"
    )
    # The complainant chose no contact: the answer waits on the tracking page only.
    assert letter.channel == "tracking_page" and letter.recipient == ""
    tracking.answer_survey(complaint, 4, "")
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.outcome == "closed_with_survey"
    assert tracking.overview(complaint).review_until is not None  # the appeal window


def test_overdue_confidential_case_is_reviewed_by_a_second_focal_point():
    complaint = file_sensitive()
    j.complete(complaint, "record_consent")
    j.complete(complaint, "refer_support")
    workflows.tick(utcnow() + timedelta(days=30, minutes=5))
    db.session.commit()
    review = j.open_task(complaint, "review_overdue_confidential")
    assert review.role == "confidential_focal_point" and review.confidential
    j.complete(complaint, "handle_confidential", by="focal")
    with pytest.raises(NotAllowed):
        j.complete(complaint, "review_overdue_confidential", by="focal")
    db.session.rollback()
    j.complete(complaint, "review_overdue_confidential", by="focal2")


@pytest.mark.parametrize("at", ["record_consent", "handle_confidential", "sign_off_confidential"])
def test_complainant_withdraws_at_any_time(at):
    complaint = file_sensitive()
    for name in ("record_consent", "refer_support", "handle_confidential"):
        if name == at:
            break
        j.complete(complaint, name)
    complaint = j.refreshed(complaint)
    assert tracking.overview(complaint).may_withdraw
    tracking.withdraw(complaint, "I do not want to go on.")
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed" and complaint.outcome == "closed_withdrawn"
    assert complaint.withdrawn_at is not None
    assert j.open_names(complaint) == []
    assert complaint.instance.completed
    kinds = [n.kind for n in notifications.for_complaint(complaint.id)]
    assert kinds[-1] == "withdrawal_confirmation"
    events = db.session.scalars(
        db.select(AuditEvent.kind).where(AuditEvent.complaint_id == complaint.id)
    ).all()
    assert "withdrawn" in events and "task_withdrawn" in events


def test_withdrawal_is_refused_once_the_case_is_answered():
    complaint = file_sensitive()
    for name in ("record_consent", "refer_support", "handle_confidential"):
        j.complete(complaint, name)
    j.complete(complaint, "sign_off_confidential", by="focal2")
    complaint = j.refreshed(complaint)
    assert not tracking.overview(complaint).may_withdraw
    with pytest.raises(Conflict):
        tracking.withdraw(complaint)
    db.session.rollback()
