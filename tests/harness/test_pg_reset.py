"""The PostgreSQL test database's reset (tests/pg_reset.py) puts back the seeded state: the
rows, the sequences, and, after a change of schema, a new clone."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from services.db import db
from tests import journeys as j
from tests.conftest import PG_URL
from tests.pg_reset import PgTestDatabase

pytestmark = pytest.mark.skipif(not PG_URL, reason="set TEST_DATABASE_URL for PostgreSQL")

COUNTS = text(
    "SELECT (SELECT count(*) FROM complaint), (SELECT count(*) FROM task), "
    '(SELECT count(*) FROM "user"), (SELECT count(*) FROM process_version), '
    "(SELECT last_value FROM complaint_id_seq), (SELECT count(*) FROM audit_event)"
)


def _read(url: str, query: text) -> tuple:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(query).one())
    finally:
        engine.dispose()


def _file_two_complaints(url: str) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        j.to_classification()
        j.to_classification()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def database(pg_template: str):
    assert PG_URL
    database = PgTestDatabase(PG_URL, pg_template)
    yield database
    database.drop()


def test_a_reset_removes_what_a_test_wrote_and_restarts_the_sequences(database) -> None:
    seeded = _read(database.url, COUNTS)
    assert seeded[0] == 0 and seeded[2] > 0 and seeded[3] > 0
    _file_two_complaints(database.url_for_test())
    after = _read(database.url, COUNTS)
    assert after[0] == 2 and after[1] > 0 and after[5] > seeded[5]
    database.reset()
    assert _read(database.url, COUNTS) == seeded
    # The next test gets the same ids as on a new clone.
    _file_two_complaints(database.url_for_test())
    assert _read(database.url, text("SELECT min(id) FROM complaint")) == (1,)


def test_a_changed_schema_gets_a_new_clone(database) -> None:
    first = database.name
    engine = create_engine(database.url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE notification RENAME TO notification_away"))
    engine.dispose()
    database.reset()
    assert database.name != first
    assert _read(database.url, text("SELECT count(*) FROM notification")) == (0,)


def test_each_test_gets_its_own_url(database) -> None:
    assert database.url_for_test() != database.url_for_test()
