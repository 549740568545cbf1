"""Streaming the complaint list's CSV export at a million complaints on PostgreSQL.

Builds a scratch database (migrated, demo users, default procedure), fills it in bulk SQL
with a million complaints carrying the report columns (most closed, with resolution codes
and remedies; some confidential), then downloads /complaints/export.csv through the test
client as a quality analyst, reading the body chunk by chunk as a WSGI server would, in a
fresh process that only serves the export (a worker: the app, no migration or bulk load
behind it). Prints the rows, the seconds, the throughput and that process's peak resident
memory (the target: the worker stays under 150 MiB). With --xlsx, the XLSX export is timed
too. With --job, the XLSX export is asked as an export job (as it is from EXPORT_DIRECT_ROWS
rows): the request's time until the redirect to /exports, then the background build's time,
rows per second, file size and peak memory, in that same process (as a Celery worker or the
timer process builds it). The database is dropped at the end.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        nice .venv/bin/python benchmarks/exports.py [complaints] [--xlsx] [--job]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app import exports as exports_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services.db import db  # noqa: E402
from services.models import ExportJob  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"  # noqa: S105 - the scratch database's demo users
OPEN_EVERY = 20  # one complaint in 20 still in progress

FILL = """
INSERT INTO complaint (id, reference, tracking_token_hash, received_at, channel, department,
    anonymous, complainant_name, postal_address, phone, email, preferred_contact, product_service,
    purchase_mode, payment_mode, delivery_mode, description, desired_remedy, consent, form_date,
    category, severity, route, confidential, status, outcome, satisfaction_comment,
    acknowledged_at, responded_at, closed_at, ack_working_seconds, resolve_working_seconds,
    close_working_seconds, breaches, appeals, reopen_count, root_cause_category,
    compensation_paid, satisfaction_score)
SELECT g, 'C-2026-' || lpad(g::text, 7, '0'), md5(g::text),
    now() - (g % 8760) * interval '1 hour',
    (ARRAY['web','phone','email','letter','counter','social_media'])[1 + g % 6],
    (ARRAY['Customer service','Billing','Delivery','Stores'])[1 + g % 4],
    false, 'Complainant ' || g, '', '', '', 'email', 'Product ' || (g % 50), '', '', '',
    'Bulk complaint ' || g, '', true, current_date,
    (ARRAY['product_quality','customer_service','billing','delivery','safety','other'])[1 + g % 6],
    (ARRAY['low','medium','high','critical'])[1 + g % 4],
    (ARRAY['minor','major'])[1 + g % 2], g % 50 = 0,
    CASE WHEN g % :open_every = 0 THEN 'resolution' ELSE 'closed' END,
    CASE WHEN g % :open_every = 0 THEN NULL ELSE 'closed_with_survey' END, '',
    now() - (g % 8760) * interval '1 hour' + interval '2 hours',
    CASE WHEN g % :open_every = 0 THEN NULL
         ELSE now() - (g % 8760) * interval '1 hour' + interval '3 days' END,
    CASE WHEN g % :open_every = 0 THEN NULL
         ELSE now() - (g % 8760) * interval '1 hour' + interval '4 days' END,
    7200, CASE WHEN g % :open_every = 0 THEN NULL ELSE 86400 + g % 3600 END,
    CASE WHEN g % :open_every = 0 THEN NULL ELSE 115200 + g % 3600 END,
    (g % 7 = 0)::int, (g % 97 = 0)::int, (g % 89 = 0)::int,
    CASE WHEN g % 2 = 1
         THEN (ARRAY['process','people','product','supplier','system'])[1 + g % 5] END,
    CASE WHEN g % 11 = 0 THEN 25.00 + g % 100 END,
    CASE WHEN g % 3 = 0 THEN 1 + g % 5 END
FROM generate_series(1, :n) AS g;

INSERT INTO complaint_code (complaint_id, kind, code)
SELECT c.id, 'resolution_code', code
FROM complaint AS c,
     unnest(ARRAY['resolved_in_favour', 'complainant_informed']) AS code
WHERE c.closed_at IS NOT NULL;

INSERT INTO complaint_code (complaint_id, kind, code)
SELECT c.id, 'remedy', (ARRAY['apology','repair','refund','replacement'])[1 + c.id % 4]
FROM complaint AS c
WHERE c.closed_at IS NOT NULL;

SELECT setval(pg_get_serial_sequence('complaint', 'id'), :n);
"""
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mib() -> float:
    """The process's resident memory now, in MiB."""
    return status_mib("VmRSS")


