"""The Flask application factory: the core (app/core.py) with the web layer on top: security,
extensions, blueprints, CLI, error handlers.

`app.create_app` imports this module when it builds the app, so that importing the `app`
package (for its config, or Celery beat's schedule) costs nothing of the web layer.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

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
    log_redaction,
    main,
    management_review,
    notes,
    outbox,
    processes,
    public,
    service_levels,
    tasks,
)
from app.config import REPO_ROOT
from app.core import create_core
from app.extensions import csrf, limiter, login_manager, migrate
from app.security import apply_security
from services.db import db


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: the core (config, services, database, translations), then
    security, extensions, blueprints, CLI and error handlers."""
    app = create_core(test_config)
    apply_security(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    # The limiter is module-wide and init_app keeps the first app's key prefix: each app (the
    # tests build many, some on a shared Redis) counts under its own.
    limiter._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")
    limiter.init_app(app)

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
    log_redaction.install()  # the development server's request lines
    # Celery (app/background.py) is set up by app/worker.py, or by the first request that
    # queues an export: web workers need it for nothing else.
    return app
