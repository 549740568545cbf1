"""The SQLAlchemy handle shared by every service, with a constraint naming convention."""

import time
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase

# The largest value of PostgreSQL's INTEGER, the type of the ids: declared with the forms,
# which bound the whole numbers they read by it (and may not import services).
from forms.numbers import MAX_INT as MAX_INT

# Named constraints keep SQLite batch migrations and PostgreSQL in agreement.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def database_locked(exc: BaseException) -> bool:
    """SQLite refused a write because another connection held the database ("database is
    locked", "database table is locked"): contention, worth trying again."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def write_transactions(engine: Engine) -> None:
    """On SQLite, begin every transaction of `engine` with BEGIN IMMEDIATE (the background
    loops: timers, delivery, the mailbox), so it holds the write lock from its first read.

    pysqlite begins a transaction only before a write, and a savepoint opened outside one
    (the timer round's, one per complaint) begins a deferred one: a transaction that read
    and then writes after another process committed is refused at once ("database is
    locked"; SQLite cannot move its snapshot forward, and the busy timeout does not apply).
    Begun immediately, it waits its turn behind the other writer instead. The web keeps
    deferred transactions, so pages read while a loop writes. PostgreSQL is left as it is.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _own_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN of its own

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before (the app's start-up checks) follow too


_IDLE_SINCE = "complaintflow_idle_since"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before a request uses it, but only when it has sat idle
    for `idle_seconds` or more: a dead one (a database restart, a server that closed it) is
    replaced before the request sees it. SQLAlchemy's pool_pre_ping checks on every use: one
    more round trip per request, about a tenth of a completion's. A connection back in use
    within the interval is taken as it is; should the database go away in that instant, the
    request fails and SQLAlchemy drops the pool's connections for fresh ones."""
    if engine.dialect.name == "sqlite":
        return  # a file: nothing on the other end to lose

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # just opened, or busy: used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("a pooled connection was closed") from exc  # pool retries
