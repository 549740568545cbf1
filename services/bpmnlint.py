"""bpmnlint's recommended rules on a BPMN diagram, run offline by tools/bpmnlint.mjs under Node.

bpmnlint is the linter of bpmn.io (the browser editor's family): it catches modelling
mistakes the engine accepts, such as disconnected elements, implicit splits, missing labels.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from services.engine import Problem

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "tools" / "bpmnlint.mjs"
NODE_MODULES = REPO_ROOT / "node_modules" / "bpmnlint"
TIMEOUT_SECONDS = 30
RULE_UNAVAILABLE = "bpmnlint-unavailable"

# Diagrams are linted on every validation; the same text gives the same findings.
_CACHE: dict[str, list[Problem]] = {}
_CACHE_SIZE = 64


def run(xml: str | bytes, file: str = "") -> list[Problem]:
    """Lint one BPMN document; each finding names the element id bpmnlint reports.

    bpmnlint "error" findings come back with severity "error", "warn" ones as "warning".
    When Node.js or node_modules is missing, or the linter fails, the result is one
    warning saying so (rule "bpmnlint-unavailable"): our own checks still run.
    """
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    key = hashlib.sha256(data).hexdigest()
    if key in _CACHE:
        return [_in_file(p, file) for p in _CACHE[key]]
    node = shutil.which("node")
    if node is None:
        return [_unavailable(file, "Node.js is not installed (run `make setup`)")]
    if not NODE_MODULES.is_dir():
        return [_unavailable(file, "node_modules is missing (run `make setup`, i.e. `npm ci`)")]
    try:
        completed = subprocess.run(  # noqa: S603 - fixed script, the diagram goes on stdin
            [node, str(SCRIPT)],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            cwd=REPO_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [_unavailable(file, f"it took longer than {TIMEOUT_SECONDS} s")]
    if completed.returncode != 0:
        why = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        return [_unavailable(file, why[-1] if why else f"exit status {completed.returncode}")]
    try:
        reports = json.loads(completed.stdout)
    except ValueError:
        return [_unavailable(file, "its output was not JSON")]
    problems = [_problem(report) for report in reports]
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = problems
    return [_in_file(p, file) for p in problems]


def _problem(report: dict[str, str]) -> Problem:
    element_id = report.get("id") or ""
    rule = report.get("rule") or ""
    severity = "warning" if report.get("category") == "warn" else "error"
    message = f"{report.get('message', '')} (bpmnlint: {rule})"
    return Problem("", element_id, message, element_id, severity, rule)


def _in_file(problem: Problem, file: str) -> Problem:
    return dataclasses.replace(problem, file=file)


def _unavailable(file: str, why: str) -> Problem:
    message = f"bpmnlint could not check this diagram: {why}"
    return Problem(file, "", message, "", "warning", RULE_UNAVAILABLE)
