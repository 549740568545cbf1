"""How long does "move running complaints to version N" take to answer its dry run?

Files one complaint at each of five places of the default procedure through the services
(just filed, waiting for classification, for the minor resolution, for the investigation,
for the survey), clones their rows in SQL until N complaints run on version 1 (cloning
one complaint's complaint, process_instance and task rows is fast; driving the engine
10,000 times is not), deploys a version 2 (the minor service level shortened) and times
instance_migration.dry_run(1 -> 2) as the process owner, then the whole page.

    .venv/bin/python benchmarks/migration_dry_run.py                   # SQLite, 10,000
    .venv/bin/python benchmarks/migration_dry_run.py --complaints 716
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/migration_dry_run.py              # PostgreSQL

Each run creates its own scratch database (a temporary directory for SQLite, removed at the
end; a scratch database on the BENCH_DATABASE_URL server, dropped at the end).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services import instance_migration, processes  # noqa: E402
from services.db import db  # noqa: E402
from services.models import Complaint, ProcessInstance, Task  # noqa: E402
from tests import diagrams, journeys  # noqa: E402
from tests.app.helpers import login  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLACES = (
    journeys.file,
    journeys.to_classification,
    journeys.to_minor_resolution,
    journeys.to_investigation,
    journeys.to_survey,
)


def _columns(table: str, leave_out: set[str]) -> list[str]:
    model = {"complaint": Complaint, "process_instance": ProcessInstance, "task": Task}[table]
    return [f'"{c.name}"' for c in model.__table__.columns if c.name not in leave_out]


def clone(template_id: int, base: int, first: int, last: int) -> None:
    """Copy one complaint's rows as complaints base+first .. base+last (numbers from bench_n)."""
    rows = {"template": template_id, "base": base, "first": first, "last": last}
    numbers = "bench_n.n BETWEEN :first AND :last"
    cols = _columns("complaint", {"id", "reference", "tracking_token_hash"})
    db.session.execute(
        text(
            f"INSERT INTO complaint (id, reference, tracking_token_hash, {', '.join(cols)}) "  # noqa: S608 - our models' column names
            f"SELECT :base + bench_n.n, 'BENCH-' || bench_n.n, 'bench-' || bench_n.n, "
            f"{', '.join('c.' + c for c in cols)} FROM complaint c, bench_n "
            f"WHERE c.id = :template AND {numbers}"
        ),
        rows,
    )
    cols = _columns("process_instance", {"id", "complaint_id"})
    db.session.execute(
        text(
            f"INSERT INTO process_instance (complaint_id, {', '.join(cols)}) "  # noqa: S608 - our models' column names
            f"SELECT :base + bench_n.n, {', '.join('p.' + c for c in cols)} "
            f"FROM process_instance p, bench_n WHERE p.complaint_id = :template AND {numbers}"
        ),
        rows,
    )
    cols = _columns("task", {"id", "complaint_id"})
    db.session.execute(
        text(
            f"INSERT INTO task (id, complaint_id, {', '.join(cols)}) "  # noqa: S608 - our models' column names
            f"SELECT 'b' || bench_n.n || '-' || substr(t.id, 1, 24), :base + bench_n.n, "
            f"{', '.join('t.' + c for c in cols)} FROM task t, bench_n "
            f"WHERE t.complaint_id = :template AND {numbers}"
        ),
        rows,
    )


def fill(count: int) -> None:
    """`count` running complaints on version 1, spread over the five places."""
    templates = [place().id for place in PLACES]
    clones = count - len(templates)
    db.session.execute(text("CREATE TABLE bench_n (n INTEGER PRIMARY KEY)"))
    db.session.execute(
        text("INSERT INTO bench_n (n) VALUES (:n)"), [{"n": n} for n in range(1, clones + 1)]
    )
    base = db.session.scalar(db.select(db.func.max(Complaint.id))) + 1000
    per = -(-clones // len(templates))
    for index, template_id in enumerate(templates):
        first, last = index * per + 1, min(clones, (index + 1) * per)
        if first <= last:
            clone(template_id, base, first, last)
    db.session.execute(text("DROP TABLE bench_n"))
    db.session.commit()


def measure(label: str, url: str, count: int, upload_dir: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": upload_dir,
            "DEMO_PASSWORD": "demo-password",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        started = time.perf_counter()
        fill(count)
        filled = time.perf_counter() - started
        v2 = diagrams.deploy_variant(diagrams.minor_sla_shortened())
        v1 = processes.get_version(1)
        owner = journeys.user("owner")
        state_size = db.session.scalar(
            db.select(db.func.avg(db.func.length(ProcessInstance.state)))
        )
        times = []
        for _ in range(3):
            started = time.perf_counter()
            candidates = instance_migration.dry_run(v1, v2, viewer=owner)
            times.append(time.perf_counter() - started)
            db.session.rollback()
        assert len(candidates) == count, len(candidates)
        movable = sum(c.movable for c in candidates)
        v1_id, v2_id = v1.id, v2.id
        db.session.remove()
    client = app.test_client()
    login(client, "owner")
    pages = []
    for _ in range(3):
        started = time.perf_counter()
        page = client.get(f"/processes/migrate?from={v1_id}&to={v2_id}")
        pages.append(time.perf_counter() - started)
        assert page.status_code == 200
    with app.app_context():
        db.engine.dispose()
    print(
        f"{label:<11} {count:>6} running complaints (filled in {filled:.1f}s, workflow "
        f"{state_size / 1024:.0f} KB each), {movable} can move\n"
        f"{'':<11} dry run: first {times[0]:.2f}s, median {statistics.median(times):.2f}s; "
        f"page: median {statistics.median(pages):.2f}s"
    )


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument(
        "--complaints", type=int, default=10_000, help="running complaints (default 10,000)"
    )
    args = parser.parse_args()
    if args.complaints < len(PLACES):
        parser.error(f"--complaints must be at least {len(PLACES)}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="cf-dry-run-") as directory:
        uploads = str(Path(directory) / "uploads")
        if scratch.postgres_configured():
            with scratch.postgres_database("cf_dry_run") as url:
                measure("PostgreSQL", url, args.complaints, uploads)
        else:
            measure("SQLite", f"sqlite:///{directory}/bench.sqlite", args.complaints, uploads)


if __name__ == "__main__":
    main()
