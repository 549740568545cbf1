"""The `flask` commands an operator uses: users, timers, the timer loop."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app, rounds
from app.cli import timer_loop
from app.core import HOW_TO_SET_THE_KEY, MissingSecretKey
from services import timers, users, workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.models import AuditEvent, Complaint, ProcessInstance, User
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.conftest import PG_URL


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
        # An hour after the acknowledgement's 2 working days run out.
        later = j.past_due(complaint, "acknowledge", timedelta(hours=1)).isoformat()
    result = runner.invoke(args=["tick", "--now", later])
    assert result.exit_code == 0, result.output
    assert reference in result.output
    with app.app_context():
        assert "review_overdue_acknowledgement" in j.open_names(j.refreshed(complaint))


def test_timer_loop_fires_due_timers_then_stops_when_told(app: Flask):
    with app.app_context():
        complaint = j.file()
        reference, complaint_id = complaint.reference, complaint.id
        two_days_later = j.past_due(complaint, "acknowledge")  # 2 working days
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


# --- without a secret key -------------------------------------------------------------------


def _flask(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `flask --app app` in a clean environment without SECRET_KEY."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "COMPLAINTFLOW_DEMO", "FLASK_DEBUG", "FLASK_APP")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    return subprocess.run(  # noqa: S603 - our own flask command, fixed arguments
        [str(Path(sys.executable).parent / "flask"), "--app", "app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_a_command_without_secret_key_says_in_one_line_what_is_missing(tmp_path: Path):
    result = _flask("issue-token", "manager", tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {HOW_TO_SET_THE_KEY}\n"


def test_serving_without_secret_key_refuses_in_one_line(tmp_path: Path):
    result = _flask("run", "--port", "5999", tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {HOW_TO_SET_THE_KEY}"]


def test_help_lists_the_app_commands_without_secret_key(tmp_path: Path):
    result = _flask("--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for command in ("issue-token", "run-timers", "sweep-uploads", "retry-timers", "seed-demo"):
        assert f"  {command} " in result.stdout


def test_the_factory_refuses_to_start_without_secret_key_outside_demo_and_tests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("COMPLAINTFLOW_DEMO", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(MissingSecretKey) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert str(refused.value) == (
        "SECRET_KEY is not set: export SECRET_KEY=<a long random value>, "
        "or COMPLAINTFLOW_DEMO=1 for the demo."
    )


# --- the timer loop keeps going -------------------------------------------------------------


def _break_state(complaint_id: int) -> tuple[str, str]:
    """Make the complaint's stored workflow unreadable; returns what to restore."""
    instance = db.session.scalar(
        db.select(ProcessInstance).where(ProcessInstance.complaint_id == complaint_id)
    )
    saved = (instance.state, instance.version_token)
    db.session.execute(
        db.update(ProcessInstance)
        .where(ProcessInstance.id == instance.id)
        .values(state='{"broken": true}', version_token="0" * 32)
    )
    db.session.commit()
    return saved


def _restore_state(complaint_id: int, saved: tuple[str, str]) -> None:
    db.session.execute(
        db.update(ProcessInstance)
        .where(ProcessInstance.complaint_id == complaint_id)
        .values(state=saved[0], version_token=saved[1])
    )
    db.session.commit()


def _rounds(count: int) -> Callable[[], bool]:
    """An `until` that lets the loop run `count` rounds."""
    calls = iter(range(count + 1))
    return lambda: next(calls) >= count


def _fired(complaint_id: int) -> int:
    return len(
        db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "timer_fired"
            )
        ).all()
    )


