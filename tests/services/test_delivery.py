"""The outbox worker against a real SMTP server and a real HTTP SMS gateway."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask

from app.delivery_cli import deliver_once, delivery_settings
from services import delivery, message_templates, notifications, tracking_links
from services.clock import as_utc, utcnow
from services.db import db
from services.models import AuditEvent, Notification, TrackingToken
from services.transports import MailSettings, SmsSettings
from tests import journeys
from tests.servers import SmsGateway, SmtpServer, free_port

REPLY_TO = "reclamations@example.org"


def settings_for(
    app: Flask, smtp: SmtpServer | None = None, sms: SmsGateway | None = None, **overrides
) -> delivery.Settings:
    """The app's delivery settings pointed at the test servers."""
    base = delivery_settings(app.config)
    return replace(
        base,
        mail=MailSettings(
            server="127.0.0.1",
            port=smtp.port if smtp else free_port(),
            sender="Complaints <complaints@example.org>",
            reply_to=REPLY_TO,
            timeout=5,
        ),
        sms=SmsSettings(url=sms.url if sms else "", token="gateway-secret", timeout=5),
        **overrides,
    )


def rows(complaint_id: int, kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    return [n for n in notifications.for_complaint(complaint_id) if kind is None or n.kind == kind]


def test_a_long_french_subject_arrives_with_every_space(app, app_context, smtp_server):
    # Folded onto two lines, the email package dropped the space between "été" and "reçue".
    complaint = journeys.to_classification(language="fr")

    deliver_once(settings_for(app, smtp_server))

    [message] = smtp_server.messages
    assert message["Subject"] == f"Votre réclamation {complaint.reference} a bien été reçue"
    [row] = rows(complaint.id, "acknowledgement")
    assert row.subject == message["Subject"]
    # As sent: encoded words on lines of at most 78 characters (RFC 2047, RFC 5322).
    sent = f"Subject: {dict(message.raw_items())['Subject']}".splitlines()
    assert len(sent) > 1 and all(len(line) <= 78 for line in sent), sent


def test_acknowledgement_of_a_filed_complaint_reaches_the_mail_server(
    app, app_context, smtp_server
):
    complaint = journeys.to_classification()
    [queued] = rows(complaint.id, "acknowledgement")
    assert queued.status == "queued" and queued.sent_at is None  # the request only wrote it

    done = deliver_once(settings_for(app, smtp_server))

    [message] = smtp_server.messages
    [row] = rows(complaint.id, "acknowledgement")
    assert done.sent == [row.id]
    assert message["To"] == "aminata@example.org"
    assert complaint.reference in message["Subject"]
    # Replies come back to the complaints address, tagged so they reach this case.
    assert message["Reply-To"].startswith(f"reclamations+{complaint.reference.lower()}.")
    assert message["Reply-To"].endswith("@example.org")
    assert message["Message-ID"] == row.provider_message_id
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and complaint.reference in text.get_content()
    assert html is not None and "<" in html.get_content()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1

    deliver_once(settings_for(app, smtp_server))
    assert len(smtp_server.messages) == 1  # sent once, not again


def test_a_complainant_who_chose_phone_gets_an_sms_through_the_gateway(
    app, app_context, sms_gateway
):
    complaint = journeys.to_classification(preferred_contact="phone")

    deliver_once(settings_for(app, sms=sms_gateway))

    [sms] = sms_gateway.received
    assert sms["to"] == "+221 77 000 00 00"
    # A short text: the subject and the tracking link, which opens the case.
    assert sms["text"].startswith(f"Your complaint {complaint.reference} has been received http")
    assert "/track/" in sms["text"] and len(sms["text"]) <= 160
    token = sms["text"].rsplit("/track/", 1)[1]
    assert complaint.reference in app.test_client().get(f"/track/{token}").get_data(as_text=True)
    assert sms_gateway.headers[0]["Authorization"] == "Bearer gateway-secret"
    [row] = rows(complaint.id, "acknowledgement")
    assert (row.channel, row.status, row.provider_message_id) == ("phone", "sent", "sms-1")


def test_an_unreachable_server_is_retried_with_backoff_then_the_message_fails(app, app_context):
    complaint = journeys.to_classification()
    settings = settings_for(app, max_attempts=3, backoff_seconds=10)  # nobody listens there
    start = utcnow()

    deliver_once(settings, clock=lambda: start)
    [row] = rows(complaint.id, "acknowledgement")
    assert (row.status, row.attempts) == ("queued", 1)
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert as_utc(row.next_attempt_at) == start + timedelta(seconds=10)

    deliver_once(settings, clock=lambda: start + timedelta(seconds=5))  # not due yet
    assert rows(complaint.id, "acknowledgement")[0].attempts == 1

    deliver_once(settings, clock=lambda: start + timedelta(seconds=10))
    [row] = rows(complaint.id, "acknowledgement")
    assert (row.status, row.attempts) == ("queued", 2)
    assert as_utc(row.next_attempt_at) == start + timedelta(seconds=30)  # 10 s, then 20 s

    done = deliver_once(settings, clock=lambda: start + timedelta(seconds=30))
    [row] = rows(complaint.id, "acknowledgement")
    assert done.failed == [row.id]
    assert (row.status, row.attempts, row.sent_at) == ("failed", 3, None)
    assert row.last_error
    events = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "delivery_failed"
        )
    ).all()
    assert len(events) == 1


