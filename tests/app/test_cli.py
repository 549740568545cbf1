"""The `flask` commands an operator uses: users, timers, the timer loop."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from app.cli import timer_loop
from services import users
from services.clock import utcnow
from services.db import db
from services.models import AuditEvent, Complaint, User
from tests import journeys as j


def test_create_user_adds_a_staff_member_who_can_sign_in(app: Flask, runner):
    result = runner.invoke(
        args=["create-user", "lea", "--name", "Léa Martin", "--role", "supervisor"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        lea = users.authenticate("lea", "a-long-password")
        assert lea is not None and lea.role_names == {"supervisor"}


def test_create_user_refuses_an_unknown_role_and_writes_nothing(app: Flask, runner):
    result = runner.invoke(
        args=["create-user", "bob", "--name", "Bob", "--role", "wizard"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code != 0
    assert "Unknown role(s): wizard" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "bob")) is None


def test_tick_fires_the_timers_due_at_the_given_time(app: Flask, runner):
    with app.app_context():
        complaint = j.file()
        reference = complaint.reference
    later = (utcnow() + timedelta(days=2, hours=1)).isoformat()
    result = runner.invoke(args=["tick", "--now", later])
    assert result.exit_code == 0, result.output
    assert reference in result.output
    with app.app_context():
        assert "review_overdue_acknowledgement" in j.open_names(j.refreshed(complaint))


def test_timer_loop_fires_due_timers_then_stops_when_told(app: Flask):
    two_days_later = utcnow() + timedelta(days=2, minutes=1)
    with app.app_context():
        complaint = j.file()
        reference, complaint_id = complaint.reference, complaint.id
        rounds = iter([False, True])
        lines: list[str] = []
        timer_loop(
            0.01, until=lambda: next(rounds), echo=lines.append, clock=lambda: two_days_later
        )
        assert len(lines) == 1 and reference in lines[0]
        assert "review_overdue_acknowledgement" in j.open_names(
            db.session.get(Complaint, complaint_id)
        )
        fired = db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == "timer_fired"))
        assert len(fired.all()) == 1
