"""Variants of the shipped procedure, made by string edits of processes/, for version tests.

Each helper returns the text of an edited file; deploy_variant() deploys it next to the
unchanged others. Call inside an application context.
"""

from __future__ import annotations

import re

from app.config import REPO_ROOT
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
    result = processes.deploy(variant(bpmn_text, dmn_text), actor=actor, comment=comment)
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


ACK_REVIEWED = "flow_review_overdue_acknowledgement_escalated_to_end_overdue_acknowledgement"


def acknowledgement_watched_again() -> str:
    """The acknowledgement's overdue review, unless escalated, goes back to its timer
    (`target("acknowledge")`): after an extension the timer waits for the new due time."""
    gateway = 'sourceRef="review_overdue_acknowledgement_escalated"'
    text = edited(
        bpmn(),
        f'{gateway} targetRef="end_overdue_acknowledgement"',
        f'{gateway} targetRef="ack_sla"',
    )
    text = edited(
        text,
        f"<bpmn:incoming>{ACK_REVIEWED}</bpmn:incoming>\n"
        "        <bpmn:incoming>flow_handle_escalated_delay_acknowledgement_to_end",
        "<bpmn:incoming>flow_handle_escalated_delay_acknowledgement_to_end",
    )
    return edited(
        text,
        "<bpmn:incoming>flow_fork_registration_to_ack_sla</bpmn:incoming>",
        "<bpmn:incoming>flow_fork_registration_to_ack_sla</bpmn:incoming>\n"
        f"        <bpmn:incoming>{ACK_REVIEWED}</bpmn:incoming>",
    )


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


# A step a process owner adds with its own form: "Call the complainant back" after the minor
# resolution, in the supervisor's lane, before the sign-off.
CALL_BACK_FORM = """\
title = { en = "Calling the complainant back", fr = "Rappeler le réclamant" }
phase = { en = "Call-back", fr = "Rappel" }
context = ["action_taken", "resolution_summary"]
context_title = { en = "What was done", fr = "Ce qui a été fait" }

[[fields]]
name = "reached"
type = "checkbox"
label = { en = "The complainant was reached", fr = "Le réclamant a été joint" }

[[fields]]
name = "call_outcome"
type = "choice"
label = { en = "Outcome of the call", fr = "Résultat de l'appel" }
choices = [
  { value = "satisfied", label = { en = "Satisfied", fr = "Satisfait" } },
  { value = "unsatisfied", label = { en = "Not satisfied", fr = "Pas satisfait" } },
]
shown_when = "reached"

[[fields]]
name = "call_notes"
type = "long_text"
label = { en = "Call notes", fr = "Notes d'appel" }
max_length = 2000

[[rules]]
field = "call_outcome"
when = "reached"
message = { en = "Say how the call went.", fr = "Indiquez comment s'est passé l'appel." }

[[rules]]
field = "call_notes"
when = "not reached"
message = { en = "Say when you tried to call.", fr = "Indiquez quand vous avez essayé d'appeler." }
"""


def with_call_back(text: str | None = None) -> str:
    """The BPMN with user task call_back (form call_back) between resolve_minor and the
    minor sign-off."""
    text = bpmn() if text is None else text
    text = edited(
        text,
        "<bpmn:outgoing>flow_resolve_minor_to_sign_off_minor</bpmn:outgoing>",
        "<bpmn:outgoing>flow_resolve_minor_to_call_back</bpmn:outgoing>",
    )
    text = edited(
        text,
        '<bpmn:userTask id="sign_off_minor"',
        '<bpmn:userTask id="call_back" name="Call the complainant back">'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="formKey" value="call_back" />'
        '<spiffworkflow:property name="phase" value="resolution" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        "<bpmn:incoming>flow_resolve_minor_to_call_back</bpmn:incoming>"
        "<bpmn:outgoing>flow_resolve_minor_to_sign_off_minor</bpmn:outgoing>"
        "</bpmn:userTask>\n"
        '      <bpmn:userTask id="sign_off_minor"',
    )
    text = edited(
        text,
        '<bpmn:sequenceFlow id="flow_resolve_minor_to_sign_off_minor" sourceRef="resolve_minor"',
        '<bpmn:sequenceFlow id="flow_resolve_minor_to_call_back" sourceRef="resolve_minor" '
        'targetRef="call_back" />\n'
        '      <bpmn:sequenceFlow id="flow_resolve_minor_to_sign_off_minor" sourceRef="call_back"',
    )
    text = edited(
        text,
        "<bpmn:flowNodeRef>resolve_minor</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>resolve_minor</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>call_back</bpmn:flowNodeRef>",
    )
    text = edited(
        text,
        '<bpmndi:BPMNEdge id="flow_resolve_minor_to_sign_off_minor_di"',
        '<bpmndi:BPMNEdge id="flow_resolve_minor_to_call_back_di" '
        'bpmnElement="flow_resolve_minor_to_call_back">'
        '<di:waypoint x="2418" y="1140" /><di:waypoint x="2418" y="1180" /></bpmndi:BPMNEdge>\n'
        '      <bpmndi:BPMNEdge id="flow_resolve_minor_to_sign_off_minor_di"',
    )
    return edited(
        text,
        '<bpmndi:BPMNShape id="resolve_minor_di" bpmnElement="resolve_minor">',
        '<bpmndi:BPMNShape id="call_back_di" bpmnElement="call_back">'
        '<dc:Bounds x="2368" y="1180" width="100" height="80" /></bpmndi:BPMNShape>\n'
        '      <bpmndi:BPMNShape id="resolve_minor_di" bpmnElement="resolve_minor">',
    )


def deploy_call_back(*, actor: User | None = None) -> ProcessVersion:
    """Deploy the procedure with the call-back step and its form; commit."""
    files = variant(with_call_back())
    files["forms/call_back.toml"] = CALL_BACK_FORM.encode()
    result = processes.deploy(files, actor=actor, comment="call the complainant back")
    db.session.commit()
    assert result.created
    return result.version