def test_a_refused_address_fails_at_once_without_retries(app, app_context, smtp_server):
    complaint = journeys.to_classification()
    smtp_server.reply = "550 No such mailbox"

    deliver_once(settings_for(app, smtp_server))

    [row] = rows(complaint.id, "acknowledgement")
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error


def test_a_message_claimed_by_a_worker_that_died_is_not_sent_again(app, app_context, smtp_server):
    complaint = journeys.to_classification()
    settings = settings_for(app, smtp_server)
    start = utcnow()
    [claimed] = delivery.claim(start, "worker-that-dies", settings)
    db.session.commit()  # the claim is durable; the worker is killed before recording a result

    deliver_once(settings, clock=lambda: start + timedelta(seconds=60))  # lease still held
    assert smtp_server.messages == []
    assert rows(complaint.id, "acknowledgement")[0].status == "sending"

    done = deliver_once(settings, clock=lambda: start + timedelta(seconds=601))

    assert smtp_server.messages == []  # never sent blindly a second time
    [row] = rows(complaint.id, "acknowledgement")
    assert done.interrupted == [claimed.id]
    assert row.status == "failed"
    assert "may or may not have reached" in row.last_error


def test_an_interrupted_message_whose_provider_id_was_recorded_counts_as_sent(
    app, app_context, smtp_server
):
    complaint = journeys.to_classification()
    settings = settings_for(app, smtp_server)
    start = utcnow()
    [claimed] = delivery.claim(start, "worker", settings)
    row = db.session.get(Notification, claimed.id)
    row.provider_message_id = "<known@example.org>"  # the provider had it
    db.session.commit()

    deliver_once(settings, clock=lambda: start + timedelta(seconds=601))

    [row] = rows(complaint.id, "acknowledgement")
    assert row.status == "sent" and row.sent_at is not None
    assert smtp_server.messages == []


def test_a_letter_document_is_attached_to_the_email(app, app_context, smtp_server):
    complaint = journeys.to_survey()
    letters = [n for n in rows(complaint.id) if n.document_id is not None]
    if not letters:
        pytest.skip("no letter document produced on this path")
    [letter] = letters

    deliver_once(settings_for(app, smtp_server))

    sent = {m["Message-ID"]: m for m in smtp_server.messages}
    db.session.expire_all()
    letter = db.session.get(Notification, letter.id)
    message = sent[letter.provider_message_id]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == letter.document.filename
    assert attachment.get_content().startswith(b"%PDF")


def test_a_postal_complainant_s_letter_waits_in_the_post_queue_and_is_never_emailed(
    app, app_context, smtp_server
):
    complaint = journeys.to_classification(preferred_contact="letter")
    deliver_once(settings_for(app, smtp_server))

    [row] = rows(complaint.id, "acknowledgement")
    assert (row.channel, row.status) == ("letter", "to_post")
    assert smtp_server.messages == []
    agent = journeys.user("agent")
    assert [n.id for n in delivery.post_queue(agent)] == [row.id]

    delivery.mark_posted(row.id, agent)
    db.session.commit()
    [row] = rows(complaint.id, "acknowledgement")
    assert row.status == "posted" and row.posted_by_id == agent.id and row.posted_at is not None
    assert delivery.post_queue(agent) == []


def test_two_workers_never_send_one_message_twice(app, database_url, smtp_server):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent claims (FOR UPDATE SKIP LOCKED) are a PostgreSQL matter")
    with app.app_context():
        complaint = journeys.file()
        for _ in range(40):
            notifications.send(complaint, "acknowledgement", {})
        db.session.commit()
        queued = db.session.scalar(
            db.select(db.func.count())
            .select_from(Notification)
            .where(Notification.status == "queued")
        )
    settings = settings_for(app, smtp_server, batch_size=3)
    errors: list[BaseException] = []

    start = threading.Barrier(2)

    def queued_left() -> int:
        return db.session.scalar(
            db.select(db.func.count())
            .select_from(Notification)
            .where(Notification.status.in_(("queued", "sending")))
        )

    def work(name: str) -> None:
        try:
            with app.app_context():
                start.wait(10)
                while deliver_once(settings, worker=name).sent or queued_left():
                    pass
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) == queued
    with app.app_context():
        claimed_by = db.session.scalars(
            db.select(Notification.claimed_by).where(Notification.status == "sent")
        ).all()
    assert len(claimed_by) == queued
    assert {token.split("/")[0] for token in claimed_by} == {"w0", "w1"}  # both took a share


