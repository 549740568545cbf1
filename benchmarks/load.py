"""Load and faults: Locust users against the production stack while workers are killed.

The stack is the one `make production` starts (complaintflow-production): gunicorn (sync
workers), a Celery worker and Celery beat, on a scratch PostgreSQL database (dropped at the
end), a Redis database nothing else uses (emptied at the end; the first empty one of 8-15
and 1-7 unless --redis-db) with a queue of its own, and MAIL_SERVER pointed at an SMTP sink
this script runs, so messages really leave and are counted. The filing and public-post rate
limits are raised for the run (API_FILING_RATE_LIMIT and PUBLIC_POST_RATE_LIMIT at 100000
per minute): every Locust user comes from 127.0.0.1, which the production limits would
refuse after ten complaints a minute.

Before the load, the demo users are seeded (`flask seed-demo`) and each staff user gets a
bearer token (`flask issue-token`), both run in-process on the scratch database. --overdue
complaints are filed 3 to 60 days in the past (time-machine, through the services), and
three more every 5 s during the load, so timers and service-level clocks keep falling due
while workers die: the timer rounds have work, and "no timer fired twice" is not checked on
an empty set.

Users (benchmarks/load_users.py, weights 5:4:1): complainants file (POST /api/v1/complaints)
and follow their complaint (GET /api/v1/tracking), answering the survey when it opens; clerks
(agent, supervisor, manager tokens) read their inbox (GET /api/v1/tasks) and complete tasks
from it (POST /api/v1/tasks/{id}/complete, with the journeys' answers per form); managers
sign in through /auth/login and read /dashboard and GET /api/v1/complaints.

Faults: every 30 s one gunicorn worker and one Celery pool process are killed with SIGKILL,
preferably one at work (it used CPU in the last 50 ms: a request or a round in progress);
gunicorn's master and Celery's pool start new ones, and the time they take is reported.

Reported: requests/s and p50/p95/p99 per operation, answers by status (0: the connection was
reset, the request's worker killed under it), the tracebacks the stack logged (--keep-log
FILE keeps the whole log), the resident memory of every gunicorn and Celery process (the
largest RSS and PSS sampled each second, against 120 MiB), then checks run against the database
and the SMTP sink, each PASS or FAIL: no complaint lost (every 201 exists) or half-written
(process instance and "received" audit row); no open task row the engine no longer waits for
(each running complaint's workflow loaded through the services, up to --check-sample of
them); no message sent twice (Message-IDs at the sink, provider ids in the outbox); no timer
fired twice (audit "timer_fired" rows per complaint, timer and round time).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/load.py [--users 50] [--minutes 5] [--overdue 60]

Redis is BENCH_REDIS_HOST (default redis://127.0.0.1:6379).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scratch  # noqa: E402
from tests import journeys  # noqa: E402
from tests.servers import SmtpServer, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS = os.environ.get("BENCH_REDIS_HOST", "redis://127.0.0.1:6379")
SECRET = "load-test-secret-key-load-test-secret-key"  # noqa: S105 - a scratch stack
PASSWORD = "load-test-password"  # noqa: S105 - the demo users of a scratch database
FAULT_EVERY = 30.0
# During the load, complaints filed in the past: their timers fall due round after round.
LATE_EVERY, LATE_BATCH = 5.0, 3
RSS_TARGET_MIB = 120.0
MIB = 1024 * 1024
STAFF = ("agent", "supervisor", "manager")
# As the public API takes a complaint (the end-to-end API test's).
COMPLAINT = {
    "complainant_name": "Aminata Diallo",
    "phone": "+221 77 000 00 00",
    "preferred_contact": "email",
    "product_service": "Washing machine WM-300",
    "purchase_date": "2026-01-10",
    "description": "The machine leaks water from the first wash and nobody answers.",
    "attestation": True,
}
# The forms the clerks answer; classification keeps complaints on the minor route.
FORMS = ("register_complaint", "classify_complaint", "resolve_minor", "sign_off", "review_overdue")


def as_json(name: str, value: Any) -> Any:
    """A journey answer as a JSON client sends it: amounts as numbers, dates as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    return float(value) if name.endswith(("_impact", "_amount")) else value


def answers() -> dict[str, dict[str, Any]]:
    return {
        form: {name: as_json(name, v) for name, v in journeys.ANSWERS[form].items()}
        for form in FORMS
    }


