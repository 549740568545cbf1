"""Delivery: messages per second sent by one worker, and what throwing a message costs a request.

1. Throughput: queues MESSAGES acknowledgements (real outbox rows), starts a local SMTP
   server (aiosmtpd, accepting and discarding), and runs the worker's round
   (app.delivery_cli.deliver_once: reap, claim + write each message from its template with
   its tracking link + commit, send over SMTP, record + commit) until the outbox is empty.
   One SMTP connection per round, as the worker does.
2. Request-path cost: completes the intake agent's registration (which throws the
   acknowledgement) on fresh complaints, alternately as it runs and with the message throw
   replaced by nothing, and compares the median completion times. Since the worker writes
   and sends the message, throwing it costs the request only its outbox row (one INSERT
   with the snapshot of the template's variables); the target is within 5%.

    .venv/bin/python benchmarks/delivery.py                      # SQLite
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python benchmarks/delivery.py
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.delivery_cli import deliver_once, delivery_settings  # noqa: E402
from benchmarks import scratch  # noqa: E402
from services import notifications, workflows  # noqa: E402
from services.db import db  # noqa: E402
from services.models import Notification  # noqa: E402
from services.transports import MailSettings  # noqa: E402
from tests import journeys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 300
COMPLETIONS = 40  # per variant


class Discard:
    """An SMTP handler that accepts every message and keeps a count."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app(url: str, directory: str) -> Any:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": f"{directory}/uploads",
            "DOCUMENT_DIR": f"{directory}/documents",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    return app


def throughput(app: Any, messages: int = MESSAGES) -> tuple[int, float]:
    """Messages sent and seconds taken by one worker."""
    from aiosmtpd.controller import Controller

    handler = Discard()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app.app_context():
            complaint = journeys.file()
            for _ in range(messages):
                notifications.send(complaint, "acknowledgement", {})
            db.session.commit()
            queued = db.session.scalar(
                db.select(db.func.count())
                .select_from(Notification)
                .where(Notification.status == "queued")
            )
            settings = replace(
                delivery_settings(app.config),
                mail=MailSettings(server="127.0.0.1", port=port, timeout=10),
                batch_size=50,
            )
            start = time.perf_counter()
            while deliver_once(settings, worker="bench").sent:
                pass
            elapsed = time.perf_counter() - start
            db.session.remove()
    finally:
        controller.stop()
    assert handler.count == queued, f"{handler.count} of {queued} received"
    return handler.count, elapsed


def request_cost(app: Any, completions: int = COMPLETIONS) -> tuple[float, float]:
    """Median seconds of a registration with its message thrown, and without."""
    real_send = notifications.send

    def no_message(complaint: Any, name: str, *args: Any, **kwargs: Any) -> Notification:
        return Notification(complaint_id=complaint.id, kind=name, channel="none")

    timings: dict[bool, list[float]] = {True: [], False: []}
    with app.app_context():
        for round_ in range(completions * 2 + 4):
            throw = round_ % 2 == 0
            complaint = journeys.file()
            workflows.notifications.send = real_send if throw else no_message  # type: ignore[attr-defined]
            try:
                start = time.perf_counter()
                journeys.complete(complaint, "register_complaint")
                elapsed = time.perf_counter() - start
            finally:
                workflows.notifications.send = real_send  # type: ignore[attr-defined]
            if round_ >= 4:  # the first rounds warm caches
                timings[throw].append(elapsed)
        db.session.remove()
    return statistics.median(timings[True]), statistics.median(timings[False])


def run(label: str, url: str, messages: int, completions: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cf-bench-files-") as directory:
        app = _app(url, directory)
        sent, seconds = throughput(app, messages)
        with_message, without = request_cost(app, completions)
        with app.app_context():
            db.engine.dispose()
    overhead = (with_message - without) / without * 100
    print(
        f"{label:<10} worker: {sent} emails in {seconds:.2f}s = {sent / seconds:.0f}/s  |  "
        f"registration: {with_message * 1000:.1f} ms with its message, "
        f"{without * 1000:.1f} ms without ({overhead:+.1f}%)"
    )


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument(
        "--messages", type=int, default=MESSAGES, help=f"emails the worker sends ({MESSAGES})"
    )
    parser.add_argument(
        "--completions",
        type=int,
        default=COMPLETIONS,
        help=f"registrations timed per variant ({COMPLETIONS}); more for a steadier median",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.messages} messages, {args.completions} "
        "completions per variant"
    )
    with scratch.sqlite_database("delivery") as url:
        run("SQLite", url, args.messages, args.completions)
    if scratch.postgres_configured():
        with scratch.postgres_database("cf_delivery") as url:
            run("PostgreSQL", url, args.messages, args.completions)


if __name__ == "__main__":
    main()
