"""The reports dashboard at a million complaints on PostgreSQL.

Builds a scratch database (migrated, demo users, default procedure, 50 handlers) and fills it
in bulk SQL with a million complaints received over three years, their report columns (most
closed within a month, acknowledged, responded, some surveyed, escalated, compensated, 2%
confidential), their ComplaintCode rows (a remedy, a resolution code, two clocks each when
closed) and the daily roll-ups (ReportDay, ReportCodeDay) for every dimension, computed in SQL
by the rules of services.reporting. Then it times (p50 and p95 of SAMPLES calls)
reports.figures() for the last year: unfiltered and with one filter (the roll-ups), with two or
three filters and with an assignee, both from the complaint table (the former path) and from
the report facts (ReportFact, the path used now), and the whole /dashboard page, a drill-down
page and a table export through the Flask test client. The database is dropped at the end
(unless --reuse names one: then it is filled if empty, and kept).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        nice .venv/bin/python benchmarks/reports.py [complaints] [--explain] [--reuse NAME]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services import business_calendar, recurring, reporting, reports, users  # noqa: E402
from services.db import db  # noqa: E402
from services.models import RecurringSnapshot, User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "bench-password"  # noqa: S105 (a scratch database's demo users)
SAMPLES = 30
IMPROVEMENT_SAMPLES = 3  # seconds each at a million complaints
HANDLERS = 50
YEAR_TARGET_MS = 300.0
FILTERED_TARGET_MS = 500.0
TABLES = ("complaint", "complaint_code", "report_day", "report_code_day", "report_fact")
MINUTES = 3 * 365 * 24 * 60  # received over three years

COMPLAINTS = """
INSERT INTO complaint (id, reference, tracking_token_hash, received_at, channel, department,
    anonymous, complainant_name, postal_address, phone, email, preferred_contact, product_service,
    purchase_mode, payment_mode, delivery_mode, description, desired_remedy, consent, form_date,
    category, severity, route, confidential, status, satisfaction_comment, closed_at,
    acknowledged_at, ack_working_seconds, responded_at, resolve_working_seconds,
    close_working_seconds, surveyed_at, satisfaction_score, outcome, root_cause_category,
    escalation_target, escalated_at, compensation_paid, breaches, handler_id)
SELECT g, 'C-' || lpad(g::text, 8, '0'), md5(g::text), a.received,
    (ARRAY['web','phone','email','letter','counter','social_media'])[1 + g % 6],
    (ARRAY['Customer service','Billing','Delivery','Stores','Online shop','Repairs',
           'Call centre','Head office'])[1 + (g / 7) % 8],
    false, 'Complainant ' || g, '', '', '', 'email', 'Product ' || (g % 50), '', '', '',
    'Bulk complaint ' || g, '', true, current_date,
    (ARRAY['product_quality','customer_service','billing','delivery','safety','other'])
        [1 + (g / 3) % 6],
    (ARRAY['low','medium','high','critical'])[1 + (g / 5) % 4],
    CASE WHEN g % 50 = 0 THEN 'confidential' WHEN g % 3 = 0 THEN 'major' ELSE 'minor' END,
    g % 50 = 0,
    CASE WHEN r.closed IS NULL THEN 'resolution' ELSE 'closed' END, '', r.closed,
    CASE WHEN a.received + interval '3 hours' < now() THEN a.received + interval '3 hours' END,
    (g % 16) * 1800,
    CASE WHEN r.closed IS NOT NULL THEN r.closed - interval '2 hours' END,
    CASE WHEN r.closed IS NOT NULL THEN (1 + g % 30) * 20000 END,
    CASE WHEN r.closed IS NOT NULL THEN (1 + g % 30) * 28800 END,
    CASE WHEN r.closed IS NOT NULL AND g % 3 = 0 AND r.closed + interval '2 days' < now()
        THEN r.closed + interval '2 days' END,
    CASE WHEN r.closed IS NOT NULL AND g % 3 = 0 AND r.closed + interval '2 days' < now()
        THEN 1 + (g / 7) % 5 END,
    CASE WHEN r.closed IS NOT NULL THEN (ARRAY['closed_with_survey','closed_without_survey',
        'closed_after_review','closed_withdrawn'])[1 + (g / 11) % 4] END,
    CASE WHEN r.closed IS NOT NULL AND g % 3 = 0 THEN (ARRAY['process','people','product',
        'supplier','communication','system','policy','external','other'])[1 + (g / 13) % 9] END,
    CASE WHEN g % 40 = 0 THEN (ARRAY['senior_management','legal_counsel','police'])
        [1 + (g / 40) % 3] END,
    CASE WHEN g % 40 = 0 AND a.received + interval '5 days' < now()
        THEN a.received + interval '5 days' END,
    CASE WHEN r.closed IS NOT NULL AND g % 25 = 0 THEN (g % 500) + 0.50 END,
    CASE WHEN g % 7 = 0 THEN 1 ELSE 0 END,
    CASE WHEN g % 10 <> 0 THEN (CAST(:handlers AS int[]))[1 + g % :n_handlers] END
