"""`flask check-config`: what production needs, checked before anything starts.

complaintflow-production (`make production`) runs it first; each problem is one line saying
what to set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from app.config import DEFAULT_PUBLIC_BASE_URL

# OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
MIN_PBKDF2_ROUNDS = 600_000
MIN_SECRET_LENGTH = 32


def problems(
    config: Mapping[str, Any], *, reach_broker: bool = True, reach_database: bool = True
) -> list[str]:
    """What is missing or wrong in `config` for a production start (empty when ready)."""
    found = []
    secret = config.get("SECRET_KEY") or ""
    if config.get("SECRET_KEY_MISSING") or len(str(secret)) < MIN_SECRET_LENGTH:
        found.append(
            f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} "
            'characters (python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    url = make_url(str(config["SQLALCHEMY_DATABASE_URI"]))
    if not url.drivername.startswith("postgresql"):
        found.append(
            f"DATABASE_URL is {url.drivername}: production runs on PostgreSQL "
            "(postgresql+psycopg://USER:PASSWORD@HOST:5432/NAME); several processes write at once."
        )
    elif reach_database:
        found += _unreachable(url)
    broker = config.get("CELERY_BROKER_URL")
    if not broker:
        found.append(
            "CELERY_BROKER_URL is not set: the workers and the scheduler need a broker "
            "(redis://HOST:6379/0 or amqp://USER:PASSWORD@HOST:5672//)."
        )
    elif reach_broker:
        from kombu import Connection  # Celery's transport library, for this command only

        connection = Connection(broker, connect_timeout=3)
        try:
            with connection as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the answer
            shown = connection.as_uri()  # the password masked
            found.append(f"CELERY_BROKER_URL {shown} cannot be reached: {exc}.")
    if str(config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        found.append(
            "RATELIMIT_STORAGE_URI is memory://: with several web workers each counts on its "
            "own. Set it to the Redis server (redis://HOST:6379/1)."
        )
    if str(config.get("PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL) == DEFAULT_PUBLIC_BASE_URL:
        found.append(
            f"PUBLIC_BASE_URL is not set: the links in messages to complainants and staff would "
            f"lead to {DEFAULT_PUBLIC_BASE_URL}. Set it to this site's address "
            "(https://complaints.example.org)."
        )
    if not config.get("MAIL_SERVER"):
        found.append("MAIL_SERVER is not set: messages to complainants and staff cannot leave.")
    method = str(config.get("PASSWORD_HASH_METHOD") or "scrypt:8192:8:10")
    kind, _, rounds = method.partition(":")
    iterations = rounds.rpartition(":")[2]
    if kind == "pbkdf2" and (not iterations.isdigit() or int(iterations) < MIN_PBKDF2_ROUNDS):
        found.append(
            f"PASSWORD_HASH_METHOD is {method}: too cheap for production (the tests' setting); "
            f"leave it unset (scrypt:8192:8:10) or use pbkdf2:sha256:{MIN_PBKDF2_ROUNDS} or more."
        )
    return found


def _unreachable(url: URL) -> list[str]:
    """The database's refusal (no server, unknown role or database, wrong password), if any."""
    engine = create_engine(url, connect_args={"connect_timeout": 3}, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the answer
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        shown = url.render_as_string(hide_password=True)
        return [f"DATABASE_URL {shown} cannot be reached: {reason}."]
    finally:
        engine.dispose()
    return []


@click.command("check-config")
@with_appcontext
def check_config() -> None:
    """Check the configuration for a production start; exit 1 listing what to fix."""
    found = problems(current_app.config)
    for problem in found:
        click.echo(f"config: {problem}", err=True)
    if found:
        raise SystemExit(1)
    click.echo("Configuration ready for production.")