def test_a_complaint_whose_timers_raise_is_recorded_then_skipped_and_the_others_fire(
    app: Flask, runner
):
    with app.app_context():
        broken, healthy = j.file(), j.file()
        later = j.past_due(healthy, "acknowledge")
        broken_id, healthy_id, reference = broken.id, healthy.id, broken.reference
        saved = _break_state(broken_id)
        sleeps: list[float] = []
        timer_loop(
            0.01,
            until=_rounds(timers.MAX_FAILURES + 2),
            clock=lambda: later,
            sleep=sleeps.append,
        )
        db.session.expire_all()
        assert _fired(healthy_id) == 1
        assert "review_overdue_acknowledgement" in j.open_names(
            db.session.get(Complaint, healthy_id)
        )
        failed = db.session.get(Complaint, broken_id)
        # Five failed rounds, then the loop left it alone for the last two.
        assert failed.engine_failures == timers.MAX_FAILURES
        assert failed.engine_error.startswith("KeyError: ")
        assert as_utc(failed.engine_error_at) == later
        assert workflows.due_instances(later) == []
        assert _fired(broken_id) == 0
        # No backoff (the loop itself was fine); once given up on (fifth round), the broken
        # complaint's overdue timer no longer makes the loop spin without sleeping.
        assert sleeps == [0.0] * (timers.MAX_FAILURES - 1) + [0.01] * 3

    result = runner.invoke(args=["retry-timers", reference])
    assert result.exit_code == 0, result.output
    with app.app_context():
        retried = db.session.get(Complaint, broken_id)
        assert (retried.engine_failures, retried.engine_error) == (0, "")
        assert workflows.due_instances(later) == [retried.instance.id]
        _restore_state(broken_id, saved)
        timer_loop(0.01, until=_rounds(1), clock=lambda: later, sleep=lambda _s: None)
        assert _fired(broken_id) == 1
        kinds = db.session.scalars(
            db.select(AuditEvent.kind).where(AuditEvent.complaint_id == broken_id)
        ).all()
        assert timers.RETRIED in kinds


def test_a_successful_round_clears_earlier_failures(app: Flask):
    with app.app_context():
        complaint = j.file()
        complaint_id = complaint.id
        later = j.past_due(complaint, "acknowledge")
        saved = _break_state(complaint_id)
        timer_loop(0.01, until=_rounds(2), clock=lambda: later, sleep=lambda _s: None)
        assert db.session.get(Complaint, complaint_id).engine_failures == 2
        _restore_state(complaint_id, saved)
        timer_loop(0.01, until=_rounds(1), clock=lambda: later, sleep=lambda _s: None)
        fixed = db.session.get(Complaint, complaint_id)
        assert (fixed.engine_failures, fixed.engine_error, fixed.engine_error_at) == (0, "", None)


def test_retry_timers_names_an_unknown_complaint(runner):
    result = runner.invoke(args=["retry-timers", "NOPE-1"])
    assert result.exit_code == 1
    assert "No complaint 'NOPE-1'." in result.output


def test_the_timer_loop_records_a_heartbeat(app: Flask):
    at = utcnow().replace(microsecond=0)
    with app.app_context():
        assert timers.last_beat() is None
        timer_loop(0.01, until=_rounds(3), clock=lambda: at, sleep=lambda _s: None)
        assert timers.last_beat() == at


def test_the_timer_loop_survives_losing_its_database_and_backs_off(
    app: Flask, database_url: str, caplog: pytest.LogCaptureFixture
):
    """Rounds 2-4 find the database gone; round 5 finds it back and fires the due timer."""
    now = utcnow()
    clock = {"now": now}
    with app.app_context():
        complaint = j.file()
        complaint_id = complaint.id
        later = j.past_due(complaint, "acknowledge")
        outage = _Outage(database_url)
        calls = iter(range(100))

        def until() -> bool:
            call = next(calls)
            if call == 1:
                outage.start()
            elif call == 4:
                outage.end()
                clock["now"] = later
            return call >= 5

        sleeps: list[float] = []
        timer_loop(
            1.0, until=until, clock=lambda: clock["now"], sleep=sleeps.append, max_backoff=3.0
        )
        assert sleeps[1:4] == [1.0, 2.0, 3.0]  # doubled after each failure, capped
        assert _fired(complaint_id) == 1
        assert timers.last_beat() == later
    failures = [r.getMessage() for r in caplog.records if "round failed" in r.getMessage()]
    assert [line.split(",")[0] for line in failures] == [
        "timers: round failed (1 in a row)",
        "timers: round failed (2 in a row)",
        "timers: round failed (3 in a row)",
    ]
    assert any("working again after 3 failed rounds" in r.getMessage() for r in caplog.records)