# --- preparation ---------------------------------------------------------------------------


class Backdated:
    """Complaints filed through the services 3 to 60 days in the past (time-machine): their
    timers and clocks are due at once, so the timer rounds have work while the load runs."""

    def __init__(self, url: str, work: Path) -> None:
        from app import create_app

        self.app = create_app(
            {
                "SECRET_KEY": SECRET,
                "SQLALCHEMY_DATABASE_URI": url,
                "DEMO_PASSWORD": PASSWORD,
                "TESTING": True,
                # The letters the filings print go with the run's other files, not instance/.
                "UPLOAD_DIR": str(work / "uploads"),
                "DOCUMENT_DIR": str(work / "documents"),
            }
        )
        self.filed = 0

    def file(self, count: int) -> None:
        import time_machine

        from services.clock import utcnow
        from services.db import db

        with self.app.app_context():
            now = utcnow()
            for _ in range(count):
                age = timedelta(days=random.uniform(3, 60))  # noqa: S311 - not security
                with time_machine.travel(now - age):
                    journeys.file(email=f"overdue-{self.filed}@example.org")
                self.filed += 1
            db.session.remove()

    def close(self) -> None:
        from services.db import db

        with self.app.app_context():
            db.engine.dispose()


def prepare(backdated: Backdated, overdue: int) -> dict[str, str]:
    """Migrate, seed the demo users, file `overdue` complaints in the past; the staff tokens."""
    from flask_migrate import upgrade

    from services.db import db

    with backdated.app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        runner = backdated.app.test_cli_runner()
        seeded = runner.invoke(args=["seed-demo", "--no-complaints"])
        assert seeded.exit_code == 0, seeded.output
        tokens = {}
        for who in STAFF:
            result = runner.invoke(args=["issue-token", who])
            assert result.exit_code == 0, result.output
            tokens[who] = result.output.strip().splitlines()[-1]
        db.session.remove()
    backdated.file(overdue)
    return tokens


def empty_redis_db(chosen: int | None) -> int:
    """A Redis database number with no keys (ours for the run; emptied at the end)."""
    for number in [chosen] if chosen is not None else [*range(8, 16), *range(1, 8)]:
        if redis.Redis.from_url(f"{REDIS}/{number}").dbsize() == 0:
            return number
    raise SystemExit(f"Redis database {chosen} has keys: choose an unused one (--redis-db).")


# --- the stack -----------------------------------------------------------------------------


