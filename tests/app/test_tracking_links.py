"""Every message carries a working tracking link; a lost link can be sent again."""

from __future__ import annotations

import re

from services import notifications
from services.db import db
from services.models import Complaint, Notification, TrackingToken
from tests import journeys as j
from tests.app.helpers import post_form

LINK = re.compile(r"http://localhost:5000(/track/[\w-]+)")
SAME_ANSWER = "If these details match a complaint, we have sent a new tracking link"


def acknowledged(app, **intake) -> tuple[int, str]:
    """A registered complaint: its id and reference."""
    with app.app_context():
        complaint = j.file(**intake)
        j.complete(complaint, "register_complaint")
        return complaint.id, complaint.reference


def queued(app, kind: str) -> list[Notification]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Notification).where(Notification.kind == kind).order_by(Notification.id)
            )
        )


def test_the_link_in_a_message_opens_the_tracking_page(app, client):
    complaint_id, reference = acknowledged(app)
    [ack] = queued(app, "acknowledgement")
    path = LINK.search(ack.body).group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert reference in page.get_data(as_text=True)
    with app.app_context():
        # Only the hash is stored; the filing token keeps working too.
        token = path.rsplit("/", 1)[1]
        stored = db.session.scalars(db.select(TrackingToken.token_hash)).all()
        assert token not in stored and len(stored) >= 1
        assert db.session.get(Complaint, complaint_id).tracking_token_hash not in stored


def test_each_message_carries_a_fresh_link(app, client):
    acknowledged(app)
    [ack] = queued(app, "acknowledgement")
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint))
        notifications.send(complaint, "survey_reminder", {})
        db.session.commit()
    [reminder] = queued(app, "survey_reminder")
    first, second = LINK.search(ack.body).group(1), LINK.search(reminder.body).group(1)
    assert first != second
    assert client.get(first).status_code == 200
    assert client.get(second).status_code == 200


def test_a_complaint_filed_on_the_french_page_is_answered_in_french(app, client):
    client.get("/complaints/new", headers={"Accept-Language": "fr"})
    data = {
        "complainant_name": "Awa Ndiaye",
        "email": "awa@example.org",
        "preferred_contact": "email",
        "description": "La machine fuit depuis le premier lavage et le magasin ne répond pas.",
        "attestation": "y",
    }
    response = post_form(client, "/complaints/new", data, headers={"Accept-Language": "fr"})
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint))
        assert complaint.language == "fr"
        j.complete(complaint, "register_complaint")
    [ack] = queued(app, "acknowledgement")
    assert ack.subject.startswith("Votre réclamation")


def test_the_api_takes_the_complainants_language(app, client):
    body = {
        "complainant_name": "Awa Ndiaye",
        "email": "awa@example.org",
        "preferred_contact": "email",
        "description": "La machine fuit depuis le premier lavage et le magasin ne répond pas.",
        "attestation": True,
        "language": "fr",
    }
    response = client.post("/api/v1/complaints", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Complaint.language)) == "fr"


def test_resend_with_the_details_on_file_queues_a_fresh_link(app, client):
    _, reference = acknowledged(app)
    page = client.get("/track")
    assert page.status_code == 200
    response = post_form(
        client,
        "/track",
        {"reference": reference.lower(), "contact": " Aminata@Example.org "},
        follow_redirects=True,
    )
    assert SAME_ANSWER in response.get_data(as_text=True)
    [sent] = queued(app, "tracking_link")
    assert (sent.channel, sent.recipient) == ("email", "aminata@example.org")
    path = LINK.search(sent.body).group(1)
    assert client.get(path).status_code == 200

    post_form(client, "/track", {"reference": reference, "contact": "+221 77 000 00 00"})
    [_, by_sms] = queued(app, "tracking_link")
    assert (by_sms.channel, by_sms.recipient) == ("phone", "+221 77 000 00 00")


def test_resend_with_wrong_details_gives_the_same_answer_and_sends_nothing(app, client):
    _, reference = acknowledged(app)
    answers = []
    for reference_given, contact in (
        (reference, "someone.else@example.org"),
        ("C-2026-999999", "aminata@example.org"),
    ):
        response = post_form(
            client,
            "/track",
            {"reference": reference_given, "contact": contact},
            follow_redirects=True,
        )
        answers.append(SAME_ANSWER in response.get_data(as_text=True))
    assert answers == [True, True]
    assert queued(app, "tracking_link") == []


def test_resend_is_rate_limited(app, client):
    app.config["RESEND_LINK_RATE_LIMIT"] = "2 per hour"
    codes = [
        post_form(
            client, "/track", {"reference": "C-2026-000001", "contact": "x@example.org"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_an_anonymous_complaint_gets_no_link_by_request(app, client):
    _, reference = acknowledged(
        app, anonymous=True, complainant_name="", email="", phone="", preferred_contact="none"
    )
    post_form(client, "/track", {"reference": reference, "contact": "aminata@example.org"})
    assert queued(app, "tracking_link") == []
