"""Staff pages for deliveries: failed messages (retry, another way) and the letters to post."""

from __future__ import annotations

from dataclasses import replace

from app.delivery_cli import deliver_once
from services import notifications
from services.db import db
from tests import journeys
from tests.app.helpers import login, post_form
from tests.services.test_delivery import settings_for


def _failed_acknowledgement(app) -> tuple[int, int]:
    """A complaint whose acknowledgement could not be delivered: (complaint id, message id)."""
    with app.app_context():
        complaint = journeys.to_classification()
        deliver_once(replace(settings_for(app), max_attempts=1))  # nobody listens there
        [row] = [
            n for n in notifications.for_complaint(complaint.id) if n.kind == "acknowledgement"
        ]
        assert row.status == "failed"
        return complaint.id, row.id


def _status(app, notification_id: int) -> str:
    with app.app_context():
        from services.models import Notification

        return db.session.get(Notification, notification_id).status


def test_manager_sees_the_failed_delivery_retries_it_and_the_mail_server_receives_it(
    app, client, smtp_server
):
    complaint_id, message_id = _failed_acknowledgement(app)
    login(client, "manager")

    page = client.get("/outbox/failed").get_data(as_text=True)
    assert f'id="message-{message_id}"' in page
    assert "aminata@example.org" in page and "ConnectionRefusedError" in page
    case = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "Delivery failed" in case and "ConnectionRefusedError" in case

    response = post_form(client, f"/outbox/{message_id}/retry", {}, form_url="/outbox/failed")
    assert response.status_code == 302
    assert _status(app, message_id) == "queued"
    assert f'id="message-{message_id}"' not in client.get("/outbox/failed").get_data(as_text=True)

    with app.app_context():
        deliver_once(settings_for(app, smtp_server))
    [message] = smtp_server.messages
    assert message["To"] == "aminata@example.org"
    assert _status(app, message_id) == "sent"
    assert "Sent" in client.get(f"/complaints/{complaint_id}").get_data(as_text=True)


def test_a_failed_email_sent_by_post_waits_in_the_post_queue_until_the_agent_posts_it(app, client):
    complaint_id, message_id = _failed_acknowledgement(app)
    login(client, "manager")
    response = post_form(
        client,
        f"/outbox/{message_id}/resend",
        {"channel": "letter", "next": f"/complaints/{complaint_id}"},
        form_url=f"/complaints/{complaint_id}",
    )
    assert response.status_code == 302 and response.location.endswith(f"/complaints/{complaint_id}")
    assert _status(app, message_id) == "cancelled"
    client.post("/auth/logout")

    login(client, "agent")
    queue = client.get("/outbox/post").get_data(as_text=True)
    assert "12 rue des Lilas, Dakar" in queue
    with app.app_context():
        [letter] = [
            n for n in notifications.for_complaint(complaint_id) if n.replaces_id == message_id
        ]
        letter_id, subject = letter.id, letter.subject
    printable = client.get(f"/outbox/{letter_id}/letter")
    assert printable.status_code == 200 and subject in printable.get_data(as_text=True)

    response = post_form(
        client, f"/outbox/{letter_id}/posted", {"posted_on": "2026-11-27"}, form_url="/outbox/post"
    )
    assert response.status_code == 302
    assert f'id="letter-{letter_id}"' not in client.get("/outbox/post").get_data(as_text=True)
    case = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "Posted 2026-11-27 (Awa Intake)" in case


def test_staff_who_do_not_handle_deliveries_cannot_open_the_post_queue(app, client):
    login(client, "investigator")
    assert client.get("/outbox/post").status_code == 403
    assert client.get("/outbox/failed").status_code == 403


def test_the_demo_mail_catcher_keeps_each_email_as_a_file_staff_can_read(app, client, tmp_path):
    from aiosmtpd.controller import Controller

    from app.delivery_cli import CatchingHandler
    from tests.servers import free_port

    port = free_port()
    controller = Controller(CatchingHandler(tmp_path / "mail"), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app.app_context():
            complaint = journeys.to_classification()
            reference = complaint.reference
            settings = settings_for(app)
            deliver_once(replace(settings, mail=replace(settings.mail, port=port)))
    finally:
        controller.stop()
    [eml] = list((tmp_path / "mail").glob("*.eml"))
    assert reference in eml.read_text()

    app.config["MAIL_CATCHER_DIR"] = str(tmp_path / "mail")
    login(client, "agent")
    listing = client.get("/outbox/mail").get_data(as_text=True)
    assert reference in listing and "aminata@example.org" in listing
    page = client.get(f"/outbox/mail/{eml.name}").get_data(as_text=True)
    assert "Dear Aminata Diallo" in page
    assert client.get("/outbox/mail/..%2Fapp.sqlite").status_code == 404
