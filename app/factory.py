"""The Flask application factory: config, extensions, blueprints, CLI, error handlers.

`app.create_app` imports this module when it builds the app, so that importing the `app`
package (for its config, or Celery beat's schedule) costs nothing of the web layer.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import (
    account,
    admin,
    admin_calendar,
    admin_org,
    admin_roles,
    admin_users,
    admin_webhooks,
    api,
    api_docs,
    auth,
    cli,
    complaints,
    dashboard,
    errors,
    exports,
    health,
    improvement,
    inbox,
    input_guards,
    intake,
    local_time,
    main,
    management_review,
    notes,
    outbox,
    processes,
    public,
    service_levels,
    tasks,
)
from app.config import REPO_ROOT, from_environment
from app.extensions import babel, csrf, limiter, login_manager, migrate
from app.security import apply_security
from services import documents, preset_letters, sealing, staff_notices, tracking_links, users
from services.db import db


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI, error handlers."""
    # Named after the package: its templates, static files and instance folder.
    app = Flask("app", instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    _ensure_secret_key(app)
    apply_security(app)
    documents.configure(app.config)
    # Stored secrets (webhooks) are sealed under SECRET_KEY; earlier keys still open them.
    sealing.configure(app.config.get("SECRET_KEY") or "", app.config["SECRET_KEY_FALLBACKS"])
    preset_letters.configure(app.config)  # the ombudsman or mediator the letters name
    tracking_links.configure(app.config["PUBLIC_BASE_URL"], app.config["TRACKING_LINK_DAYS"])
    staff_notices.configure(app.config["PUBLIC_BASE_URL"])
    users.configure(app.config["PASSWORD_HASH_METHOD"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    # Times are stored in UTC and read in the organisation's zone (the business calendar).
    babel.init_app(app, locale_selector=select_locale, timezone_selector=local_time.select_timezone)
    local_time.register(app)

    input_guards.register(app)  # before the blueprints: their int rules use its converter
    app.register_blueprint(api.bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(complaints.bp)
    app.register_blueprint(processes.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_calendar.bp)
    app.register_blueprint(admin_users.bp)
    app.register_blueprint(admin_webhooks.bp)
    app.register_blueprint(admin_org.bp)
    app.register_blueprint(admin_roles.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(service_levels.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(improvement.bp)
    app.register_blueprint(management_review.bp)
    app.register_blueprint(exports.bp)
    cli.register(app)
    errors.register(app)
    # Celery (app/background.py) is set up by app/worker.py, or by the first request that
    # queues an export: web workers need it for nothing else.
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
        if cli.loading_commands():
            app.config["SECRET_KEY_MISSING"] = True  # listed, but each refuses to run
            return
        raise cli.MissingSecretKey()
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked on every connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
