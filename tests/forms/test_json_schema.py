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
from forms.base import formdata_from_json, json_validator, schema_errors
from forms.escalation import EscalationApprovalForm
from forms.registration import RegistrationForm

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
}


@pytest.mark.parametrize("key", sorted(FORMS))
def test_schema_requires_what_the_form_requires(key):
    schema = FORMS[key].json_schema()
    assert schema["type"] == "object"
    assert schema["title"] == FORMS[key].__name__
    assert schema["required"] == REQUIRED[key]
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
        "multipleOf": 0.01,
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
    assert properties["preferred_contact"]["default"] == "none"
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


LETTER = "Dear Ms Diallo, we have replaced the faulty seal. Thank you for telling us."
FILED = {"description": "The kettle leaks.", "attestation": True}
# For each form with cross-field rules: a body each rule refuses, the field it names, and the
# smallest change that satisfies it. The schema and the form must agree on all three.
RULES = [
    (
        RegistrationForm,
        {"registration_outcome": "complete"},
        "form_complete",
        {"form_complete": True, "consent_confirmed": True},
    ),
    (
        RegistrationForm,
        {"registration_outcome": "complete", "form_complete": True},
        "consent_confirmed",
        {"consent_confirmed": True},
    ),
    (
        RegistrationForm,
        {"registration_outcome": "incomplete", "missing_information": "  "},
        "missing_information",
        {"missing_information": "The receipt."},
    ),
    (
        RegistrationForm,
        {"registration_outcome": "duplicate"},
        "duplicate_of",
        {"duplicate_of": "C-2026-000001"},
    ),
    (
        InvestigationForm,
        {
            "findings": "F.",
            "root_cause": "R.",
            "investigation_report": "x" * 50,
            "escalation_requested": True,
            "escalation_reason": "Theft.",
        },
        "escalation_target",
        {"escalation_target": "police"},
    ),
    (
        InvestigationForm,
        {
            "findings": "F.",
            "root_cause": "R.",
            "investigation_report": "x" * 50,
            "escalation_requested": True,
            "escalation_target": "police",
        },
        "escalation_reason",
        {"escalation_reason": "Theft."},
    ),
    (
        EscalationApprovalForm,
        {"escalation_decision": "refused"},
        "escalation_comment",
        {"escalation_comment": "Internal matter."},
    ),
    (
        ResolutionForm,
        {"remedies": ["compensation"], "resolution_summary": "Paid.", "response_letter": LETTER},
        "compensation_amount",
        {"compensation_amount": 25},
    ),
    (
        ResolutionForm,
        {
            "remedies": ["refund"],
            "resolution_summary": "Paid.",
            "response_letter": LETTER,
            "compensation_amount": 0,
        },
        "compensation_amount",
        {"compensation_amount": 0.01},
    ),
    (
        SignOffForm,
        {"sign_off_decision": "approved", "resolution_codes": []},
        "resolution_codes",
        {"resolution_codes": ["not_upheld"]},
    ),
    (
        SignOffForm,
        {"sign_off_decision": "sent_back"},
        "sign_off_comment",
        {"sign_off_comment": "Call them."},
    ),
    (
        ComplaintForm,
        {**FILED, "email": "a@b.org"},
        "complainant_name",
        {"complainant_name": "Awa Diallo"},
    ),
    (
        ComplaintForm,
        {**FILED, "complainant_name": "Awa Diallo"},
        "preferred_contact",
        {"postal_address": "1 rue de la Paix"},
    ),
    (
        ComplaintForm,
        {**FILED, "complainant_name": "Awa", "phone": "0123456789", "preferred_contact": "email"},
        "email",
        {"email": "awa@example.org"},
    ),
    (
        ComplaintForm,
        {**FILED, "anonymous": True, "preferred_contact": "email"},
        "preferred_contact",
        {"preferred_contact": "none"},
    ),
]


def _form_errors(form_cls, body):
    form = form_cls(formdata_from_json(form_cls, body))
    form.validate()
    return form.errors


@pytest.mark.parametrize(("form_cls", "body", "field", "fix"), RULES)
def test_cross_field_rules_are_in_the_schema(form_cls, body, field, fix):
    assert field in schema_errors(form_cls, body)
    assert field in _form_errors(form_cls, body)
    assert schema_errors(form_cls, {**body, **fix}) == {}
    assert _form_errors(form_cls, {**body, **fix}) == {}


def test_six_forms_publish_their_cross_field_rules():
    with_rules = {
        cls.__name__ for cls in [*FORMS.values(), ComplaintForm] if cls.json_schema().get("allOf")
    }
    assert with_rules == {
        "RegistrationForm",
        "InvestigationForm",
        "EscalationApprovalForm",
        "ResolutionForm",
        "SignOffForm",
        "ComplaintForm",
    }


@pytest.mark.parametrize("form_cls", [*FORMS.values(), ComplaintForm])
def test_schemas_refuse_unknown_keys(form_cls):
    schema = form_cls.json_schema()
    assert schema["additionalProperties"] is False
    json_validator(schema).check_schema(schema)


@pytest.mark.parametrize(
    ("form_cls", "body", "field"),
    [
        # Blank once stripped: the form refuses it, so the schema must too.
        (
            EscalationApprovalForm,
            {"escalation_decision": "refused", "escalation_comment": " \n"},
            "escalation_comment",
        ),
        # At least 50 characters once stripped.
        (
            InvestigationForm,
            {"findings": "F.", "root_cause": "R.", "investigation_report": " " * 10 + "x" * 45},
            "investigation_report",
        ),
        # Three decimals, or a float's binary noise, is not an amount.
        (
            ClassificationForm,
            {"category": "billing", "severity": "low", "financial_impact": 19.999},
            "financial_impact",
        ),
        (ComplaintForm, {**FILED, "anonymous": True, "event_date": "2999-01-01"}, "event_date"),
        (ComplaintForm, {**FILED, "anonymous": True, "event_date": "2026-02-30"}, "event_date"),
        (ComplaintForm, {**FILED, "complainant_name": "A", "email": "a@b.test"}, "email"),
        (ComplaintForm, {**FILED, "complainant_name": "A", "phone": " 12345"}, "phone"),
        (
            ClassificationForm,
            {"category": "billing", "severity": "low", "sensitive": None},
            "sensitive",
        ),
    ],
)
def test_schema_refuses_what_the_form_refuses(form_cls, body, field):
    assert field in schema_errors(form_cls, body)


def test_amounts_are_read_as_the_decimals_the_json_writes():
    body = {"category": "billing", "severity": "low", "financial_impact": 19.99}
    assert schema_errors(ClassificationForm, body) == {}
    assert _form_errors(ClassificationForm, body) == {}


def test_schema_errors_name_each_unknown_field():
    errors = schema_errors(SignOffForm, {"sign_off_decision": "approved", "codes": ["x"]})
    assert errors == {
        "codes": ["This field is not part of the form."],
        "resolution_codes": ["This field is required."],
    }


def test_an_empty_email_is_as_valid_as_in_the_form():
    body = {**FILED, "anonymous": True, "email": ""}
    assert schema_errors(ComplaintForm, body) == {}
    assert _form_errors(ComplaintForm, body) == {}