def stack_env(url: str, port: int, smtp: int, redis_db: int, work: Path) -> dict[str, str]:
    broker = f"{REDIS}/{redis_db}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "DEMO_PASSWORD": PASSWORD,
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": f"load-{work.name}",
        "RATELIMIT_STORAGE_URI": broker,
        "API_FILING_RATE_LIMIT": "100000 per minute",
        "PUBLIC_POST_RATE_LIMIT": "100000 per minute",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp),
        "BIND": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SECURE_COOKIES": "0",  # plain HTTP on the loopback: the manager's session cookie
        "CELERY_BEAT_SCHEDULE": str(work / "celerybeat-schedule"),
        "UPLOAD_DIR": str(work / "uploads"),
        "DOCUMENT_DIR": str(work / "documents"),
        "INBOUND_MAIL_DIR": str(work / "inbound"),
        "MAIL_CATCHER_DIR": str(work / "mail"),
    }


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def start_stack(env: dict[str, str], log: Path) -> subprocess.Popen:
    """complaintflow-production in its own session (its process group is the whole stack)."""
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [str(BIN / "complaintflow-production")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(proc: subprocess.Popen, port: int, log: Path) -> None:
    """Return once /healthz answers 200 (the web workers and a timer round are up)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the stack stopped at start:\n{log.read_text()[-3000:]}")
        if healthy(port):
            return
        time.sleep(0.5)
    raise SystemExit("the stack did not answer /healthz with 200 within 180 s")


@dataclass
class Stack:
    """The stack's processes, found from the script's children, and what happened to them."""

    script: psutil.Process
    rss: dict[tuple[str, int], int] = field(default_factory=dict)
    # Proportional set size: shared pages divided among the processes sharing them.
    pss: dict[tuple[str, int], int] = field(default_factory=dict)
    # (role, pid, seconds until replaced or None, whether it was working when killed)
    kills: list[tuple[str, int, float | None, bool]] = field(default_factory=list)

    def parts(self) -> dict[str, list[psutil.Process]]:
        """gunicorn master and workers, Celery worker and its pool, beat."""
        found: dict[str, list[psutil.Process]] = defaultdict(list)
        for child in self.script.children():
            with contextlib.suppress(psutil.Error):
                line = " ".join(child.cmdline())
                if "gunicorn" in line:
                    found["gunicorn master"].append(child)
                    found["gunicorn worker"] += child.children()
                elif " beat" in line:
                    found["celery beat"].append(child)
                elif " worker" in line:
                    found["celery worker"].append(child)
                    found["celery pool"] += child.children()
        return found

    def sample(self) -> dict[str, list[psutil.Process]]:
        parts = self.parts()
        for role, processes in parts.items():
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    key = (role, process.pid)
                    memory = process.memory_full_info()
                    self.rss[key] = max(self.rss.get(key, 0), memory.rss)
                    self.pss[key] = max(self.pss.get(key, 0), memory.pss)
        return parts

    def kill_one(self, role: str) -> None:
        """SIGKILL one process of `role`, preferring one at work (it used CPU in the last
        50 ms: a request or a round in progress); note how long until as many run again."""
        before = self.parts()[role]
        if not before:
            return
        victim, busy = _busy(before)
        with contextlib.suppress(psutil.Error):
            victim.send_signal(signal.SIGKILL)
        started = time.monotonic()
        while time.monotonic() - started < 20:
            alive = [p for p in self.parts()[role] if p.pid != victim.pid and p.is_running()]
            if len(alive) >= len(before):
                self.kills.append((role, victim.pid, time.monotonic() - started, busy))
                return
            time.sleep(0.1)
        self.kills.append((role, victim.pid, None, busy))


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def _busy(processes: list[psutil.Process], seconds: float = 3.0) -> tuple[psutil.Process, bool]:
    """The first of `processes` seen using CPU within `seconds`, else any of them."""
    deadline = time.monotonic() + seconds
    used = {p.pid: _cpu(p) for p in processes}
    while time.monotonic() < deadline:
        time.sleep(0.05)
        for process in processes:
            now = _cpu(process)
            if now > used[process.pid]:
                return process, True
            used[process.pid] = now
    return random.choice(processes), False  # noqa: S311 - not security


def run_load(
    stack: Stack,
    proc: subprocess.Popen,
    backdated: Backdated,
    port: int,
    plan: Path,
    args: Any,
    work: Path,
) -> None:
    """Locust headless in its own process; faults and memory samples from here meanwhile."""
    seconds = int(args.minutes * 60)
    with (work / "locust.log").open("wb") as out:
        locust = subprocess.Popen(  # noqa: S603 - our own locustfile, fixed arguments
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "benchmarks" / "load_users.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(1, args.users // 10)),
                "--run-time",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--stop-timeout",
                "10",
                "--loglevel",
                "WARNING",
                "--only-summary",
            ],  # fmt: skip
            cwd=ROOT,
            env={**os.environ, "LOAD_PLAN": str(plan)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        next_fault = time.monotonic() + FAULT_EVERY
        next_late = time.monotonic() + LATE_EVERY
        while locust.poll() is None:
            if proc.poll() is not None:
                raise SystemExit("the stack stopped during the load (a main process died)")
            stack.sample()
            if time.monotonic() >= next_fault:
                stack.kill_one("gunicorn worker")
                stack.kill_one("celery pool")
                next_fault += FAULT_EVERY
            if time.monotonic() >= next_late:
                backdated.file(LATE_BATCH)  # timers due now, fired by the next round
                next_late += LATE_EVERY
            time.sleep(1.0)
    finally:
        if locust.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(locust.pid, signal.SIGTERM)
            locust.wait(timeout=30)


def drain(url: str, stack: Stack, seconds: float = 90) -> dict[str, int]:
    """Wait until the outbox has nothing due left (the delivery rounds went on); its statuses."""
    engine = create_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            stack.sample()
            with engine.connect() as conn:
                due = conn.scalar(
                    text(
                        "SELECT count(*) FROM notification WHERE status = 'queued' "
                        "AND (next_attempt_at IS NULL OR next_attempt_at <= now())"
                    )
                )
                if due == 0 or time.monotonic() > deadline:
                    rows = conn.execute(
                        text("SELECT status, count(*) FROM notification GROUP BY status")
                    )
                    return dict(rows.all())
            time.sleep(1.0)
    finally:
        engine.dispose()


# --- the report ----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_traffic(seen: dict[str, Any], seconds: float) -> None:
    print(f"\n{'operation':<36} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  answers")
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for key, count in seen["statuses"].items():
        name, status = key.split("\t")
        statuses[name][status] += count
    total = 0
    for name, values in sorted(seen["latencies"].items()):
        total += len(values)
        answers_ = ", ".join(f"{s}: {n}" for s, n in sorted(statuses[name].items()))
        print(
            f"{name:<36} {len(values) / seconds:7.1f} {percentile(values, 0.50):8.0f} "
            f"{percentile(values, 0.95):8.0f} {percentile(values, 0.99):8.0f}  {answers_}"
        )
    print(f"{'all':<36} {total / seconds:7.1f}")
    errors: Counter[str] = Counter()
    for counts in statuses.values():
        for status, n in counts.items():
            if status == "0" or int(status) >= 400:
                errors[status] += n
    print(
        "errors by status: "
        + (", ".join(f"{s}: {n}" for s, n in sorted(errors.items())) or "none")
        + "  (0: connection reset, the worker killed under the request; 409: two clerks "
        "on one task, the second refused)"
    )


def print_memory(stack: Stack) -> bool:
    print(f"\nresident memory, largest sample (target {RSS_TARGET_MIB:.0f} MiB per worker)")
    by_role: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (role, pid), rss in stack.rss.items():
        by_role[role].append((pid, rss))
    within = True
    for role, rows in sorted(by_role.items()):
        largest = max(rss for _pid, rss in rows) / MIB
        pss = max(stack.pss.get((role, pid), 0) for pid, _rss in rows) / MIB
        if role in ("gunicorn worker", "celery pool", "celery worker"):
            within &= largest <= RSS_TARGET_MIB
        listed = ", ".join(f"{pid}: {rss / MIB:.0f}" for pid, rss in sorted(rows))
        print(
            f"  {role:<16} RSS max {largest:6.1f} MiB, PSS max {pss:6.1f} MiB  "
            f"({len(rows)} processes, RSS: {listed})"
        )
    for role in ("gunicorn worker", "celery pool"):
        times = [t for r, _pid, t, _busy in stack.kills if r == role]
        busy = sum(1 for r, _pid, _t, b in stack.kills if r == role and b)
        back = [t for t in times if t is not None]
        lost = len(times) - len(back)
        print(
            f"  {role} killed {len(times)} times ({busy} while at work); replaced within "
            f"{max(back, default=0):.1f} s each"
            + (f", {lost} not replaced within 20 s" if lost else "")
        )
    return within


def server_errors(log: Path) -> list[str]:
    """The tracebacks the stack logged, each as its last line (the exception) and count."""
    found: Counter[str] = Counter()
    inside, last = False, ""
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            inside, last = True, ""
        elif inside and line.startswith((" ", "\t")):
            continue
        elif inside:
            last = line
            # billiard's wrapper line of a remote traceback: the real one follows.
            if line and not line.startswith(
                ("During handling", "The above exception", "billiard.einfo.ExceptionWith", '"""')
            ):
                found[last] += 1
                inside = False
    return [f"{n} x {message}" for message, n in found.most_common()]


