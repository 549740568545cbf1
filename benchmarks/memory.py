"""Resident memory of the production processes: a gunicorn worker and a Celery pool process.

Each figure is RSS / PSS in MiB (VmRSS of /proc/PID/status, Pss of /proc/PID/smaps_rollup;
PSS divides the pages a process shares with others among them), against the 120 MiB target.

1. The app built in a fresh interpreter, in the production configuration (PostgreSQL,
   Redis for the rate limits and the broker): `create_app()` as gunicorn's master builds it,
   and `import app.worker` as the Celery worker does.
2. Real gunicorn (app/gunicorn_conf.py: preload_app, gc.freeze; one sync worker) with the
   allocator settings of complaintflow-production: the master and the worker at start, then
   the worker after each round of a realistic mix through HTTP: a complainant's form page,
   filing and tracking (API); a supervisor signs in, reads the inbox, opens a task and
   completes it with the HTML form, opens the complaint; a manager signs in and reads the
   dashboard and the complaints list; clerks read their inbox and complete tasks with the
   API, a manager lists complaints with it.
3. A real Celery worker (`celery -A app.worker worker`, one pool process): the main process
   and the pool process at start, then the pool process after each round: complaints filed
   in the past (their timers due), a timer round (fire_timers: timers and clocks), a report
   round (refresh_reports: report days, recurring problems) and a delivery round
   (deliver_messages, to an SMTP sink this script runs, so messages really leave). Then
   Celery beat (app/beat.py) once it has sent a few rounds.

The database is a scratch PostgreSQL database on the BENCH_DATABASE_URL server (dropped at
the end), else SQLite in a temporary directory (psycopg then is not loaded: production runs
PostgreSQL). Redis is BENCH_REDIS_HOST (default redis://127.0.0.1:6379): the first empty
database of 8-15 and 1-7 unless --redis-db, emptied at the end. Nothing is left behind.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/memory.py [--rounds 3] [--complaints 20] [--no-celery]
"""

from __future__ import annotations

import ast
import contextlib
import http.cookiejar
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scratch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_MIB = 120.0
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# What the complaints' first tasks need, as the supervisor's HTML form and the API take them.
HTML_FORMS = ("classify_complaint", "resolve_minor")


def memory(pid: int | str = "self") -> tuple[float, float, float]:
    """RSS, PSS and the largest RSS the process has had (VmHWM), in MiB."""
    found = {}
    for name in (f"/proc/{pid}/status", f"/proc/{pid}/smaps_rollup"):
        with open(name) as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Pss"):
                    found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["Pss"], found["VmHWM"]


def largest_mappings(pid: int, count: int) -> list[tuple[str, float]]:
    """The files (and [heap], [anon]) holding most of a process's resident memory, in MiB."""
    found: dict[str, float] = {}
    name = "[anon]"
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            first, _, rest = line.partition(" ")
            if "-" in first and not first.endswith(":"):
                fields = rest.split()
                name = fields[4] if len(fields) > 4 else "[anon]"
            elif first == "Rss:":
                found[name] = found.get(name, 0.0) + int(rest.split()[0]) / 1024
    return sorted(found.items(), key=lambda item: -item[1])[:count]


def print_mappings(pid: int, count: int) -> None:
    if count:
        for name, mib in largest_mappings(pid, count):
            print(f"      {mib:6.1f} MiB  {name.replace(str(ROOT), '.')}")


def allocator_settings() -> dict[str, str]:
    """The MALLOC_* variables complaintflow-production sets for its children (its defaults)."""
    from app.production_stack import DEFAULTS

    return {name: value for name, value in DEFAULTS.items() if name.startswith("MALLOC_")}