def reset_peak() -> bool:
    """Start the high-water mark (VmHWM) afresh, so it measures the export alone; signing in
    hashes a password with scrypt, which briefly takes some 35 MiB of its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    """The process's peak resident memory (since reset_peak, where the kernel allows)."""
    return max(status_mib("VmHWM"), 0.0)


def download(client: FlaskClient, url: str) -> tuple[int, int, float, float]:
    """Stream `url`; return (lines, bytes, seconds, peak RSS in MiB while it ran)."""
    reset_peak()
    start = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.iter_encoded():
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return lines - 1, size, time.perf_counter() - start, peak_mib()


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("complaints", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--xlsx", action="store_true", help="time the XLSX export too")
    parser.add_argument(
        "--job", action="store_true", help="time the XLSX export built as a background job"
    )
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        serve(args.worker, args.xlsx, args.job)
        return
    scratch.require_postgres()
    with scratch.postgres_database("cf_exports") as url:
        fill(url, args.complaints)
        command = [sys.executable, __file__, "--worker", url]
        command += (["--xlsx"] if args.xlsx else []) + (["--job"] if args.job else [])
        subprocess.run(command, check=True)  # noqa: S603 - our own script


def application(url: str) -> Flask:
    """The app as a worker runs it, on the scratch database."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "DEMO_PASSWORD": PASSWORD,
        }
    )


def fill(url: str, count: int) -> None:
    """Migrate, seed the demo users and procedure, and load `count` complaints."""
    app = application(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        start = time.perf_counter()
        for statement in FILL.split(";\n"):
            if statement.strip():
                db.session.execute(text(statement), {"n": count, "open_every": OPEN_EVERY})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE complaint"))
            conn.execute(text("VACUUM ANALYZE complaint_code"))
        filled = time.perf_counter() - start
        codes = db.session.scalar(text("SELECT count(*) FROM complaint_code"))
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, PostgreSQL, "
            f"Python {platform.python_version()}"
        )
        print(f"{count:,} complaints, {codes:,} code rows (filled in {filled:.0f}s)")
        db.session.remove()
        db.engine.dispose()


def serve(url: str, xlsx: bool, job: bool = False) -> None:
    """The worker: sign in as the quality analyst and stream the export(s)."""
    app = application(url)
    with app.app_context():
        visible = db.session.scalar(text("SELECT count(*) FROM complaint WHERE NOT confidential"))
        db.session.remove()
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, "no CSRF token on the sign-in page"
    signed_in = client.post(
        "/auth/login",
        data={"username": "analyst", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert signed_in.status_code == 302, signed_in.status_code

    print(f"worker's resident memory before the export: {rss_mib():.0f} MiB\n")
    # --xlsx times the XLSX written in the request, whatever the count (--job: the other way).
    app.config["EXPORT_DIRECT_ROWS"] = sys.maxsize
    exports = [("CSV", "/complaints/export.csv")]
    if xlsx:
        exports.append(("XLSX", "/complaints/export.xlsx"))
    for name, path in exports:
        lines, size, seconds, highest = download(client, path)
        rows = lines if name == "CSV" else visible  # an XLSX file is a zip: no lines to count
        print(
            f"{name:<5} {rows:>9,} rows  {size / 2**20:7.1f} MiB  {seconds:6.1f} s  "
            f"{rows / seconds:8,.0f} rows/s  worker's peak RSS {highest:.0f} MiB"
        )
    if job:
        build_job(app, client)
    with app.app_context():
        db.engine.dispose()


def build_job(app: Flask, client: FlaskClient) -> None:
    """Ask for the XLSX export as a job, then build it as the background does; print both."""
    app.config["EXPORT_DIRECT_ROWS"] = 0  # whatever the count: a job
    app.config["DOCUMENT_DIR"] = tempfile.mkdtemp(prefix="cf-exports-")  # removed below
    start = time.perf_counter()
    response = client.get("/complaints/export.xlsx")
    asked = time.perf_counter() - start
    assert response.status_code == 302, response.status_code
    with app.app_context():
        reset_peak()
        start = time.perf_counter()
        status = exports_app.build_next_export()
        seconds = time.perf_counter() - start
        highest = peak_mib()
        job = db.session.scalar(db.select(ExportJob).order_by(ExportJob.id.desc()))
        assert status == "ready", (status, job.error)
        rows, size = job.rows or 0, job.file_size or 0
        db.session.remove()
    shutil.rmtree(app.config["DOCUMENT_DIR"], ignore_errors=True)
    print(
        f"JOB   request {asked:5.1f} s until /exports; build {rows:>9,} rows  "
        f"{size / 2**20:7.1f} MiB  {seconds:6.1f} s  {rows / seconds:8,.0f} rows/s  "
        f"peak RSS {highest:.0f} MiB"
    )


if __name__ == "__main__":
    main()
