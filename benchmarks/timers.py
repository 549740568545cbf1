"""How late do service-level timers fire? The scheduler loop of `flask run-timers`, measured.

Deploys the default procedure with the acknowledgement timer shortened to a few seconds
(as a process owner could), files complaints whose timers fall due over a few seconds,
runs the same polling loop as `flask run-timers` (tick, commit, sleep `interval`) and
reports, per complaint, how long after its due time the timer fired (audit event time minus
the due time stored on the instance).

    .venv/bin/python benchmarks/timers.py                      # SQLite
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python benchmarks/timers.py
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.cli import timer_loop  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services import processes  # noqa: E402
from services.clock import as_utc, utcnow  # noqa: E402
from services.db import db  # noqa: E402
from services.models import AuditEvent, ProcessInstance  # noqa: E402
from tests import journeys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COMPLAINTS = 60
INTERVAL = 1.0  # what `flask run-timers` uses by default


def measure(url: str) -> list[float]:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        files = processes.read_directory(ROOT / "processes")
        bpmn = files["complaint_handling.bpmn"].decode()
        assert '"P2D"' in bpmn
        files["complaint_handling.bpmn"] = bpmn.replace('"P2D"', '"PT5S"').encode()
        processes.deploy(files, comment="benchmark: 5-second acknowledgement")
        db.session.commit()
        for _ in range(COMPLAINTS):  # filed over ~3 s, so due times spread over ~3 s
            journeys.file()
            time.sleep(3 / COMPLAINTS)
        due = {
            i.complaint_id: as_utc(i.next_timer_due)
            for i in db.session.scalars(db.select(ProcessInstance))
        }
        end = max(due.values()) + timedelta(seconds=3)
        timer_loop(INTERVAL, until=lambda: utcnow() > end)
        fired = {
            e.complaint_id: as_utc(e.at)
            for e in db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.kind == "timer_fired")
            )
        }
        assert set(fired) == set(due), f"{len(fired)} of {len(due)} timers fired"
        lags = [(fired[c] - due[c]).total_seconds() for c in due]
        db.session.remove()
        db.engine.dispose()
    return lags


def report(label: str, lags: list[float]) -> None:
    lags.sort()
    print(
        f"{label:<10} timers {len(lags):>3}  lag median {statistics.median(lags):.2f}s  "
        f"p95 {lags[int(len(lags) * 0.95) - 1]:.2f}s  max {lags[-1]:.2f}s"
    )


def main() -> None:
    scratch.arguments(__doc__).parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; poll interval {INTERVAL}s"
    )
    with scratch.sqlite_database("timers") as url:
        report("SQLite", measure(url))
    if scratch.postgres_configured():
        with scratch.postgres_database("cf_timers") as url:
            report("PostgreSQL", measure(url))


if __name__ == "__main__":
    main()
