"""The managers' service-level view at a million complaints on PostgreSQL, beside the inbox.

Builds a scratch database (migrated, demo users, default procedure) and fills it in bulk SQL
with a million complaints, three task rows each (50,000 open, as in benchmarks/inbox.py) and
one service clock each (running for the open complaints, met for the others). Each open task
carries its clock's name, due time and at-risk time, spread from two days late to eight days
ahead, so that about a third of the open tasks are at risk or breached, as in a team that is
behind. Some are assigned, 2% are confidential.

It then times (p50 and p95 of SAMPLES calls) the services behind /service-levels: a page of
what is at risk or breached and its total, the counts by step and team, filtered and sorted
variants, a page deep in the list, and the whole page through the Flask test client (counts,
page, each row's clock and the people each task may go to, rendered). Beside them: the inbox
page and its "at risk or breached" filter. The database is dropped at the end.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/service_levels.py [complaints] [--explain]
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from benchmarks.inbox import FILL as INBOX_FILL  # noqa: E402
from services import breach_view, tasks  # noqa: E402
from services.db import db  # noqa: E402
from services.models import User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "bench-password"  # noqa: S105 (a scratch database's demo users)
SAMPLES = 50
OPEN_SHARE = 0.05  # 50,000 open complaints out of a million, as in benchmarks/inbox.py
TARGET_P95_MS = 50.0
STEPS = ["acknowledge", "classify", "resolve_minor", "investigate", "resolve_major", "sign_off"]

# Every task row gets a clock, as the save path writes it: done tasks keep theirs, with due
# and at-risk times in the past; open ones are due from two days late to eight days ahead,
# at risk 12 to 60 hours before; a third of the open ones are assigned to a demo user.
CLOCKS = """
UPDATE task SET
    clock = (ARRAY{steps})[1 + complaint_id % {n_steps}],
    due_at = CASE WHEN status = 'open'
        THEN now() + ((complaint_id % 240) - 48) * interval '1 hour'
        ELSE now() - interval '1 day' - (complaint_id % 700) * interval '1 hour' END,
    at_risk_at = CASE WHEN status = 'open'
        THEN now() + ((complaint_id % 240) - 48 - 12 * (1 + complaint_id % 5)) * interval '1 hour'
        ELSE now() - interval '2 days' - (complaint_id % 700) * interval '1 hour' END,
    assignee_id = CASE WHEN status = 'open' AND complaint_id % 3 = 0
        THEN (SELECT min(id) FROM "user") + complaint_id % 9 END;

INSERT INTO service_clock (complaint_id, name, target, preset, state, started_at, due_at,
    at_risk_at, ended_at)
SELECT c.id, (ARRAY{steps})[1 + c.id % {n_steps}], 'working_days(2)', 'grievance',
    CASE WHEN c.status = 'closed' THEN 'met' ELSE 'running' END,
    now() - interval '3 days',
    now() + ((c.id % 240) - 48) * interval '1 hour',
    now() + ((c.id % 240) - 48 - 12 * (1 + c.id % 5)) * interval '1 hour',
    CASE WHEN c.status = 'closed' THEN now() - interval '1 day' END
