"""TaskForm.json_schema: what the JSON API publishes in its OpenAPI document."""

import json

import pytest

from forms import (
    FORMS,
    ClassificationForm,
    ComplaintForm,
    ConsentForm,
    EscalationApprovalForm,
    InformationReplyForm,
    InvestigationForm,
    OverdueReviewForm,
    ReferralForm,
    RegistrationForm,
    ResolutionForm,
    SignOffForm,
    StaffIntakeForm,
    SurveyForm,
)
from forms.base import formdata_from_json, json_validator, schema_errors

REQUIRED = {
    "register_complaint": ["registration_outcome"],
    "classify_complaint": ["category", "severity"],
    "resolve_minor": ["action_taken", "remedies", "resolution_summary", "response_letter"],
    "investigate_complaint": [
        "findings",
        "root_cause_category",
        "root_cause",
        "investigation_report",
    ],
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
        "maximum": 9999999999.99,
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
    assert schema["required"] == ["channel", "description"]  # in the page's order
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
            "root_cause_category": "process",
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
            "root_cause_category": "process",
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
        OverdueReviewForm,
        {"overdue_action": "deadline_extended"},
        "extend_days",
        {"extend_days": 5},
    ),
    (
        OverdueReviewForm,
        {"overdue_action": "deadline_extended", "extend_days": 0},
        "extend_days",
        {"extend_days": 1},
    ),
    (
        OverdueReviewForm,
        {"overdue_action": "reminded_handler", "extend_days": 91},
        "extend_days",
        {"extend_days": 90},
    ),
    (
        ConsentForm,
        {"safe_contact_method": "phone", "safe_contact_details": " "},
        "safe_contact_details",
        {"shared_contact_safe": True},
    ),
    (
        ConsentForm,
        {"safe_contact_method": "post"},
        "safe_contact_details",
        {"safe_contact_details": "BP 120, Dakar"},
    ),
    (
        ConsentForm,
        {"safe_contact_method": "email", "safe_contact_details": "not an address"},
        "safe_contact_details",
        {"safe_contact_details": "awa@example.org"},
    ),
    (ReferralForm, {"referral_notes": "Asked."}, "provider", {"declined": True}),
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


def test_forms_with_cross_field_rules_publish_them():
    with_rules = {
        cls.__name__ for cls in [*FORMS.values(), ComplaintForm] if cls.json_schema().get("allOf")
    }
    assert with_rules == {
        "RegistrationForm",
        "InvestigationForm",
        "EscalationApprovalForm",
        "ResolutionForm",
        "MinorResolutionForm",
        "SignOffForm",
        "OverdueReviewForm",
        "ConsentForm",
        "ReferralForm",
        "ComplaintForm",
    }


def _referral_form(formdata=None):
    form = ReferralForm(formdata)
    form.fill_choices("provider", [(7, "Clinique juridique")])
    return form


def _overdue_form(formdata=None):
    form = OverdueReviewForm(formdata)
    form.fill_choices("reassign_to", [(3, "Investigator")])
    form.fill_choices("escalate_to", [(4, "Manager")])
    return form


# Rules over the choices the caller fills from data: checked against the task's own schema.
FILLED_RULES = [
    (
        _referral_form,
        {"provider": "7"},
        {"consent_confirmed", "referral_date"},
        {"consent_confirmed": True, "referral_date": "2026-11-02"},
    ),
    (
        _referral_form,
        {
            "provider": "7",
            "consent_confirmed": True,
            "referral_date": "2026-11-02",
            "declined": True,
        },
        {"provider"},
        {"declined": False},
    ),
    (_overdue_form, {"overdue_action": "reassigned"}, {"reassign_to"}, {"reassign_to": "3"}),
    (_overdue_form, {"overdue_action": "escalated"}, {"escalate_to"}, {"escalate_to": "4"}),
]


def _task_schema_errors(make_form, body):
    form = make_form()
    schema = type(form).json_schema(form)
    errors = set()
    for error in json_validator(schema).iter_errors(body):
        if error.absolute_path:
            errors.add(error.absolute_path[0])
        elif error.validator == "required":
            errors.update(n for n in error.validator_value if n not in body)
        else:
            errors.add(error.schema.get("x-field", "body"))
    return errors


@pytest.mark.parametrize(("make_form", "body", "fields", "fix"), FILLED_RULES)
def test_rules_over_choices_filled_from_data_are_in_the_task_schema(make_form, body, fields, fix):
    form_cls = type(make_form())
    form = make_form(formdata_from_json(form_cls, body))
    assert not form.validate()
    assert set(form.errors) == fields
    assert _task_schema_errors(make_form, body) == fields
    fixed = make_form(formdata_from_json(form_cls, {**body, **fix}))
    assert fixed.validate(), fixed.errors
    assert _task_schema_errors(make_form, {**body, **fix}) == set()


def test_task_schema_lists_the_choices_filled_from_data():
    referral = _referral_form()
    overdue = _overdue_form()
    assert ReferralForm.json_schema(referral)["properties"]["provider"]["enum"] == ["", "7"]
    people = OverdueReviewForm.json_schema(overdue)["properties"]
    assert people["reassign_to"]["enum"] == ["", "3"]
    assert people["escalate_to"]["enum"] == ["", "4"]


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
            {
                "findings": "F.",
                "root_cause_category": "process",
                "root_cause": "R.",
                "investigation_report": " " * 10 + "x" * 45,
            },
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


def test_a_drafts_schema_is_exact_and_its_refusals_read_as_the_forms():
    from forms.base import draft_errors, draft_schema

    schema = draft_schema(ResolutionForm.json_schema())
    assert schema["title"] == "ResolutionFormDraft"
    assert schema["additionalProperties"] is False and "required" not in schema
    letter = schema["properties"]["response_letter"]
    assert letter["type"] == ["string", "null"] and letter["maxLength"] == 10000
    validator = json_validator(schema)
    assert validator.is_valid({"response_letter": None, "remedies": ["refund"]})
    assert not validator.is_valid({"response_letter": "a\x00b"})  # a 400 at the server
    # Every field's problem at once, null naming no choice and no type.
    errors = draft_errors(
        ResolutionForm,
        {"response_letter": 3, "remedies": ["nope"], "extra": "x", "remedy_details": None},
    )
    assert errors["response_letter"] == ["Send text."]
    assert errors["extra"] == ["This field is not part of the form."]
    assert errors["remedies"][0].startswith("Choose one of: explanation, apology")
    assert "null" not in errors["remedies"][0] and "remedy_details" not in errors
    registration = json_validator(draft_schema(RegistrationForm.json_schema()))
    [refused] = registration.iter_errors({"registration_outcome": "maybe"})
    from forms.base import schema_message

    assert str(schema_message(refused)) == (
        'Choose one of: complete, incomplete, not_a_complaint, duplicate, "".'
    )
    [mistyped] = registration.iter_errors({"registration_notes": 5})
    assert str(schema_message(mistyped)) == "Send a value of type string."
