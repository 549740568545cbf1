"""The demo's processes share one SQLite file: a page reads while another process writes, and
a writer waits for the other's commit instead of failing with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.db import db, write_transactions
from services.models import Complaint
from tests import journeys


def test_a_page_reads_while_another_process_holds_a_write_and_a_writer_waits(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's own locking")
    path = url.removeprefix("sqlite:///")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        db.session.commit()
    # Another process (the timer round) takes the write lock and keeps it for a while.
    other = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute('UPDATE "user" SET active = active')
    released = threading.Event()

    def commit_later() -> None:
        time.sleep(1.0)
        other.execute("COMMIT")
        released.set()

    threading.Thread(target=commit_later).start()
    client = app.test_client()
    # A read is not blocked by the writer.
    health = client.get("/healthz")
    assert health.json["checks"]["database"] == {"ok": True}, health.json
    assert health.json["checks"]["migrations"]["ok"]
    assert not released.is_set()
    with app.app_context():
        # A write waits for the other's commit, then goes through.
        filed = journeys.file()
        assert released.is_set()
        assert db.session.get(Complaint, filed.id) is not None
    other.close()


def _read_then_write_in_a_savepoint(engine, path: str) -> None:  # noqa: ANN001
    """A timer round's shape: a savepoint, a read, another process commits, then a write."""
    with Session(engine) as session:
        savepoint = session.begin_nested()
        session.execute(text("SELECT n FROM lock_probe")).scalar()
        other = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
        writer = threading.Thread(target=lambda: other.execute("UPDATE lock_probe SET n = n + 1"))
        writer.start()
        writer.join(0.5)
        session.execute(text("UPDATE lock_probe SET n = n + 1"))
        savepoint.commit()
        session.commit()
        writer.join()
        other.close()


def test_a_background_loop_begins_its_transactions_immediately(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's own locking")
    path = url.removeprefix("sqlite:///")
    with app.app_context():
        db.session.execute(text("CREATE TABLE lock_probe (n INTEGER)"))
        db.session.execute(text("INSERT INTO lock_probe VALUES (0)"))
        db.session.commit()
    # Deferred (the driver's way): the read's snapshot is stale once the other process
    # committed, and the write is refused at once, whatever the busy timeout.
    deferred = create_engine(url, connect_args={"timeout": 5})
    with pytest.raises(OperationalError, match="locked"):
        _read_then_write_in_a_savepoint(deferred, path)
    deferred.dispose()
    # Begun immediately, the other process waits for this one's commit instead.
    immediate = create_engine(url, connect_args={"timeout": 5})
    write_transactions(immediate)
    _read_then_write_in_a_savepoint(immediate, path)
    immediate.dispose()
