"""`flask deliver-messages` (the outbox worker) and `flask mail-catcher` (the demo's SMTP server).

The worker is the entry point that owns the transactions of services/delivery.py: it
commits the claim before sending, and each result after, so a message is sent at most once.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app import rounds
from services import delivery, inbound_mail, timers
from services.clock import utcnow
from services.db import db, write_transactions
from services.transports import (
    Mailer,
    MailSettings,
    SmsSettings,
    TransientError,
    WebhookSettings,
)

BEAT_EVERY = 5.0  # seconds between the worker's heartbeats (for /healthz)


def delivery_settings(config: Mapping[str, Any]) -> delivery.Settings:
    """The worker's settings from the app's configuration (services never read it)."""
    return delivery.Settings(
        mail=MailSettings(
            server=config["MAIL_SERVER"],
            port=int(config["MAIL_PORT"]),
            use_tls=bool(config["MAIL_USE_TLS"]),
            use_ssl=bool(config["MAIL_USE_SSL"]),
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            sender=config["MAIL_FROM"],
            reply_to=config["MAIL_REPLY_TO"],
            timeout=float(config["MAIL_TIMEOUT"]),
        ),
        sms=SmsSettings(url=config["SMS_GATEWAY_URL"], token=config["SMS_GATEWAY_TOKEN"]),
        webhook=WebhookSettings(allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"))),
        lease_seconds=float(config["DELIVERY_LEASE"]),
        max_attempts=int(config["DELIVERY_MAX_ATTEMPTS"]),
        backoff_seconds=float(config["DELIVERY_BACKOFF"]),
        # Replies to a message about a complaint reach its case (services/inbound_mail.py).
        reply_to_for=lambda complaint: inbound_mail.reply_address(
            complaint, config["MAIL_REPLY_TO"], config["SECRET_KEY"]
        ),
    )


@dataclass
class Round:
    """What one round of the worker did, by notification id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)


def worker_name() -> str:
    """Who holds a claim: host and process id, for whoever reads a stuck row."""
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver_once(
    settings: delivery.Settings,
    *,
    worker: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Round:
    """Reap expired leases, claim due messages, send each and record it; commits each step."""
    done = Round()
    done.interrupted = delivery.reap_interrupted(clock(), settings)
    db.session.commit()
    claims = delivery.claim(clock(), worker or worker_name(), settings)
    db.session.commit()  # the claim is durable before anything leaves
    with Mailer(settings.mail) as mailer:  # one SMTP connection for the round
        for claim in claims:
            _deliver(claim, settings, mailer, clock, done)
    return done


def _deliver(
    claim: delivery.Claim,
    settings: delivery.Settings,
    mailer: Mailer,
    clock: Callable[[], datetime],
    done: Round,
) -> None:
    """Send one claimed message, record the outcome and commit it."""
    try:
        provider_id = delivery.transmit(claim, settings, mailer)
    except delivery.DeliveryError as exc:
        status = delivery.record_failure(claim, exc, clock(), settings)
    except Exception as exc:  # noqa: BLE001 - a bug in one message must not stop the rest
        error = TransientError(f"{type(exc).__name__}: {exc}")
        status = delivery.record_failure(claim, error, clock(), settings)
    else:
        delivery.record_sent(claim, provider_id, clock())
        status = delivery.SENT
    db.session.commit()
    {delivery.SENT: done.sent, delivery.QUEUED: done.retrying}.get(status, done.failed).append(
        claim.id
    )


def delivery_loop(
    settings: delivery.Settings,
    interval: float = 1.0,
    *,
    until: Callable[[], bool] = lambda: False,
    echo: Callable[[str], None] = lambda _line: None,
    sleep: Callable[[float], None] = time.sleep,
    max_backoff: float = 60.0,
) -> None:
    """Deliver rounds forever; a failed round (database gone) waits 1 s, doubling to max_backoff."""
    failures = 0
    worker = worker_name()
    last_beat: datetime | None = None
    while not until():
        wait = interval
        try:
            now = utcnow()
            if last_beat is None or (now - last_beat).total_seconds() >= BEAT_EVERY:
                timers.beat(now, timers.DELIVERY)  # for /healthz
                db.session.commit()
                last_beat = now
            done = deliver_once(settings, worker=worker)
            for label, ids in (
                ("sent", done.sent),
                ("will retry", done.retrying),
                ("failed", done.failed),
                ("interrupted earlier, marked failed or sent", done.interrupted),
            ):
                if ids:
                    echo(f"{utcnow().isoformat()} {label}: {', '.join(map(str, ids))}")
            if done.sent or done.retrying or done.failed:
                wait = 0.0  # more may be waiting: a full batch was claimed
            rounds.recovered("delivery", failures)
            failures = 0
        except Exception as exc:  # noqa: BLE001 - the worker must outlive any failure
            failures += 1
            wait = rounds.failed("delivery", failures, max_backoff, exc)
            last_beat = None  # beat again as soon as the database answers
        finally:
            db.session.remove()
        sleep(wait)


@click.command("deliver-messages")
@click.option("--interval", default=1.0, help="Sleep between polls when idle, in seconds.")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@with_appcontext
def deliver_messages(interval: float, once: bool) -> None:
    """Send queued emails and SMS from the outbox, forever (the delivery process)."""
    write_transactions(db.engine)
    settings = delivery_settings(current_app.config)
    if once:
        done = deliver_once(settings)
        click.echo(
            f"{len(done.sent)} sent, {len(done.retrying)} to retry, {len(done.failed)} failed."
        )
        return
    mail = settings.mail
    click.echo(
        f"Delivering messages via SMTP {mail.server}:{mail.port} "
        f"(polling every {interval}s); Ctrl-C to stop."
    )
    try:
        delivery_loop(settings, interval, echo=click.echo)
    except KeyboardInterrupt:
        click.echo("Delivery process stopped.")


class CatchingHandler:
    """An aiosmtpd handler that keeps every message as a .eml file in a folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Write the message, named by arrival time, and accept it."""
        stamp = utcnow().strftime("%Y%m%dT%H%M%S.%f")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        path.write_bytes(data)
        return "250 Message accepted for delivery"


@click.command("mail-catcher")
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", default=8025, help="SMTP port to listen on.")
@click.option("--directory", default=None, help="Folder for the .eml files (MAIL_CATCHER_DIR).")
@with_appcontext
def mail_catcher(host: str, port: int, directory: str | None) -> None:
    """A local SMTP server that keeps every message it receives as a .eml file (demo)."""
    from aiosmtpd.controller import Controller

    folder = Path(directory or current_app.config["MAIL_CATCHER_DIR"])
    controller = Controller(CatchingHandler(folder), hostname=host, port=port)
    controller.start()
    click.echo(f"Catching mail on {host}:{port} into {folder}; Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Mail catcher stopped.")
    finally:
        controller.stop()
