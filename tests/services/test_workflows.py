"""Completing tasks through the services: validation, authorisation, races, restarts."""

from __future__ import annotations

import pytest
from flask import Flask

from app import create_app
from services import audit, engine, workflows
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound, TaskAlreadyCompleted
from services.models import AuditEvent, Complaint, Notification, ProcessInstance, Task
from tests import journeys as j


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model)) or 0


def test_invalid_form_data_is_refused_and_nothing_is_written(app_context):
    complaint = j.to_classification()
    task = j.open_task(complaint, "classify_complaint")
    state_before = db.session.get(ProcessInstance, complaint.instance.id).version_token
    audit_before = count(AuditEvent)
    with pytest.raises(InvalidInput) as caught:
        workflows.complete_task(
            task.id,
            j.user("supervisor"),
            j.formdata({"category": "no_such_category", "severity": "", "financial_impact": "-5"}),
        )
    db.session.rollback()
    assert set(caught.value.details) >= {"category", "severity", "financial_impact"}
    assert j.open_task(complaint, "classify_complaint").status == "open"
    assert db.session.get(ProcessInstance, complaint.instance.id).version_token == state_before
    assert count(AuditEvent) == audit_before


def test_a_user_without_the_lane_role_cannot_see_or_complete_the_task(app_context):
    complaint = j.to_classification()
    task = j.open_task(complaint, "classify_complaint")
    with pytest.raises(NotFound):
        workflows.complete_task(
            task.id, j.user("agent"), j.formdata(j.ANSWERS["classify_complaint"])
        )
    db.session.rollback()
    assert j.open_task(complaint, "classify_complaint").status == "open"


def test_a_task_claimed_by_someone_else_cannot_be_completed(app_context):
    from services import tasks, users

    complaint = j.to_classification()
    task = j.open_task(complaint, "classify_complaint")
    other = users.create_user("sup2", "Second Supervisor", "a longer password", ["supervisor"])
    tasks.claim(other, task.id)
    db.session.commit()
    with pytest.raises(NotAllowed):
        workflows.complete_task(
            task.id, j.user("supervisor"), j.formdata(j.ANSWERS["classify_complaint"])
        )
    db.session.rollback()


def test_completing_an_already_completed_task_is_a_clear_conflict(app_context):
    complaint = j.file()
    task_id = j.open_task(complaint, "register_complaint").id
    j.complete(complaint, "register_complaint")
    with pytest.raises(TaskAlreadyCompleted, match="already completed by Awa Intake"):
        workflows.complete_task(
            task_id, j.user("agent"), j.formdata(j.ANSWERS["register_complaint"])
        )
    db.session.rollback()


def test_two_simultaneous_completions_exactly_one_wins(app: Flask):
    with app.app_context():
        complaint = j.file()
        task_id = j.open_task(complaint, "register_complaint").id
        complaint_id = complaint.id
    outcomes = j.complete_at_once(app, task_id, "agent", "register_complaint")
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "won"], outcomes
    with app.app_context():
        completions = db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "task_completed"
            )
        ).all()
        assert len(completions) == 1
        open_rows = db.session.scalars(
            db.select(Task).where(Task.complaint_id == complaint_id, Task.status == "open")
        ).all()
        assert [t.name for t in open_rows] == ["classify_complaint"]
        # The acknowledgement the step throws: the loser's outbox row went with its rollback.
        acknowledgements = db.session.scalars(
            db.select(Notification).where(
                Notification.complaint_id == complaint_id, Notification.kind == "acknowledgement"
            )
        ).all()
        assert len(acknowledgements) == 1


def test_a_complaint_resumes_after_the_application_restarts(app: Flask, database_url: str):
    with app.app_context():
        complaint = j.to_classification()
        complaint_id = complaint.id
    with app.app_context():
        db.engine.dispose()
    engine._SPEC_CACHE.clear()  # a new process has no cached specs
    engine._COMPILED.clear()
    engine.WORKFLOWS.clear()
    restarted = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": database_url}
    )
    with restarted.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        j.complete(complaint, "classify_complaint")
        j.complete(complaint, "resolve_minor")
        assert j.open_names(complaint) == ["sign_off_minor"]
        db.session.remove()
        db.engine.dispose()


def test_every_step_is_in_the_audit_trail(app_context):
    complaint = j.to_minor_resolution()
    events = db.session.scalars(
        db.select(AuditEvent)
        .where(
            AuditEvent.complaint_id == complaint.id,
            AuditEvent.kind.not_in(audit.FEED_ONLY_KINDS),  # the change feed's rows
        )
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.kind, e.task_name, e.actor_label) for e in events] == [
        ("received", None, "complainant"),
        ("task_completed", "register_complaint", "Awa Intake"),
        ("task_completed", "classify_complaint", "Samuel Supervisor"),
    ]
    assert events[2].data["severity"] == "low"
    # The acknowledgement is recorded when the delivery worker writes it, with its subject.
    j.write_messages()
    event = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "notification"
        )
    )
    assert (event.task_name, event.actor_label) == ("acknowledgement", "system")
    assert complaint.reference in event.data["subject"]
