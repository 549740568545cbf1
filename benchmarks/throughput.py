"""Task completions per second on this machine, through the services, with two worker processes.

Each worker is what a gunicorn worker would run per request: validate the form, load, step,
save, commit. Workers complete tasks on their own complaints (resolve minor / sign-off sent
back, alternating) against one PostgreSQL database for a fixed time. Beside it, the same two
processes running bare SpiffWorkflow steps on the same diagram.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/throughput.py [seconds]
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from benchmarks.engine import SEND_BACK, bare_step, bare_workflow, form_data  # noqa: E402
from services import workflows  # noqa: E402
from services.db import db  # noqa: E402
from services.models import Complaint  # noqa: E402
from tests import journeys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
COMPLAINTS_PER_WORKER = 20


def make_app(url: str):  # noqa: ANN201 - a Flask app
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})


def prepare(url: str) -> list[list[int]]:
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        ids = [journeys.to_minor_resolution().id for _ in range(WORKERS * COMPLAINTS_PER_WORKER)]
        db.session.remove()
        db.engine.dispose()
    return [ids[i::WORKERS] for i in range(WORKERS)]


def service_worker(
    url: str, complaint_ids: list[int], seconds: float, out: multiprocessing.Queue
) -> None:
    app = make_app(url)
    done = 0
    with app.app_context():
        supervisor, manager = journeys.user("supervisor"), journeys.user("manager")
        resolve = journeys.formdata(journeys.ANSWERS["resolve_minor"])
        send_back = journeys.formdata(SEND_BACK)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for complaint_id in complaint_ids:
                complaint = db.session.get(Complaint, complaint_id)
                task = journeys.open_tasks(complaint)[0]
                if task.name == "resolve_minor":
                    workflows.complete_task(task.id, supervisor, resolve)
                else:
                    workflows.complete_task(task.id, manager, send_back)
                db.session.commit()
                done += 1
        db.session.remove()
        db.engine.dispose()
    out.put(done)


def bare_worker(seconds: float, out: multiprocessing.Queue) -> None:
    wf = bare_workflow()
    resolve, send_back = form_data("resolve_minor"), form_data("sign_off", **SEND_BACK)
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if done % 200 == 0:
            wf = bare_workflow()  # keep history short, like the services side
        bare_step(wf, "resolve_minor", resolve)
        bare_step(wf, "sign_off_minor", send_back)
        done += 2
    out.put(done)


def run_workers(target, args_per_worker: list[tuple]) -> int:  # noqa: ANN001
    out: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=target, args=(*a, out)) for a in args_per_worker]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("seconds", nargs="?", type=float, default=20.0)
    seconds = parser.parse_args().seconds
    scratch.require_postgres()
    with scratch.postgres_database("cf_tp") as url:
        groups = prepare(url)
        services_done = run_workers(service_worker, [(url, g, seconds) for g in groups])
        bare_done = run_workers(bare_worker, [(seconds,) for _ in groups])
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL on the same machine"
    )
    print(f"{WORKERS} worker processes, {seconds:.0f} s each\n")
    print(f"bare SpiffWorkflow steps     {bare_done / seconds:8.0f} /s")
    print(f"completions via services     {services_done / seconds:8.0f} /s  (committed)")


if __name__ == "__main__":
    main()