class _Outage:
    """Take the test database away from the app, then give it back."""

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)

    def start(self) -> None:
        db.engine.dispose()
        if self.url.get_backend_name() == "sqlite":
            path = Path(self.url.database)
            path.rename(path.with_suffix(".away"))
            path.mkdir()  # a directory where the file was: "unable to open database file"
            return
        with self._admin() as conn:
            name = self.url.database
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def end(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            path = Path(self.url.database)
            path.rmdir()
            path.with_suffix(".away").rename(path)
            return
        with self._admin() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS true'))

    @contextmanager
    def _admin(self) -> Iterator[Any]:
        engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()


def test_managers_see_a_complaints_timer_error_on_its_page_and_other_staff_do_not(app: Flask):
    with app.app_context():
        complaint = j.file()
        complaint_id = complaint.id
        later = j.past_due(complaint, "acknowledge")
        _break_state(complaint_id)
        timer_loop(0.01, until=_rounds(2), clock=lambda: later, sleep=lambda _s: None)
        reference = db.session.get(Complaint, complaint_id).reference
    manager, supervisor = app.test_client(), app.test_client()
    login(manager, "manager")
    login(supervisor, "supervisor")
    page = manager.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert 'id="engine-error"' in page
    assert "failed on this complaint 2 time(s) in a row" in page
    assert "Try the timers again" in page
    assert "KeyError: " in page
    other = supervisor.get(f"/complaints/{complaint_id}")
    assert other.status_code == 200
    assert 'id="engine-error"' not in other.get_data(as_text=True)
    # Only managers (and the focal point) may clear the failures; the button does.
    refused = post_form(
        supervisor,
        f"/complaints/{complaint_id}/retry-timers",
        {},
        form_url=f"/complaints/{complaint_id}",
    )
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Complaint, complaint_id).engine_failures == 2
    retried = post_form(
        manager,
        f"/complaints/{complaint_id}/retry-timers",
        {},
        form_url=f"/complaints/{complaint_id}",
    )
    assert retried.status_code == 302
    page = manager.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert 'id="engine-error"' not in page
    with app.app_context():
        cleared = db.session.get(Complaint, complaint_id)
        assert (cleared.engine_failures, cleared.engine_error) == (0, "")
        assert reference == cleared.reference


def _locked_error(sqlite_url: str) -> Exception:
    """The error SQLite gives a writer while another connection holds the write lock."""
    holder = create_engine(sqlite_url)
    writer = create_engine(sqlite_url, connect_args={"timeout": 0})
    try:
        with holder.connect() as held:
            held.exec_driver_sql("BEGIN IMMEDIATE")
            with writer.connect() as conn, pytest.raises(OperationalError) as refused:
                conn.execute(text("DELETE FROM complaint"))
            held.exec_driver_sql("ROLLBACK")
        return refused.value
    finally:
        holder.dispose()
        writer.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_round_refused_once_by_sqlites_write_lock_is_a_warning_not_an_error(
    app: Flask, database_url: str, caplog: pytest.LogCaptureFixture
):
    """`make run`'s loops and web server share one SQLite file: a first round that meets
    another writer is routine and retried; twice in a row, or anything else, is an error."""
    locked = _locked_error(database_url)
    assert "database is locked" in str(locked)
    with app.app_context():
        rounds.failed("timers", 1, 3.0, locked)
        rounds.failed("timers", 2, 3.0, locked)
        rounds.failed("delivery", 1, 3.0, RuntimeError("the SMTP server went away"))
    levels = [(r.levelname, r.getMessage().split(",")[0]) for r in caplog.records]
    assert levels == [
        ("WARNING", "timers: round failed (1 in a row)"),
        ("ERROR", "timers: round failed (2 in a row)"),
        ("ERROR", "delivery: round failed (1 in a row)"),
    ]