def test_flask_deliver_messages_once_sends_what_is_due(app, runner, smtp_server):
    with app.app_context():
        complaint = journeys.to_classification()
        reference = complaint.reference
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)

    result = runner.invoke(args=["deliver-messages", "--once"])

    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry, 0 failed." in result.output
    [message] = smtp_server.messages
    assert reference in message["Subject"]


def test_the_worker_outlives_a_broken_database_and_delivers_once_it_is_back(
    app, app_context, smtp_server
):
    from sqlalchemy import text

    from app.delivery_cli import delivery_loop

    journeys.to_classification()
    db.session.execute(text("ALTER TABLE notification RENAME TO notification_away"))
    db.session.commit()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the database is repaired after two failed rounds
            db.session.execute(text("ALTER TABLE notification_away RENAME TO notification"))
            db.session.commit()

    delivery_loop(settings_for(app, smtp_server), 0.5, until=lambda: len(waits) >= 4, sleep=sleep)

    assert waits[:2] == [1.0, 2.0]  # failed rounds back off, doubling
    assert len(smtp_server.messages) == 1
    # The worker reports alive for /healthz (its beat survives the broken rounds).
    from services import timers

    assert timers.last_beat(timers.DELIVERY) is not None


def test_a_thrown_message_is_its_insert_in_the_steps_transaction(app_context):
    complaint = journeys.file()
    notice = notifications.send(complaint, "acknowledgement", {})
    # Written at once, without the unit of work: nothing of it is left for a flush.
    assert notice not in db.session and not db.session.new
    stored = db.session.get(Notification, notice.id)
    assert stored is not None and stored is not notice
    assert (stored.kind, stored.channel, stored.status) == (notice.kind, "email", "queued")
    assert (as_utc(stored.created_at), stored.pending_values) == (
        notice.created_at,
        notice.pending_values,
    )
    # It goes with the step: rolled back, no worker can ever claim it.
    db.session.rollback()
    assert db.session.get(Notification, notice.id) is None


def test_the_request_writes_only_the_outbox_row_and_the_worker_writes_what_it_sends(
    app, app_context, smtp_server
):
    complaint = journeys.to_classification()
    [row] = rows(complaint.id, "acknowledgement")
    # The request: the row with its kind, address, language and variables; no text yet, no
    # tracking link minted, no audit entry.
    assert (row.status, row.channel, row.recipient, row.language) == (
        "queued",
        "email",
        "aminata@example.org",
        "en",
    )
    assert row.subject == "" and row.body == ""
    assert row.pending_values["values"]["reference"] == complaint.reference
    assert db.session.scalar(db.select(db.func.count()).select_from(TrackingToken)) == 0
    assert not db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.kind == "notification")
    ).all()

    start = utcnow()
    deliver_once(settings_for(app, smtp_server), clock=lambda: start)

    [message] = smtp_server.messages
    [row] = rows(complaint.id, "acknowledgement")
    # Staff read exactly what was sent.
    assert row.subject == message["Subject"]
    sent_text = message.get_body(preferencelist=("plain",)).get_content()
    assert row.body.strip() == sent_text.replace("\r\n", "\n").strip()
    link = re.search(r"/track/([\w-]+)", row.body).group(1)
    [token] = db.session.scalars(db.select(TrackingToken)).all()
    assert token.token_hash == tracking_links.hash_token(link)
    assert as_utc(token.expires_at) == start + timedelta(days=90)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "notification"))
    assert event.data["subject"] == row.subject


@pytest.mark.parametrize("failing", ["{{ tracking_url.nothing }}", "{{ name + 1 }}"])
def test_a_template_that_fails_at_send_time_fails_the_message_and_sends_nothing(
    app, app_context, smtp_server, failing
):
    # Passes the check on the sample complaint (Aminata Diallo), fails on another name.
    body = f'{{% if name == "Aminata Diallo" %}}Hi{{% else %}}{failing}{{% endif %}}'
    message_templates.save(
        journeys.user("admin"),
        "acknowledgement",
        "en",
        message_templates.Source("Received {{ reference }}", body),
    )
    db.session.commit()
    complaint = journeys.to_classification(complainant_name="Awa Ndiaye")

    done = deliver_once(settings_for(app, smtp_server))

    [row] = rows(complaint.id, "acknowledgement")
    assert done.failed == [row.id] and row.status == "failed"
    assert "could not be written from its template" in row.last_error
    assert smtp_server.messages == []
    # The link minted for it was rolled back with the failed rendering.
    assert db.session.scalar(db.select(db.func.count()).select_from(TrackingToken)) == 0
