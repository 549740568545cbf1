"""A pooled connection is checked before use only after sitting idle (services.db)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from services.db import db
from tests.conftest import PG_URL


def _backend(app) -> int:  # noqa: ANN001 - a Flask app
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()  # back to the pool
    return pid


def _terminate(pid: int) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


@pytest.fixture
def pg_app(database_url: str, tmp_path):  # noqa: ANN001, ANN201 - fixtures
    if make_url(database_url).get_backend_name() == "sqlite":
        pytest.skip("a SQLite file has no server to lose the connection")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "DATABASE_PING_IDLE_SECONDS": 0.2,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_connection_closed_by_the_server_while_idle_is_replaced_before_a_request_uses_it(
    pg_app,  # noqa: ANN001
):
    first = _backend(pg_app)
    assert _backend(pg_app) == first  # used again at once: the same connection, kept
    _terminate(first)
    time.sleep(0.3)  # idle longer than DATABASE_PING_IDLE_SECONDS
    with pg_app.app_context():
        # The request's own query works: the pool found the dead connection and opened another.
        assert db.session.execute(text("SELECT count(*) FROM complaint")).scalar_one() >= 0
        assert db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
        db.session.remove()


def test_a_connection_in_steady_use_is_not_checked_each_time(pg_app):  # noqa: ANN001
    # Closed under a busy worker (no idle time): the next request meets the closed connection
    # (what pool_pre_ping's round trip per request would have spared it), and the pool then
    # replaces it, so the one after works.
    first = _backend(pg_app)
    _terminate(first)
    time.sleep(0.05)  # the server process ends; still well within the idle interval
    with pg_app.app_context():
        with pytest.raises(Exception, match="terminat|closed|connection"):
            db.session.execute(text("SELECT 1")).scalar_one()
        db.session.remove()
    assert _backend(pg_app) != first
