"""The backstop under the guards: while diagram code runs in a single-threaded worker, the
process's CPU and address-space limits are lowered, so what no guard catches ends the process
(SIGXCPU, with its Python traceback) or fails an allocation (the step's limit error).

Process limits belong to the whole process: each test runs its own child interpreter."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.servers import free_port

REPO = Path(__file__).resolve().parent.parent.parent

# Builds two equal structures of 2**60 references in 61 tuples each: comparing them walks
# them all, in C, without a tick.
SHARED_TWICE = "a = ()\nb = ()\nfor i in range(60):\n    a = (a, a)\n    b = (b, b)\nsame = a == b"


def run_child(script: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """Run `script` in a child interpreter; its result and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(  # noqa: S603 - our interpreter, the test's own fixed script
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return done, cpu


@pytest.mark.parametrize(
    ("call", "where"),
    [
        # int() of a Decimal is guarded; the helper stands for a C call no guard knows.
        (
            "env.evaluate(\"unguarded_int(Decimal('1e99999999'))\", {}, {'unguarded_int': int})",
            "evaluate",
        ),
        (f"env.execute({SHARED_TWICE!r}, {{}})", "execute"),
    ],
)
def test_a_runaway_c_call_ends_its_process_with_the_traceback(call: str, where: str) -> None:
    done, cpu = run_child(
        f"""
        from services.engine import limits
        from services.engine.sandbox import RestrictedEnvironment

        import resource

        assert limits.enable_backstop(seconds=1)
        assert resource.getrlimit(resource.RLIMIT_CORE)[0] == 0  # no core file of the worker
        env = RestrictedEnvironment()
        {call}
        print("still alive")
        """
    )
    assert done.returncode == -signal.SIGXCPU, done.stderr[-2000:]
    assert "still alive" not in done.stdout
    # Importing the application took about a second; the limit was one more, rounded up.
    assert cpu < 5
    # faulthandler's dump: the Python frames the C call was made from.
    assert "most recent call first" in done.stderr
    assert 'services/engine/sandbox.py", line' in done.stderr
    assert f"in {where}" in done.stderr


def test_an_evaluation_lowers_the_limits_and_puts_them_back() -> None:
    done, _ = run_child(
        """
        import json, resource, threading, time
        from services.engine import limits
        from services.engine.sandbox import RestrictedEnvironment

        def now():
            return [list(resource.getrlimit(resource.RLIMIT_CPU)),
                    list(resource.getrlimit(resource.RLIMIT_AS))]

        env = RestrictedEnvironment(memory_limit=64 * 2**20)
        seen = {"before": now(), "space": limits._statm_field(0), "used": time.process_time()}
        assert limits.enable_backstop(seconds=3)

        def inner():
            seen["inner"] = now()
            return env.evaluate("len([1, 2])", {})  # nested: keeps the outer limits

        def outer():
            seen["outer"] = now()
            return env.evaluate("inner()", {}, {"inner": inner}) == 2

        assert env.evaluate("outer()", {}, {"outer": outer}) is True
        seen["after"] = now()
        # Operators on task data only: bounded by the guards, no limits to lower.
        class Spy:
            def __eq__(self, other):
                seen["operators"] = now()
                return True

        assert env.evaluate("route == 'major'", {"route": Spy()}) is True
        env.execute("x = spy()", context := {"spy": now})
        seen["script"] = context["x"]
        env.execute("y = 1", context := {})
        seen["plain"] = now()
        # Another thread shares the process's limits: they are left alone.
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        env.execute("x = spy()", context := {"spy": now})
        seen["threaded"] = context["x"]
        stop.set()
        thread.join()
        # A script that fails: put back all the same.
        try:
            env.execute("x = spy()\\ny = 1 / 0", {"spy": now})
        except ZeroDivisionError:
            pass
        seen["failed"] = now()
        print(json.dumps(seen))
        """
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    before = seen["before"]
    infinity = -1  # resource.RLIM_INFINITY
    assert before[0][0] == infinity and before[1][0] == infinity  # the machine's own limits
    cpu, space = seen["outer"]
    assert cpu == [int(seen["used"]) + 1 + 3, before[0][1]]  # the hard limits are untouched
    assert space[1] == before[1][1]
    # The address space then, plus the 64 MB budget (the modules imported since add a little).
    assert seen["space"] + 64 * 2**20 <= space[0] < seen["space"] + 128 * 2**20
    assert seen["inner"] == seen["outer"]
    assert seen["script"][0][0] != infinity  # a script that calls is bounded the same way
    for moment in ("after", "operators", "plain", "threaded", "failed"):
        assert seen[moment] == before, moment


def test_an_allocation_past_the_budget_is_the_step_limit_error() -> None:
    # One C call of 36 MB, no tick between: the time budget never looks; the address space
    # refuses it.
    done, _ = run_child(
        """
        from services import engine
        from services.engine import limits

        assert limits.enable_backstop()
        env = engine.RestrictedEnvironment(memory_limit=16 * 2**20)
        context = {"kept": 1}
        try:
            env.execute("kept = 2\\nbig = list(range(999999))\\nmore = big[:]", context)
        except engine.EvaluationLimitExceeded as exc:
            print(exc.message)
        print(context)
        data = {}
        env.execute("big = len(list(range(99999)))", data)  # within the budget, measured afresh
        print(data)
        """
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "Diagram code was stopped: it used more than 16 MB of memory.",
        "{'kept': 1}",
        "{'big': 99999}",
    ]


def test_without_the_backstop_limits_are_never_touched() -> None:
    done, _ = run_child(
        """
        import resource
        from services.engine.sandbox import RestrictedEnvironment

        def spy():
            return resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_AS)

        before = spy()
        assert RestrictedEnvironment().evaluate("spy()", {}, {"spy": spy}) == before
        print("ok")
        """
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


APP_WITH_A_DIAGRAM_PROBE = '''
"""The application, plus a page that evaluates the diagram code it is given (this test only)."""
import os

from flask import request

from app import create_app
from services.engine import sandbox


def probe_app():
    app = create_app()

    @app.get("/probe")
    def probe():
        value = sandbox.SCRIPT_ENGINE.environment.evaluate(
            request.args["code"], {}, {"unguarded_int": int}
        )
        return {"pid": os.getpid(), "value": str(value)}

    return app
'''


def test_gunicorn_replaces_a_worker_the_backstop_ended(tmp_path: Path) -> None:
    (tmp_path / "probe_app.py").write_text(APP_WITH_A_DIAGRAM_PROBE)
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite'}",
        "SECRET_KEY": "x" * 40,
        "BACKSTOP_CPU_SECONDS": "1",  # production's 5 s would be CPU the suite waits for
    }
    server = subprocess.Popen(  # noqa: S603 - our gunicorn, the production configuration
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "python:app.gunicorn_conf",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "probe_app:probe_app()",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def get(code: str) -> dict:
        url = f"http://127.0.0.1:{port}/probe?" + urllib.parse.urlencode({"code": code})
        with urllib.request.urlopen(url, timeout=180) as response:  # noqa: S310 - local
            return json.load(response)

    try:
        first = None
        deadline = time.monotonic() + 180  # the master imports the app first: a busy machine
        while first is None and time.monotonic() < deadline:
            try:
                first = get("1 + 1")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert first and first["value"] == "2", (tmp_path / "gunicorn.log").read_text()
        started = time.monotonic()
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            get("unguarded_int(Decimal('1e99999999'))")
        # An error, not a hang: 1 s of CPU, then the connection closes (longer on a busy
        # machine; without the backstop, hours).
        assert time.monotonic() - started < 150
        after = get("2 + 2")  # served by the worker the master started instead
        assert after["value"] == "4" and after["pid"] != first["pid"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    text = (tmp_path / "gunicorn.log").read_text()
    assert f"Worker (pid:{first['pid']}) was sent SIGXCPU!" in text, text[-3000:]
    assert "most recent call first" in text


WORKER_WITH_A_DIAGRAM_PROBE = '''
"""The Celery worker, plus a task that evaluates the diagram code it is given (this test only)."""
import os

from app.worker import celery
from services.engine import sandbox


@celery.task(name="probe.evaluate", acks_late=False)  # not sent again once its process died
def evaluate(code):
    value = sandbox.SCRIPT_ENGINE.environment.evaluate(code, {}, {"unguarded_int": int})
    return {"pid": os.getpid(), "value": str(value)}
'''


def test_the_celery_pool_replaces_a_process_the_backstop_ended(tmp_path: Path) -> None:
    from celery import Celery
    from celery.exceptions import WorkerLostError

    (tmp_path / "probe_worker.py").write_text(WORKER_WITH_A_DIAGRAM_PROBE)
    redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
    queue = f"cf-backstop-{uuid.uuid4().hex}"
    log = (tmp_path / "worker.log").open("w")
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite'}",
        "SECRET_KEY": "x" * 40,
        "BACKSTOP_CPU_SECONDS": "1",  # production's 5 s would be CPU the suite waits for
        "CELERY_BROKER_URL": f"{redis}/12",
        "CELERY_RESULT_BACKEND": f"{redis}/12",
        "CELERY_QUEUE": queue,
    }
    worker = subprocess.Popen(  # noqa: S603 - our Celery, as complaintflow-production starts it
        [
            str(Path(sys.executable).parent / "celery"),
            *("-A", "probe_worker", "worker", "--concurrency", "1", "--queues", queue),
            *("--loglevel", "INFO"),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = Celery(broker=f"{redis}/12", backend=f"{redis}/12")

    def evaluate(code: str) -> dict:
        # Long enough for the worker to start on a busy machine; without the backstop, hours.
        return client.send_task("probe.evaluate", args=[code], queue=queue).get(timeout=180)

    try:
        first = evaluate("1 + 1")
        assert first["value"] == "2"
        with pytest.raises(WorkerLostError) as lost:
            evaluate("unguarded_int(Decimal('1e99999999'))")
        assert "SIGXCPU" in str(lost.value)
        after = evaluate("2 + 2")  # by the process the pool started instead
        assert after["value"] == "4" and after["pid"] != first["pid"]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()
    text = (tmp_path / "worker.log").read_text()
    assert f"pid:{first['pid']} exited with 'signal 24 (SIGXCPU)'" in text, text[-3000:]
    assert "most recent call first" in text
