"""Scratch PostgreSQL databases for benchmarks: created from BENCH_DATABASE_URL, always dropped."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV = "BENCH_DATABASE_URL"


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """A parser whose --help prints the benchmark's docstring (and runs nothing)."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


@contextmanager
def sqlite_database(name: str) -> Iterator[str]:
    """The URL of an SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="cf-bench-") as directory:
        yield f"sqlite:///{directory}/{name}.sqlite"


def postgres_configured() -> bool:
    """True when BENCH_DATABASE_URL names a PostgreSQL server to benchmark on."""
    return bool(os.environ.get(ENV))


def require_postgres() -> None:
    """Stop with a clear message when no PostgreSQL server is configured."""
    if not postgres_configured():
        raise SystemExit(f"Set {ENV} to a PostgreSQL database to create a scratch one.")


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new empty database on the BENCH_DATABASE_URL server; yields its URL, then drops it."""
    admin_url = os.environ[ENV]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reused_database(name: str) -> str:
    """The URL of database `name` on the server of $ENV, created if missing and kept (a
    filled database measured again without filling it anew)."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(os.environ[ENV], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(os.environ[ENV]).set(database=name).render_as_string(hide_password=False)


def p50_p95(call: Callable[[], object], samples: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds over `samples` calls (after one warm-up call), the
    session's identity map emptied before each so every call reads the database."""
    from services.db import db

    call()
    found = []
    for _ in range(samples):
        db.session.expire_all()
        start = time.perf_counter()
        call()
        found.append((time.perf_counter() - start) * 1000)
    found.sort()
    return statistics.median(found), found[int(0.95 * (len(found) - 1))]


def stop_process_group(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session and everything it started: SIGTERM to
    the group, up to 30 s to finish, then SIGKILL to whatever is left (a pool process, a
    worker being born)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
