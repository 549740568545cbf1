"""A complaint whose timers end the timer process (diagram code past the backstop's CPU
limit) is set aside after two deaths, and every other complaint's timers fire.

The first test runs the real `flask run-timers` in child processes, started again each time
the backstop ends it (as tools/run-demo.sh does), against the test's SQLite or PostgreSQL
database. The others simulate the deaths with marks in the attempt ledger, in process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import time_machine
from flask import Flask

from app.cli import timer_loop
from services import engine, instance_migration, timer_attempts, timers, workflows
from services.clock import utcnow
from services.db import db
from services.models import AuditEvent, Complaint
from tests import diagrams
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.services.test_backstop import SHARED_TWICE

REPO = Path(__file__).resolve().parent.parent.parent
ACK_TIMER = 'target("acknowledge")'
REVIEW_PROPERTIES = (
    '<spiffworkflow:property name="watches" value="register_complaint" />\n'
    "          </spiffworkflow:properties>"
)


def _short_ack() -> str:
    """The procedure with the acknowledgement's overdue review due one second after filing."""
    return diagrams.edited(diagrams.bpmn(), ACK_TIMER, '"PT1S"')


def _burning(text: str) -> str:
    """`text` whose overdue acknowledgement review, which the timer starts, first runs code
    that compares two structures of 2**60 references: one C call no guard stops."""
    return diagrams.edited(
        text,
        REVIEW_PROPERTIES,
        f"{REVIEW_PROPERTIES}\n          <spiffworkflow:preScript>{escape(SHARED_TWICE)}"
        "</spiffworkflow:preScript>",
    )


def _events(complaint_id: int, kind: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == kind
            )
        )
    )


def _bad_first(bad: Complaint, good: Complaint) -> None:
    """Put the bad complaint's timer before the good one's: each round meets it first."""
    bad.instance.next_timer_due = good.instance.next_timer_due - timedelta(minutes=1)
    db.session.commit()


