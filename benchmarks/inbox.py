"""Inbox response time at a million complaints on PostgreSQL.

Builds a scratch database (migrated, demo users, default procedure), fills it with a million
complaints and their task rows in bulk SQL (most closed, a few percent open, some
confidential), then times the services behind the inbox page: one page of open tasks plus its
total, the tab counts, a filtered page and a search by reference; p50 and p95 of each. The
database is dropped at the end (unless --reuse names one: then it is filled if empty, and
kept, so that runs can be repeated without filling again).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/inbox.py [complaints] [--reuse NAME] [--explain]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services import tasks  # noqa: E402
from services.db import db  # noqa: E402
from services.models import User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 100
OPEN_SHARE = 0.05  # complaints still in progress
ROLES = ["intake_agent", "supervisor", "complaint_manager", "manager", "legal_counsel"]

FILL = """
INSERT INTO complaint (id, reference, tracking_token_hash, received_at, channel, department,
    anonymous, complainant_name, postal_address, phone, email, preferred_contact, product_service,
    purchase_mode, payment_mode, delivery_mode, description, desired_remedy, consent, form_date,
    category, severity, route, confidential, status, satisfaction_comment)
SELECT g, 'C-2026-' || lpad(g::text, 7, '0'), md5(g::text), now() - (g % 700) * interval '1 hour',
    (ARRAY['web','phone','email','letter','counter','social_media'])[1 + g % 6],
    (ARRAY['Customer service','Billing','Delivery','Stores'])[1 + g % 4],
    false, 'Complainant ' || g, '', '', '', 'email', 'Product ' || (g % 50), '', '', '',
    'Bulk complaint ' || g, '', true, current_date,
    (ARRAY['product_quality','customer_service','billing','delivery','safety','other'])[1 + g % 6],
    (ARRAY['low','medium','high','critical'])[1 + g % 4],
    (ARRAY['minor','major'])[1 + g % 2], g % 50 = 0,
    CASE WHEN g % :open_every = 0 THEN 'resolution' ELSE 'closed' END, ''
FROM generate_series(1, :n) AS g;

INSERT INTO task (id, complaint_id, name, title, form_key, role, confidential, status,
    due_at, created_at, completed_at, reference, complainant_name, category, severity, channel,
    case_status, department)
SELECT md5(c.id::text || '-' || k), c.id, 'step_' || k, 'Step ' || k, 'sign_off',
    (ARRAY['intake_agent','supervisor','complaint_manager','manager',
           'legal_counsel'])[1 + (c.id / 20 + k) % 5],
    c.confidential,
    CASE WHEN c.status <> 'closed' AND k = 3 THEN 'open' ELSE 'completed' END,
    now() + ((c.id % 240) - 48) * interval '1 hour', now() - interval '2 days', now(),
    c.reference, c.complainant_name, c.category, c.severity, c.channel, c.status, c.department
FROM complaint AS c, generate_series(1, 3) AS k;

SELECT setval(pg_get_serial_sequence('complaint', 'id'), :n);
"""


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("complaints", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--reuse", help="a database to fill if empty, and keep")
    parser.add_argument("--explain", action="store_true", help="print each query's plan too")
    args = parser.parse_args()
    scratch.require_postgres()
    if args.reuse:
        run(scratch.reused_database(args.reuse), args.complaints, args)
        return
    with scratch.postgres_database("cf_inbox") as url:
        run(url, args.complaints, args)


def fill(count: int) -> float:
    """The complaints and their task rows, then what autovacuum would do soon after; seconds."""
    start = time.perf_counter()
    for statement in FILL.split(";\n"):
        if statement.strip():
            db.session.execute(text(statement), {"n": count, "open_every": round(1 / OPEN_SHARE)})
    db.session.commit()
    # As autovacuum would soon after a bulk load: statistics and the visibility map.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE complaint"))
        conn.execute(text("VACUUM ANALYZE task"))
    return time.perf_counter() - start


def run(url: str, count: int, args: argparse.Namespace) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if db.session.scalar(text("SELECT count(*) FROM complaint")):
            filled = 0.0  # --reuse of a database filled by an earlier run
        else:
            assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
            filled = fill(count)
        open_tasks = db.session.scalar(text("SELECT count(*) FROM task WHERE status = 'open'"))
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, PostgreSQL, "
            f"Python {platform.python_version()}"
        )
        print(
            f"{count:,} complaints, {3 * count:,} task rows, {open_tasks:,} open "
            f"(filled in {filled:.0f}s); p50 / p95 of {SAMPLES} calls, in ms; "
            f"load average {os.getloadavg()[0]:.1f}\n"
        )
        supervisor = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        reference = f"C-2026-{count // 2 - (count // 2) % 20:07d}"
        cases = [
            ("inbox page + total (my roles, by due date)", lambda: tasks.inbox(supervisor)),
            (
                "filtered: category + severity + channel",
                lambda: tasks.inbox(
                    supervisor,
                    tasks.InboxFilter(category="billing", severity="high", channel="email"),
                ),
            ),
            (
                "search by reference",
                lambda: tasks.inbox(supervisor, tasks.InboxFilter(search=reference)),
            ),
            (
                "search by name",
                lambda: tasks.inbox(supervisor, tasks.InboxFilter(search="Complainant 4242")),
            ),
            (
                "page 10, newest first",
                lambda: tasks.inbox(supervisor, tasks.InboxFilter(page=10, sort="newest")),
            ),
        ]
        if hasattr(tasks, "scope_counts"):
            cases.append(
                ("tab counts (mine / roles / unassigned)", lambda: tasks.scope_counts(supervisor))
            )
        for label, call in cases:
            p50, p95 = scratch.p50_p95(call, SAMPLES)
            print(f"{label:<45} {p50:7.2f} / {p95:7.2f}")
            if args.explain:
                explain(call)
        db.session.remove()
        db.engine.dispose()


def explain(call: Callable[[], object]) -> None:
    """Print EXPLAIN ANALYZE of every SELECT the call sends (run once more, then each plan)."""
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        db.session.expire_all()
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    raw = db.session.connection().connection.driver_connection
    for statement, parameters in statements:
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print("    " + "\n    ".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
