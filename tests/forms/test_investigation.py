"""Investigation of a major complaint, and the request to escalate it."""

import pytest

from forms import InvestigationForm

REPORT = "The unit was dropped during loading at the depot; the delivery team did not report it."
INVESTIGATED = {
    "interviews": "Store manager, delivery team.",
    "documents_reviewed": "Invoice, delivery note.",
    "findings": "The unit was damaged in transport.",
    "root_cause_category": "process",
    "root_cause": "Loading procedure at the depot.",
    "internal_corrections": "Depot staff retrained.",
    "investigation_report": REPORT,
}
ESCALATED = {
    **INVESTIGATED,
    "escalation_requested": "y",
    "escalation_target": "legal_counsel",
    "escalation_reason": "Contract dispute with the carrier.",
}


def test_investigation_without_escalation_is_accepted(post):
    posted = post(InvestigationForm, INVESTIGATED)
    assert posted.valid, posted.errors
    data = posted.form.task_data()
    assert data["escalation_requested"] is False
    assert data["escalation_target"] == ""
    assert data["escalation_reason"] == ""


def test_requested_escalation_is_accepted_with_target_and_reason(post):
    posted = post(InvestigationForm, ESCALATED)
    assert posted.valid, posted.errors
    assert posted.form.task_data()["escalation_target"] == "legal_counsel"


def test_requested_escalation_needs_a_target_and_a_reason(post):
    data = {**INVESTIGATED, "escalation_requested": "y", "escalation_target": ""}
    assert post(InvestigationForm, data).errors == {
        "escalation_target": ["Choose whom to escalate to."],
        "escalation_reason": ["Say why the complaint needs escalating."],
    }


def test_unknown_escalation_target_is_refused(post):
    posted = post(InvestigationForm, {**ESCALATED, "escalation_target": "the press"})
    assert posted.errors == {"escalation_target": ["Not a valid choice."]}


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("findings", "Record the findings."),
        ("root_cause_category", "Choose the category of the root cause."),
        ("root_cause", "Record the root cause."),
        ("investigation_report", "Write the investigation report."),
    ],
)
def test_findings_root_cause_and_report_are_required(post, without, field, message):
    assert post(InvestigationForm, without(INVESTIGATED, field)).errors == {field: [message]}


def test_unknown_root_cause_category_is_refused(post):
    posted = post(InvestigationForm, {**INVESTIGATED, "root_cause_category": "bad luck"})
    assert posted.errors == {"root_cause_category": ["Not a valid choice."]}


def test_report_of_fewer_than_fifty_characters_is_refused(post):
    posted = post(InvestigationForm, {**INVESTIGATED, "investigation_report": "Dropped."})
    assert posted.errors == {
        "investigation_report": ["Field must be between 50 and 50000 characters long."]
    }
