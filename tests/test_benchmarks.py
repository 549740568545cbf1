"""Every benchmark answers --help at once: it prints its usage and runs nothing (no database,
no server, no temporary folder)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(
    path.stem
    for path in (ROOT / "benchmarks").glob("*.py")
    if path.stem not in ("__init__", "scratch", "load_users")  # helpers, not benchmarks
)


def test_every_benchmark_is_listed() -> None:
    assert {"http_completions", "inbox", "load", "memory", "instructions"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_answers_help_without_running(script: str, tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), "--help"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {script}.py"), result.stdout[:200]
    # Each documents how to run it in its docstring, which --help prints.
    assert f"benchmarks/{script}.py" in result.stdout
    assert list(tmp_path.iterdir()) == [], "a temporary file or folder was left behind"