FROM complaint AS c;
"""


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """p50 and p95 in milliseconds over SAMPLES calls (after one warm-up call)."""
    return scratch.p50_p95(call, SAMPLES)


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("complaints", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    args = parser.parse_args()
    scratch.require_postgres()
    with scratch.postgres_database("cf_sla") as url:
        run(url, args.complaints, args.explain)


def fill(count: int) -> float:
    start = time.perf_counter()
    params = {"n": count, "open_every": round(1 / OPEN_SHARE)}
    steps = "[" + ",".join(f"'{s}'" for s in STEPS) + "]"
    clocks = CLOCKS.replace("{steps}", steps).replace("{n_steps}", str(len(STEPS)))
    for statement in (INBOX_FILL + clocks).split(";\n"):
        if statement.strip():
            db.session.execute(text(statement), params)
    db.session.commit()
    # As autovacuum would soon after a bulk load: statistics and the visibility map.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("complaint", "task", "service_clock"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    return time.perf_counter() - start


def run(url: str, count: int, explain: bool) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "WTF_CSRF_ENABLED": False,  # the timed client signs in with a plain POST
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        filled = fill(count)
        open_tasks = db.session.scalar(text("SELECT count(*) FROM task WHERE status = 'open'"))
        manager = db.session.scalar(db.select(User).where(User.username == "manager"))
        figures = breach_view.counts(manager)
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, PostgreSQL "
            f"{db.session.scalar(text('SHOW server_version'))}, Python {platform.python_version()}"
        )
        print(
            f"{count:,} complaints, {3 * count:,} task rows, {open_tasks:,} open, "
            f"{figures.at_risk:,} at risk and {figures.breached:,} breached "
            f"(filled in {filled:.0f}s); p50 / p95 of {SAMPLES} calls (ms)"
        )
        db.session.remove()
    results = {"as migrated": measure(app, explain)}
    names = list(results)
    print("\n" + " " * 48 + "".join(f"{name:>28}" for name in names))
    for label in results[names[0]]:
        cells = "".join(f"{cell(*results[name][label]):>28}" for name in names)
        print(f"{label:<48}{cells}")
    for name in names:
        p95 = results[name][WHOLE_PAGE][1]
        verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
        print(f"{name}: the whole page p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")
    with app.app_context():
        db.engine.dispose()


def cell(p50: float, p95: float) -> str:
    return f"{p50:.2f} / {p95:.2f}"


WHOLE_PAGE = "GET /service-levels (whole page, rendered)"


def measure(app: Flask, explain: bool) -> dict[str, tuple[float, float]]:
    """p50 and p95 of each case, by label."""
    found: dict[str, tuple[float, float]] = {}
    with app.app_context():
        manager = db.session.scalar(db.select(User).where(User.username == "manager"))
        supervisor = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        flt = breach_view.BreachFilter

        def view(filters: breach_view.BreachFilter | None = None) -> breach_view.BreachPage:
            # As the page does it: the counts, whose groups give the page's total.
            return breach_view.breaches(manager, filters, figures=breach_view.counts(manager))

        cases: list[tuple[str, Callable[[], object]]] = [
            ("breach view: counts by step, task, team", lambda: breach_view.counts(manager)),
            ("breach view: counts + page (most late first)", lambda: view()),
            (
                "breach view: breached, one step and team",
                lambda: view(flt(state="breached", clock="classify", role="supervisor")),
            ),
            (
                "breach view: one assignee, by step",
                lambda: view(flt(assignee=str(manager.id), sort="step")),
            ),
            ("breach view: sorted by assignee", lambda: view(flt(sort="assignee"))),
            ("breach view: page 20", lambda: view(flt(page=20))),
            ("breach view: rows' clocks + reassign choices", lambda: rows(view())),
            ("inbox page + total (my roles, by due date)", lambda: tasks.inbox(supervisor)),
            (
                "inbox: at risk or breached",
                lambda: tasks.inbox(supervisor, tasks.InboxFilter(service_level="attention")),
            ),
            (
                "inbox: page + each row's clock",
                lambda: breach_view.statuses(tasks.inbox(supervisor).tasks),
            ),
        ]
        for label, call in cases:
            found[label] = timed(call)
        if explain:
            print_plans(manager)
        db.session.remove()

    client = app.test_client()
    client.post("/auth/login", data={"username": "manager", "password": DEMO_PASSWORD})

    def whole_page() -> None:
        response = client.get("/service-levels")
        assert response.status_code == 200, response.status_code

    with app.app_context():  # timed() expires the session between calls
        found[WHOLE_PAGE] = timed(whole_page)
    return found


def rows(page: breach_view.BreachPage) -> None:
    """What the page adds for its rows: their clocks and the people each task may go to."""
    breach_view.statuses(page.tasks, page.now)
    breach_view.candidates(page.tasks)


def print_plans(manager: User) -> None:
    """EXPLAIN ANALYZE of the queries of the page: its rows, its total, the counts."""
    now = breach_view.utcnow()
    seen = breach_view._attention(manager, now)
    statements = {
        "page": seen.with_only_columns(breach_view.Task.id)
        .order_by(*breach_view.SORTS["due"])
        .limit(25),
        "total": db.select(db.func.count()).select_from(seen.subquery()),
    }
    for label, statement in statements.items():
        print(f"\n-- {label}")
        compiled = statement.compile(db.engine)
        # The psycopg dialect writes %(name)s placeholders: the driver binds the values.
        sql = f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"
        for row in db.session.connection().exec_driver_sql(sql, compiled.params):
            print(row[0])


if __name__ == "__main__":
    main()
