"""Recurring problems at a million complaints on PostgreSQL.

Builds a scratch database (migrated, demo users, default procedure), fills it with complaints
spread over two years in bulk SQL (500 products, 4 departments, 6 categories, 9 root causes,
2 in 100 contacts writing twice, descriptions drawn from a vocabulary and 1 in 200 telling
the same story,
1 in 50 confidential, one product rising), then times what /improvement reads: the recurring
problems of the last 90 days (rising values with trends, contact and similar-text clusters)
and one cluster's page. The database is dropped at the end.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/recurring.py [complaints]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services import look_alikes, recurring, rising  # noqa: E402
from services.db import db  # noqa: E402
from services.models import User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 5

FILL = """
INSERT INTO complaint (id, reference, tracking_token_hash, received_at, channel, department,
    anonymous, complainant_name, postal_address, phone, email, preferred_contact, product_service,
    purchase_mode, payment_mode, delivery_mode, description, desired_remedy, consent, form_date,
    category, severity, route, confidential, status, satisfaction_comment, root_cause_category)
SELECT g, 'C-2026-' || lpad(g::text, 7, '0'), md5(g::text),
    now() - (g % 17520) * interval '1 hour'
        - CASE WHEN g % 500 = 7 AND g % 17520 > 2160 THEN interval '400 days' ELSE interval '0' END,
    (ARRAY['web','phone','email','letter','counter','social_media'])[1 + g % 6],
    (ARRAY['Customer service','Billing','Delivery','Stores'])[1 + g % 4],
    false, 'Complainant ' || g, '', '',
    -- 2 in 100 write twice, an hour apart, about the same product
    CASE WHEN g % 100 IN (1, 2) THEN 'pair' || (g / 100) ELSE 'person' || g END || '@example.org',
    'email',
    'Product ' || CASE WHEN g % 100 IN (1, 2) THEN (g / 100) % 500 ELSE g % 500 END, '', '', '',
    -- 1 in 200 tells the same story; the others draw their words from a vocabulary
    CASE WHEN g % 200 = 5
        THEN 'The door seal of the washing machine leaks water after every wash ' || (g % 3)
        ELSE 'w' || (g % 211) || ' w' || (g * 7 % 223) || ' w' || (g * 13 % 227) || ' w'
            || (g * 17 % 229) || ' w' || (g * 19 % 233) || ' w' || (g * 23 % 239) || ' w'
            || (g * 29 % 241) || ' w' || (g * 31 % 251) || ' w' || (g * 37 % 257)
    END,
    '', true, current_date,
    (ARRAY['product_quality','customer_service','billing','delivery','safety','other'])[1 + g % 6],
    'low', 'minor', g % 50 = 0, 'closed', '',
    (ARRAY['process','people','product','supplier','communication','system','policy',
           'external','other'])[1 + g % 9]
FROM generate_series(1, :n) AS g;

SELECT setval(pg_get_serial_sequence('complaint', 'id'), :n);
"""


def timed(call: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(SAMPLES):
        db.session.expire_all()
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000, max(samples) * 1000


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("complaints", nargs="?", type=int, default=1_000_000)
    count = parser.parse_args().complaints
    scratch.require_postgres()
    with scratch.postgres_database("cf_recurring") as url:
        run(url, count)


def run(url: str, count: int) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        start = time.perf_counter()
        for statement in FILL.split(";\n"):
            if statement.strip():
                db.session.execute(text(statement), {"n": count})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE complaint"))
        filled = time.perf_counter() - start
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, PostgreSQL, "
            f"Python {platform.python_version()}"
        )
        print(f"{count:,} complaints over two years (filled in {filled:.0f}s)")
        manager = db.session.scalar(db.select(User).where(User.username == "manager"))
        found = recurring.recurring(manager)
        print(
            f"last 90 days: {len(found.rising)} rising values, "
            f"{sum(c.kind == 'contact' for c in found.look_alikes)} contact clusters, "
            f"{sum(c.kind == 'similar_text' for c in found.look_alikes)} similar-text clusters; "
            f"median / max of {SAMPLES} calls\n"
        )
        span = recurring.period()

        def fresh() -> object:
            recurring.forget()
            return recurring.recurring(manager)

        cases = [
            ("the /improvement page's problems, computed", fresh),
            ("the same, kept (cache_seconds)", lambda: recurring.recurring(manager)),
            ("rising values only", lambda: rising.rising(manager, span)),
            ("contact clusters only", lambda: look_alikes.contact_clusters(manager, span)),
            ("similar-text clusters only", lambda: look_alikes.text_clusters(manager, span)),
            (
                "one product's cluster page",
                lambda: recurring.cluster(manager, "product", "product 7"),
            ),
        ]
        for label, call in cases:
            median, worst = timed(call)
            print(f"{label:<45} {median:8.1f} ms  (max {worst:.1f})")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