FROM generate_series(1, :n) AS g,
    LATERAL (SELECT now() - ((g::bigint * 7919) % :minutes) * interval '1 minute' AS received) a,
    LATERAL (SELECT CASE WHEN g % 97 <> 0 AND a.received + (1 + g % 30) * interval '1 day' < now()
        THEN a.received + (1 + g % 30) * interval '1 day' END AS closed) r;

SELECT setval(pg_get_serial_sequence('complaint', 'id'), :n);

INSERT INTO complaint_code (complaint_id, kind, code)
SELECT id, 'remedy', (ARRAY['explanation','apology','repair','replacement','refund',
    'price_reduction','repeat_performance','compensation','staff_training','process_change'])
    [1 + id % 10] FROM complaint WHERE closed_at IS NOT NULL
UNION ALL
SELECT id, 'resolution_code', (ARRAY['resolved_in_favour','partially_upheld','not_upheld',
    'remedy_delivered','complainant_informed','root_cause_fixed','lessons_recorded'])[1 + id % 7]
    FROM complaint WHERE closed_at IS NOT NULL
UNION ALL
SELECT id, 'clock_met', 'acknowledge' FROM complaint WHERE closed_at IS NOT NULL
UNION ALL
SELECT id, CASE WHEN breaches > 0 THEN 'clock_breached' ELSE 'clock_met' END,
    CASE WHEN route = 'major' THEN 'resolve_major' ELSE 'resolve_minor' END
    FROM complaint WHERE closed_at IS NOT NULL;

CREATE TEMP TABLE ev AS
SELECT c.category, c.channel, c.department, c.severity, c.route, c.handler_id, c.confidential,
    e.day, e.received, e.closed, e.acknowledged, e.responded, e.escalated, e.breached,
    e.answered, e.score_sum, e.compensation
