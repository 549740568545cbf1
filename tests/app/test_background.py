"""Background work on Celery: the real worker against a real Redis broker.

Each test gets its own queue, so parallel test workers never take each other's tasks."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from flask import Flask

from app import background
from services.clock import utcnow
from services.db import db
from services.models import AuditEvent, Complaint, Heartbeat, ReportDay
from tests import journeys
from tests.servers import SmtpServer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
TIMEOUT = 60


@pytest.fixture
def celery_app(app: Flask, smtp_server: SmtpServer) -> Iterator[Celery]:
    """The app's Celery on Redis with a queue of its own, and a worker thread consuming it."""
    app.config.update(
        CELERY_BROKER_URL=f"{REDIS_URL}/13",
        CELERY_QUEUE=f"cf-test-{uuid.uuid4().hex}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
    )
    celery = background.init(app)
    # The test worker sets up Celery's logging (the root logger's level, its handlers): put
    # them back afterwards, or later tests in this process stop seeing INFO records.
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield celery
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def _eventually(check: Callable[[], object]) -> object:
    """What `check` gives once it is truthy (the worker runs on its own thread)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the worker did not do it in time")


def _events(app: Flask, complaint_id: int, kind: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(AuditEvent).where(
                    AuditEvent.complaint_id == complaint_id, AuditEvent.kind == kind
                )
            )
        )


def test_the_worker_delivers_the_acknowledgement_through_smtp(
    app: Flask, celery_app: Celery, smtp_server: SmtpServer
) -> None:
    with app.app_context():
        complaint = journeys.to_classification()  # registered: the acknowledgement is queued
        address = complaint.email
    deliver = celery_app.tasks["complaintflow.deliver_messages"]
    rounds: list[object] = []

    def finished(sender: object = None, retval: object = None, **_kwargs: object) -> None:
        if getattr(sender, "name", "") == deliver.name:
            rounds.append(retval)

    task_postrun.connect(finished, weak=False)
    deliver.delay()
    _eventually(lambda: smtp_server.messages)
    assert [m["To"] for m in smtp_server.messages] == [address]
    # Two more rounds find nothing left: the message went once.
    deliver.delay()
    deliver.delay()
    try:
        _eventually(lambda: len(rounds) >= 3)
    finally:
        task_postrun.disconnect(finished)
    assert len(smtp_server.messages) == 1
    assert rounds[1] == rounds[2] == {"sent": [], "retrying": [], "failed": []}
    with app.app_context():
        assert db.session.get(Heartbeat, "delivery") is not None


def test_the_worker_fires_the_timers_that_are_due(app: Flask, celery_app: Celery) -> None:
    with app.app_context():
        complaint_id = journeys.file().id
        db.session.commit()
    assert _events(app, complaint_id, "clock_breached") == []
    later = (utcnow() + timedelta(days=90)).isoformat()
    celery_app.tasks["complaintflow.fire_timers"].delay(later)
    # The acknowledgement clock ran out.
    _eventually(lambda: _events(app, complaint_id, "clock_breached"))
    with app.app_context():
        assert db.session.get(Heartbeat, "timers") is not None


def test_two_timer_rounds_at_once_fire_each_timer_once(app: Flask, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent transactions need PostgreSQL (SQLite has one writer)")
    background.init(app)  # as app/worker.py does: the tasks run in this app's context
    with app.app_context():
        ids = [journeys.to_survey().id for _ in range(3)]
        db.session.commit()
    later = (utcnow() + timedelta(days=90)).isoformat()
    results: list[dict] = []
    start = threading.Barrier(2)

    def round_() -> None:
        start.wait()
        results.append(background.fire_timers(later))

    threads = [threading.Thread(target=round_) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fired = [r for r in results if not r["skipped"]]
    assert len(results) == 2 and fired, results
    for complaint_id in ids:
        timer_events = _events(app, complaint_id, "timer_fired")
        assert timer_events, "the survey's timer fired"
        assert len({e.summary for e in timer_events}) == len(timer_events), "each timer once"
    with app.app_context():
        assert all(db.session.get(Complaint, i).instance is not None for i in ids)


def _received_today(app: Flask) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                db.select(db.func.sum(ReportDay.received)).where(ReportDay.dimension == "all")
            )
            or 0
        )


def test_the_report_round_refreshes_the_days_the_saves_changed(
    app: Flask, celery_app: Celery
) -> None:
    with app.app_context():
        journeys.file()
        db.session.commit()
    assert _received_today(app) == 0
    celery_app.tasks["complaintflow.refresh_reports"].delay()
    _eventually(lambda: _received_today(app) == 1)


def test_a_long_report_round_does_not_hold_the_timers_back(app: Flask, database_url: str) -> None:
    """The report round takes a lock of its own: while one holds it (seconds, at a million
    complaints), a timer round still fires what is due, and a second report round skips."""
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's (SQLite has one writer)")
    background.init(app)
    with app.app_context():
        complaint_id = journeys.file().id
        db.session.commit()
        held = db.engine.connect()
        try:
            held.execute(db.text("SELECT pg_advisory_lock(:key)"), {"key": background.REPORT_LOCK})
            later = (utcnow() + timedelta(days=90)).isoformat()
            assert background.fire_timers(later)["skipped"] is False
            assert background.refresh_reports() == {"skipped": True}
        finally:
            held.execute(
                db.text("SELECT pg_advisory_unlock(:key)"), {"key": background.REPORT_LOCK}
            )
            held.close()
        assert background.refresh_reports() == {"skipped": False}
        db.session.remove()
    assert _events(app, complaint_id, "clock_breached")
    assert _received_today(app) == 1


def test_beat_schedules_the_workers_rounds_without_building_the_app(app: Flask):
    """`celery -A app.beat beat` reads the same settings as the worker from the environment,
    sends only tasks the worker has, and imports neither Flask nor SQLAlchemy."""
    import json

    from tests.fresh_interpreter import last_line

    script = (
        "import json, sys; from app.beat import celery; "
        "print(json.dumps([{k: v['task'] for k, v in celery.conf.beat_schedule.items()}, "
        "celery.conf.broker_url, celery.conf.task_default_queue, "
        "celery.conf.beat_schedule['fire-timers']['schedule'], "
        "[m for m in ('flask', 'sqlalchemy', 'SpiffWorkflow') if m in sys.modules]]))"
    )
    env = {
        **os.environ,
        "CELERY_BROKER_URL": f"{REDIS_URL}/13",
        "CELERY_QUEUE": "cf-beat-test",
        "BACKGROUND_TIMER_INTERVAL": "0.5",
    }
    schedule, broker, queue, interval, imported = json.loads(last_line(script, env))
    assert (broker, queue, interval, imported) == (f"{REDIS_URL}/13", "cf-beat-test", 0.5, [])
    worker = background.init(app)
    assert set(schedule) == set(worker.conf.beat_schedule)
    assert all(task in worker.tasks for task in schedule.values()), schedule


def test_the_worker_app_without_the_web_layer_runs_the_rounds(
    app: Flask, database_url: str, tmp_path, smtp_server: SmtpServer
) -> None:
    """app/worker.py builds the core alone (app/core.py): the rounds and an export job run
    in it as in the whole app."""
    from app.core import create_core
    from services import export_jobs
    from services.models import ExportJob

    core = create_core(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "DOCUMENT_DIR": str(tmp_path / "documents"),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
        }
    )
    assert "tasks" not in core.blueprints and "api" not in core.blueprints
    background.init(core)
    with app.app_context():
        complaint = journeys.to_classification()  # the acknowledgement is queued
        complaint_id, address = complaint.id, complaint.email
        job_id = export_jobs.queue(journeys.user("analyst"), "xlsx", {}, locale="fr", rows=1).id
        db.session.commit()
    later = (utcnow() + timedelta(days=90)).isoformat()
    assert background.fire_timers(later)["skipped"] is False
    assert _events(app, complaint_id, "clock_breached")
    assert background.deliver_messages()["sent"]
    assert [m["To"] for m in smtp_server.messages] == [address]
    assert background.build_export(job_id) == "ready"
    with core.app_context():
        assert db.session.get(ExportJob, job_id).status == "ready"
        db.session.remove()  # its connection back in the pool, which dispose closes
        db.engine.dispose()
