"""Two people complete the same task at once, and the step starts a service-level clock.

Found by the load test (benchmarks/load.py): both saves insert the new clock's row, and on
PostgreSQL the loser's INSERT waited for the winner's commit and then broke the unique key
(complaint, clock name) before the version check could refuse it: a 500 instead of the clear
conflict the other races get.
"""

from __future__ import annotations

from flask import Flask

from services.db import db
from services.models import AuditEvent, ServiceClock, Task
from tests import journeys as j


def test_two_classifications_at_once_one_wins_the_other_is_a_conflict(app: Flask):
    with app.app_context():
        complaint = j.to_classification()
        task_id = j.open_task(complaint, "classify_complaint").id
        complaint_id = complaint.id
    outcomes = j.complete_at_once(app, task_id, "supervisor", "classify_complaint")
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "won"], outcomes
    with app.app_context():
        completions = db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "task_completed"
            )
        ).all()
        assert [e.task_name for e in completions].count("classify_complaint") == 1
        clocks = db.session.scalars(
            db.select(ServiceClock.name).where(ServiceClock.complaint_id == complaint_id)
        ).all()
        assert clocks.count("resolve_minor") == 1
        open_rows = db.session.scalars(
            db.select(Task.name).where(Task.complaint_id == complaint_id, Task.status == "open")
        ).all()
        assert open_rows == ["resolve_minor"]
