"""`complaintflow-production` (`make production`): the whole stack on one machine, in the
foreground, from an installed package as from a checkout.

  1. `flask check-config` (SECRET_KEY, DATABASE_URL on PostgreSQL and reachable,
     CELERY_BROKER_URL reachable, RATELIMIT_STORAGE_URI shared): each problem is named and
     nothing starts;
  2. `flask init-db` (migrations) and `flask deploy-processes` (processes/ as the active
     version when it changed);
  3. gunicorn (WEB_CONCURRENCY sync workers on BIND, the settings of app/gunicorn_conf.py), a
     Celery worker (CELERY_CONCURRENCY processes on CELERY_QUEUE) and Celery beat (the schedule
     of app/background.py, its state in CELERY_BEAT_SCHEDULE).

TERM or Ctrl+C stops them all (exit 0); if one of them dies the others are stopped too (a
process supervisor or the container platform restarts the whole) and the exit status is 1.
flask, gunicorn and celery are the ones installed beside this interpreter (the venv's bin).
"""

from __future__ import annotations

import importlib.util
import os
import select
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

NAME = "complaintflow-production"

# glibc's allocator, read when a process starts (so set for the children): one arena per
# process is enough for sync workers and pool processes, and freed memory above 128 KiB goes
# back to the system instead of staying in the heap after the largest request a worker served
# (its resident memory then tracks what it holds now).
DEFAULTS = {
    "WEB_CONCURRENCY": "2",  # the app reads it too: several workers need shared rate limits
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": "131072",
    "MALLOC_TRIM_THRESHOLD_": "131072",
}


def environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The children's environment: `environ`, with the defaults above where one is unset or
    empty."""
    return {**environ, **{key: environ.get(key) or value for key, value in DEFAULTS.items()}}


def _command(name: str) -> list[str]:
    """A console script of this environment: beside the interpreter (a venv's bin), else run as
    a module of this interpreter (an install whose scripts went elsewhere)."""
    script = Path(sys.executable).parent / name
    return [str(script)] if script.is_file() else [sys.executable, "-m", name]


def commands(env: Mapping[str, str]) -> list[list[str]]:
    """gunicorn, the Celery worker and Celery beat, as started side by side."""
    return [
        [
            *_command("gunicorn"),
            *("--config", "python:app.gunicorn_conf"),
            *("--workers", env["WEB_CONCURRENCY"]),
            *("--bind", env.get("BIND") or "127.0.0.1:8000"),
            *("--timeout", env.get("GUNICORN_TIMEOUT") or "60"),
            *("--access-logfile", "-"),
            "app:create_app()",
        ],
        [
            *_command("celery"),
            *("-A", "app.worker", "worker"),
            *("--concurrency", env.get("CELERY_CONCURRENCY") or "2"),
            *("--queues", env.get("CELERY_QUEUE") or "complaintflow"),
            *("--loglevel", "INFO"),
        ],
        [
            *_command("celery"),
            *("-A", "app.beat", "beat"),
            *("--schedule", _beat_schedule(env)),
            *("--loglevel", "INFO"),
        ],
    ]


def _beat_schedule(env: Mapping[str, str]) -> str:
    return env.get("CELERY_BEAT_SCHEDULE") or str(Path("instance") / "celerybeat-schedule")


def run_together(argvs: Sequence[Sequence[str]], env: Mapping[str, str]) -> int:
    """Start each command and wait: TERM or INT stops them all (0); when one ends, the others
    are stopped (1). SIGCHLD, TERM and INT reach the loop through a wakeup pipe, so a signal
    that comes between two looks at the children is never missed."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    previous = {
        sig: signal.getsignal(sig) for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT)
    }
    for sig in previous:
        signal.signal(sig, lambda *_: None)  # the wakeup pipe carries it
    old_wakeup = signal.set_wakeup_fd(wake_write)
    children: list[subprocess.Popen] = []
    try:
        for argv in argvs:
            children.append(subprocess.Popen(list(argv), env=dict(env)))  # noqa: S603 - ours
        while True:
            if any(child.poll() is not None for child in children):
                print(f"{NAME}: a process stopped; stopping the others", file=sys.stderr)
                status = 1
                break
            select.select([wake_read], [], [])
            received = os.read(wake_read, 512)  # one byte per signal: its number
            if signal.SIGTERM in received or signal.SIGINT in received:
                status = 0
                break
    finally:
        # A second TERM or Ctrl+C while the children stop acts at once, as it would anywhere.
        signal.set_wakeup_fd(old_wakeup)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, previous[sig])
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            child.wait()
        signal.signal(signal.SIGCHLD, previous[signal.SIGCHLD])
        os.close(wake_read)
        os.close(wake_write)
    return status


def main() -> int:
    """The console script: the checks and set-up steps in turn, then the stack."""
    if importlib.util.find_spec("gunicorn") is None:
        print(
            f"{NAME}: gunicorn is not installed: pip install 'complaintflow[prod]'",
            file=sys.stderr,
        )
        return 1
    env = environment(os.environ)
    flask = [*_command("flask"), "--app", "app"]
    try:
        for step in ("check-config", "init-db", "deploy-processes"):
            if subprocess.run([*flask, step], env=env).returncode != 0:  # noqa: S603 - ours
                return 1
    except KeyboardInterrupt:  # Ctrl+C before the stack started: no traceback
        return 130
    Path(_beat_schedule(env)).parent.mkdir(parents=True, exist_ok=True)
    return run_together(commands(env), env)


if __name__ == "__main__":
    sys.exit(main())
