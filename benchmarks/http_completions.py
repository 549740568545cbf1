"""Task completions per second over HTTP, the path real traffic takes.

gunicorn (2 sync workers, the production entry point and settings, app/gunicorn_conf.py)
serves the app against a scratch PostgreSQL database, with Redis as the rate limiter's shared
storage. Eight client threads
complete tasks through the JSON API (POST /api/v1/tasks/{id}/complete, bearer tokens), each
completion on a different complaint than the one before (the workers' in-memory workflow
cache misses, as it does when complaints arrive at random): resolve a minor complaint, then,
as the manager, send the sign-off back, round and round over a few hundred complaints. The
client reads its complaints' open tasks in one SQL query per pass over them, outside the timed
requests.

Reported: completions/s, p50/p95/p99 latency, errors, and the SQL statements one completion
makes (counted in-process through the same API before the run), beside bare SpiffWorkflow
steps/s in two processes on the same machine in the same run; and, on Linux, the CPU one
completion cost the gunicorn workers, PostgreSQL and the client during the run (read from
/proc), which tells whether the two cores were the limit.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/http_completions.py [--seconds 20] [--clients 8] \\
        [--complaints 320] [--workers 2]
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from benchmarks.engine import SEND_BACK  # noqa: E402
from benchmarks.throughput import bare_worker, run_workers  # noqa: E402
from services.db import db  # noqa: E402
from tests import journeys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
RESOLVE = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
           for k, v in journeys.ANSWERS["resolve_minor"].items()}  # fmt: skip
SEND_BACK_JSON = dict(SEND_BACK)


def _config(url: str) -> dict[str, object]:
    return {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url}


def prepare(url: str, complaints: int) -> tuple[list[int], dict[str, str]]:
    """Migrate, seed the users, bring `complaints` complaints to the minor resolution."""
    app = create_app({**_config(url), "TESTING": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        runner = app.test_cli_runner()
        assert runner.invoke(args=["seed-demo", "--no-complaints"]).exit_code == 0
        ids = []
        for _ in range(complaints):
            ids.append(journeys.to_minor_resolution().id)
            db.session.commit()
        tokens = {}
        for who in ("supervisor", "manager"):
            result = runner.invoke(args=["issue-token", who])
            tokens[who] = result.output.strip().splitlines()[-1]
        db.session.remove()
        db.engine.dispose()
    return ids, tokens


def open_tasks(conn, complaint_ids: list[int]) -> dict[int, tuple[str, str]]:  # noqa: ANN001
    """Each complaint's open task (id, name), in one read."""
    rows = conn.execute(
        text(
            "SELECT complaint_id, id, name FROM task "
            "WHERE complaint_id = ANY(:ids) AND status = 'open'"
        ),
        {"ids": complaint_ids},
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def statements_per_completion(url: str, ids: list[int], tokens: dict[str, str]) -> list[int]:
    """Statements each of a few completions makes, through the API in-process."""
    app = create_app({**_config(url), "TESTING": True})
    client = app.test_client()
    counts = []
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    reader = create_engine(url)

    def record(*_args: object) -> None:
        seen.append("")

    event.listen(engine, "before_cursor_execute", record)
    try:
        with reader.connect() as conn:
            for complaint_id in ids:
                task_id, name = open_tasks(conn, [complaint_id])[complaint_id]
                conn.commit()
                who, body = _answer(name)
                seen.clear()
                response = client.post(
                    f"/api/v1/tasks/{task_id}/complete",
                    json=body,
                    headers={"Authorization": f"Bearer {tokens[who]}"},
                )
                assert response.status_code == 200, response.get_data(as_text=True)
                counts.append(len(seen))
    finally:
        event.remove(engine, "before_cursor_execute", record)
        reader.dispose()
    return counts


def _answer(task_name: str) -> tuple[str, dict[str, object]]:
    if task_name == "resolve_minor":
        return "supervisor", RESOLVE
    return "manager", SEND_BACK_JSON


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int = 2) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key-bench-secret-key",
        "RATELIMIT_STORAGE_URI": REDIS,
        "WEB_CONCURRENCY": str(workers),
    }
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",  # the production settings (preloaded app, forked workers)
            "python:app.gunicorn_conf",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def client(
    port: int, url: str, ids: list[int], tokens: dict[str, str], seconds: float, out: list
) -> None:
    """Complete tasks over HTTP for `seconds`, round-robin over this client's complaints."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    # One read per pass over the client's complaints, in autocommit, so that the client's own
    # work takes as little as it can of the cores it shares with the server: each complaint
    # is completed once per pass, so its open task read at the start is still the one open.
    reader = create_engine(url, pool_size=1, isolation_level="AUTOCOMMIT")
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + seconds
    with reader.connect() as db_conn:
        while time.perf_counter() < end:
            open_now = open_tasks(db_conn, ids)
            for complaint_id in ids:
                if time.perf_counter() >= end:
                    break
                task_id, name = open_now[complaint_id]
                who, body = _answer(name)
                payload = json.dumps(body)
                start = time.perf_counter()
                conn.request(
                    "POST",
                    f"/api/v1/tasks/{task_id}/complete",
                    body=payload,
                    headers={
                        "Authorization": f"Bearer {tokens[who]}",
                        "Content-Type": "application/json",
                    },
                )
                response = conn.getresponse()
                response.read()
                latencies.append(time.perf_counter() - start)
                if response.status != 200:
                    errors += 1
    reader.dispose()
    out.append((latencies, errors))


def _ticks(pid: int) -> int:
    """CPU clock ticks (user + system) a process has used, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def cpu_ticks(server_pid: int) -> dict[str, int]:
    """CPU ticks so far of the gunicorn workers, PostgreSQL's processes and this process."""
    totals = {"workers": 0, "postgres": 0, "client": 0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0", 1)[0]
        except OSError:
            continue
        parent = int(status.rsplit(")", 1)[1].split()[1])
        if parent == server_pid:
            totals["workers"] += _ticks(int(entry.name))
        elif command.startswith(b"postgres"):
            totals["postgres"] += _ticks(int(entry.name))
    totals["client"] = _ticks(os.getpid())
    return totals


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--complaints", type=int, default=320)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()
    scratch.require_postgres()
    with scratch.postgres_database("cf_http") as url:
        ids, tokens = prepare(url, args.complaints)
        # Eight resolutions (the supervisor's token), then eight sign-offs (the manager's).
        # The first of each also records its token's time of use (once a minute) and the
        # process's first fills its caches (the parsed spec, the routing table): counted
        # apart from the rest.
        every = statements_per_completion(url, ids[:8] * 2, tokens)
        first_use, counts = every[8], every[1:8] + every[9:]
        port = free_port()
        server = start_gunicorn(url, port, args.workers)
        linux = Path("/proc/self/stat").exists()
        try:
            results: list = []
            groups = [ids[i :: args.clients] for i in range(args.clients)]
            threads = [
                threading.Thread(target=client, args=(port, url, g, tokens, args.seconds, results))
                for g in groups
            ]
            before = cpu_ticks(server.pid) if linux else {}
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            after = cpu_ticks(server.pid) if linux else {}
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        bare_done = run_workers(bare_worker, [(args.seconds,) for _ in range(2)])
    latencies = [v for lat, _ in results for v in lat]
    errors = sum(e for _, e in results)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; gunicorn sync workers, PostgreSQL and Redis on the "
        f"same machine; {args.workers} workers, {args.clients} clients, {args.seconds:.0f} s, "
        f"{len(ids)} complaints"
    )
    rate = len(latencies) / args.seconds
    bare = bare_done / args.seconds
    print(f"completions over HTTP     {rate:8.1f} /s   ({errors} errors)")
    print(
        f"latency ms                p50 {percentile(latencies, 0.50):6.1f}   "
        f"p95 {percentile(latencies, 0.95):6.1f}   p99 {percentile(latencies, 0.99):6.1f}"
    )
    print(
        f"SQL statements/completion {min(counts)}-{max(counts)}, median "
        f"{statistics.median(counts):.0f} (API, in-process, caches warm); a token's "
        f"first use in a minute {first_use}"
    )
    print(f"bare SpiffWorkflow steps  {bare:8.0f} /s   (ratio {rate / bare:.2f})")
    if after and latencies:
        per = 1000 / os.sysconf("SC_CLK_TCK") / len(latencies)
        spent = {name: (after[name] - before[name]) * per for name in after}
        print(
            f"CPU ms/completion          workers {spent['workers']:.1f}   PostgreSQL "
            f"{spent['postgres']:.1f}   client {spent['client']:.1f}   (the cores busy "
            f"{sum(spent.values()) * rate / 10 / (os.cpu_count() or 1):.0f}%)"
        )


if __name__ == "__main__":
    main()
