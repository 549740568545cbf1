"""One command for production: the configuration check, and the whole stack started by the
console script complaintflow-production (gunicorn, a Celery worker and beat) against PostgreSQL
and Redis, from a folder outside the checkout as from an installed package."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.production import problems
from tests.app.helpers import flask_command
from tests.servers import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
STACK = Path(sys.executable).parent / "complaintflow-production"  # [project.scripts]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
PG_URL = os.environ.get("TEST_DATABASE_URL")
SECRET = "s" * 48

READY = {
    "SECRET_KEY": SECRET,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app@db.example:5432/complaints",
    "CELERY_BROKER_URL": f"{REDIS_URL}/12",
    "RATELIMIT_STORAGE_URI": f"{REDIS_URL}/11",
    "MAIL_SERVER": "smtp.example",
    "PUBLIC_BASE_URL": "https://complaints.example",
}


def test_a_ready_configuration_has_no_problem() -> None:
    assert problems(READY, reach_database=False) == []
    ready = {**READY, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:600000"}
    assert problems(ready, reach_database=False) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.sqlite"}, "DATABASE_URL is sqlite"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL is not set"),
        ({"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}, "cannot be reached"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI is memory://"),
        ({"MAIL_SERVER": ""}, "MAIL_SERVER is not set"),
        ({"PUBLIC_BASE_URL": "http://localhost:5000"}, "PUBLIC_BASE_URL is not set"),
        ({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, "too cheap for production"),
    ],
)
def test_each_problem_is_named(change: dict, named: str) -> None:
    found = problems({**READY, **change}, reach_database=False)
    assert len(found) == 1 and named in found[0], found


def test_a_broker_that_cannot_be_reached_is_named_without_its_password() -> None:
    broker = "redis://:s3cret@127.0.0.1:1/0"
    found = problems({**READY, "CELERY_BROKER_URL": broker}, reach_database=False)
    assert len(found) == 1, found
    assert found[0].startswith("CELERY_BROKER_URL redis://:**@127.0.0.1:1/0 cannot be reached: ")
    assert "s3cret" not in found[0]


def test_a_database_that_cannot_be_reached_is_named_without_its_password() -> None:
    url = "postgresql+psycopg://app:s3cret@127.0.0.1:1/complaints"
    found = problems({**READY, "SQLALCHEMY_DATABASE_URI": url})
    assert len(found) == 1, found
    assert found[0].startswith(
        "DATABASE_URL postgresql+psycopg://app:***@127.0.0.1:1/complaints cannot be reached: "
    )
    assert "s3cret" not in found[0]


def test_a_missing_database_is_named_before_anything_starts() -> None:
    if not PG_URL:
        pytest.skip("needs a PostgreSQL server: set TEST_DATABASE_URL")
    reachable = {**READY, "SQLALCHEMY_DATABASE_URI": PG_URL}
    assert problems(reachable) == []
    missing = make_url(PG_URL).set(database=f"cf_missing_{uuid.uuid4().hex[:8]}")
    url = missing.render_as_string(hide_password=False)
    found = problems({**READY, "SQLALCHEMY_DATABASE_URI": url})
    assert len(found) == 1 and f'database "{missing.database}" does not exist' in found[0]


def test_the_check_refuses_to_start_with_what_to_fix(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": ""}
    env.pop("CELERY_BROKER_URL", None)
    result = flask_command("check-config", env=env)
    assert result.returncode == 1
    assert "SECRET_KEY must be set" in result.stderr
    assert "CELERY_BROKER_URL is not set" in result.stderr


def test_the_check_names_memory_counters_among_the_rest_with_several_workers(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": ""}
    env.pop("CELERY_BROKER_URL", None)
    env.pop("RATELIMIT_STORAGE_URI", None)
    result = flask_command("check-config", env={**env, "WEB_CONCURRENCY": "2"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert "config: SECRET_KEY must be set" in result.stderr
    assert "config: RATELIMIT_STORAGE_URI is memory://" in result.stderr


def test_the_stack_starts_nothing_when_the_check_fails(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": ""}
    for name in ("CELERY_BROKER_URL", "RATELIMIT_STORAGE_URI", "WEB_CONCURRENCY"):
        env.pop(name, None)
    assert STACK.is_file(), "the console script is missing: make setup installs it"
    result = subprocess.run(  # noqa: S603 - our own console script
        [str(STACK)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "config: SECRET_KEY must be set" in result.stderr
    # Its two web workers by default: counters in memory would be per worker.
    assert "config: RATELIMIT_STORAGE_URI is memory://" in result.stderr
    assert not (tmp_path / "x.sqlite").exists()  # init-db did not run
    assert not (tmp_path / "instance").exists()  # nor beat, which keeps its schedule there


# Children of the stack's supervisor, as tests: each writes its pid, then sleeps.
SLEEPER = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep({})"
SUPERVISOR = (
    "import json, os, sys; from app.production_stack import run_together; "
    "sys.exit(run_together(json.loads(sys.argv[1]), os.environ))"
)


def _supervise(tmp_path: Path, sleeps: list[float]) -> tuple[subprocess.Popen, list[int]]:
    """run_together over sleepers, once every one of them has started."""
    argvs = [
        [sys.executable, "-c", SLEEPER.format(seconds), str(tmp_path / f"child{number}")]
        for number, seconds in enumerate(sleeps)
    ]
    supervisor = subprocess.Popen(  # noqa: S603 - our own function, fixed arguments
        [sys.executable, "-c", SUPERVISOR, json.dumps(argvs)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    files = [tmp_path / f"child{number}" for number in range(len(sleeps))]
    try:
        while not all(file.exists() and file.read_text() for file in files):
            assert time.monotonic() < deadline and supervisor.poll() is None, "not started"
            time.sleep(0.05)
    except BaseException:
        supervisor.kill()
        supervisor.communicate()
        raise
    return supervisor, [int(file.read_text()) for file in files]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_term_or_ctrl_c_stops_every_process_of_the_stack(tmp_path: Path, stop: int) -> None:
    supervisor, pids = _supervise(tmp_path, [60, 60, 60])
    supervisor.send_signal(stop)
    _, stderr = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0, stderr
    assert all(_gone(pid) for pid in pids)


def test_one_process_ending_stops_the_others_and_the_stack_fails(tmp_path: Path) -> None:
    supervisor, pids = _supervise(tmp_path, [60, 3, 60])
    _, stderr = supervisor.communicate(timeout=30)  # not the 60 s of the others
    assert supervisor.returncode == 1, stderr
    assert "complaintflow-production: a process stopped; stopping the others" in stderr
    assert all(_gone(pid) for pid in pids)


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("the production stack runs on PostgreSQL: set TEST_DATABASE_URL")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"cf_prod_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as failing:  # 503 while a heartbeat is still missing
        return json.loads(failing.read())
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(entry.partition("=")[::2] for entry in raw.split("\0") if entry)


def _command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_one_command_starts_web_worker_and_scheduler(
    empty_postgres: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    port = free_port()
    log = (tmp_path / "stack.log").open("w")
    env = {
        **os.environ,
        "DATABASE_URL": empty_postgres,
        "SECRET_KEY": SECRET,
        "CELERY_BROKER_URL": f"{REDIS_URL}/12",
        "CELERY_QUEUE": f"cf-prod-{uuid.uuid4().hex}",
        "CELERY_BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
        "RATELIMIT_STORAGE_URI": f"{REDIS_URL}/11",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
        "BIND": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CELERY_CONCURRENCY": "1",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "DOCUMENT_DIR": str(tmp_path / "documents"),
        "PASSWORD_HASH_METHOD": "scrypt",  # production's; the tests' cheap one is refused
        "PRINT_IN_CHILD": "1",
    }
    for default in (
        "WEB_CONCURRENCY",
        *(name for name in os.environ if name.startswith("MALLOC_")),
    ):
        env.pop(default, None)
    stack = subprocess.Popen(  # noqa: S603 - our own console script
        [str(STACK)],
        cwd=tmp_path,  # nothing of the checkout is needed beside the package
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and stack.poll() is None:
            health = _health(port)
            if health and health.get("status") == "ok":
                break
            time.sleep(0.5)
        assert health and health.get("status") == "ok", (
            health,
            stack.poll(),
            (tmp_path / "stack.log").read_text()[-3000:],
        )
        # The timer and delivery heartbeats come from the Celery tasks beat scheduled.
        assert health["checks"]["timers"]["ok"] and health["checks"]["delivery"]["ok"], health
        # gunicorn, the worker and beat, each started with the stack's defaults.
        children = _children(stack.pid)
        assert len(children) == 3, children
        for pid in children:
            environ = _environ(pid)
            assert environ["WEB_CONCURRENCY"] == "2" and environ["MALLOC_ARENA_MAX"] == "2"
            assert environ["MALLOC_TRIM_THRESHOLD_"] == "131072"
        assert "python:app.gunicorn_conf" in _command_line(children[0])
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            raise
    log.close()
    assert stack.returncode == 0, (tmp_path / "stack.log").read_text()[-3000:]
