"""Validation for the editor: each broken diagram is refused naming the element id to highlight."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from services import bpmnlint, processes
from services.errors import DeployRefused
from tests import diagrams as d

pytestmark = pytest.mark.usefixtures("app_context")


def problems_of(bpmn_text: str | None = None, dmn_text: str | None = None) -> list:
    result = processes.validate(d.variant(bpmn_text, dmn_text))
    assert result.specs is None, "the variant should have been refused"
    return result.problems


def only_problem_at(problems: list, element_id: str):
    found = [p for p in problems if p.element_id == element_id]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_shipped_procedure_has_no_problems_and_no_warnings():
    result = processes.validate(d.files())
    assert result.specs is not None
    assert result.problems == [] and result.warnings == []


def test_gateway_flow_without_condition_is_named_by_its_flow_id():
    condition = (
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        'registration_outcome in ("not_a_complaint", "duplicate")</bpmn:conditionExpression>'
    )
    problems = problems_of(d.edited(d.bpmn(), condition, ""))
    problem = only_problem_at(problems, "flow_registration_decision_to_notify_closure")
    assert problem.file == "complaint_handling.bpmn"
    assert "Registration outcome? (registration_decision)" in problem.message
    assert "without a condition" in problem.message
    assert (
        problem.element
        == "not a complaint or duplicate (flow_registration_decision_to_notify_closure)"
    )


def test_gateway_that_loses_its_default_flow_is_refused():
    problems = problems_of(d.edited(d.bpmn(), ' default="flow_route_decision_to_merge_minor"', ""))
    problem = only_problem_at(problems, "flow_route_decision_to_merge_minor")
    assert "make it the gateway's default flow" in problem.message


def test_user_task_drawn_in_another_lane_than_its_own_is_refused():
    # What bpmn-js leaves behind when a subprocess's task is moved: the picture says legal
    # counsel, the lane's flowNodeRef (which decides the role) says manager.
    text = d.edited(d.bpmn(), "<bpmn:flowNodeRef>legal_review</bpmn:flowNodeRef>", "")
    text = d.edited(
        text,
        "<bpmn:flowNodeRef>approve_escalation</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>approve_escalation</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>legal_review</bpmn:flowNodeRef>",
    )
    problem = only_problem_at(problems_of(text), "legal_review")
    assert "drawn in lane 'legal_counsel' but belongs to lane 'manager'" in problem.message
    assert problem.element == "Legal review (legal_review)"


def test_user_task_drawn_outside_its_lane_band_is_refused():
    # Moving the shape (not the lane list): resolve_minor's box goes down into the manager band.
    text = d.edited(
        d.bpmn(),
        '<dc:Bounds x="2368" y="1060" width="100" height="80" />',
        '<dc:Bounds x="2368" y="700" width="100" height="80" />',
    )
    problem = only_problem_at(problems_of(text), "resolve_minor")
    assert "drawn in lane 'manager' but belongs to lane 'supervisor'" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "element_id", "message"),
    [
        (d.MINOR_TIMER, '"P5X"', "minor_sla", 'timer "P5X" is not a valid ISO 8601 duration'),
        (d.MINOR_TIMER, '"R3/P5D"', "minor_sla", "is not a valid ISO 8601 duration"),
        (d.MINOR_TIMER, "P5D", "minor_sla", 'quote it, e.g. "P5D"'),
    ],
)
def test_invalid_literal_timer_is_refused(old: str, new: str, element_id: str, message: str):
    problem = only_problem_at(problems_of(d.edited(d.bpmn(), old, new)), element_id)
    assert message in problem.message


def test_invalid_date_timer_is_refused():
    text = d.edited(
        d.bpmn(),
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{d.MINOR_TIMER}</bpmn:timeDuration>',
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">"2026-13-01T09:00:00Z"</bpmn:timeDate>',
    )
    problem = only_problem_at(problems_of(text), "minor_sla")
    assert "is not a valid ISO 8601 date" in problem.message


def test_invalid_due_in_property_is_refused():
    phase = '<spiffworkflow:property name="phase" value="classification" />'
    text = d.edited(
        d.bpmn(), phase, phase + '<spiffworkflow:property name="dueIn" value="3 days" />'
    )
    problem = only_problem_at(problems_of(text), "classify_complaint")
    assert "dueIn '3 days' is not an ISO 8601 duration" in problem.message


def test_parse_error_names_the_element_the_engine_gives():
    text = d.edited(
        d.bpmn(),
        'sourceRef="merge_minor" targetRef="resolve_minor"',
        'sourceRef="merge_minor" targetRef="nowhere"',
    )
    assert any(p.element_id == "merge_minor" for p in problems_of(text))


def test_decision_cell_refused_by_the_restricted_evaluator_names_the_cell():
    text = d.edited(d.dmn(), '"major"', '__import__("os")')
    problem = only_problem_at(problems_of(dmn_text=text), "rule_breach_of_law_route")
    assert problem.file == "complaint_routing.dmn"
    assert "__import__" in problem.message


def test_bpmnlint_error_is_reported_with_its_element_id_and_rule():
    problem = only_problem_at(
        problems_of(d.edited(d.bpmn(), ' name="Register complaint"', "")), "register_complaint"
    )
    assert problem.rule == "label-required"
    assert "bpmnlint: label-required" in problem.message


def test_bpmnlint_warning_does_not_block_a_deploy():
    # Two shapes drawn on top of each other: a warning only.
    text = d.edited(
        d.bpmn(),
        '<dc:Bounds x="1650" y="432" width="36" height="36" />',
        '<dc:Bounds x="1530" y="432" width="36" height="36" />',
    )
    result = processes.deploy(d.variant(text), comment="overlap")
    assert result.created
    assert {w.element_id for w in result.warnings} == {"notify_closure", "closed_not_a_complaint"}
    assert {w.rule for w in result.warnings} == {"no-overlapping-elements"}


def test_refusal_details_carry_element_ids_for_the_editor():
    with pytest.raises(DeployRefused) as caught:
        processes.deploy(d.variant(d.edited(d.bpmn(), d.MINOR_TIMER, '"P5X"')))
    items = caught.value.details["items"]
    assert [(i["element_id"], i["severity"]) for i in items] == [("minor_sla", "error")]


def test_missing_node_gives_one_warning_instead_of_a_crash(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    findings = bpmnlint.run(d.bpmn() + "<!-- not cached -->", "complaint_handling.bpmn")
    assert len(findings) == 1
    assert findings[0].severity == "warning"
    assert "Node.js is not installed" in findings[0].message


def test_the_linter_runs_from_its_bundle_alone(tmp_path: Path):
    """The bundle an installed package carries needs no node_modules: copied alone to an
    empty folder, it reports what the checkout's bpmnlint reports."""
    alone = tmp_path / "bpmnlint.cjs"
    alone.write_bytes(bpmnlint.SCRIPT.read_bytes())
    unnamed = d.edited(d.bpmn(), ' name="Register complaint"', "")
    completed = subprocess.run(  # noqa: S603 - the bundle, the diagram on stdin
        [shutil.which("node") or "node", str(alone)],
        input=unnamed.encode(),
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    assert json.loads(completed.stdout) == [
        {
            "id": "register_complaint",
            "message": "Element is missing label/name",
            "rule": "label-required",
            "category": "error",
        }
    ]
    licences = (bpmnlint.SCRIPT.parent / "bpmnlint.LICENSES.txt").read_text()
    assert "bpmnlint 11." in licences and "bpmn-moddle" in licences


def test_every_message_of_bpmnlints_rules_is_in_the_catalogue():
    """The French of bpmnlint's findings: a new bpmnlint release with new words shows here."""
    rules = Path(__file__).resolve().parents[2] / "node_modules" / "bpmnlint" / "rules"
    literal = set()
    for source in rules.glob("*.js"):
        literal |= set(re.findall(r"report\([^,]+, '([^']+)'", source.read_text()))
    literal -= {"Element type <", "Element has a non-standard"}  # built from parts
    assert literal, "bpmnlint's rules were not found"
    missing = {m for m in literal if m not in bpmnlint.MESSAGES}
    assert not missing
    assert bpmnlint.message_of("Element type <bpmn:ComplexGateway> is discouraged").params == {
        "type": "bpmn:ComplexGateway"
    }


def test_decision_input_expression_that_does_not_compile_alone_is_refused():
    # ")(category" compiled inside "()(category) == ('x')", the cells' check, so the table
    # deployed; the engine validates the input expression alone and every classification
    # then failed. The column is named, and nothing is stored.
    before = processes.versions()
    text = d.edited(d.dmn(), "<text>category</text>", "<text>)(category</text>")
    problem = only_problem_at(problems_of(dmn_text=text), "input_category")
    assert problem.file == "complaint_routing.dmn"
    assert "input expression ')(category'" in problem.message
    assert "syntax error" in problem.message
    with pytest.raises(DeployRefused):
        processes.deploy(d.variant(dmn_text=text), comment="broken input")
    assert [v.id for v in processes.versions()] == [v.id for v in before]


def test_decision_input_expression_refused_by_the_restricted_evaluator():
    text = d.edited(d.dmn(), "<text>severity</text>", "<text>open('/etc/passwd')</text>")
    problem = only_problem_at(problems_of(dmn_text=text), "input_severity")
    assert "open" in problem.message
