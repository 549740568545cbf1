"""`flask seed-demo` in the demo files a few dozen complaints at every stage, once, quickly."""

from __future__ import annotations

import time
from datetime import timedelta

from services.clock import as_utc, utcnow
from services.db import db
from services.demo import CASES_FR
from services.models import Complaint, Notification, ServiceClock, Task
from services.service_levels import display_state
from tests.app.helpers import login


def test_the_tests_seed_files_no_complaint(app):
    # tests/conftest.py seeds with `seed-demo` outside the demo: users and procedure only.
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 0


def test_seed_demo_files_complaints_at_every_stage_once_and_quickly(app, runner, client):
    started = time.monotonic()
    result = runner.invoke(args=["seed-demo", "--complaints"])
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "Demo complaints: " in result.output
    assert seconds < 20

    now = utcnow()
    with app.app_context():
        rows = list(db.session.scalars(db.select(Complaint)))
        statuses = {row.status for row in rows}
        open_tasks = list(db.session.scalars(db.select(Task).where(Task.status == "open")))
        assert 30 <= len(rows) <= 60
        assert {
            "registration",
            "awaiting_information",
            "classification",
            "resolution",
            "investigation",
            "escalation",
            "sign_off",
            "awaiting_feedback",
            "closed",
        } <= statuses
        assert sum(row.confidential for row in rows) == 1
        overdue = [t for t in open_tasks if t.due_at and as_utc(t.due_at) < now]
        assert len(overdue) >= 3
        surveyed = [row for row in rows if row.satisfaction_score]
        assert len(surveyed) >= 8
        # Spread over the last months, each case's history in order and in the past.
        received = sorted(as_utc(row.received_at) for row in rows)
        assert received[0] < now - timedelta(days=90) and received[-1] > now - timedelta(days=3)
        tasks = list(db.session.scalars(db.select(Task)))
        assert all(as_utc(task.created_at) <= now for task in tasks)
        for row in rows:
            if row.closed_at:
                assert as_utc(row.received_at) < as_utc(row.closed_at) <= now
        # A clock met before its due time is met on time, one met after it late: the steps
        # are judged as of their moment in the past, not when the seed plays them.
        met = list(db.session.scalars(db.select(ServiceClock).where(ServiceClock.state == "met")))
        late = [c for c in met if as_utc(c.ended_at) > as_utc(c.due_at)]
        assert {display_state(c, now) for c in late} == {"met_late"}
        assert {display_state(c, now) for c in met if c not in late} == {"met"}
        assert 1 <= len(late) < len(met) / 10
        # French-speaking complainants wrote in French and are answered in French.
        french = [row for row in rows if row.language == "fr"]
        written = {description for _product, description, _remedy in CASES_FR}
        assert french and all(row.description in written for row in french)
        letters = db.session.scalars(
            db.select(Notification).where(
                Notification.kind == "response_letter",
                Notification.complaint_id.in_([row.id for row in french]),
            )
        ).all()
        assert letters and all(
            "Thank you" not in n.body and "We will" not in n.body for n in letters
        )

    again = runner.invoke(args=["seed-demo", "--complaints"])
    assert again.exit_code == 0, again.output
    assert "none added" in again.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == len(rows)

    # The inbox is alive: the supervisor has work waiting, some of it late.
    login(client, "supervisor")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Classify complaint" in inbox
