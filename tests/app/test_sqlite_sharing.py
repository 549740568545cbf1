"""The demo's processes share one SQLite file: a page reads while another process writes, and
a writer waits for the other's commit instead of failing with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from flask import Flask
from sqlalchemy import text

from services.db import db
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
