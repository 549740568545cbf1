"""Staff pages for deliveries: failed messages (retry, another way) and the letters to post."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy

from app.delivery_cli import deliver_once
from services import invitations, notifications, staff_notices, tasks
from services.clock import as_utc
from services.db import db
from services.models import Notification
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
            [eml] = list((tmp_path / "mail").glob("*.eml"))
            # The acknowledgement of a complaint then found confidential, and a staff
            # member's password link.
            hidden = journeys.to_classification(
                complainant_name="Fatima Secret", email="fatima@example.org"
            )
            invitations.request_reset("supervisor", "http://localhost")
            db.session.commit()
            deliver_once(replace(settings, mail=replace(settings.mail, port=port)))
            hidden.confidential = True
            hidden_reference = hidden.reference
            db.session.commit()
    finally:
        controller.stop()
    assert reference in eml.read_text()
    others = [p for p in (tmp_path / "mail").glob("*.eml") if p != eml]
    assert len(others) == 2

    app.config["MAIL_CATCHER_DIR"] = str(tmp_path / "mail")
    login(client, "agent")
    listing = client.get("/outbox/mail").get_data(as_text=True)
    assert reference in listing and "aminata@example.org" in listing
    page = client.get(f"/outbox/mail/{eml.name}").get_data(as_text=True)
    assert "Dear Aminata Diallo" in page
    # The tracking link keeps its address, not its token: staff cannot act as the complainant.
    sent = message_from_bytes(eml.read_bytes(), policy=policy.default)
    [token] = set(re.findall(r"/track/([\w-]+)", sent.get_body(("plain",)).get_content()))
    assert "/track/…" in page and token not in page
    assert client.get("/outbox/mail/..%2Fapp.sqlite").status_code == 404
    # Nothing of a complaint the agent may not see, nor another person's password link.
    assert hidden_reference not in listing and "fatima@example.org" not in listing
    assert "supervisor@" not in listing
    for other in others:
        assert client.get(f"/outbox/mail/{other.name}").status_code == 404


def _failed_staff_emails(app) -> tuple[int, int, int]:
    """A task-assigned email and a digest to the supervisor that could not be delivered:
    (complaint id, task-assigned id, digest id)."""
    with app.app_context():
        supervisor = journeys.user("supervisor")
        staff_notices.set_preferences(supervisor, notify_assignment=True, daily_digest=True)
        complaint = journeys.to_minor_resolution()
        task = tasks.reassign(
            journeys.user("manager"), journeys.open_task(complaint, "resolve_minor").id, supervisor
        )
        # Past the due time, counted in working days: six calendar days are not always enough.
        [digest] = staff_notices.send_digests(as_utc(task.due_at) + timedelta(hours=1))
        db.session.commit()
        deliver_once(replace(settings_for(app), max_attempts=1))  # nobody listens there
        [assigned] = db.session.scalars(
            db.select(Notification).where(Notification.kind == "task_assigned")
        ).all()
        assert (assigned.status, db.session.get(Notification, digest.id).status) == (
            "failed",
            "failed",
        )
        return complaint.id, assigned.id, digest.id


def test_failed_emails_to_staff_are_listed_for_managers_and_admins_and_can_be_retried(
    app, client, smtp_server
):
    complaint_id, assigned_id, digest_id = _failed_staff_emails(app)
    login(client, "admin")
    page = client.get("/outbox/failed").get_data(as_text=True)
    for row_id in (assigned_id, digest_id):
        assert f'id="message-{row_id}"' in page
    assert "Email to staff: Samuel Supervisor" in page and "supervisor@example.org" in page
    assert "ConnectionRefusedError" in page
    assert f"/outbox/{digest_id}/resend" not in page  # staff have no other way: retry only
    # The complainant's failed acknowledgement is no business of the administrator's.
    assert "aminata@example.org" not in page

    response = post_form(client, f"/outbox/{digest_id}/retry", {}, form_url="/outbox/failed")
    assert response.status_code == 302
    assert _status(app, digest_id) == "queued"
    with app.app_context():
        deliver_once(settings_for(app, smtp_server))
    [message] = smtp_server.messages
    assert message["To"] == "supervisor@example.org"
    assert _status(app, digest_id) == "sent"
    resent = post_form(
        client, f"/outbox/{assigned_id}/resend", {"channel": "letter"}, form_url="/outbox/failed"
    )
    assert resent.status_code == 422 and _status(app, assigned_id) == "failed"
    client.post("/auth/logout")

    login(client, "manager")
    page = client.get("/outbox/failed").get_data(as_text=True)
    assert f'id="message-{assigned_id}"' in page and "aminata@example.org" in page
    client.post("/auth/logout")

    # Intake agents handle the complainants' messages, not the emails to staff.
    login(client, "agent")
    page = client.get("/outbox/failed").get_data(as_text=True)
    assert f'id="message-{assigned_id}"' not in page and "aminata@example.org" in page
    refused = post_form(client, f"/outbox/{assigned_id}/retry", {}, form_url="/outbox/failed")
    assert refused.status_code == 403 and _status(app, assigned_id) == "failed"
    # Nor does an email to staff ever show among the messages to the complainant.
    case = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "supervisor@example.org" not in case


def test_admins_see_failed_deliveries_but_not_the_post_queue(client):
    login(client, "admin")
    assert client.get("/outbox/failed").status_code == 200
    assert client.get("/outbox/post").status_code == 403
    assert client.get("/outbox/mail").status_code == 403


def test_a_manager_cannot_read_another_persons_password_link_on_its_printable_page(app, client):
    """The reset link of the administrator's password is the administrator's alone: a manager
    who opens the email's printable page (as for a failed email to staff) sees it without its
    token, and so cannot set the administrator's password."""
    with app.app_context():
        invitations.request_reset("admin", "http://localhost")
        db.session.commit()
        deliver_once(settings_for(app))  # written, then refused: nobody listens there
        [row] = db.session.scalars(
            db.select(Notification).where(Notification.kind == "password_reset")
        ).all()
        row_id = row.id
        [token] = re.findall(r"/auth/password/([\w-]+)", row.body)
    for username in ("manager", "admin"):
        login(client, username)
        page = client.get(f"/outbox/{row_id}/letter").get_data(as_text=True)
        assert "/auth/password/…" in page
        assert token not in page
        client.post("/auth/logout")
    assert client.get(f"/auth/password/{token}").status_code == 200  # the link itself works
