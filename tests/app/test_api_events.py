"""The change feed (GET /events?after=cursor): order, cursor, types, confidentiality."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.delivery_cli import deliver_once
from forms.base import json_validator
from services import audit, events, tracking, workflows
from services.clock import as_utc
from services.db import db
from services.models import AuditEvent, Notification
from tests import journeys
from tests.app.api_helpers import API, bearer, issue_token
from tests.services.test_delivery import settings_for


@pytest.fixture
def token(runner):
    """Headers with a demo user's API token."""
    return lambda username: bearer(issue_token(runner, username))


def _all(client, headers, **query) -> list[dict]:
    """Every event, page by page, following `next`."""
    found, after = [], 0
    for _ in range(100):
        page = client.get(f"{API}/events", query_string={**query, "after": after}, headers=headers)
        assert page.status_code == 200, page.json
        found.extend(page.json["events"])
        if not page.json["events"]:
            assert page.json["next"] == after  # an empty page keeps the cursor
            return found
        after = page.json["next"]
    raise AssertionError("the feed never ended")


def test_a_complaints_life_in_the_feed_in_order(app, client, token):
    with app.app_context():
        complaint = journeys.to_survey()
        tracking.answer_survey(complaint, 5, "Good")
        db.session.commit()
        reference = complaint.reference
    found = _all(client, token("manager"))
    assert [e["type"] for e in found] == [
        "complaint.filed",
        "task.created",  # register
        "task.completed",
        "complaint.status_changed",
        "task.created",  # classify
        "task.completed",
        "complaint.status_changed",
        "task.created",  # resolve
        "task.completed",
        "complaint.status_changed",
        "task.created",  # sign-off
        "task.completed",
        "complaint.status_changed",
        "complaint.status_changed",
        "complaint.closed",
    ]
    assert all(e["data"]["complaint"]["reference"] == reference for e in found)
    names = [e["data"]["task"]["name"] for e in found if e["type"] == "task.created"]
    assert names == ["register_complaint", "classify_complaint", "resolve_minor", "sign_off_minor"]
    done = [e["data"]["task"]["name"] for e in found if e["type"] == "task.completed"]
    assert done == names
    changes = [e["data"]["status"] for e in found if e["type"] == "complaint.status_changed"]
    assert changes[0]["from"] == "registration" and changes[-1]["to"] == "closed"
    assert all(c["from"] != c["to"] for c in changes)
    assert len({e["id"] for e in found}) == len(found)
    times = [e["occurred_at"] for e in found]
    assert times == sorted(times)


def test_the_cursor_pages_without_loss_or_repeat(app, client, token):
    with app.app_context():
        for _ in range(3):
            journeys.to_classification()
    headers = token("manager")
    everything = _all(client, headers)
    paged = _all(client, headers, limit=2)
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    first = client.get(f"{API}/events?limit=2", headers=headers).json
    assert len(first["events"]) <= 2
    assert first["links"]["next"] == f"{API}/events?after={first['next']}&limit=2"
    later = client.get(first["links"]["next"], headers=headers).json["events"]
    assert later[0]["id"] == everything[len(first["events"])]["id"]


