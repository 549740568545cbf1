"""GET /healthz, and what every page answers when the database cannot be reached."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from app import create_app
from services import timers
from services.clock import utcnow
from services.db import db


def test_healthz_is_ok_without_sign_in_when_every_check_passes(app: Flask, client):
    app.config["TIMERS_EXPECTED"] = False
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert "timers" not in body["checks"]


def test_healthz_fails_until_the_timer_process_beats_and_when_its_beat_is_old(app: Flask, client):
    app.config.update(TIMERS_EXPECTED=True, HEALTH_TIMER_MAX_AGE=60)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["delivery", "timers"]
    assert response.get_json()["checks"]["timers"]["error"] == "no heartbeat yet"

    with app.app_context():
        timers.beat(utcnow() - timedelta(seconds=5))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["delivery"]  # the outbox worker has not beaten

    with app.app_context():
        timers.beat(utcnow() - timedelta(seconds=5), timers.DELIVERY)
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"]["timers"]["ok"] is True

    with app.app_context():
        timers.beat(utcnow() - timedelta(seconds=120))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["timers"]
    assert response.get_json()["checks"]["timers"]["age"] >= 120


def test_healthz_fails_when_the_database_is_not_at_the_latest_migration(app: Flask, client):
    app.config["TIMERS_EXPECTED"] = False
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["migrations"]
    assert body["checks"]["migrations"]["database"] == ["older"]


@pytest.fixture(params=["postgresql-closed-port", "sqlite-missing-directory"])
def unreachable_app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    """The app pointed at a database it cannot reach (a wrong port, a wrong path)."""
    url = {
        "postgresql-closed-port": "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
        "sqlite-missing-directory": f"sqlite:///{tmp_path / 'missing' / 'app.sqlite'}",
    }[request.param]
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )


def test_an_unreachable_database_is_a_503_that_says_so(
    unreachable_app: Flask, caplog: pytest.LogCaptureFixture
):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # a signed-in user: every page asks the database first
    caplog.set_level(logging.WARNING)

    page = client.get("/inbox")
    assert page.status_code == 503
    assert "The database is unreachable; try again in a moment." in page.get_data(as_text=True)

    api = client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"})
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.get_json() == {
        "type": "/api/v1/problems/service_unavailable",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "The database is unreachable; try again in a moment.",
        "code": "service_unavailable",
        "instance": "/api/v1/tasks",
    }

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["database"]["ok"] is False

    # The cause is logged, once, not a traceback per request.
    logged = [r for r in caplog.records if r.getMessage().startswith("database unreachable")]
    assert len(logged) == 1
    assert not any(r.exc_info for r in caplog.records)


def test_the_migration_heads_are_alembics_without_importing_it():
    from alembic.script import ScriptDirectory

    from app.config import REPO_ROOT
    from app.health import migration_heads

    expected = ScriptDirectory(str(REPO_ROOT / "migrations")).get_heads()
    assert migration_heads() == frozenset(expected)
    assert len(expected) == 1


# Imported by some commands or requests only, never by building the app and serving a page:
# migrations (Alembic, Mako), Celery, XLSX, PDF, encryption of the public form's token, JSON
# Schema (API payloads), the public holidays (the first due date), SpiffWorkflow's BPMN and
# DMN parsers with their schema (deploying, the process editor) and instance migration.
LAZY = (
    "alembic",
    "flask_migrate",
    "mako",
    "celery",
    "kombu",
    "xlsxwriter",
    "weasyprint",
    "aiosmtpd",
    "cryptography.fernet",
    "jsonschema",
    "holidays",
    "SpiffWorkflow.bpmn.parser",
    "SpiffWorkflow.spiff.parser",
    "SpiffWorkflow.dmn.parser",
    "services.engine.validation",
    "services.engine.decisions",
    "services.engine.migration",
)


def test_serving_imports_none_of_what_only_some_commands_or_requests_use(tmp_path):
    """Web workers import the app and serve: the libraries only some commands or requests
    need are imported by those (tens of MiB of every worker's memory, README "Resident
    memory")."""
    from tests.fresh_interpreter import last_line

    script = (
        "import sys; from app import create_app; "
        f"app = create_app({{'TESTING': True, 'SECRET_KEY': 'x' * 40, "
        f"'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/app.sqlite'}}); "
        "client = app.test_client(); client.get('/healthz'); client.get('/auth/login'); "
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules))"
    )
    assert last_line(script) == "[]"


def test_the_celery_worker_builds_the_app_without_its_web_layer(tmp_path):
    """`celery -A app.worker worker` registers the rounds in an app with no blueprint, API,
    page forms, sessions, CSRF or rate limits (app/core.py), nor what serving leaves out."""
    from tests.fresh_interpreter import last_line

    web = ("app.factory", "app.api", "app.tasks", "flask_login", "flask_wtf", "flask_limiter")
    unused = web + tuple(m for m in LAZY if m not in ("celery", "kombu"))
    script = (
        "import sys; import app.worker as worker; "
        "names = sorted(n for n in worker.celery.tasks if n.startswith('complaintflow.')); "
        f"print(names, sorted(m for m in {unused!r} if m in sys.modules))"
    )
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite",
        "CELERY_BROKER_URL": "memory://",
    }
    names = [
        "complaintflow.build_export",
        "complaintflow.deliver_messages",
        "complaintflow.expire_exports",
        "complaintflow.fire_timers",
        "complaintflow.refresh_reports",
        "complaintflow.send_digests",
        "complaintflow.sweep_uploads",
    ]
    assert last_line(script, env) == f"{names} []"
