"""TaskForm.json_schema: what the JSON API publishes in its OpenAPI document."""

import json

import pytest

from forms import (
    FORMS,
    ClassificationForm,
    ComplaintForm,
    InformationReplyForm,
    InvestigationForm,
    ResolutionForm,
    SignOffForm,
    StaffIntakeForm,
    SurveyForm,
)

REQUIRED = {
    "register_complaint": ["registration_outcome"],
    "classify_complaint": ["category", "severity"],
    "resolve_minor": ["action_taken", "remedies", "resolution_summary", "response_letter"],
    "investigate_complaint": ["findings", "root_cause", "investigation_report"],
    "approve_escalation": ["escalation_decision"],
    "legal_review": ["legal_opinion", "legal_action"],
    "resolve_complaint": ["remedies", "resolution_summary", "response_letter"],
    "handle_confidential": ["findings", "resolution_summary", "response_letter"],
    "sign_off": ["sign_off_decision"],
    "review_overdue": ["overdue_action"],
    "record_consent": ["safe_contact_method"],
    "refer_support": [],  # a provider or "declined": checked across fields
    "handle_escalated_delay": ["escalation_response"],
    "senior_management_decision": ["senior_decision", "senior_instructions"],
    "police_referral": ["police_referral_date", "police_service", "police_reference"],
    "police_outcome": ["police_outcome"],
    "follow_up_satisfaction": ["follow_up_action"],
    "review_case": ["review_decision", "review_findings", "review_letter"],
}


@pytest.mark.parametrize("key", sorted(FORMS))
def test_schema_requires_what_the_form_requires(key):
    schema = FORMS[key].json_schema()
    assert schema["type"] == "object"
    assert schema["title"] == FORMS[key].__name__
    assert schema.get("required", []) == REQUIRED[key]
    assert set(schema["properties"]) == set(FORMS[key]().task_data())


def test_schemas_are_plain_json():
    for form_cls in [*FORMS.values(), ComplaintForm, StaffIntakeForm, SurveyForm]:
        json.dumps(form_cls.json_schema())


def test_choices_become_enums_and_labels_become_descriptions():
    properties = ClassificationForm.json_schema()["properties"]
    assert properties["category"]["enum"][0] == "product_quality"
    assert "" not in properties["category"]["enum"]
    assert properties["severity"] == {
        "description": "Severity",
        "type": "string",
        "enum": ["low", "medium", "high", "critical"],
    }
    assert properties["sensitive"]["type"] == "boolean"
    assert properties["financial_impact"] == {
        "description": "Financial impact (amount)",
        "type": "number",
        "minimum": 0,
        "maximum": 999999999999.99,
    }


def test_optional_choice_may_be_blank():
    target = InvestigationForm.json_schema()["properties"]["escalation_target"]
    assert target["enum"] == ["", "senior_management", "legal_counsel", "police"]


def test_multiple_choices_are_arrays():
    remedies = ResolutionForm.json_schema()["properties"]["remedies"]
    assert remedies["type"] == "array"
    assert remedies["minItems"] == 1
    assert remedies["uniqueItems"] is True
    assert "compensation" in remedies["items"]["enum"]
    codes = SignOffForm.json_schema()["properties"]["resolution_codes"]
    assert "minItems" not in codes


def test_lengths_formats_and_defaults_are_published():
    properties = ComplaintForm.json_schema()["properties"]
    assert properties["description"]["minLength"] == 10
    assert properties["description"]["maxLength"] == 5000
    assert properties["email"]["format"] == "email"
    assert properties["event_date"]["format"] == "date"
    assert "default" not in properties["preferred_contact"]  # "": the first detail given
    assert properties["sensitive_at_intake"]["type"] == "boolean"
    assert properties["phone"]["pattern"].startswith("^")
    assert properties["attestation"] == {
        "description": "I confirm the information is accurate",
        "type": "boolean",
        "enum": [True],
    }
    assert ComplaintForm.json_schema()["required"] == ["description", "attestation"]


def test_staff_intake_schema_has_the_channel_and_a_local_time_pattern():
    schema = StaffIntakeForm.json_schema()
    assert schema["required"] == ["description", "channel"]
    received_at = schema["properties"]["received_at"]
    assert received_at["type"] == "string"
    assert "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}" in received_at["pattern"]
    assert "\\-" not in received_at["pattern"]


def test_survey_score_is_an_integer_enum():
    score = SurveyForm.json_schema()["properties"]["score"]
    assert score["type"] == "integer"
    assert score["enum"] == [1, 2, 3, 4, 5]
    assert SurveyForm.json_schema()["required"] == ["score"]
    assert InformationReplyForm.json_schema()["properties"]["information_reply"]["minLength"] == 5