class Report:
    """Lines of the final table: what, RSS, PSS, peak RSS (the process's largest so far:
    brief peaks, such as a sign-in's scrypt hash, that a sample at rest does not see)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []

    def add(self, what: str, pid: int | str) -> None:
        self.note(what, *memory(pid))

    def note(self, what: str, rss: float, pss: float, peak: float) -> None:
        self.rows.append((what, rss, pss, peak))
        print(f"  {what:<46} RSS {rss:6.1f}  PSS {pss:6.1f}  peak {peak:6.1f} MiB", flush=True)

    def print(self) -> None:
        print(f"\n{'process':<48} {'RSS MiB':>8} {'PSS MiB':>8} {'peak MiB':>9}")
        for what, rss, pss, peak in self.rows:
            over = "  OVER" if rss > TARGET_MIB else ""
            print(f"{what:<48} {rss:8.1f} {pss:8.1f} {peak:9.1f}{over}")


# --- 1. the app in a fresh interpreter ---------------------------------------------------------

FRESH = """
import sys

def memory():
    found = {{}}
    for name in ("/proc/self/status", "/proc/self/smaps_rollup"):
        with open(name) as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "Pss", "VmHWM"):
                    found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["Pss"], found["VmHWM"]

before = memory()
{build}
import gc; gc.collect()
print(repr([before, memory(), len(sys.modules)]))
"""


def fresh(build: str, env: dict[str, str]) -> tuple[tuple[float, ...], tuple[float, ...], int]:
    """RSS/PSS of a new interpreter before and after `build`, and the modules it imported."""
    done = subprocess.run(  # noqa: S603 - our interpreter, a fixed script
        [sys.executable, "-c", FRESH.format(root=str(ROOT), build=build)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    before, after, modules = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    return tuple(before), tuple(after), modules


# --- 2. gunicorn and the web mix --------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The child processes of `pid`."""
    import psutil

    with contextlib.suppress(psutil.Error):
        return [child.pid for child in psutil.Process(pid).children()]
    return []


def settle(pid: int, seconds: float = 1.0, limit: float = 60.0) -> None:
    """Wait until `pid` has used no CPU for `seconds` (its start or its work is over)."""
    import psutil

    process = psutil.Process(pid)
    deadline = time.monotonic() + limit
    used = sum(process.cpu_times()[:2])
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = sum(process.cpu_times()[:2])
        if now != used:
            used, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= seconds:
            return


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A process in its own session, stopped with TERM (then KILL) with all its children."""
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own entry points, fixed arguments
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        scratch.stop_process_group(proc)


class Browser:
    """An HTTP client with its own cookies (a signed-in person) or a bearer token (the API)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def send(self, method: str, path: str, data: Any = None, form: bool = False) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = None
        if form:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, body, headers, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, username: str, password: str) -> None:
        _, page = self.send("GET", "/auth/login")
        found = CSRF.search(page)
        data = {"username": username, "password": password, "csrf_token": found.group(1)}
        status, _ = self.send("POST", "/auth/login", data, form=True)
        assert status == 200, f"sign-in of {username}: {status}"  # after the redirect


def html_answers(form_key: str) -> list[tuple[str, str]]:
    """The journeys' valid answers for a form as a browser posts them."""
    from tests import journeys

    return list(journeys.formdata(journeys.ANSWERS[form_key]).items(multi=True))


def api_round(clerks: dict[str, Browser], answers: dict[str, dict[str, Any]]) -> int:
    """Each clerk reads the inbox and completes one task it knows the answers of."""
    done = 0
    for clerk in clerks.values():
        status, body = clerk.send("GET", "/api/v1/tasks?per_page=25")
        tasks = json.loads(body)["tasks"] if status == 200 else []
        for task in tasks:
            if task["form_key"] in answers and task["form_key"] not in HTML_FORMS[:1]:
                status, _ = clerk.send("POST", task["links"]["complete"], answers[task["form_key"]])
                done += status == 200
                break
    return done


