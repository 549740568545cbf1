"""How long "Forgot your password?" takes to answer, for an account and for an unknown address.

An answer slower for a real account tells an outsider which addresses are accounts. The reset
work (the lookup, the token, the email queued) now runs once the answer is sent (the response's
close), so both answers should take the same time. In process, through Flask's test client on
a scratch database (SQLite, or PostgreSQL with BENCH_DATABASE_URL): requests for a demo
account's email and for an unknown one in a shuffled order (each kind follows either kind as
often: the work after one answer slows the next request a little, whatever it asks); the time
to the answer, and apart, the work done after it.

    .venv/bin/python benchmarks/forgot_timing.py [--requests 200]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/forgot_timing.py
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services.db import db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KNOWN, UNKNOWN = "supervisor@example.org", "nobody-here@example.org"


def run(url: str, requests: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cf-bench-") as directory:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "WTF_CSRF_ENABLED": False,
                "PUBLIC_POST_RATE_LIMIT": "100000 per minute",
                "UPLOAD_DIR": f"{directory}/uploads",
                "DOCUMENT_DIR": f"{directory}/documents",
            }
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            result = app.test_cli_runner().invoke(args=["seed-demo", "--no-complaints"])
            assert result.exit_code == 0, result.output
            db.session.remove()
        client = app.test_client()
        answers: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
        after: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
        order = [KNOWN, UNKNOWN] * (requests // 2 + 10)
        random.Random(7).shuffle(order)
        for n, identifier in enumerate(order):
            start = time.perf_counter()
            response = client.post("/auth/forgot", data={"identifier": identifier})
            body = response.get_data()
            answered = time.perf_counter()
            response.close()  # the server has sent the answer: the reset work runs now
            closed = time.perf_counter()
            assert response.status_code == 200 and body
            if n >= 20:  # the first requests warm the caches
                answers[identifier].append((answered - start) * 1000)
                after[identifier].append((closed - answered) * 1000)
        with app.app_context():
            db.engine.dispose()
    counts = f"{len(answers[KNOWN])} and {len(answers[UNKNOWN])} requests"
    print(f"{counts}, {url.split(':')[0]}; milliseconds")
    print(f"{'':28}{'p50':>8}{'p90':>8}   after the answer (p50)")
    for label, identifier in (("an account's email", KNOWN), ("an unknown email", UNKNOWN)):
        times = sorted(answers[identifier])
        p50, p90 = statistics.median(times), times[int(len(times) * 0.9)]
        print(f"{label:28}{p50:8.2f}{p90:8.2f}   {statistics.median(after[identifier]):8.2f}")


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    if scratch.postgres_configured():
        with scratch.postgres_database("cf_bench_forgot") as url:
            run(url, args.requests)
    else:
        with scratch.sqlite_database("forgot") as url:
            run(url, args.requests)


if __name__ == "__main__":
    main()