def _timer_process(database_url: str, tmp_path: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "x" * 40,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "DOCUMENT_DIR": str(tmp_path / "documents"),
        "BACKSTOP_CPU_SECONDS": "1",  # the test's runaway is ended after 1 to 2 s of CPU
        "PYTHONUNBUFFERED": "1",  # its log as it goes, up to its end
    }
    with log.open("a") as output:  # the child writes on its own copy
        return subprocess.Popen(  # noqa: S603 - our own command, as tools/run-demo.sh starts it
            [str(Path(sys.executable).parent / "flask"), "--app", "app", "run-timers"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def test_the_timer_process_sets_aside_a_complaint_that_ends_it_and_fires_the_others(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    with app.app_context():
        diagrams.deploy_variant(_short_ack(), comment="overdue review after 1 s")
        good = j.file()
        burning = diagrams.deploy_variant(_burning(_short_ack()), comment="runaway review")
        bad = j.file()
        _bad_first(bad, good)
        good_id, bad_id, bad_reference = good.id, bad.id, bad.reference
        good_reference = good.reference
        version = burning.version
    log = tmp_path / "timers.log"
    ended: list[int] = []
    process = _timer_process(database_url, tmp_path, log)
    deadline = time.monotonic() + 150  # three starts of the app on a busy machine
    try:
        while time.monotonic() < deadline:
            with app.app_context():
                done = _events(good_id, "timer_fired") and _events(bad_id, timers.SET_ASIDE)
                db.session.remove()
            if done and f"timers: {bad_reference} set aside" in log.read_text():
                break  # committed, then logged
            code = process.poll()
            if code is not None:  # tools/run-demo.sh starts it again when SIGXCPU ended it
                ended.append(code)
                assert code == -signal.SIGXCPU, log.read_text()[-3000:]
                assert len(ended) <= timer_attempts.SET_ASIDE_AFTER, log.read_text()[-3000:]
                process = _timer_process(database_url, tmp_path, log)
            time.sleep(0.2)
        else:
            pytest.fail(f"the good complaint's timer never fired:\n{log.read_text()[-3000:]}")
        time.sleep(2)  # more rounds: the process stays up, the set-aside complaint stays out
        assert process.poll() is None, log.read_text()[-3000:]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    # The process died on the bad complaint twice, then set it aside and lived.
    assert ended == [-signal.SIGXCPU] * timer_attempts.SET_ASIDE_AFTER
    text = log.read_text()
    assert text.count("most recent call first") == 2  # faulthandler, at each death
    assert f"{good_reference}: Acknowledgement target passed" in text
    with app.app_context():
        assert len(_events(good_id, "timer_fired")) == 1
        assert "review_overdue_acknowledgement" in j.open_names(db.session.get(Complaint, good_id))
        set_aside = db.session.get(Complaint, bad_id)
        assert set_aside.timers_set_aside_at is not None
        assert timers.given_up(set_aside)
        assert "ended 2 times in a row" in set_aside.engine_error
        assert _events(bad_id, "timer_fired") == []
        [event] = _events(bad_id, timers.SET_ASIDE)
        assert event.data == {"deaths": 2, "version": version}
        assert workflows.due_instances(utcnow()) == []
        # The deaths stay counted until someone tries the timers again.
        assert timer_attempts.marked() == {bad_id: 2}
    if database_url.startswith("sqlite"):
        assert Path(f"{database_url.removeprefix('sqlite:///')}-timer-attempts").exists()
    # The process owner finds it where the procedure's problems are listed; /healthz counts it.
    owner = app.test_client()
    login(owner, "owner")
    page = owner.get("/processes/versions").get_data(as_text=True)
    assert 'id="timers-set-aside"' in page
    assert f'id="set-aside-{bad_id}"' in page
    assert (
        f"ended the timer process 2 times in a row (the diagram code of version {burning.version}"
        in page
    )
    health = app.test_client().get("/healthz").get_json()
    assert health["checks"]["timers"]["set_aside"] == 1


def test_the_celery_round_sent_again_sets_the_complaint_aside_and_fires_the_others(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        # Production's Celery rounds run on PostgreSQL; the SQLite ledger (make run's timer
        # process) is the run-timers test's. 13 s of CPU saved from make test.
        pytest.skip("the Celery rounds of production run against PostgreSQL")
    from celery import Celery

    with app.app_context():
        diagrams.deploy_variant(_short_ack(), comment="overdue review after 1 s")
        good = j.file()
        diagrams.deploy_variant(_burning(_short_ack()), comment="runaway review")
        bad = j.file()
        _bad_first(bad, good)
        good_reference, bad_reference, bad_id = good.reference, bad.reference, bad.id
    time.sleep(1)  # both overdue reviews are due
    broker = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
    queue = f"cf-set-aside-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "x" * 40,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "DOCUMENT_DIR": str(tmp_path / "documents"),
        "BACKSTOP_CPU_SECONDS": "1",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_QUEUE": queue,
    }
    with log.open("w") as output:
        worker = subprocess.Popen(  # noqa: S603 - our Celery, as complaintflow-production starts it
            [
                str(Path(sys.executable).parent / "celery"),
                *("-A", "app.worker", "worker", "--concurrency", "1", "--queues", queue),
                *("--loglevel", "INFO"),
            ],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = Celery(broker=broker, backend=broker)
    try:
        # One round, as beat sends it: acknowledged late, it is sent again each time its pool
        # process dies, until a round lives through.
        round_ = client.send_task("complaintflow.fire_timers", queue=queue)
        result = round_.get(timeout=180)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        client.close()
    text = log.read_text()
    assert text.count("exited with 'signal 24 (SIGXCPU)'") == 2, text[-3000:]
    assert result["set_aside"] == {bad_reference: 2}
    assert good_reference in result["fired"]
    with app.app_context():
        assert db.session.get(Complaint, bad_id).timers_set_aside_at is not None
        assert _events(bad_id, "timer_fired") == []


def _set_aside_in_process(app: Flask) -> tuple[int, int, object]:
    """A good and a bad complaint with their timers due; the bad one's evaluations have ended
    the process twice (two marks left in the ledger), then one round: (good, bad, when)."""
    with app.app_context():
        good, bad = j.file(), j.file()
        later = j.past_due(good, "acknowledge")
        _bad_first(bad, good)
        timer_attempts.begin(bad.id, later - timedelta(seconds=2))  # two rounds just before
        timer_attempts.begin(bad.id, later - timedelta(seconds=1))
        good_id, bad_id = good.id, bad.id
        timer_loop(0.01, until=_rounds(1), clock=lambda: later, sleep=lambda _s: None)
    return good_id, bad_id, later


def _rounds(count: int):
    calls = iter(range(count + 1))
    return lambda: next(calls) >= count


def test_one_death_is_not_enough_and_a_round_that_lives_forgets_it(app: Flask) -> None:
    with app.app_context():
        complaint = j.file()
        later = j.past_due(complaint, "acknowledge")
        timer_attempts.begin(complaint.id, utcnow())  # one evaluation the process did not survive
        assert timer_attempts.marked() == {complaint.id: 1}
        report = workflows.tick(later)
        db.session.commit()
        assert report.set_aside == {}
        assert list(report.fired) == [complaint.reference]
        assert timer_attempts.marked() == {}
        assert db.session.get(Complaint, complaint.id).timers_set_aside_at is None


def test_a_death_mark_older_than_its_bound_counts_no_more(app: Flask) -> None:
    with app.app_context():
        now = utcnow()
        long_ago = now - timer_attempts.MARK_EXPIRES_AFTER - timedelta(seconds=1)
        timer_attempts.begin(1, long_ago - timedelta(minutes=1))
        timer_attempts.begin(1, long_ago)  # two deaths, long ago
        timer_attempts.begin(2, now - timedelta(minutes=2))
        timer_attempts.begin(2, now - timedelta(minutes=1))  # two deaths in a row, just now
        timer_attempts.begin(3, long_ago)
        assert timer_attempts.marked() == {1: 2, 2: 2, 3: 1}
        assert timer_attempts.deaths([1, 2, 3], now) == {2: 2}
        assert timer_attempts.marked() == {2: 2}  # the round forgets the old ones
        # A death long ago, then one now: the first of a row (without the round's reading).
        timer_attempts.begin(4, long_ago)
        timer_attempts.begin(4, now)
        assert timer_attempts.deaths([4], now) == {4: 1}


def test_one_death_last_month_and_one_now_do_not_set_a_complaint_aside(app: Flask) -> None:
    with app.app_context():
        complaint = j.file()
        later = j.past_due(complaint, "acknowledge")
        timer_attempts.begin(complaint.id, later - timedelta(days=30))  # its round never came back
        timer_attempts.begin(complaint.id, later - timedelta(seconds=1))  # the round just now
        report = workflows.tick(later)
        db.session.commit()
        assert report.set_aside == {}
        assert list(report.fired) == [complaint.reference]
        assert db.session.get(Complaint, complaint.id).timers_set_aside_at is None


def test_a_person_s_step_that_fires_the_late_timers_forgets_the_death(app: Flask) -> None:
    with app.app_context():
        complaint = j.file()
        later = j.past_due(complaint, "acknowledge")
        timer_attempts.begin(complaint.id, later)  # the round died on its overdue review
        with time_machine.travel(later + timedelta(seconds=1), tick=False):
            j.complete(complaint, "register_complaint")  # fires the timer first, and lives
        assert [e.summary for e in _events(complaint.id, "timer_fired")] == [
            "Acknowledgement target passed"
        ]
        assert timer_attempts.marked() == {}  # a later death is a first one


def test_a_mark_is_written_before_the_evaluation_and_outlives_the_round(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        complaint = j.file()
        later = j.past_due(complaint, "acknowledge")
        seen: list[dict[int, int]] = []
        fire = engine.fire_due_timers

        def spying(wf, now):
            seen.append(timer_attempts.marked())  # read on a connection of its own
            return fire(wf, now)

        monkeypatch.setattr(engine, "fire_due_timers", spying)
        workflows.tick(later)
        db.session.rollback()  # the round's work is undone; the ledger's is not its to undo
        assert seen == [{complaint.id: 1}]
        assert timer_attempts.marked() == {}  # the evaluation ended: the process survived it


def test_a_set_aside_complaint_is_shown_and_the_process_owner_tries_it_again(
    app: Flask,
) -> None:
    good_id, bad_id, later = _set_aside_in_process(app)
    with app.app_context():
        assert len(_events(good_id, "timer_fired")) == 1
        bad = db.session.get(Complaint, bad_id)
        assert bad.timers_set_aside_at is not None
        reference = bad.reference
        version = bad.instance.process_version.version
    manager = app.test_client()
    login(manager, "manager")
    page = manager.get(f"/complaints/{bad_id}").get_data(as_text=True)
    assert 'id="engine-error"' in page
    assert "timers ended the timer process again and again" in page
    assert "its timers were set aside so that the other" in page
    assert "Timers set aside" in page  # the history's line
    owner = app.test_client()
    login(owner, "owner")
    page = owner.get("/processes/versions").get_data(as_text=True)
    assert f'id="set-aside-{bad_id}"' in page
    # The process owner may not open complaints: the row names none.
    assert reference not in page
    assert "A complaint you may not open" in page
    assert f"(the diagram code of version {version} ran past its CPU or memory limit)" in page
    # Others than process owners and managers may not clear it.
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    refused = post_form(supervisor, f"/processes/timers/{bad_id}/retry", {}, form_url="/inbox")
    assert refused.status_code == 403
    retried = post_form(
        owner, f"/processes/timers/{bad_id}/retry", {}, form_url="/processes/versions"
    )
    assert retried.status_code == 302
    page = owner.get("/processes/versions").get_data(as_text=True)
    assert f'id="set-aside-{bad_id}"' not in page
    assert "Its timers will be tried again within a second." in page
    with app.app_context():
        bad = db.session.get(Complaint, bad_id)
        assert (bad.timers_set_aside_at, bad.engine_failures, bad.engine_error) == (None, 0, "")
        assert timer_attempts.marked() == {}
        [retry] = _events(bad_id, timers.RETRIED)
        assert retry.actor.username == "owner"
        assert workflows.due_instances(later) == [bad.instance.id]
        # Only a complaint set aside may be retried from there.
        refused = post_form(
            owner, f"/processes/timers/{good_id}/retry", {}, form_url="/processes/versions"
        )
        assert refused.status_code == 404


def test_moving_a_set_aside_complaint_to_another_version_tries_its_timers_again(
    app: Flask,
) -> None:
    _good_id, bad_id, later = _set_aside_in_process(app)
    with app.app_context():
        fixed = diagrams.deploy_variant(diagrams.minor_sla_shortened(), comment="fixed")
        instance_migration.migrate(bad_id, fixed, None)
        db.session.commit()
        bad = db.session.get(Complaint, bad_id)
        assert bad.timers_set_aside_at is None and not timers.given_up(bad)
        assert timer_attempts.marked() == {}
        assert _events(bad_id, timers.RETRIED)[0].data == {"to_version": fixed.version}
        report = workflows.tick(later)
        db.session.commit()
        assert bad.reference in report.fired
        version = fixed.version
    manager = app.test_client()
    login(manager, "manager")
    page = manager.get(f"/complaints/{bad_id}").get_data(as_text=True)
    assert f"After moving to version {version}" in page  # the history's line
    assert 'id="engine-error"' not in page