def web_round(base: str, tokens: dict[str, str], password: str) -> dict[str, int]:
    """One round of the mix; the statuses seen, by request."""
    from benchmarks import load

    seen: dict[str, int] = {}
    public = Browser(base)
    seen["GET /complaints/new"] = public.send("GET", "/complaints/new")[0]
    body = {**load.COMPLAINT, "email": f"memory-{time.time_ns()}@example.org"}
    status, answer = public.send("POST", "/api/v1/complaints", body)
    seen["POST /api/v1/complaints"] = status
    if status == 201:
        tracking = Browser(base)
        request = urllib.request.Request(  # noqa: S310 - our own server
            f"{base}/api/v1/tracking",
            headers={"X-Tracking-Token": json.loads(answer)["tracking_token"]},
        )
        with tracking.opener.open(request, timeout=60) as reply:
            seen["GET /api/v1/tracking"] = reply.status

    clerks = {who: Browser(base, tokens[who]) for who in tokens}
    seen["API completions"] = api_round(clerks, load.answers())
    seen["API completions 2"] = api_round(clerks, load.answers())

    supervisor = Browser(base)
    supervisor.sign_in("supervisor", password)
    seen["GET /inbox"] = supervisor.send("GET", "/inbox")[0]
    status, body = clerks["supervisor"].send("GET", "/api/v1/tasks?per_page=25")
    waiting = [t for t in json.loads(body)["tasks"] if t["form_key"] in HTML_FORMS]
    if waiting:
        task = waiting[0]
        status, page = supervisor.send("GET", f"/tasks/{task['id']}")
        seen["GET /tasks/<id>"] = status
        data = [*html_answers(task["form_key"]), ("csrf_token", CSRF.search(page).group(1))]
        seen["POST /tasks/<id>"] = supervisor.send("POST", f"/tasks/{task['id']}", data, True)[0]
        complaint = task["complaint"]["id"] if isinstance(task.get("complaint"), dict) else None
        if complaint is not None:
            seen["GET /complaints/<id>"] = supervisor.send("GET", f"/complaints/{complaint}")[0]

    manager = Browser(base)
    manager.sign_in("manager", password)
    seen["GET /dashboard"] = manager.send("GET", "/dashboard")[0]
    seen["GET /complaints"] = manager.send("GET", "/complaints")[0]
    seen["GET /api/v1/complaints"] = clerks["manager"].send("GET", "/api/v1/complaints?limit=25")[0]
    return seen


