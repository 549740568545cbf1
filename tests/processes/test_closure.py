"""Closure is correct: overdue reviews are withdrawn with their step, outcome and closing date
come from the main path, the service level survives a sign-off sent back, and the review's
choices act on the watched step."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from services import permissions, tasks, workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.models import AuditEvent, Task, User
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def monday_morning():
    """Complaints arrive on Monday 16 November 2026 at 10:00 in Paris (no holiday that week)."""
    with time_machine.travel(datetime(2026, 11, 16, 10, 0, tzinfo=PARIS), tick=True):
        yield


def tick(days: float) -> None:
    workflows.tick(utcnow() + timedelta(days=days))
    db.session.commit()


def row(complaint, name: str) -> Task:
    db.session.expire_all()
    return db.session.scalars(
        db.select(Task).where(Task.complaint_id == complaint.id, Task.name == name)
    ).one()


def audit_kinds(complaint) -> list[tuple[str, str | None]]:
    return [
        (e.kind, e.task_name)
        for e in db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.complaint_id == complaint.id)
            .order_by(AuditEvent.id)
        )
    ]


def test_open_minor_review_is_withdrawn_at_sign_off_and_the_case_closes_after_the_survey():
    complaint = j.to_minor_resolution()
    j.overdue(complaint, "resolve_minor")
    assert j.open_names(complaint) == ["resolve_minor", "review_overdue_minor"]
    j.complete(complaint, "resolve_minor")
    # Still open while the resolution waits for its sign-off.
    assert j.open_names(complaint) == ["review_overdue_minor", "sign_off_minor"]
    j.complete(complaint, "sign_off_minor")
    assert j.open_names(complaint) == []
    review = row(complaint, "review_overdue_minor")
    assert review.status == "cancelled"
    assert ("task_withdrawn", "review_overdue_minor") in audit_kinds(complaint)
    workflows.deliver_message(complaint, "survey_answered", {"score": 4, "comment": ""})
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.status == "closed"
    assert complaint.outcome == "closed_with_survey"


def test_acknowledgement_review_is_withdrawn_when_the_complaint_is_registered():
    complaint = j.file()
    j.overdue(complaint, "acknowledge")
    assert j.open_names(complaint) == ["register_complaint", "review_overdue_acknowledgement"]
    j.complete(complaint, "register_complaint")
    assert j.open_names(complaint) == ["classify_complaint"]
    assert row(complaint, "review_overdue_acknowledgement").status == "cancelled"


def test_review_raised_before_the_complaint_became_confidential_never_stays_invisible():
    complaint = j.file()
    j.overdue(complaint, "acknowledge")
    j.complete(complaint, "register_complaint")
    j.complete(complaint, "classify_complaint", category="gender_based_violence")
    complaint = j.refreshed(complaint)
    assert complaint.confidential
    users = db.session.scalars(db.select(User).where(User.active.is_(True))).all()
    for task in j.open_tasks(complaint):
        assert any(
            permissions.can_view_task(u, task) and not permissions.excluded_by_four_eyes(u, task)
            for u in users
        ), task.name
    assert row(complaint, "review_overdue_acknowledgement").status == "cancelled"
    # The confidential branch's own review goes to a focal point who did not handle the case.
    j.complete(complaint, "record_consent")
    j.complete(complaint, "refer_support")
    j.overdue(complaint, "confidential")
    review = j.open_task(complaint, "review_overdue_confidential")
    assert review.role == "confidential_focal_point" and review.confidential
    assert review.not_by == "handle_confidential"


def test_outcome_is_the_main_path_end_and_closed_at_is_the_sign_off_date():
    complaint = j.to_minor_resolution()
    # An overdue review ends on its own end event: never the outcome.
    j.overdue(complaint, "resolve_minor")
    j.complete(complaint, "review_overdue_minor")
    j.complete(complaint, "resolve_minor")
    j.complete(complaint, "sign_off_minor")
    signed_off = as_utc(row(complaint, "sign_off_minor").completed_at)
    complaint = j.refreshed(complaint)
    assert complaint.status == "awaiting_feedback"
    assert as_utc(complaint.closed_at) == pytest.approx(signed_off, abs=timedelta(seconds=5))
    tick(3)
    workflows.deliver_message(complaint, "survey_answered", {"score": 5, "comment": ""})
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert complaint.outcome == "closed_with_survey"
    assert as_utc(complaint.closed_at) == pytest.approx(signed_off, abs=timedelta(seconds=5))


def test_sign_off_sent_back_keeps_the_resolution_due_time():
    complaint = j.to_minor_resolution()
    due = j.open_task(complaint, "resolve_minor").due_at
    j.complete(complaint, "resolve_minor")
    j.complete(
        complaint,
        "sign_off_minor",
        sign_off_decision="sent_back",
        resolution_codes=[],
        sign_off_comment="Offer a refund as well.",
    )
    again = j.open_task(complaint, "resolve_minor")
    assert again.due_at == due
    # The clock runs on from the original start: Monday 23 November at 17:30, 5 working days.
    assert as_utc(due) == datetime(2026, 11, 23, 17, 30, tzinfo=PARIS)
    j.overdue(complaint, "resolve_minor")
    assert "review_overdue_minor" in j.open_names(complaint)


def test_extending_the_deadline_moves_the_watched_tasks_due_time():
    complaint = j.to_minor_resolution()
    j.overdue(complaint, "resolve_minor")
    due = j.open_task(complaint, "resolve_minor").due_at
    assert as_utc(due) == datetime(2026, 11, 23, 17, 30, tzinfo=PARIS)
    j.complete(complaint, "review_overdue_minor", overdue_action="deadline_extended", extend_days=3)
    # Three working days (it used to be calendar days): Monday's close -> Thursday's.
    extended = j.open_task(complaint, "resolve_minor").due_at
    assert as_utc(extended) == datetime(2026, 11, 26, 17, 30, tzinfo=PARIS)
    assert ("deadline_extended", "review_overdue_minor") in audit_kinds(complaint)


def test_extension_without_days_is_refused():
    complaint = j.to_minor_resolution()
    j.overdue(complaint, "resolve_minor")
    with pytest.raises(Exception, match="correct the highlighted"):
        j.complete(complaint, "review_overdue_minor", overdue_action="deadline_extended")
    db.session.rollback()


def test_reassigning_gives_the_watched_task_to_the_chosen_user():
    complaint = j.to_minor_resolution()
    j.overdue(complaint, "resolve_minor")
    review = j.open_task(complaint, "review_overdue_minor")
    form = workflows.task_form(review)
    offered = [c.value for c in form.reassign_to.iter_choices() if c.value]
    supervisor = j.user("supervisor")
    assert offered == [str(supervisor.id)]
    j.complete(
        complaint, "review_overdue_minor", overdue_action="reassigned", reassign_to=supervisor.id
    )
    assert j.open_task(complaint, "resolve_minor").assignee_id == supervisor.id


def test_escalating_raises_a_task_assigned_to_the_named_person():
    complaint = j.to_investigation()
    j.overdue(complaint, "resolve_major")
    manager = j.user("manager")
    j.complete(
        complaint, "review_overdue_major", overdue_action="escalated", escalate_to=manager.id
    )
    escalated = j.open_task(complaint, "handle_escalated_delay_major")
    assert escalated.assignee_id == manager.id
    mine = tasks.inbox(manager, tasks.InboxFilter(scope="mine")).tasks
    assert escalated.id in [t.id for t in mine]
    assert ("escalated", "review_overdue_major") in audit_kinds(complaint)
    # The escalated task is withdrawn with the case's step too.
    j.complete(complaint, "investigate_complaint")
    j.complete(complaint, "resolve_major")
    j.complete(complaint, "sign_off_major")
    assert row(complaint, "handle_escalated_delay_major").status == "cancelled"