def test_the_types_filter(app, client, token):
    with app.app_context():
        journeys.to_classification()
        journeys.file()
    headers = token("manager")
    found = _all(client, headers, types="complaint.filed,task.completed")
    assert [e["type"] for e in found] == ["complaint.filed", "task.completed", "complaint.filed"]
    # A long list (one type repeated) is refused by the API in JSON, not by the server's
    # request-line limit in HTML (an outside fuzzer met gunicorn's 414 page).
    long = ",".join(["complaint.filed"] * 70)
    assert 1000 < len(long) < 4000
    refused = client.get(f"{API}/events?types={long}", headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"]["types"] == ["At most 1000 characters."]
    wrong = client.get(f"{API}/events?types=complaint.filed,nope", headers=headers)
    assert wrong.status_code == 422 and "nope" in str(wrong.json["errors"]["types"])
    assert wrong.json["detail"] == "Please correct the query parameters."
    for query in ("after=-1", "limit=0", "limit=101", "after=x"):
        refused = client.get(f"{API}/events?{query}", headers=headers)
        assert refused.status_code == 422
        # As the other lists say it of their query (it said "the highlighted fields").
        assert refused.json["detail"] == "Please correct the query parameters.", query
    # -1 is a whole number: the message says which ones (it said "Send a whole number.").
    refused = client.get(f"{API}/events?after=-1", headers=headers)
    assert refused.json["errors"]["after"] == ["Give a whole number from 0 to 9223372036854775807."]
    # The document's pattern takes what the server takes (it was any text).
    document = client.get(f"{API}/openapi.json").json
    [types] = [p for p in document["paths"]["/events"]["get"]["parameters"] if p["name"] == "types"]
    for value in (
        "complaint.filed,task.completed",
        " task.created , ,sla.breached",
        "",
        "nope",
        "complaint.filed,nope",
        "task.created;sla.breached",
        "task_created",
    ):
        answer = client.get(f"{API}/events", query_string={"types": value}, headers=headers)
        documented = json_validator(types["schema"]).is_valid(value)
        assert answer.status_code == (200 if documented else 422), value


def test_a_cursor_beyond_any_row_is_an_empty_page_that_keeps_it(app, client, token):
    # The document takes any cursor up to 2**63 - 1; beyond INTEGER it was a 500 on PostgreSQL
    # (found by tests/app/test_api_fuzz.py: after=12982034973).
    with app.app_context():
        journeys.file()
    for after in (2**31 - 1, 12982034973, 2**63 - 1):
        page = client.get(f"{API}/events?after={after}", headers=token("manager"))
        assert page.status_code == 200, page.json
        assert (page.json["events"], page.json["next"]) == ([], after)


def test_confidential_complaints_only_with_clearance(app, client, token):
    with app.app_context():
        open_one = journeys.file()
        secret = journeys.file(sensitive_at_intake=True)
        ids = (open_one.id, secret.id)
    seen_by_manager = {e["data"]["complaint"]["id"] for e in _all(client, token("manager"))}
    assert seen_by_manager == {ids[0]}
    seen_by_focal = {e["data"]["complaint"]["id"] for e in _all(client, token("focal"))}
    assert seen_by_focal == set(ids)
    assert client.get(f"{API}/events").status_code == 401


def test_service_levels_at_risk_and_breached(app, client, token):
    with app.app_context():
        complaint = journeys.file()
        clock = journeys.clock(complaint, "acknowledge")
        workflows.tick(as_utc(clock.at_risk_at) + timedelta(minutes=1))
        db.session.commit()
        journeys.overdue(complaint, "acknowledge")
        # Not in the case's timeline: the at-risk row is for the feed.
        kinds = {e.kind for e in db.session.scalars(db.select(AuditEvent))}
        assert {"clock_at_risk", "progressed"} <= kinds
        shown = {e.kind for e in audit.history(complaint.id)}
        assert not shown & set(events.FEED_ONLY_KINDS) and "clock_breached" in shown
    found = _all(client, token("manager"), types="sla.at_risk,sla.breached")
    assert [(e["type"], e["data"]["clock"]["name"]) for e in found] == [
        ("sla.at_risk", "acknowledge"),
        ("sla.breached", "acknowledge"),
    ]


def test_an_at_risk_clocks_due_time_is_utc_with_its_offset(app, client, token):
    # sla.at_risk gave data.clock.due_at without its offset ("2026-11-30T16:30:00") when the
    # timer round read the clock back from SQLite, where the API's times are UTC with it.
    with app.app_context():
        complaint = journeys.file()
        clock = journeys.clock(complaint, "acknowledge")
        due, at_risk = as_utc(clock.due_at), as_utc(clock.at_risk_at)
        db.session.commit()
        db.session.expire_all()  # the timer round reads the clock from the database
        workflows.tick(at_risk + timedelta(minutes=1))
        db.session.commit()
    [event] = _all(client, token("manager"), types="sla.at_risk")
    assert event["data"]["clock"]["due_at"] == due.isoformat()
    assert event["data"]["clock"]["due_at"].endswith("+00:00")


def test_a_message_that_could_not_be_delivered(app, client, token, smtp_server):
    smtp_server.reply = "550 No such mailbox"
    with app.app_context():
        complaint = journeys.to_classification()  # the acknowledgement is queued
        deliver_once(settings_for(app, smtp_server))
        [failed] = db.session.scalars(
            db.select(Notification).where(
                Notification.complaint_id == complaint.id, Notification.status == "failed"
            )
        ).all()
        expected = {
            "id": failed.id,
            "kind": failed.kind,
            "channel": "email",
            "to_staff": False,
        }
    found = _all(client, token("manager"), types="message.failed")
    assert [e["data"]["message"] for e in found] == [expected]
    assert "example" not in str(found)  # no address in the event
