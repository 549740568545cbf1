"""Fixtures: a real, migrated database per test (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), the app factory, clients and signed-in helpers."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import Dialect, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.util import LRUCache
from werkzeug.routing.rules import Rule

from app import create_app
from services.db import db
from services.engine import state as engine_state
from tests.pg_reset import PgTestDatabase

# Every reuse of a cached task serialization is checked against a fresh one in tests.
engine_state.CHECK_TASK_CACHE = True
# Tests print PDFs in their own process (one WeasyPrint import per test worker instead of a
# child interpreter per letter); tests/services/test_printing.py covers the child, and the
# live servers of the browser tests inherit this.
os.environ.setdefault("PRINT_IN_CHILD", "0")
# Hundreds of sign-ins: a cheap hash method instead of scrypt (~70 ms per check), for the
# template's demo users and every app and live server; tests/app/test_auth.py checks scrypt.
os.environ.setdefault("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
# Each test's folder (its SQLite copy, uploads, letters) in memory when the machine has a
# tmpfs: on disk, SQLite's fsync at every commit was a third of a journey's time. The
# folders of passing tests are removed as they end (tmp_path_retention_policy, pyproject).
# pytest makes its own pytest-of-<user> there, private (0700) and checked to be ours.
MEMORY_TEMP = "/dev/shm"  # noqa: S108
if os.access(MEMORY_TEMP, os.W_OK):
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", MEMORY_TEMP)


def _share_url_builders() -> None:
    """Every test builds its own app, and Werkzeug compiles two URL-builder functions for each
    of the app's ~850 rules (Python source through `ast` and `compile`): about 0.2 s of CPU
    per app, a fifth of the suite. A builder is a pure function of the rule's text, parsed
    parts and defaults (it reads the converters from the rule it is called on), so identical
    rules of successive apps share one. Each test still gets a new app and a new URL map."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple[Any, ...], Any] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Any:
        key = (self.rule, tuple(self._trace), repr(self.defaults), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]


def _share_parsed_rules() -> None:
    """The other half of compiling a rule: parsing its text into the parts the matcher
    uses, its trace and its converters (a tenth of a page test's time). The result is a pure
    function of the text and the map's converter classes; converters hold no state of their
    own, so successive apps share them with the parts."""
    parse_rule = Rule._parse_rule
    parsed: dict[tuple[Any, ...], tuple[list[Any], list[Any], dict[str, Any]]] = {}

    def shared(self: Rule, rule: str) -> list[Any]:
        key = (rule, tuple(self.map.converters.items()))
        found = parsed.get(key)
        if found is None:
            trace, converters = len(self._trace), set(self._converters)
            parts = list(parse_rule(self, rule))
            added = {k: v for k, v in self._converters.items() if k not in converters}
            parsed[key] = found = (parts, self._trace[trace:], added)
            return parts
        parts, trace_added, converters_added = found
        self._trace.extend(trace_added)
        self._converters.update(converters_added)
        self.arguments.update(converters_added)
        return parts

    Rule._parse_rule = shared  # type: ignore[method-assign]


_share_url_builders()
_share_parsed_rules()

# The compiled SQL of every test's engine, by backend: see _share_compiled_sql.
SHARED_SQL: dict[str, tuple[Dialect, LRUCache[Any, Any]]] = {}


def _share_compiled_sql(engine: Engine) -> None:
    """Each test's app has its own engine, and SQLAlchemy caches compiled statements per
    engine, keyed by its dialect object: every test compiled again the same few hundred
    statements, a seventh of the suite's time. The engines of one backend share the first
    one's dialect (same driver, same server, same settings) and one cache; each keeps its own
    pool, connections and events."""
    if engine.dialect.name not in SHARED_SQL:
        with engine.connect():  # the dialect reads the server's version and settings
            pass
        SHARED_SQL[engine.dialect.name] = (engine.dialect, LRUCache(20_000))
    engine.dialect, engine._compiled_cache = SHARED_SQL[engine.dialect.name]


class _SharedTemplates(BytecodeCache):
    """Jinja compiles each template once per environment, and every test's app has its own:
    a quarter of a page test's time went to compiling the same templates again. The apps of
    the tests share the compiled code instead (Jinja's bytecode cache, in memory: a template
    whose source changed is compiled anew). All are built by create_app with the same Jinja
    settings, filters and extensions, which the compiled code depends on."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, Any]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self.codes.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = (bucket.checksum, bucket.code)


SHARED_TEMPLATES = _SharedTemplates()

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
DEMO_PASSWORD = "demo-password"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _migrate(url: str, instance: Path) -> None:
    """Migrate from empty and seed the demo (procedure + users) once; tests get copies."""
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(instance / "uploads"),
            "DOCUMENT_DIR": str(instance / "documents"),
            "DEMO_PASSWORD": DEMO_PASSWORD,
        }
    )
    with app.app_context():
        upgrade()
    # Seeding hashes nine demo passwords and deploys the procedure (about 1.5 s): done once
    # here rather than in every test.
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()  # PostgreSQL refuses to clone a database with open connections


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once per session."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    _migrate(f"sqlite:///{path}", path.parent)
    return path


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database migrated and seeded once per session (per test worker)."""
    assert PG_URL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"cf_template_{_worker()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    _migrate(url, tmp_path_factory.mktemp("pg"))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_database(pg_template: str) -> Iterator[PgTestDatabase]:
    """The worker's PostgreSQL test database, put back to the seeded state after each test."""
    assert PG_URL
    database = PgTestDatabase(PG_URL, pg_template)
    yield database
    database.drop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database in the migrated, seeded state for one test: a copy of the SQLite template,
    or the worker's PostgreSQL database, reset after the test."""
    if request.param == "sqlite":
        path = tmp_path / "app.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    database: PgTestDatabase = request.getfixturevalue("pg_database")
    yield database.url_for_test()
    database.reset()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The application on its own copy of the seeded database (default procedure, demo users)."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "DOCUMENT_DIR": str(tmp_path / "documents"),
            "DEMO_PASSWORD": DEMO_PASSWORD,
        }
    )
    app.jinja_env.bytecode_cache = SHARED_TEMPLATES
    with app.app_context():
        _share_compiled_sql(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    """For service tests: an application context around the test."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (CSRF stays on)."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner."""
    return app.test_cli_runner()


# The SMTP server and SMS gateway fixtures (smtp_server, sms_gateway) for delivery tests.
from tests.servers import sms_gateway, smtp_server  # noqa: E402, F401
