"""Every benchmark answers --help at once: it prints its usage and runs nothing (no database,
no server, no temporary folder)."""

from __future__ import annotations

import json
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


# One interpreter asks every benchmark for --help in turn (runpy, as `python X.py` runs it):
# a child each spent 1.5 s importing the same modules, 20 s of the suite for 14 scripts.
ASK_EACH = """
import contextlib, io, json, runpy, sys
answers = {}
for script in sys.argv[1:]:
    sys.argv = [f"{script}.py", "--help"]
    out, err = io.StringIO(), io.StringIO()
    code = "returned without exiting"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(f"benchmarks/{script}.py", run_name="__main__")
    except SystemExit as exc:
        code = exc.code or 0
    answers[script] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    """Each benchmark's exit status, output and errors for --help, and the temporary folder
    they shared (it must stay empty)."""
    tmp_path = tmp_path_factory.mktemp("benchmarks-help")
    result = subprocess.run(  # noqa: S603 - our own scripts
        [sys.executable, "-c", ASK_EACH, *SCRIPTS],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return {**json.loads(result.stdout), "left behind": [str(p) for p in tmp_path.iterdir()]}


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_answers_help_without_running(script: str, answers: dict) -> None:
    code, stdout, stderr = answers[script]
    assert code == 0, stderr
    assert stdout.startswith(f"usage: {script}.py"), stdout[:200]
    # Each documents how to run it in its docstring, which --help prints.
    assert f"benchmarks/{script}.py" in stdout
    assert answers["left behind"] == [], "a temporary file or folder was left behind"
