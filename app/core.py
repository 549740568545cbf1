"""The application without its web layer: configuration, the services' settings, the database
and translations.

`create_app` (app/factory.py) builds the web application on this core: pages, API, commands,
security headers, sessions, CSRF and rate limits. Celery's worker (app/worker.py) runs its
tasks in the core alone: its processes import none of the blueprints, page forms or API
description, nor Flask-Login, Flask-WTF and Flask-Limiter (about 9 MiB in each of them).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import department_text, local_time, numbers
from app.config import from_environment
from services import documents, preset_letters, sealing, staff_notices, tracking_links, users
from services.db import db, ping_when_idle

# Translations and the reader's time zone, in pages, messages and jobs alike.
babel = Babel()

# How long an SQLite writer waits for another process's commit before failing.
SQLITE_BUSY_MS = 30_000
SQLITE_DRIVER_BUSY_MS = 5_000  # Python's sqlite3 default (timeout=5.0)

HOW_TO_SET_THE_KEY = (
    "SECRET_KEY is not set: export SECRET_KEY=<a long random value>, "
    "or COMPLAINTFLOW_DEMO=1 for the demo."
)


class MissingSecretKey(click.ClickException, RuntimeError):
    """The factory's refusal to run without a secret key; the flask CLI prints it in one line."""

    def __init__(self) -> None:
        super().__init__(HOW_TO_SET_THE_KEY)


def loading_commands() -> bool:
    """True while the flask CLI builds the app only to list or look up its commands.

    `flask --help` must list our commands without a secret key; running one (or serving)
    still refuses, see app.cli.register().
    """
    ctx = click.get_current_context(silent=True)
    return ctx is not None and isinstance(ctx.command, click.Group)


def create_core(test_config: dict[str, Any] | None = None) -> Flask:
    """The application's configuration, services, database and translations (no web layer)."""
    # Named after the package: its templates, static files and instance folder.
    app = Flask("app", instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    _ensure_secret_key(app)
    documents.configure(app.config)
    # Stored secrets (webhooks) are sealed under SECRET_KEY; earlier keys still open them.
    sealing.configure(app.config.get("SECRET_KEY") or "", app.config["SECRET_KEY_FALLBACKS"])
    preset_letters.configure(app.config)  # the ombudsman or mediator the letters name
    tracking_links.configure(app.config["PUBLIC_BASE_URL"], app.config["TRACKING_LINK_DAYS"])
    staff_notices.configure(app.config["PUBLIC_BASE_URL"])
    users.configure(app.config["PASSWORD_HASH_METHOD"])

    db.init_app(app)
    with app.app_context():
        ping_when_idle(db.engine, app.config["DATABASE_PING_IDLE_SECONDS"])
    # Times are stored in UTC and read in the organisation's zone (the business calendar).
    babel.init_app(app, locale_selector=select_locale, timezone_selector=local_time.select_timezone)
    local_time.register(app)
    numbers.register(app)
    department_text.register(app)
    return app


def select_locale() -> str | None:
    """The language chosen on the page, else the browser's preference."""
    if not has_request_context():
        return None  # CLI and jobs: the default locale
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if not (app.config["DEMO"] or app.debug or app.testing):
        if loading_commands():
            app.config["SECRET_KEY_MISSING"] = True  # listed, but each refuses to run
            return
        raise MissingSecretKey()
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked on every
        # connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        # The demo's web, timer and delivery processes share one file: with a write-ahead log
        # pages read while a timer round writes, and a writer waits for another's commit (a
        # timer round over every demo clock) instead of failing after the driver's 5 s.
        # A connection opened with its own timeout (not the driver's 5 s) keeps it.
        if cursor.execute("PRAGMA busy_timeout").fetchone()[0] == SQLITE_DRIVER_BUSY_MS:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