FROM complaint AS c CROSS JOIN LATERAL (VALUES
    ((c.received_at AT TIME ZONE :zone)::date, 1, 0, 0, 0, 0, 0, 0, 0, 0::numeric),
    ((c.closed_at AT TIME ZONE :zone)::date, 0, 1, 0, 0, 0, (c.breaches > 0)::int, 0, 0,
        coalesce(c.compensation_paid, 0)),
    ((c.acknowledged_at AT TIME ZONE :zone)::date, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    ((c.responded_at AT TIME ZONE :zone)::date, 0, 0, 0, 1, 0, 0, 0, 0, 0),
    ((c.escalated_at AT TIME ZONE :zone)::date, 0, 0, 0, 0, 1, 0, 0, 0, 0),
    ((c.surveyed_at AT TIME ZONE :zone)::date, 0, 0, 0, 0, 0, 0,
        (c.satisfaction_score IS NOT NULL)::int, coalesce(c.satisfaction_score, 0), 0)
) AS e(day, received, closed, acknowledged, responded, escalated, breached, answered,
    score_sum, compensation)
WHERE e.day IS NOT NULL;

CREATE TEMP TABLE cv AS
SELECT c.category, c.channel, c.department, c.severity, c.route, c.handler_id, c.confidential,
    (e.moment AT TIME ZONE :zone)::date AS day, e.kind, e.code
FROM complaint AS c CROSS JOIN LATERAL (VALUES
    (c.received_at, 'channel', coalesce(c.channel, '')),
    (c.received_at, 'category', coalesce(c.category, '')),
    (c.received_at, 'department', coalesce(c.department, '')),
    (c.closed_at, 'outcome', c.outcome),
    (c.closed_at, 'root_cause', c.root_cause_category),
    (c.closed_at, 'time_close',
        width_bucket(c.close_working_seconds, CAST(:bounds AS int[]))::text),
    (c.acknowledged_at, 'time_acknowledge',
        width_bucket(c.ack_working_seconds, CAST(:bounds AS int[]))::text),
    (c.responded_at, 'time_resolve',
        width_bucket(c.resolve_working_seconds, CAST(:bounds AS int[]))::text),
    (c.escalated_at, 'escalation_target', c.escalation_target),
    (c.surveyed_at, 'score', c.satisfaction_score::text)
) AS e(moment, kind, code)
WHERE e.moment IS NOT NULL AND e.code IS NOT NULL
UNION ALL
SELECT c.category, c.channel, c.department, c.severity, c.route, c.handler_id, c.confidential,
    (c.closed_at AT TIME ZONE :zone)::date, k.kind, k.code
FROM complaint_code AS k JOIN complaint AS c ON c.id = k.complaint_id;
"""

ROLL_UP = """
INSERT INTO report_day (dimension, value, day, confidential, received, closed, acknowledged,
    responded, escalated, breached, reopened, appealed, surveys_sent, surveys_answered,
    score_sum, compensation)
SELECT '{dimension}', {value}, day, confidential, sum(received), sum(closed), sum(acknowledged),
    sum(responded), sum(escalated), sum(breached), 0, 0, sum(responded), sum(answered),
    sum(score_sum), sum(compensation)
FROM ev GROUP BY 2, day, confidential;

INSERT INTO report_code_day (dimension, value, day, confidential, kind, code, count)
SELECT '{dimension}', {value}, day, confidential, kind, code, count(*)
FROM cv GROUP BY 2, day, confidential, kind, code;
"""
# Each dimension's value, as services.reporting writes it ("" when empty).
VALUES = {
    reporting.ALL: "''",
    "category": "coalesce(category, '')",
    "channel": "coalesce(channel, '')",
    "department": "coalesce(department, '')",
    "severity": "coalesce(severity, '')",
    "route": "coalesce(route, '')",
    "assignee": "coalesce(handler_id::text, '')",
}
VALUES.update(
    {
        f"{first}+{second}": f"{VALUES[first]} || chr(31) || {VALUES[second]}"
        for first, second in reporting.PAIRS
    }
)


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """p50 and p95 in milliseconds over SAMPLES calls (after one warm-up call)."""
    return scratch.p50_p95(call, SAMPLES)


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("complaints", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    parser.add_argument("--reuse", help="a database to fill if empty, and keep")
    parser.add_argument(
        "--facts-only", action="store_true", help="skip the former complaint-table path"
    )
    args = parser.parse_args()
    scratch.require_postgres()
    if args.reuse:
        run(scratch.reused_database(args.reuse), args.complaints, args)
        return
    with scratch.postgres_database("cf_reports") as url:
        run(url, args.complaints, args)


def fill(count: int) -> tuple[float, list[int]]:
    """The complaints, their codes and the roll-ups; returns the seconds taken and handlers."""
    start = time.perf_counter()
    handlers = [
        users.create_user(f"handler{n}", f"Handler {n:02d}", DEMO_PASSWORD, ["supervisor"]).id
        for n in range(HANDLERS)
    ]
    db.session.commit()
    params = {
        "n": count,
        "minutes": MINUTES,
        "handlers": handlers,
        "n_handlers": HANDLERS,
        "zone": business_calendar.current().timezone,
        "bounds": list(reporting.bucket_bounds()),
    }
    statements = COMPLAINTS + "".join(
        ROLL_UP.replace("{dimension}", name).replace("{value}", value)
        for name, value in VALUES.items()
    )
    for statement in statements.split(";\n"):
        if statement.strip():
            used = {key: value for key, value in params.items() if f":{key}" in statement}
            db.session.execute(text(statement), used)
    db.session.commit()
    facts = time.perf_counter()
    reporting.write_facts()
    db.session.commit()
    print(f"report facts written in {time.perf_counter() - facts:.0f}s", flush=True)
    # As autovacuum would soon after a bulk load: statistics and the visibility map.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in TABLES:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    return time.perf_counter() - start, handlers


def run(url: str, count: int, args: argparse.Namespace) -> None:
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
        if db.session.scalar(text("SELECT count(*) FROM complaint")):
            filled = 0.0
            handlers = list(
                db.session.scalars(
                    text("SELECT id FROM \"user\" WHERE username LIKE 'handler%' ORDER BY id")
                )
            )
        else:
            assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
            filled, handlers = fill(count)
        sizes = {
            table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("complaint_code", "report_day", "report_code_day")
        }
        open_now = db.session.scalar(text("SELECT count(*) FROM complaint WHERE closed_at IS NULL"))
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, PostgreSQL "
            f"{db.session.scalar(text('SHOW server_version'))}, Python {platform.python_version()}"
        )
        print(
            f"{count:,} complaints over 3 years ({open_now:,} open), "
            f"{sizes['complaint_code']:,} codes, {sizes['report_day']:,} report_day and "
            f"{sizes['report_code_day']:,} report_code_day rows (filled in {filled:.0f}s); "
            f"p50 / p95 of {SAMPLES} calls (ms)\n",
            flush=True,
        )
        db.session.remove()
    print(f"{'':<62}{'p50':>9} /{'p95':>9}", flush=True)
    met = measure(app, handlers[0], args.explain, args.facts_only)
    print(f"\nall targets met: {met}")
    with app.app_context():
        db.engine.dispose()


def report(label: str, p50: float, p95: float, target: float | None) -> bool:
    """Print one case's line as soon as it is measured; True when its target is met."""
    verdict = "" if target is None else ("ok" if p95 <= target else "OVER")
    goal = f"(target {target:.0f})" if target else ""
    print(f"{label:<62}{p50:9.1f} /{p95:9.1f}  {goal} {verdict}", flush=True)
    return target is None or p95 <= target


def measure(app: Flask, handler: int, explain: bool, facts_only: bool = False) -> bool:
    """Time and print each case; True when every target is met."""
    met = True
    with app.app_context():
        manager = db.session.scalar(db.select(User).where(User.username == "manager"))
        year = reports.default_query()
        cases: list[tuple[str, reports.ReportQuery, float | None]] = [
            ("figures: last 12 months, by month (roll-ups)", year, YEAR_TARGET_MS),
            (
                "figures: last 12 months, by week (roll-ups)",
                replace(year, grain="week"),
                YEAR_TARGET_MS,
            ),
            (
                "figures: one filter, category (roll-ups)",
                replace(year, category="billing"),
                FILTERED_TARGET_MS,
            ),
            (
                "figures: one filter, department (roll-ups)",
                replace(year, department="Billing"),
                FILTERED_TARGET_MS,
            ),
            (
                "figures: an assignee (roll-ups)",
                replace(year, assignee=handler),
                FILTERED_TARGET_MS,
            ),
            (
                "figures: 3 years, by month (roll-ups)",
                replace(year, start=year.start.replace(year=year.start.year - 2)),
                None,
            ),
        ]
        quarter = replace(year, start=year.end - timedelta(days=91), grain="week")
        several = [
            ("category + channel", replace(year, category="billing", channel="email")),
            ("department + severity", replace(year, department="Billing", severity="high")),
            ("assignee + category", replace(year, assignee=handler, category="billing")),
            (
                "category + channel + route",
                replace(year, category="billing", channel="email", route="minor"),
            ),
            (
                "dept + severity, last 91 days by week",
                replace(quarter, department="Billing", severity="high"),
            ),
            ("severity + route (wide)", replace(year, severity="low", route="minor")),
            (
                "severity + route (wide), by week",
                replace(year, severity="low", route="minor", grain="week"),
            ),
            (
                "all five dimensions",
                replace(
                    year,
                    category="billing",
                    channel="email",
                    department="Billing",
                    severity="high",
                    route="minor",
                ),
            ),
        ]
        for label, query, target in cases:
            p50, p95 = timed(lambda query=query: reports.figures(manager, query))
            met = report(label, p50, p95, target) and met
        # Several filters: the path the dashboard takes (a pair's roll-ups, or the report
        # facts), then for comparison the facts (what a pair's view reads while its days are
        # computed after an upgrade) and the complaint table (the former path).
        for label, query in several:
            used = reports.tally(query)[0]
            paths = [used, *(["facts"] if used != "facts" else [])]
            paths += [] if facts_only else ["complaints"]
            for path in paths:
                p50, p95 = timed(
                    lambda query=query, path=path: reports.figures(manager, query, path)
                )
                target = FILTERED_TARGET_MS if path == used else None
                met = report(f"{label} ({path})", p50, p95, target) and met
        if explain:
            print_plans(several[0][1])
            print_rollup_plan(year)
        db.session.remove()
    client = app.test_client()
    client.post("/auth/login", data={"username": "manager", "password": DEMO_PASSWORD})
    pages = [
        ("GET /dashboard (whole page, rendered)", "/dashboard", YEAR_TARGET_MS),
        (
            "GET /dashboard?category&channel (whole page)",
            "/dashboard?category=billing&channel=email",
            FILTERED_TARGET_MS,
        ),
        (
            "GET /dashboard/complaints (a month's received)",
            f"/dashboard/complaints?figure=received&bucket={year.periods()[-2].isoformat()}",
            None,
        ),
        ("GET /dashboard/export/volumes.csv", "/dashboard/export/volumes.csv", None),
    ]
    for label, address, target in pages:

        def get(address: str = address) -> None:
            response = client.get(address)
            assert response.status_code == 200, response.status_code
            response.get_data()

        with app.app_context():  # timed() expires the session between calls
            p50, p95 = timed(get)
        met = report(label, p50, p95, target) and met
    return measure_improvement(app, client) and met


def measure_improvement(app: Flask, client: FlaskClient) -> bool:
    """/improvement's recurring problems: computed as the page did (nothing kept), computed
    ahead by the timer process (recurring.precompute), and the page's first view then."""
    with app.app_context():
        manager = db.session.scalar(db.select(User).where(User.username == "manager"))
        db.session.execute(db.delete(RecurringSnapshot))
        db.session.commit()

        def computed() -> None:
            recurring.forget()
            recurring.recurring(manager)

        p50, p95 = scratch.p50_p95(computed, IMPROVEMENT_SAMPLES)
        report("recurring problems computed (no snapshot)", p50, p95, None)

        def ahead() -> None:
            db.session.execute(db.delete(RecurringSnapshot))
            recurring.precompute()
            db.session.commit()

        p50, p95 = scratch.p50_p95(ahead, IMPROVEMENT_SAMPLES)
        report("recurring.precompute() (timer process, both clearances)", p50, p95, None)
        db.session.remove()

    def first_view() -> None:
        recurring.forget()  # nothing kept in the web process: the first view
        response = client.get("/improvement")
        assert response.status_code == 200, response.status_code
        response.get_data()

    with app.app_context():
        p50, p95 = timed(first_view)
    return report("GET /improvement, first view (snapshot)", p50, p95, FILTERED_TARGET_MS)


def print_plans(query: reports.ReportQuery) -> None:
    """EXPLAIN ANALYZE of the complaint-table path's main query."""
    low, high = reports._bounds(query)
    print(f"\n-- complaint path rows for {query.filters()}")
    statement = db.select(reports.Complaint.id).where(  # the CTE's rows
        *reports.filter_conditions(query),
        db.or_(
            *(db.and_(c >= low, c < high) for c in reports.DAY_COLUMNS),
            db.and_(*reports._open_at(low)),
        ),
    )
    compiled = statement.compile(db.engine)
    sql = f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"
    for row in db.session.connection().exec_driver_sql(sql, compiled.params):
        print(row[0])
    print(flush=True)


def print_rollup_plan(query: reports.ReportQuery) -> None:
    """EXPLAIN ANALYZE of the roll-up path's code counts for the whole slice."""
    code = reports.ReportCodeDay
    statement = (
        db.select(code.kind, code.code, code.confidential, db.func.sum(code.count))
        .where(
            code.dimension == reports.ALL,
            code.value == "",
            code.day.between(query.start, query.end),
        )
        .group_by(code.kind, code.code, code.confidential)
    )
    compiled = statement.compile(db.engine)
    print("\n-- roll-up path: code counts of a year")
    sql = f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"
    for row in db.session.connection().exec_driver_sql(sql, compiled.params):
        print(row[0])
    print(flush=True)


if __name__ == "__main__":
    main()
