"""Deploying the diagrams in processes/: versions, content hashes, refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import REPO_ROOT
from services import processes
from services.db import db
from services.errors import DeployRefused
from services.models import ProcessVersion
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

PROCESSES = REPO_ROOT / "processes"


def default_files() -> dict[str, bytes]:
    return processes.read_directory(PROCESSES)


def bpmn_text() -> str:
    return (PROCESSES / "complaint_handling.bpmn").read_text()


def deploy_text(bpmn: str) -> processes.DeployResult:
    files = {**default_files(), "complaint_handling.bpmn": bpmn.encode()}
    return processes.deploy(files, comment="test")


def test_seeded_app_has_the_default_procedure_active():
    version = processes.active_version()
    assert version.version == 1
    diagrams = {"complaint_handling.bpmn", "complaint_routing.dmn"}
    forms = {f"forms/{p.stem}.toml" for p in (REPO_ROOT / "processes/forms").glob("*.toml")}
    # The forms and the choice lists are deployed with the diagrams.
    assert set(version.files) == diagrams | forms | {"choices.toml"}
    assert version.content_hash == processes.content_hash(default_files())


def test_redeploying_the_same_content_creates_no_new_version():
    result = processes.deploy(default_files())
    assert result.created is False
    assert db.session.scalar(db.select(db.func.count(ProcessVersion.id))) == 1


def test_changed_content_becomes_a_new_active_version_and_old_complaints_keep_theirs():
    old = j.file()
    changed = bpmn_text().replace('target("resolve_minor")', '"P4D"')
    assert changed != bpmn_text()
    result = deploy_text(changed)
    db.session.commit()
    assert result.created and result.version.version == 2
    assert processes.active_version().id == result.version.id
    new = j.file()
    assert j.refreshed(old).instance.process_version.version == 1
    assert j.refreshed(new).instance.process_version.version == 2
    j.complete(old, "register_complaint")  # the old one keeps running on version 1
    assert j.open_names(old) == ["classify_complaint"]


def refused(bpmn: str) -> str:
    with pytest.raises(DeployRefused) as caught:
        deploy_text(bpmn)
    db.session.rollback()
    assert processes.active_version().version == 1  # the previous version stays active
    assert db.session.scalar(db.select(db.func.count(ProcessVersion.id))) == 1
    return "\n".join(caught.value.details["problems"])


def test_malformed_xml_is_refused_naming_the_file_and_line():
    problems = refused(bpmn_text().replace("</bpmn:process>", "</bpmn:proces>", 1))
    assert "complaint_handling.bpmn" in problems
    assert "not well-formed XML (line" in problems


def test_unknown_form_key_is_refused_naming_the_element():
    problems = refused(bpmn_text().replace('value="classify_complaint"', 'value="no_such_form"', 1))
    assert "complaint_handling.bpmn" in problems
    assert "classify_complaint" in problems
    assert "unknown form key 'no_such_form'" in problems


def test_lane_without_a_role_is_refused():
    problems = refused(re.sub(r'name="legal_counsel"', 'name="lawyers"', bpmn_text(), count=1))
    assert "lane 'lawyers' is not a known role" in problems
    assert "legal_review" in problems


def test_unquoted_timer_is_refused():
    problems = refused(bpmn_text().replace('"P14D"', "P14D", 1))
    assert 'quote it, e.g. "P14D"' in problems


def test_condition_that_escapes_the_evaluator_is_refused():
    text = bpmn_text()
    condition = re.search(r"<bpmn:conditionExpression[^>]*>([^<]+)<", text)
    assert condition is not None
    evil = "().__class__.__base__.__subclasses__()"
    problems = refused(text.replace(condition.group(1), evil, 1))
    assert "refused by the restricted evaluator" in problems
    assert "__class__" in problems


def test_missing_directory_files_are_refused(tmp_path: Path):
    with pytest.raises(DeployRefused):
        processes.deploy(processes.read_directory(tmp_path))


def test_deploy_cli_reports_refusal_and_keeps_the_old_version(runner, tmp_path: Path):
    for name, content in default_files().items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(content)
    (tmp_path / "complaint_handling.bpmn").write_text(
        bpmn_text().replace('value="sign_off"', 'value="sign_of"', 1)
    )
    result = runner.invoke(args=["deploy-processes", "--directory", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown form key 'sign_of'" in result.output
    assert processes.active_version().version == 1


def escalation_condition(text: str) -> str:
    """The condition on the flow from 'Escalation requested?' to the approval."""
    condition = re.search(
        r'sourceRef="needs_escalation" targetRef="approve_escalation">\s*'
        r"<bpmn:conditionExpression[^>]*>([^<]+)<",
        text,
    )
    assert condition is not None
    return condition.group(1)


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("open('/etc/passwd') != None", "name 'open' is not available in diagram code"),
        ("type(route) == str", "name 'type' is not available in diagram code"),
        ("getattr(route, 'upper') != None", "name 'getattr' is not available in diagram code"),
        ("vars() != None", "name 'vars' is not available in diagram code"),
        ("10**10**10 &gt; 0", "10 ** 10 ** 10 is too large: a power would be a 30,000,000,000"),
        ("len('a' * 10**10) &gt; 0", "'a' * 10 ** 10 is too large: a repeated sequence"),
    ],
)
def test_condition_that_fails_at_run_time_is_refused_at_deploy(expression: str, why: str):
    text = bpmn_text()
    problems = refused(text.replace(escalation_condition(text), expression, 1))
    assert (
        "complaint_handling.bpmn, element 'Escalation requested? (needs_escalation)': "
        "condition to approve_escalation refused by the restricted evaluator: " + why
    ) in problems


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("import os", "import statements are not allowed (line 1)"),
        ("raise SystemExit", "name 'SystemExit' is not available in diagram code (line 1)"),
        ("x = range(10**10)", "range(10 ** 10) is too large: a range would have"),
    ],
)
def test_script_that_fails_at_run_time_is_refused_at_deploy(script: str, why: str):
    text = bpmn_text().replace("information_requests = information_requests + 1", script, 1)
    problems = refused(text)
    assert (
        "complaint_handling.bpmn, element 'Count information request (count_information_request)'"
        ": script refused by the restricted evaluator: " in problems
    )
    assert why in problems


def test_a_phase_longer_than_its_column_is_refused():
    phase = "waiting_for_the_complainant_to_send"  # 35 characters; complaint.status has 30
    problems = refused(bpmn_text().replace('value="registration"', f'value="{phase}"', 1))
    assert (
        "complaint_handling.bpmn, element 'Register complaint (register_complaint)': the phase "
        f"property '{phase}' is 35 characters long; at most 30 fit (column complaint.status)"
    ) in problems


def test_a_task_name_longer_than_its_column_is_refused():
    name = "Classify " + "x" * 200
    problems = refused(bpmn_text().replace('name="Classify complaint"', f'name="{name}"', 1))
    assert "is 209 characters long; at most 200 fit (column task.title)" in problems
    assert "classify_complaint" in problems


def test_a_message_name_longer_than_its_column_is_refused():
    long_name = "acknowledgement_" + "x" * 30
    problems = refused(bpmn_text().replace('name="acknowledgement"', f'name="{long_name}"', 1))
    assert "message_acknowledgement" in problems
    assert "at most 40 fit (column notification.kind)" in problems


def test_a_decision_output_longer_than_its_column_is_refused():
    route = "confidential_second_line"  # 24 characters; complaint.route has 20
    dmn = (PROCESSES / "complaint_routing.dmn").read_text()
    changed = dmn.replace('<text>"confidential"</text>', f'<text>"{route}"</text>', 1)
    files = {**default_files(), "complaint_routing.dmn": changed.encode()}
    with pytest.raises(DeployRefused) as refusal:
        processes.deploy(files, comment="test")
    problems = "\n".join(refusal.value.details["problems"])
    assert (
        f"complaint_routing.dmn, element 'rule_sensitive': the route '{route}' is 24 characters "
        "long; at most 20 fit (column complaint.route)"
    ) in problems
    assert processes.active_version().version == 1
