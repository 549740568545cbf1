"""The timer round's attempt ledger: whose timers a round began to fire and never finished.

Diagram code that no guard stops ends its process (the backstop of services/engine/limits.py:
SIGXCPU). In a timer round the round's transaction dies with it, and so would anything it
wrote: the round that comes next fires the same complaint first, dies the same way, and the
timers of every other complaint wait behind it for ever. So before a round evaluates a
complaint's timers it writes a mark here that is committed at once, outside the round's
transaction, and it removes the mark once the evaluation is over (fired, raised or refused).
A mark the next round finds is an evaluation its process did not survive; after
SET_ASIDE_AFTER of them in a row the round sets the complaint aside (services.timers).
"In a row" means it: any evaluation the process lived through removes the mark (the round's,
and a person's step that fires the complaint's late timers first, services.workflows), and a
mark older than MARK_EXPIRES_AFTER no longer counts (its round never came back to it: the
timer moved, the case ended, or a death long ago), so one death now and one last month do
not set a complaint aside.

Where the ledger lives:
- PostgreSQL: the table timer_attempt of the application's database, written on a
  connection of its own in autocommit. The round holds its advisory lock while it reads and
  writes marks, so no other round is evaluating: a mark it finds was left by a dead one.
- SQLite: the round holds the database's write lock (BEGIN IMMEDIATE) from its first read to
  its commit, so no other connection could write a mark to that file in the meantime. The
  ledger is a small database file beside it (`<database>-timer-attempts`, like SQLite's own
  -wal and -shm files), in autocommit. SQLite serves one machine, so every timer process
  reaches it. An in-memory database has no other process to tell: no ledger.

Losing the ledger loses nothing but the count of deaths in progress.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    case,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.pool import NullPool

from services.db import db

SET_ASIDE_AFTER = 2
"""Evaluations of one complaint's timers in a row its process did not survive, before the
rounds set it aside."""
MARK_EXPIRES_AFTER = timedelta(hours=1)
"""How long a death counts. The next round after one comes within seconds (rounds run every
second; the supervisor or Celery's pool starts a new process at once) and reaches the
complaint after at most the other due complaints of its round: minutes at worst, so an hour
never drops a death that the next round would follow with another (a bound shorter than the
gap would let the complaint end every round for ever). An outage longer than that costs at
most one more death before the complaint is set aside; a mark older than that is from a
round that never came back, which must not make the next single death the second."""
SIDECAR_SUFFIX = "-timer-attempts"

_metadata = MetaData()
# Not a model of the application's metadata: on SQLite the table lives in the sidecar file,
# not in the application's database (the migration creates it on PostgreSQL only).
attempts_table = Table(
    "timer_attempt",
    _metadata,
    Column("complaint_id", Integer, primary_key=True, autoincrement=False),
    Column("attempts", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
)

_sidecars: dict[str, Engine] = {}
_lock = threading.Lock()


def _ledger() -> Engine | None:
    """The engine the marks are written with, for the application's database; None for an
    in-memory SQLite database."""
    app_engine = db.engine
    if app_engine.dialect.name != "sqlite":
        # The application's own pool: a connection of its own, committed statement by
        # statement, never the round's.
        return app_engine.execution_options(isolation_level="AUTOCOMMIT")
    path = sidecar_path(app_engine)
    if path is None:
        return None
    with _lock:
        engine = _sidecars.get(path)
        if engine is None:
            engine = create_engine(
                f"sqlite:///{path}",
                isolation_level="AUTOCOMMIT",
                poolclass=NullPool,  # a file opened per use: nothing held between rounds
                connect_args={"timeout": 30},  # another timer process writing its mark
            )
            _metadata.create_all(engine)
            _sidecars[path] = engine
    return engine


def sidecar_path(app_engine: Engine) -> str | None:
    """The SQLite ledger's file beside the application's database file; None in memory."""
    database = app_engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return f"{database}{SIDECAR_SUFFIX}"


def deaths(complaint_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """The complaints among `complaint_ids` whose last evaluations ended with their process,
    with how many in a row, at `now`; marks older than MARK_EXPIRES_AFTER are removed first
    (they count no more). Call while holding the round's lock (see above)."""
    ids = sorted(set(complaint_ids))
    engine = _ledger()
    if engine is None or not ids:
        return {}
    table = attempts_table
    found: dict[int, int] = {}
    with engine.connect() as conn:
        conn.execute(delete(table).where(table.c.started_at < now - MARK_EXPIRES_AFTER))
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(table.c.complaint_id, table.c.attempts).where(
                    table.c.complaint_id.in_(ids[start : start + 500])
                )
            )
            found.update({row.complaint_id: row.attempts for row in rows})
    return found


def begin(complaint_id: int, now: datetime) -> None:
    """Before evaluating the complaint's timers: one attempt more, committed at once (the
    first again after a mark older than MARK_EXPIRES_AFTER)."""
    engine = _ledger()
    if engine is None:
        return
    table = attempts_table
    recent = table.c.started_at >= now - MARK_EXPIRES_AFTER
    with engine.connect() as conn:
        done = conn.execute(
            update(table)
            .where(table.c.complaint_id == complaint_id)
            .values(attempts=case((recent, table.c.attempts + 1), else_=1), started_at=now)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(table).values(complaint_id=complaint_id, attempts=1, started_at=now)
            )


def end(complaint_id: int) -> None:
    """The evaluation is over, whatever came of it: its process survived it (a round's, or a
    person's step that fired the complaint's late timers)."""
    forget([complaint_id])


def forget(complaint_ids: Iterable[int]) -> None:
    """Remove the complaints' marks (an evaluation over; timers tried again by a person)."""
    ids = sorted(set(complaint_ids))
    engine = _ledger()
    if engine is None or not ids:
        return
    with engine.connect() as conn:
        conn.execute(delete(attempts_table).where(attempts_table.c.complaint_id.in_(ids)))


def marked() -> dict[int, int]:
    """Every mark in the ledger, complaint id -> attempts (for tests and drills)."""
    engine = _ledger()
    if engine is None:
        return {}
    table = attempts_table
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.complaint_id, table.c.attempts))
        return {row.complaint_id: row.attempts for row in rows}


def count() -> int:
    """How many marks the ledger holds."""
    engine = _ledger()
    if engine is None:
        return 0
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(attempts_table)) or 0)
