"""What the complainant sees and does: status keys, public steps, replies while we wait."""

from __future__ import annotations

import pytest
from flask import current_app

from services import tracking
from services.db import db
from services.errors import Conflict
from services.models import AuditEvent
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def ask_for_information(complaint, text="Please send a copy of your invoice."):
    j.complete(
        complaint,
        "register_complaint",
        registration_outcome="incomplete",
        form_complete=False,
        missing_information=text,
    )


def test_a_new_complaint_reads_as_being_checked_and_shows_its_receipt():
    complaint = j.file()
    view = tracking.overview(complaint)
    assert view.status == "registration"
    assert [step.key for step in view.steps] == ["received"]
    assert not view.awaiting_information and not view.awaiting_survey


def test_an_unknown_phase_reads_as_in_progress():
    complaint = j.file()
    complaint.status = "some_new_phase"
    assert tracking.status_key(complaint) == "in_progress"
    db.session.rollback()


def test_the_steps_show_the_subject_of_each_message_sent():
    complaint = j.to_classification()
    steps = tracking.timeline(complaint)
    # Thrown: the step shows at once; its subject once the worker has written the message.
    assert [(step.key, step.detail) for step in steps] == [
        ("received", ""),
        ("acknowledgement", ""),
    ]
    assert tracking.overview(complaint).messages == []  # nothing to read yet
    j.write_messages()
    steps = tracking.timeline(j.refreshed(complaint))
    assert [step.key for step in steps] == ["received", "acknowledgement"]
    assert steps[1].detail == f"Your complaint {complaint.reference} has been received"
    [message] = tracking.overview(complaint).messages
    assert message.subject == steps[1].detail


def test_a_request_for_information_is_awaited_with_the_agents_words():
    complaint = j.file()
    ask_for_information(complaint)
    view = tracking.overview(j.refreshed(complaint))
    assert view.status == "awaiting_information"
    assert view.awaiting_information
    assert view.information_request == "Please send a copy of your invoice."


def test_the_reply_reopens_registration_with_the_information():
    complaint = j.file()
    ask_for_information(complaint)
    tracking.reply_information(
        complaint, "Invoice 4411.", upload_dir=current_app.config["UPLOAD_DIR"]
    )
    db.session.commit()
    assert j.open_names(complaint) == ["register_complaint"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "message_received"))
    assert event.data == {"information": "Invoice 4411."}
    assert event.public


def test_a_reply_nobody_waits_for_is_a_conflict_and_changes_nothing():
    complaint = j.file()
    with pytest.raises(Conflict):
        tracking.reply_information(complaint, "Invoice.", upload_dir="/nonexistent")
    with pytest.raises(Conflict):
        tracking.answer_survey(complaint, 5, "")
    db.session.rollback()
    assert j.open_names(complaint) == ["register_complaint"]


def test_the_survey_answer_closes_the_complaint_with_its_score():
    complaint = j.to_survey()
    assert tracking.overview(complaint).awaiting_survey
    tracking.answer_survey(complaint, 5, "Fast and kind.")
    db.session.commit()
    complaint = j.refreshed(complaint)
    assert tracking.status_key(complaint) == "closed"
    assert complaint.satisfaction_score == 5
    assert tracking.timeline(complaint)[-1].key == "survey_answered"
