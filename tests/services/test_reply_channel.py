"""A complainant who names no preferred contact is answered on the channel they used (seed
002: "reply to a letter with a letter, an email with an email and a telephone message with a
telephone call"), when we have that channel's detail; else at the first detail given."""

from __future__ import annotations

import pytest

from services import complaints, notifications
from services.db import db
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

NO_PREFERENCE = {**j.INTAKE, "preferred_contact": ""}


def recorded(channel: str, **overrides):
    filed = complaints.file_complaint(
        {**NO_PREFERENCE, **overrides}, channel=channel, received_by=j.user("agent")
    )
    db.session.commit()
    return filed.complaint


def acknowledgement(complaint):
    j.complete(complaint, "register_complaint")
    [ack] = [n for n in notifications.for_complaint(complaint.id) if n.kind == "acknowledgement"]
    return ack


def test_a_letter_is_answered_by_letter():
    complaint = recorded("letter")
    assert complaint.preferred_contact == "letter"
    ack = acknowledgement(complaint)
    assert (ack.channel, ack.recipient, ack.status) == (
        "letter",
        "12 rue des Lilas, Dakar",
        "to_post",
    )


def test_a_call_is_answered_by_telephone():
    complaint = recorded("phone")
    assert complaint.preferred_contact == "phone"
    assert acknowledgement(complaint).recipient == "+221 77 000 00 00"


def test_an_email_is_answered_by_email():
    complaint = recorded("email", phone="")
    assert complaint.preferred_contact == "email"


def test_without_the_detail_of_the_channel_used_the_first_detail_given():
    assert recorded("letter", postal_address="").preferred_contact == "email"
    assert recorded("counter").preferred_contact == "email"
    assert recorded("phone", email="", phone="").preferred_contact == "letter"


def test_a_stated_preference_wins_over_the_channel_used():
    assert recorded("letter", preferred_contact="email").preferred_contact == "email"


def test_the_web_form_keeps_the_first_detail_given():
    filed = complaints.file_complaint(NO_PREFERENCE)
    db.session.commit()
    assert filed.complaint.preferred_contact == "email"