def verdict(name: str, problems: list[str], detail: str = "") -> bool:
    state = "PASS" if not problems else "FAIL"
    print(f"  {state}  {name}" + (f" ({detail})" if detail else ""))
    for problem in problems[:10]:
        print(f"          {problem}")
    if len(problems) > 10:
        print(f"          ... and {len(problems) - 10} more")
    return not problems


def consistency(url: str, filed: list[int], overdue: int, smtp: SmtpServer, sample: int) -> bool:
    """The end-of-run checks, each printed PASS or FAIL."""
    print("\nconsistency")
    engine = create_engine(url)
    ok = True
    with engine.connect() as conn:
        existing = set(conn.scalars(text("SELECT id FROM complaint")))
        lost = sorted(set(filed) - existing)
        ok &= verdict(
            "no complaint lost",
            [f"complaint {i} answered 201, not in the database" for i in lost],
            f"{len(filed)} answered 201, {len(existing)} in the database, {overdue} of them "
            f"filed in the past by the script: {len(existing) - overdue - len(filed)} saved with "
            "the answer lost (the worker killed after the commit)",
        )
        no_instance = conn.scalars(
            text(
                "SELECT c.id FROM complaint c WHERE NOT EXISTS "
                "(SELECT 1 FROM process_instance p WHERE p.complaint_id = c.id)"
            )
        ).all()
        no_received = conn.scalars(
            text(
                "SELECT c.id FROM complaint c WHERE NOT EXISTS (SELECT 1 FROM audit_event a "
                "WHERE a.complaint_id = c.id AND a.kind = 'received')"
            )
        ).all()
        ok &= verdict(
            "no complaint half-written",
            [f"complaint {i} has no process instance" for i in no_instance]
            + [f"complaint {i} has no 'received' audit row" for i in no_received],
        )
        finished_open = conn.execute(
            text(
                "SELECT t.id, t.complaint_id, t.name FROM task t JOIN process_instance p "
                "ON p.complaint_id = t.complaint_id WHERE p.completed AND t.status = 'open'"
            )
        ).all()
        running = conn.scalars(
            text("SELECT complaint_id FROM process_instance WHERE NOT completed")
        ).all()
        doubled = conn.execute(
            text(
                "SELECT provider_message_id, count(*) FROM notification "
                "WHERE provider_message_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1"
            )
        ).all()
        sent_ids = set(
            conn.scalars(
                text(
                    "SELECT provider_message_id FROM notification "
                    "WHERE status = 'sent' AND channel = 'email'"
                )
            )
        )
        timers = conn.execute(
            text(
                "SELECT complaint_id, summary, data->>'at', count(*) FROM audit_event "
                "WHERE kind = 'timer_fired' GROUP BY 1, 2, 3"
            )
        ).all()
    engine.dispose()

    chosen = sorted(random.sample(running, min(sample, len(running))))  # noqa: S311
    mismatched = engine_mismatches(url, chosen)
    ok &= verdict(
        "no open task row the engine no longer waits for",
        [f"complaint {c}: task {t} ({n}) open, the procedure finished" for t, c, n in finished_open]
        + mismatched,
        f"{len(chosen)} of {len(running)} running complaints loaded and compared; "
        "finished ones all checked by SQL",
    )

    at_sink = Counter(str(m.get("Message-ID", "")).strip() for m in smtp.messages)
    twice = [f"{mid} received {n} times" for mid, n in at_sink.items() if n > 1]
    twice += [f"outbox rows share provider id {mid} ({n} rows)" for mid, n in doubled]
    unrecorded = len(set(at_sink) - sent_ids)
    unreceived = len(sent_ids - set(at_sink))
    ok &= verdict(
        "no message sent twice",
        twice,
        f"{sum(at_sink.values())} emails at the sink, {len(sent_ids)} outbox rows sent; "
        f"{unrecorded} received but not marked sent (killed between the SMTP answer and the "
        f"commit: the lease keeps them from being sent again), {unreceived} marked sent but "
        "not received",
    )
    fired = sum(n for *_key, n in timers)
    ok &= verdict(
        "no timer fired twice",
        [f"complaint {c}: {s} at {at} fired {n} times" for c, s, at, n in timers if n > 1],
        f"{fired} timer_fired rows over {len({c for c, *_ in timers})} complaints",
    )
    return ok


