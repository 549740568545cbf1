"""Webhooks: an administrator's subscriptions, signed deliveries through the outbox to a real
local server, retries then failed, the delivery log, refused targets, and no extra SQL for a
completion when nobody subscribes."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import event

from app.delivery_cli import deliver_once
from services import transports, webhooks, workflows
from services.db import db
from services.models import AuditEvent, Notification, WebhookDelivery, WebhookSubscription
from tests import journeys
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login, post_form
from tests.services.test_delivery import settings_for


@dataclass
class Receiver:
    """A webhook receiver: what it got (headers, raw body), and the status it answers."""

    url: str = ""
    status: int = 200
    answer: bytes = b"ok"
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on a free local port that keeps every POST."""
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got.received.append((dict(self.headers), body))
            self.send_response(got.status)
            self.send_header("Content-Length", str(len(got.answer)))
            self.end_headers()
            self.wfile.write(got.answer)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield got
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def private_ok(app):
    """Loopback targets allowed, as an operator with an internal integrator would set it."""
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    return app


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: HMAC-SHA256 over "t.body", compared in constant time, t recent."""
    parts = dict(item.split("=", 1) for item in headers["Complaintflow-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    recent = abs(time.time() - int(parts["t"])) < 300
    return recent and hmac.compare_digest(expected.hexdigest(), parts["v1"])


def subscribe(url: str, *types: str) -> WebhookSubscription:
    row = webhooks.create(journeys.user("admin"), url=url, types=types, allow_private=True)
    db.session.commit()
    return row


def test_admin_adds_and_edits_a_webhook_on_its_page(private_ok, client, receiver):
    login(client, "admin")
    page = client.get("/admin/webhooks")
    assert page.status_code == 200 and "Webhooks" in page.get_data(as_text=True)
    response = post_form(
        client,
        "/admin/webhooks",
        [
            ("url", receiver.url),
            ("events", "complaint.filed"),
            ("events", "task.completed"),
            ("description", "CRM"),
            ("active", "y"),
        ],
    )
    assert response.status_code == 302
    with private_ok.app_context():
        row = db.session.scalar(db.select(WebhookSubscription))
        assert (row.url, row.events, row.description, row.active) == (
            receiver.url,
            "complaint.filed task.completed",
            "CRM",
            True,
        )
        assert row.secret.startswith("whsec_")
        # The database holds it sealed: a copy of the table alone does not give it away.
        stored = db.session.scalar(db.text("SELECT secret FROM webhook_subscription"))
        assert stored.startswith("sealed:") and row.secret not in stored
        edit_url = f"/admin/webhooks/{row.id}"
    shown = client.get(edit_url).get_data(as_text=True)
    assert row.secret in shown and "Nothing sent yet." in shown
    saved = post_form(
        client, edit_url, [("url", receiver.url), ("events", "sla.breached"), ("description", "")]
    )
    assert saved.status_code == 302
    with private_ok.app_context():
        row = db.session.get(WebhookSubscription, row.id)
        assert (row.events, row.active) == ("sla.breached", False)


def test_the_page_refuses_a_form_without_its_csrf_token(private_ok, client, receiver):
    login(client, "admin")
    response = client.post("/admin/webhooks", data={"url": receiver.url, "events": "task.created"})
    assert response.status_code == 400
    with private_ok.app_context():
        assert db.session.scalar(db.select(db.func.count(WebhookSubscription.id))) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",  # loopback (and plain http)
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
        "https://[::1]/hooks",
        "https://0.0.0.0/hooks",
        "ftp://example.org/hooks",
        # IPv6 forms Python calls global that carry a private IPv4 address a host or gateway
        # may deliver to (found by a review with the source).
        "https://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped
        "https://[::127.0.0.1]/hooks",  # IPv4-compatible
        "https://[2002:7f00:1::]/hooks",  # 6to4 of 127.0.0.1
        "https://[64:ff9b::a9fe:a9fe]/hooks",  # NAT64 of 169.254.169.254
        "https://[64:ff9b:1::a00:1]/hooks",  # a network's own NAT64
    ],
)
def test_private_and_reserved_targets_are_refused(app, client, url):
    login(client, "admin")
    response = post_form(client, "/admin/webhooks", [("url", url), ("events", "task.created")])
    assert response.status_code == 422
    assert "public https addresses only" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(WebhookSubscription.id))) == 0


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        # Found by an API fuzzer: port 0 was saved (and 443 used), 99999 was "cannot be
        # resolved", a user name "public addresses only".
        ("https://93.184.215.14:0/hooks", "port must be a number from 1 to 65535"),
        ("https://93.184.215.14:99999/hooks", "port must be a number from 1 to 65535"),
        ("https://user:pw@93.184.215.14/hooks", "must not hold a user name or password"),
    ],
)
def test_a_bad_port_or_credentials_in_the_address_are_named(app, client, url, refusal):
    login(client, "admin")
    response = post_form(client, "/admin/webhooks", [("url", url), ("events", "task.created")])
    assert response.status_code == 422
    assert refusal in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(WebhookSubscription.id))) == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1:0/hooks", "http://u@127.0.0.1/hooks"])
def test_sending_refuses_port_0_and_credentials_an_older_subscription_holds(url):
    # Saving refused these once the fuzzer found them, but the sender read ":0" as "no port"
    # and went to 80; an address saved before the check is refused at send, as it is saved.
    settings = transports.WebhookSettings(allow_private=True, timeout=1)
    with pytest.raises(transports.TargetRefused) as refused:
        transports.post_webhook(settings, url=url, body=b"{}", secret="s", event_id="e", now=0)
    assert refused.value.reason == ("port" if ":0/" in url else "userinfo")


def test_public_ipv6_addresses_and_their_public_ipv4_are_let_through():
    for address in ("2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::", "8.8.8.8"):
        assert transports.is_public(address), address


def test_only_administrators_reach_the_page(app, client):
    login(client, "manager")
    assert client.get("/admin/webhooks").status_code == 403


def test_filed_and_completed_reach_the_receiver_signed(
    private_ok, app_context, receiver, smtp_server
):
    subscription = subscribe(receiver.url, "complaint.filed", "task.completed")
    complaint = journeys.to_classification()  # filed, then register_complaint completed
    queued = db.session.scalars(db.select(Notification).where(Notification.channel == "webhook"))
    assert {(n.status, n.complaint_id) for n in queued} == {("queued", None)}
    assert receiver.received == []  # the request only queued them

    done = deliver_once(settings_for(private_ok, smtp_server))

    assert len(done.sent) >= 2
    assert all(verify(subscription.secret, h, body) for h, body in receiver.received)
    assert not verify("whsec_other", *receiver.received[0])
    filed, completed = receiver.bodies()
    assert filed["type"] == "complaint.filed"
    assert filed["data"]["complaint"]["reference"] == complaint.reference
    assert filed["data"]["complaint"]["id"] == complaint.id
    assert completed["type"] == "task.completed"
    assert completed["data"]["task"]["name"] == "register_complaint"
    assert completed["data"]["task"]["status"] == "completed"
    assert "complainant_name" not in json.dumps(completed)
    assert journeys.INTAKE["email"] not in json.dumps(receiver.bodies())
    headers = receiver.received[1][0]
    assert headers["Complaintflow-Event-Id"] == completed["id"]
    assert headers["Content-Type"] == "application/json"
    log = webhooks.deliveries(subscription)
    assert [(d.event_type, d.status, d.attempts, d.response_code) for d in log] == [
        ("task.completed", "sent", 1, 200),
        ("complaint.filed", "sent", 1, 200),
    ]


def test_a_confidential_complaint_is_sent_as_its_id_and_reference(
    private_ok, app_context, receiver, smtp_server
):
    subscribe(receiver.url, "complaint.filed", "task.created")
    complaint = journeys.file(sensitive_at_intake=True)
    deliver_once(settings_for(private_ok, smtp_server))
    bodies = receiver.bodies()
    assert {b["type"] for b in bodies} == {"complaint.filed", "task.created"}
    for body in bodies:
        assert body["data"] == {
            "complaint": {
                "id": complaint.id,
                "reference": complaint.reference,
                "confidential": True,
            }
        }


def test_a_failing_receiver_is_retried_then_failed_without_an_event(
    private_ok, app_context, receiver, smtp_server
):
    receiver.status = 500
    subscription = subscribe(receiver.url, "complaint.filed", "message.failed")
    journeys.file()
    settings = settings_for(private_ok, smtp_server, max_attempts=2, backoff_seconds=0)
    first = deliver_once(settings)
    [delivery] = webhooks.deliveries(subscription)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("queued", 1, 500)
    assert first.retrying
    deliver_once(settings)
    [delivery] = webhooks.deliveries(subscription)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 2, 500)
    assert delivery.last_error.startswith("HTTP 500")
    assert len(receiver.received) == 2
    # No message.failed for a webhook: no audit row, nothing more queued.
    assert (
        db.session.scalar(
            db.select(db.func.count(AuditEvent.id)).where(AuditEvent.kind == "delivery_failed")
        )
        == 0
    )
    assert db.session.scalar(db.select(db.func.count(WebhookDelivery.id))) == 1
    deliver_once(settings)
    assert len(receiver.received) == 2


def test_the_delivery_log_on_the_page_and_in_the_api(
    private_ok, client, runner, receiver, smtp_server
):
    with private_ok.app_context():
        subscription_id = subscribe(receiver.url, "complaint.filed").id
        journeys.file()
        receiver.status = 503
        deliver_once(settings_for(private_ok, smtp_server))
    login(client, "admin")
    page = client.get(f"/admin/webhooks/{subscription_id}").get_data(as_text=True)
    assert "complaint.filed" in page and "HTTP 503" in page and "503" in page
    headers = bearer(issue_token(runner, "admin"))
    log = client.get(f"{API}/webhooks/{subscription_id}/deliveries", headers=headers).json
    [item] = log["deliveries"]
    assert (item["event_type"], item["status"], item["attempts"], item["response_code"]) == (
        "complaint.filed",
        "queued",
        1,
        503,
    )
    assert item["last_error"] == "HTTP 503: ok"
    # A receiver that answers nothing: its status alone (it was "HTTP 500:").
    with private_ok.app_context():
        receiver.status, receiver.answer = 500, b""
        journeys.file()
        deliver_once(settings_for(private_ok, smtp_server))
    log = client.get(f"{API}/webhooks/{subscription_id}/deliveries", headers=headers).json
    assert log["deliveries"][0]["last_error"] == "HTTP 500"
    # Times in UTC with their offset, as everywhere in the API (they had none).
    for name in ("created_at", "next_attempt_at"):
        assert datetime.fromisoformat(item[name]).utcoffset() == timedelta(0), item


def test_the_api_manages_subscriptions(private_ok, client, runner, receiver):
    headers = bearer(issue_token(runner, "admin"))
    created = client.post(
        f"{API}/webhooks",
        json={"url": receiver.url, "events": ["task.created"], "description": "BI"},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["secret"].startswith("whsec_")
    assert datetime.fromisoformat(created.json["created_at"]).utcoffset() == timedelta(0)
    location = created.headers["Location"]
    shown = client.get(location, headers=headers).json
    assert "secret" not in shown and shown["events"] == ["task.created"]
    changed = client.patch(location, json={"active": False}, headers=headers)
    assert changed.status_code == 200 and changed.json["active"] is False
    bad = client.patch(location, json={"events": ["nope"]}, headers=headers)
    assert bad.status_code == 422 and "events" in bad.json["errors"]
    private_ok.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    refused = client.post(
        f"{API}/webhooks",
        json={"url": "https://192.168.1.10/x", "events": ["task.created"]},
        headers=headers,
    )
    assert refused.status_code == 422 and "url" in refused.json["errors"]
    listed = client.get(f"{API}/webhooks", headers=headers).json["webhooks"]
    assert [w["id"] for w in listed] == [shown["id"]]
    assert client.delete(location, headers=headers).status_code == 204
    assert client.get(location, headers=headers).status_code == 404
    staff = bearer(issue_token(runner, "manager"))
    assert client.get(f"{API}/webhooks", headers=staff).status_code == 403


def test_the_location_of_a_new_subscription_is_documented(private_ok, client, runner, receiver):
    # POST /webhooks answered a Location its 201 did not document (POST /tokens and
    # /complaints/intake document theirs).
    headers = bearer(issue_token(runner, "admin"))
    created = client.post(
        f"{API}/webhooks", json={"url": receiver.url, "events": ["task.created"]}, headers=headers
    )
    assert created.status_code == 201
    assert client.get(created.headers["Location"], headers=headers).json["id"] == created.json["id"]
    document = client.get(f"{API}/openapi.json").json
    answer = document["paths"]["/webhooks"]["post"]["responses"]["201"]
    assert "Location" in answer["headers"]


def test_a_removed_subscriptions_id_is_never_given_to_another(private_ok, client, runner, receiver):
    # On SQLite the next subscription took the removed one's id: a retried DELETE (or a
    # PATCH with the old id) reached a subscription its caller never saw.
    headers = bearer(issue_token(runner, "admin"))
    body = {"url": receiver.url, "events": ["task.created"]}
    first = client.post(f"{API}/webhooks", json=body, headers=headers).json
    assert client.delete(f"{API}/webhooks/{first['id']}", headers=headers).status_code == 204
    second = client.post(f"{API}/webhooks", json=body, headers=headers).json
    assert second["id"] != first["id"]
    assert client.delete(f"{API}/webhooks/{first['id']}", headers=headers).status_code == 404
    assert client.get(f"{API}/webhooks/{second['id']}", headers=headers).status_code == 200


def test_the_api_refuses_a_subscription_in_the_readers_language(private_ok, client, runner):
    # The detail was French but each field's message English ("Choose the events to send,
    # among the known types.", "Unknown field.", "Must be a bool.").
    headers = {**bearer(issue_token(runner, "admin")), "Accept-Language": "fr"}
    refused = client.post(
        f"{API}/webhooks",
        json={"url": "https://example.org/h", "events": ["nope"], "active": "yes", "colour": 1},
        headers=headers,
    )
    assert refused.status_code == 422
    errors = refused.json["errors"]
    assert errors["colour"] == ["Ce champ ne fait pas partie du formulaire."]
    assert errors["active"] == ["Envoyez une valeur de type boolean."]
    assert errors["events"][0].startswith("Choisissez parmi\u00a0: complaint.filed, ")
    private_ok.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    refused = client.post(
        f"{API}/webhooks", json={"url": "ftp://x", "events": ["task.created"]}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json["errors"]["url"] == [refused.json["detail"]]
    assert refused.json["detail"].startswith("Les webhooks ne partent que vers des adresses https")
    feed = client.get(f"{API}/events?after=x", headers=headers)
    assert feed.json["errors"] == {
        "after": ["Indiquez un nombre entier de 0 à 9223372036854775807."]
    }
    feed = client.get(f"{API}/events?limit=0", headers=headers)
    assert feed.json["errors"] == {"limit": ["Indiquez un nombre entier de 1 à 100."]}
    with private_ok.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(WebhookSubscription)) == 0


def _statements(action) -> list[str]:
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def test_a_completion_without_subscriptions_writes_nothing_for_webhooks(app, app_context):
    """The feed's row goes out in the step's own INSERT into audit_event (PostgreSQL batches
    them; SQLite's driver sends one INSERT per row), and no webhook table is read."""
    complaint = journeys.to_classification()
    webhooks.active_targets()  # the cache as a running process has it
    task = journeys.open_task(complaint, "classify_complaint")
    values = journeys.ANSWERS[task.form_key]
    actor = journeys.user(journeys.ACTORS[task.form_key])
    db.session.expire_all()

    def complete() -> None:
        workflows.complete_task(task.id, actor, journeys.formdata(values))
        db.session.commit()

    seen = _statements(complete)
    assert not [s for s in seen if "webhook" in s]
    audit_inserts = [s for s in seen if s.startswith("INSERT INTO audit_event")]
    expected = 1 if db.engine.dialect.name == "postgresql" else 2
    assert len(audit_inserts) == expected
    # The step's own audit row was one INSERT before this change; the feed's row joins it.
    # (Measured: 16 statements for this completion before and after on PostgreSQL, 17 after on
    # SQLite; not asserted here, other changes move the total.)
    assert (
        db.session.scalar(
            db.select(db.func.count(Notification.id)).where(Notification.channel == "webhook")
        )
        == 0
    )


def test_a_sealed_secret_opens_under_a_fallback_key_and_not_under_another(app, app_context):
    """Rotating SECRET_KEY with the old one in SECRET_KEY_FALLBACKS keeps webhooks signing;
    a secret sealed under a key no longer listed is refused clearly, never used wrong."""
    from services import sealing

    subscription = subscribe("http://127.0.0.1:9/hooks", "complaint.filed")
    secret = subscription.secret
    try:
        sealing.configure("a-new-secret-key-" + "x" * 32, [app.config["SECRET_KEY"]])
        db.session.expire_all()
        assert db.session.get(WebhookSubscription, subscription.id).secret == secret
        sealing.configure("a-new-secret-key-" + "x" * 32)
        db.session.expire_all()
        with pytest.raises(sealing.Unreadable):
            _ = db.session.get(WebhookSubscription, subscription.id).secret
    finally:
        sealing.configure(app.config["SECRET_KEY"])


def test_the_migration_seals_secrets_stored_in_clear_and_the_downgrade_opens_them(app, app_context):
    from flask_migrate import downgrade, upgrade

    subscription = subscribe("http://127.0.0.1:9/hooks", "complaint.filed")
    secret, row_id = subscription.secret, subscription.id
    db.session.remove()
    downgrade(revision="a13i00000011")
    clear = db.session.scalar(db.text("SELECT secret FROM webhook_subscription"))
    assert clear == secret  # as stored before this change
    db.session.remove()
    upgrade()
    stored = db.session.scalar(db.text("SELECT secret FROM webhook_subscription"))
    assert stored.startswith("sealed:") and secret not in stored
    assert db.session.get(WebhookSubscription, row_id).secret == secret


def test_the_autoincrement_migration_keeps_subscriptions_tokens_and_deliveries(app, app_context):
    from flask_migrate import downgrade, upgrade

    subscription_id = subscribe("http://127.0.0.1:9/hooks", "complaint.filed").id
    journeys.file()
    db.session.commit()
    before = db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery))
    assert before > 0
    db.session.remove()
    downgrade(revision="a13o00000017")
    db.session.remove()
    upgrade()
    assert db.session.get(WebhookSubscription, subscription_id) is not None
    after = db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery))
    assert after == before  # copying the table did not cascade to its deliveries
    if db.engine.dialect.name == "sqlite":
        for table in ("api_token", "webhook_subscription"):
            ddl = db.session.scalar(
                db.text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
            )
            assert "AUTOINCREMENT" in ddl, table