def measure_web(
    report: Report, env: dict[str, str], work: Path, args: Any, tokens: dict[str, str]
) -> None:
    from benchmarks import load
    from tests.servers import free_port

    port = free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    command = [
        str(BIN / "gunicorn"),
        "--config",
        "python:app.gunicorn_conf",
        "--workers",
        "1",
        "--bind",
        env["BIND"],
        "app:create_app()",
    ]
    print("\ngunicorn (one sync worker):", flush=True)
    with running(command, env, work / "gunicorn.log") as proc:
        deadline = time.monotonic() + 120
        while not children(proc.pid):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit((work / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.2)
        worker = children(proc.pid)[0]
        settle(worker)
        report.add("gunicorn master (app preloaded)", proc.pid)
        report.add("gunicorn worker at start", worker)
        base = f"http://127.0.0.1:{port}"
        for number in range(1, args.rounds + 1):
            seen = web_round(base, tokens, load.PASSWORD)
            wrong = {k: v for k, v in seen.items() if not k.startswith("API") and v >= 400}
            if wrong:
                print(f"  round {number}: unexpected answers {wrong}")
            report.add(f"gunicorn worker after mix round {number}", worker)
        print(f"  answers in the last round: {seen}")
        print_mappings(worker, args.mappings)
        assert children(proc.pid) == [worker], "the worker was replaced during the mix"


# --- 3. the Celery worker ---------------------------------------------------------------------


def measure_celery(
    report: Report, env: dict[str, str], work: Path, args: Any, backdated: Any
) -> None:
    from celery import Celery

    queue = env["CELERY_QUEUE"]
    env = {**env, "CELERY_RESULT_BACKEND": env["CELERY_BROKER_URL"]}
    command = [
        str(BIN / "celery"),
        "-A",
        "app.worker",
        "worker",
        "--concurrency",
        "1",
        "--queues",
        queue,
        "--loglevel",
        "INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    print("\nCelery worker (one pool process):", flush=True)
    log = work / "celery.log"
    client = Celery("memory", broker=env["CELERY_BROKER_URL"], backend=env["CELERY_BROKER_URL"])
    with running(command, env, log) as proc:
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(log.read_text()[-3000:])
            time.sleep(0.2)
        pool = children(proc.pid)
        assert len(pool) == 1, f"pool processes: {pool}"
        settle(pool[0])
        settle(proc.pid)
        report.add("celery worker (main process)", proc.pid)
        report.add("celery pool process at start", pool[0])
        for number in range(1, args.rounds + 1):
            backdated.file(3)  # their timers are due: the round has work
            for name, what in (
                ("complaintflow.fire_timers", "fired"),
                ("complaintflow.refresh_reports", "skipped"),
                ("complaintflow.deliver_messages", "sent"),
            ):
                found = client.send_task(name, queue=queue).get(timeout=300)[what]
                shown = len(found) if isinstance(found, dict | list) else found
                print(f"  round {number}: {name.split('.')[-1]}: {what} {shown}", flush=True)
            report.add(f"celery pool process after round {number}", pool[0])
        print_mappings(pool[0], args.mappings)
        assert children(proc.pid) == pool, "the pool process was replaced"
    client.close()


def measure_beat(report: Report, env: dict[str, str], work: Path) -> None:
    """Celery beat (app/beat.py, without the app) once it has sent a few rounds."""
    command = [
        str(BIN / "celery"),
        "-A",
        "app.beat",
        "beat",
        "--schedule",
        str(work / "celerybeat-schedule"),
        "--loglevel",
        "INFO",
    ]
    print("\nCelery beat:", flush=True)
    log = work / "beat.log"
    with running(command, env, log) as proc:
        deadline = time.monotonic() + 60
        while log.read_text().count("Scheduler: Sending") < 5:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(log.read_text()[-3000:])
            time.sleep(0.2)
        report.add("celery beat", proc.pid)


# --- main -------------------------------------------------------------------------------------


@contextlib.contextmanager
def database(work: Path) -> Iterator[str]:
    if scratch.postgres_configured():
        with scratch.postgres_database("cf_memory") as url:
            yield url
    else:
        print("BENCH_DATABASE_URL is not set: SQLite (production runs PostgreSQL)")
        yield f"sqlite:///{work}/memory.sqlite"


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the mix (3)")
    parser.add_argument(
        "--complaints", type=int, default=20, help="complaints filed in the past beforehand (20)"
    )
    parser.add_argument("--redis-db", type=int, default=None, help="an empty Redis database")
    parser.add_argument("--no-celery", action="store_true", help="measure the web side only")
    parser.add_argument(
        "--mappings", type=int, default=0, help="list the N files holding most of each worker's RSS"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import redis
    from aiosmtpd.controller import Controller

    from benchmarks import load
    from tests.servers import SmtpServer, free_port

    redis_db = load.empty_redis_db(args.redis_db)
    instance_dir = ROOT / "instance"
    had_instance = instance_dir.exists()
    smtp = SmtpServer(port=free_port())
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port)
    controller.start()
    report = Report()
    try:
        with tempfile.TemporaryDirectory(prefix="cf-memory-") as directory:
            work = Path(directory)
            with database(work) as url:
                backdated = load.Backdated(url, work)
                try:
                    tokens = load.prepare(backdated, args.complaints)
                    env = {
                        **load.stack_env(url, 0, smtp.port, redis_db, work),
                        **allocator_settings(),
                    }
                    print("the app in a fresh interpreter (production configuration):")
                    for what, build in (
                        ("create_app()", "from app import create_app; create_app()"),
                        ("import app.worker (Celery's app)", "import app.worker"),
                    ):
                        before, after, modules = fresh(build, env)
                        report.note(f"interpreter before {what}", *before)
                        report.note(f"{what}, {modules} modules", *after)
                    measure_web(report, env, work, args, tokens)
                    if not args.no_celery:
                        measure_celery(report, env, work, args, backdated)
                        measure_beat(report, env, work)
                finally:
                    backdated.close()
        report.print()
        print(
            f"\nsent to the SMTP sink: {len(smtp.messages)} messages; target {TARGET_MIB:.0f} MiB"
        )
    finally:
        controller.stop()
        redis.Redis.from_url(f"{load.REDIS}/{redis_db}").flushdb()
        if not had_instance:
            with contextlib.suppress(OSError):
                instance_dir.rmdir()


if __name__ == "__main__":
    main()