def engine_mismatches(url: str, complaint_ids: list[int]) -> list[str]:
    """Open task rows against the READY user tasks of each complaint's workflow."""
    from app import create_app
    from services import engine, processes
    from services.db import db
    from services.models import ProcessInstance, Task

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    problems = []
    with app.app_context():
        for complaint_id in complaint_ids:
            instance = db.session.scalar(
                db.select(ProcessInstance).where(ProcessInstance.complaint_id == complaint_id)
            )
            wf = engine.load_workflow(processes.specs_of(instance.process_version), instance.state)
            ready = {info.id: info.name for info in engine.ready_user_tasks(wf)}
            rows = dict(
                db.session.execute(
                    db.select(Task.id, Task.name).where(
                        Task.complaint_id == complaint_id, Task.status == "open"
                    )
                ).all()
            )
            problems += [
                f"complaint {complaint_id}: task {t} ({n}) open, the engine does not wait for it"
                for t, n in rows.items()
                if t not in ready
            ]
            problems += [
                f"complaint {complaint_id}: the engine waits for {n} ({t}), no open row"
                for t, n in ready.items()
                if t not in rows
            ]
            db.session.expunge_all()
        db.session.remove()
        db.engine.dispose()
    return problems


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("--users", type=int, default=50, help="concurrent Locust users (50)")
    parser.add_argument("--minutes", type=float, default=5.0, help="duration of the load (5)")
    parser.add_argument(
        "--overdue", type=int, default=60, help="complaints filed in the past beforehand (60)"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="WEB_CONCURRENCY (2)")
    parser.add_argument("--celery-workers", type=int, default=2, help="CELERY_CONCURRENCY (2)")
    parser.add_argument("--redis-db", type=int, default=None, help="an empty Redis database")
    parser.add_argument(
        "--check-sample", type=int, default=400, help="running complaints loaded at the end"
    )
    parser.add_argument("--keep-log", help="copy the stack's log (gunicorn, Celery) to this file")
    args = parser.parse_args()
    # TERM cleans up as Ctrl+C does: the finally clauses below stop and remove everything.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scratch.require_postgres()
    redis_db = empty_redis_db(args.redis_db)
    instance_dir = ROOT / "instance"  # the stack makes it; removed again if it was not
    had_instance = instance_dir.exists()
    smtp = SmtpServer(port=free_port())
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port)
    controller.start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="cf-load-") as directory,
            scratch.postgres_database("cf_load") as url,
        ):
            work = Path(directory)
            started = time.monotonic()
            backdated = Backdated(url, work)
            tokens = prepare(backdated, args.overdue)
            print(f"prepared in {time.monotonic() - started:.0f} s: demo users, tokens, "
                  f"{args.overdue} overdue complaints")  # fmt: skip
            port = free_port()
            env = stack_env(url, port, smtp.port, redis_db, work)
            env["WEB_CONCURRENCY"] = str(args.web_workers)
            env["CELERY_CONCURRENCY"] = str(args.celery_workers)
            plan = work / "plan.json"
            plan.write_text(
                json.dumps(
                    {
                        "tokens": tokens,
                        "password": PASSWORD,
                        "complaint": COMPLAINT,
                        "answers": answers(),
                        "out": str(work / "seen.json"),
                    }
                )
            )
            proc = start_stack(env, work / "stack.log")
            try:
                wait_healthy(proc, port, work / "stack.log")
                stack = Stack(psutil.Process(proc.pid))
                load_started = time.monotonic()
                run_load(stack, proc, backdated, port, plan, args, work)
                seconds = time.monotonic() - load_started
                outbox = drain(url, stack)
            finally:
                scratch.stop_process_group(proc)
                backdated.close()
            seen = json.loads((work / "seen.json").read_text())
            print(
                f"\n{args.users} users for {seconds:.0f} s against gunicorn "
                f"({args.web_workers} sync workers), Celery ({args.celery_workers} processes) "
                f"and beat, PostgreSQL and Redis on this machine ({os.cpu_count()} cores); "
                f"a gunicorn worker and a Celery pool process killed every {FAULT_EVERY:.0f} s"
            )
            print_traffic(seen, seconds)
            within = print_memory(stack)
            print(f"\noutbox after the drain: {outbox}")
            errors = server_errors(work / "stack.log")
            print(
                f"tracebacks in the stack's log: {sum(int(e.split(' x ')[0]) for e in errors)} "
                "(a WorkerLostError is a Celery kill interrupting a round)"
            )
            for line in errors[:15]:
                print(f"  {line}")
            if args.keep_log:
                Path(args.keep_log).write_bytes((work / "stack.log").read_bytes())
            ok = consistency(url, seen["filed"], backdated.filed, smtp, args.check_sample)
            print(f"\nmemory {'within' if within else 'OVER'} {RSS_TARGET_MIB:.0f} MiB per worker; "
                  f"consistency {'PASS' if ok else 'FAIL'}")  # fmt: skip
    finally:
        controller.stop()
        redis.Redis.from_url(f"{REDIS}/{redis_db}").flushdb()
        if not had_instance:
            with contextlib.suppress(OSError):
                instance_dir.rmdir()  # only when empty: nothing else of ours went there


if __name__ == "__main__":
    main()
