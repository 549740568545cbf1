"""Background work on a real queue: Celery, with Redis or RabbitMQ as broker (production).

`make run` keeps its embedded loops (`flask run-timers`, `flask deliver-messages`) and needs
no broker. With CELERY_BROKER_URL set, `celery -A app.worker worker` runs the same rounds as
tasks and `celery -A app.beat beat` schedules them (app/schedule.py):

- fire_timers (every BACKGROUND_TIMER_INTERVAL, 1 s): the timers due, the service-level
  clocks that ran out, the heartbeat /healthz reads. A timer
  fires once however many schedulers and workers run: rounds take a PostgreSQL advisory lock
  (a round that finds it taken skips), and each complaint's save is version-checked, so two
  rounds that met anyway would fire it once (the loser's save is refused and rolled back).
  A complaint whose timers end the pool process (the diagram-code backstop) is set aside
  after two such deaths in a row (services/timer_attempts.py), so the round sent again, and
  every round after it, goes on with the others.
- refresh_reports (every BACKGROUND_REPORT_INTERVAL, 5 s): the report days the saves
  changed, then /improvement's recurring problems computed ahead. A round of its own with its
  own lock: at a million complaints it takes seconds, and the timers must not wait for it.
- deliver_messages (every BACKGROUND_DELIVERY_INTERVAL, 2 s): the outbox, claimed with
  FOR UPDATE SKIP LOCKED, so several workers never send one message twice.
- send_digests, sweep_uploads and expire_exports (hourly).
- build_export: one export job's spreadsheet (app/exports.py), queued by the request that
  asked for it; the job is claimed by a conditional UPDATE, so it is built once.

Tasks are acknowledged late (a worker killed mid-round leaves its task to another) and each
round is idempotent, which is what makes late acknowledgement safe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from celery import Celery, Task, shared_task
from flask import Flask, current_app
from sqlalchemy import text

from app.delivery_cli import deliver_once, delivery_settings, worker_name
from app.schedule import celery_settings
from services import (
    attachments,
    export_jobs,
    recurring,
    reporting,
    staff_notices,
    timers,
    workflows,
)
from services.clock import utcnow
from services.db import db

# Any fixed numbers: the advisory locks every timer round, and every report round, takes on
# PostgreSQL.
TIMER_LOCK = 0x0C0F_1007
REPORT_LOCK = 0x0C0F_1008


def init(app: Flask) -> Celery:
    """The app's Celery instance; every task runs inside an application context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(celery_settings(app.config))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def celery_of(app: Flask) -> Celery:
    """The app's Celery instance, set up on first use (web workers only queue exports)."""
    celery = app.extensions.get("celery")
    return celery if isinstance(celery, Celery) else init(app)


def _try_lock(key: int) -> bool:
    """Take an advisory lock for this transaction; False when another round holds it."""
    if db.engine.dialect.name != "postgresql":
        return True  # SQLite has one writer: rounds never overlap in effect
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


def timer_lock() -> bool:
    """Take the timer rounds' lock for this transaction (PostgreSQL); False when taken."""
    return _try_lock(TIMER_LOCK)


def log_set_aside(report: workflows.TickReport) -> None:
    """Say in the log which complaints the round set aside, once each (services.timers)."""
    for reference, deaths in report.set_aside.items():
        current_app.logger.error(
            "timers: %s set aside: evaluating its timers ended the timer process %d times in "
            "a row (diagram code past the backstop's limit); the other complaints' timers go "
            "on. Fix the diagram, then try its timers again (/processes/versions, or flask "
            "retry-timers %s).",
            reference,
            deaths,
            reference,
        )


def _report_lock() -> bool:
    return _try_lock(REPORT_LOCK)


def refresh_derived(lock: Callable[[], bool] = lambda: True) -> None:
    """The report days the saves changed, then /improvement's recurring problems computed
    ahead (the report round's task, or `flask run-timers` after its timer round), each step
    committed and each run only when `lock()` says this round holds the report lock."""
    if lock():
        reporting.refresh()
    db.session.commit()
    if lock():
        recurring.precompute()
    db.session.commit()


@shared_task(name="complaintflow.fire_timers")
def fire_timers(now: str | None = None) -> dict[str, Any]:
    """One timer round: what fired, by complaint reference (`now`: an ISO time, for drills)."""
    when = datetime.fromisoformat(now) if now else utcnow()
    if not timer_lock():
        db.session.rollback()
        return {"skipped": True, "fired": {}, "set_aside": {}}
    report = workflows.tick(when)
    timers.beat(when)
    db.session.commit()
    for instance, error in report.failed.items():
        current_app.logger.error("timers: instance %s failed: %s", instance, error)
    log_set_aside(report)
    return {"skipped": False, "fired": report.fired, "set_aside": report.set_aside}


@shared_task(name="complaintflow.refresh_reports")
def refresh_reports() -> dict[str, bool]:
    """One report round. The lock ends with each transaction and is taken again for each
    step, so that two rounds never write the report days or the recurring problems at once
    (both would insert the first snapshot row)."""
    if not _report_lock():
        db.session.rollback()
        return {"skipped": True}
    refresh_derived(_report_lock)
    return {"skipped": False}


@shared_task(name="complaintflow.deliver_messages")
def deliver_messages() -> dict[str, list[int]]:
    """One delivery round: the ids sent, retrying and failed."""
    timers.beat(utcnow(), timers.DELIVERY)
    db.session.commit()
    done = deliver_once(delivery_settings(current_app.config), worker=worker_name())
    return {"sent": done.sent, "retrying": done.retrying, "failed": done.failed}


@shared_task(name="complaintflow.send_digests")
def send_digests() -> None:
    """Queue the daily digests that are due."""
    staff_notices.send_digests(utcnow())
    db.session.commit()


@shared_task(name="complaintflow.sweep_uploads")
def sweep_uploads() -> int:
    """Remove uploads no complaint or task kept."""
    removed = attachments.sweep_orphans(
        current_app.config["UPLOAD_DIR"],
        grace=timedelta(seconds=current_app.config["UPLOAD_SWEEP_GRACE"]),
        now=utcnow(),
    )
    return len(removed)


@shared_task(name="complaintflow.build_export")
def build_export(job_id: int) -> str | None:
    """Build one export job's file: its final status, None when another worker had it."""
    # The export's labels come from the web layer (the complaint list's): imported by the
    # first job a process builds, not by every worker process at start.
    from app import exports

    return exports.build_export(job_id)


@shared_task(name="complaintflow.expire_exports")
def expire_exports() -> list[int]:
    """Remove the export files past their time: the jobs' ids (as app.exports does for the
    timer loop, without importing the web layer every hour)."""
    removed = export_jobs.remove_expired(current_app.config["DOCUMENT_DIR"], utcnow())
    db.session.commit()
    return removed
