"""bpmnlint's recommended rules on a BPMN diagram, run offline under Node.

bpmnlint is the linter of bpmn.io (the browser editor's family): it catches modelling
mistakes the engine accepts, such as disconnected elements, implicit splits, missing labels.
It runs as one bundled file, vendor/bpmnlint.cjs beside this module (`make setup` builds it
from tools/bpmnlint.mjs and node_modules), which needs Node and nothing else: the wheel
carries it, so an installed package lints as a checkout does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

from forms.text import N_, Text
from services.engine import Problem

SCRIPT = Path(__file__).resolve().parent / "vendor" / "bpmnlint.cjs"
TIMEOUT_SECONDS = 30
RULE_UNAVAILABLE = "bpmnlint-unavailable"

# Diagrams are linted on every validation; the same text gives the same findings.
_CACHE: dict[str, list[Problem]] = {}
_CACHE_SIZE = 64


def run(xml: str | bytes, file: str = "") -> list[Problem]:
    """Lint one BPMN document; each finding names the element id bpmnlint reports.

    bpmnlint "error" findings come back with severity "error", "warn" ones as "warning".
    When Node.js or the bundle is missing, or the linter fails, the result is one
    warning saying so (rule "bpmnlint-unavailable"): our own checks still run.
    """
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    key = hashlib.sha256(data).hexdigest()
    if key in _CACHE:
        return [_in_file(p, file) for p in _CACHE[key]]
    node = shutil.which("node")
    if node is None:
        return [_unavailable(file, N_("Node.js is not installed"))]
    if not SCRIPT.is_file():
        return [_unavailable(file, N_("its bundle is missing (run `make setup`)"))]
    try:
        completed = subprocess.run(  # noqa: S603 - fixed script, the diagram goes on stdin
            [node, str(SCRIPT)],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            cwd=SCRIPT.parent,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [
            _unavailable(file, N_("it took longer than %(seconds)s s", seconds=TIMEOUT_SECONDS))
        ]
    if completed.returncode != 0:
        why = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        status = N_("exit status %(status)s", status=completed.returncode)
        return [_unavailable(file, why[-1] if why else status)]
    try:
        reports = json.loads(completed.stdout)
    except ValueError:
        return [_unavailable(file, N_("its output was not JSON"))]
    problems = [_problem(report) for report in reports]
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = problems
    return [_in_file(p, file) for p in problems]


# bpmnlint speaks English only: its recommended rules' messages (11.x), for the catalogue, so
# the process owner reads them in their language. A message not listed stays in English.
MESSAGES: dict[str, Text] = {
    text: text
    for text in (
        N_("A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional"),
        N_("A <Start Event> is not allowed in <Ad Hoc Sub Process>"),
        N_("An <End Event> is not allowed in <Ad Hoc Sub Process>"),
        N_("An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>"),
        N_("Conditional event is missing a condition"),
        N_("Duplicate incoming sequence flows"),
        N_("Duplicate outgoing sequence flows"),
        N_("Element is an implicit end"),
        N_("Element is an implicit start"),
        N_("Element is missing bpmndi"),
        N_("Element is missing label/name"),
        N_("Element is missing name"),
        N_("Element is not connected"),
        N_("Element is outside of parent boundary"),
        N_("Element is unused"),
        N_("Element name is not unique"),
        N_("Element overlaps with other element"),
        N_("Event has multiple event definitions"),
        N_("Flow splits implicitly"),
        N_("Gateway forks and joins"),
        N_("Gateway is superfluous. It only has one source and target."),
        N_("Incoming flows do not join"),
        N_("Link event is missing link name"),
        N_("Process has multiple blank start events"),
        N_("Process is missing end event"),
        N_("Process is missing start event"),
        N_("Sequence flow has superfluous label"),
        N_("Sequence flow is missing condition"),
        N_("SequenceFlow is a duplicate"),
        N_("Start event is missing event definition"),
        N_("Start event must be blank"),
        N_("Sub process has multiple blank start events"),
        N_("Sub process is missing end event"),
        N_("Sub process is missing start event"),
        N_("Termination is superfluous."),
    )
}
_PATTERNS = (
    (
        r"Element type <(?P<type>[^>]*)> is discouraged",
        N_("Element type <%(type)s> is discouraged"),
    ),
    (
        r"Link catch event with link name <(?P<name>[^>]*)> missing in scope",
        N_("Link catch event with link name <%(name)s> missing in scope"),
    ),
    (
        r"Link throw event with link name <(?P<name>[^>]*)> missing in scope",
        N_("Link throw event with link name <%(name)s> missing in scope"),
    ),
    (
        r"Duplicate link catch event with link name <(?P<name>[^>]*)> in scope",
        N_("Duplicate link catch event with link name <%(name)s> in scope"),
    ),
    (r"unreadable BPMN: (?P<detail>.*)", N_("unreadable BPMN: %(detail)s")),
)


def message_of(english: str) -> str:
    """bpmnlint's message as a catalogue text when it is one of the known ones."""
    known = MESSAGES.get(english)
    if known is not None:
        return known
    for pattern, text in _PATTERNS:
        found = re.fullmatch(pattern, english, re.DOTALL)
        if found:
            return Text(text.msgid, found.groupdict())
    return english


def _problem(report: dict[str, str]) -> Problem:
    element_id = report.get("id") or ""
    rule = report.get("rule") or ""
    severity = "warning" if report.get("category") == "warn" else "error"
    message = N_(
        "%(message)s (bpmnlint: %(rule)s)",
        message=message_of(report.get("message", "")),
        rule=rule,
    )
    return Problem("", element_id, message, element_id, severity, rule)


def _in_file(problem: Problem, file: str) -> Problem:
    return dataclasses.replace(problem, file=file)


def _unavailable(file: str, why: str) -> Problem:
    message = N_("bpmnlint could not check this diagram: %(why)s", why=why)
    return Problem(file, "", message, "", "warning", RULE_UNAVAILABLE)
