"""Every message carries a working tracking link; a lost link can be sent again."""

from __future__ import annotations

import re
from datetime import timedelta

from services import notifications, tracking_links, workflows
from services.clock import as_utc
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
    """The messages of a kind, written as the delivery worker writes them when sending."""
    with app.app_context():
        j.write_messages()
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


def test_a_link_sent_in_a_message_expires_and_offers_a_new_one_in_both_languages(app, client):
    complaint_id, reference = acknowledged(app)
    [ack] = queued(app, "acknowledgement")
    path = LINK.search(ack.body).group(1)
    with app.app_context():
        [token] = db.session.scalars(db.select(TrackingToken)).all()
        created, expires = as_utc(token.created_at), as_utc(token.expires_at)
        assert expires - created == timedelta(days=90)  # TRACKING_LINK_DAYS
        # Ninety days and a minute later, as far as the link is concerned.
        token.created_at = created - timedelta(days=90, minutes=1)
        token.expires_at = expires - timedelta(days=90, minutes=1)
        db.session.commit()

    response = client.get(path)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This tracking link has expired" in page
    assert 'lang="en"' in page and 'lang="fr"' in page  # the same words in French too
    assert page.index("This tracking link has expired") < page.index("Ce lien de suivi a expiré")
    french = client.get(path, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert french.index("Ce lien de suivi a expiré") < french.index("This tracking link")
    assert 'href="/track"' in page  # send me my link again
    assert reference not in page  # an old link tells nothing about the case
    for action in ("information", "survey", "review", "withdraw"):
        assert client.post(f"{path}/{action}").status_code in (400, 410)  # CSRF first
    api = client.get(f"/api/v1/tracking/{path.rsplit('/', 1)[1]}")
    assert api.status_code == 410 and "expired" in api.json["detail"]
    assert api.json["code"] == "link_expired"

    # A fresh link, asked for with the details on file, opens the page again.
    post_form(client, "/track", {"reference": reference, "contact": "aminata@example.org"})
    [fresh] = queued(app, "tracking_link")
    assert client.get(LINK.search(fresh.body).group(1)).status_code == 200
    with app.app_context():
        # The link of the confirmation page, shown once to the complainant, does not expire.
        assert db.session.get(Complaint, complaint_id).tracking_token_hash


def test_links_sent_while_the_appeal_window_is_open_last_until_it_ends(app):
    # Links that last 30 days, a 56-day appeal window: the response letter's link (and the
    # survey's, sent with it) still opens the page to ask for a review on the last day.
    tracking_links.configure(app.config["PUBLIC_BASE_URL"], 30)
    try:
        with app.app_context():
            complaint = j.to_survey()
            deadline = as_utc(workflows.appeal_deadline(j.refreshed(complaint)))
            j.write_messages()
            expiry = {}
            for message in notifications.for_complaint(complaint.id):
                path = LINK.search(message.body).group(1)
                digest = tracking_links.hash_token(path.rsplit("/", 1)[1])
                token = db.session.scalar(
                    db.select(TrackingToken).where(TrackingToken.token_hash == digest)
                )
                expiry[message.kind] = as_utc(token.expires_at) - as_utc(token.created_at)
                if message.kind == "response_letter":
                    assert as_utc(token.expires_at) == deadline
            assert expiry["acknowledgement"] == timedelta(days=30)
            assert expiry["response_letter"] > timedelta(days=55)
    finally:
        tracking_links.configure(app.config["PUBLIC_BASE_URL"], app.config["TRACKING_LINK_DAYS"])
