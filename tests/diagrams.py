"""Variants of the shipped procedure, made by string edits of processes/, for version tests.

Each helper returns the text of an edited file; deploy_variant() deploys it next to the
unchanged others. Call inside an application context.
"""

from __future__ import annotations

import re

from app.config import REPO_ROOT
from forms import FORMS
from services import processes
from services.db import db
from services.models import ProcessVersion, User

PROCESSES = REPO_ROOT / "processes"
BPMN_FILE = "complaint_handling.bpmn"
DMN_FILE = "complaint_routing.dmn"


def files() -> dict[str, bytes]:
    """The shipped BPMN and DMN files."""
    return processes.read_directory(PROCESSES)


def bpmn() -> str:
    """The shipped BPMN text."""
    return (PROCESSES / BPMN_FILE).read_text()


def dmn() -> str:
    """The shipped DMN text."""
    return (PROCESSES / DMN_FILE).read_text()


def edited(text: str, old: str, new: str, count: int = 1) -> str:
    """`text` with `old` replaced by `new`; fails if `old` is not there."""
    assert old in text, f"{old!r} not found"
    return text.replace(old, new, count)


def variant(bpmn_text: str | None = None, dmn_text: str | None = None) -> dict[str, bytes]:
    """The shipped files with the BPMN and/or DMN replaced."""
    result = files()
    if bpmn_text is not None:
        result[BPMN_FILE] = bpmn_text.encode()
    if dmn_text is not None:
        result[DMN_FILE] = dmn_text.encode()
    return result


def deploy_variant(
    bpmn_text: str | None = None,
    dmn_text: str | None = None,
    *,
    actor: User | None = None,
    comment: str = "variant",
) -> ProcessVersion:
    """Deploy the variant as the new active version and commit."""
    result = processes.deploy(variant(bpmn_text, dmn_text), FORMS, actor=actor, comment=comment)
    db.session.commit()
    assert result.created
    return result.version


MINOR_TIMER = 'target("resolve_minor")'
MINOR_CLOCK = '<spiffworkflow:property name="clock" value="resolve_minor" />'


def minor_sla_shortened() -> str:
    """The minor case's overdue-review timer becomes a plain 4 days (a timer on a later task;
    the resolve_minor clock, which sets the task's due time, is unchanged)."""
    return edited(bpmn(), MINOR_TIMER, '"P4D"')


def minor_sla_literal(duration: str) -> str:
    """The minor case without its clock, watched by a plain timer (`'"P5D"'`), as before
    service-level clocks: the timer sets the resolve_minor task's due time."""
    return edited(edited(bpmn(), MINOR_TIMER, duration), MINOR_CLOCK, "")


def routing_threshold(amount: str) -> str:
    """The routing table with the financial-impact threshold 1000 replaced."""
    return edited(dmn(), "? &gt; 1000", f"? &gt; {amount}")


def without_classification() -> str:
    """The procedure without the classify_complaint task: acknowledgement goes to routing."""
    text = bpmn()
    text = _drop(text, r"\s*<bpmn:userTask id=\"classify_complaint\".*?</bpmn:userTask>")
    text = _drop(text, r"\s*<bpmn:flowNodeRef>classify_complaint</bpmn:flowNodeRef>")
    text = _drop(
        text, r"\s*<bpmn:sequenceFlow id=\"flow_classify_complaint_to_route_complaint\"[^>]*/>"
    )
    text = _drop(text, r"\s*<bpmndi:BPMNShape id=\"classify_complaint_di\".*?</bpmndi:BPMNShape>")
    text = _drop(
        text,
        r"\s*<bpmndi:BPMNEdge id=\"flow_classify_complaint_to_route_complaint_di\""
        r".*?</bpmndi:BPMNEdge>",
    )
    text = edited(
        text,
        'targetRef="classify_complaint"',
        'targetRef="route_complaint"',
    )
    return edited(
        text,
        "<bpmn:incoming>flow_classify_complaint_to_route_complaint</bpmn:incoming>",
        "<bpmn:incoming>flow_notify_acknowledgement_to_classify_complaint</bpmn:incoming>",
    )


def _drop(text: str, pattern: str) -> str:
    result, count = re.subn(pattern, "", text, count=1, flags=re.DOTALL)
    assert count == 1, f"{pattern!r} not found"
    return result
