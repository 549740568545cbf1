"""Run a short Python script in a fresh interpreter of this environment, for what only a new
process shows (which modules an entry point imports, settings read from the environment)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def last_line(script: str, env: Mapping[str, str] | None = None) -> str:
    """The last line the script prints (it must succeed; its error output is shown if not)."""
    done = subprocess.run(  # noqa: S603 - our interpreter, the test's own fixed script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=None if env is None else dict(env),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]
