"""formdata_from_json: the same forms validate the JSON API's input."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from forms import (
    FORMS,
    ClassificationForm,
    ComplaintForm,
    ResolutionForm,
    StaffIntakeForm,
    SurveyForm,
    formdata_from_json,
)
from forms.base import JsonInputError, schema_errors

LETTER = "Dear Ms Diallo, we have replaced the faulty seal. Thank you for telling us."
TASK_DATA = {
    "register_complaint": {
        "form_complete": True,
        "consent_confirmed": True,
        "registration_outcome": "complete",
        "missing_information": "",
        "duplicate_of": "",
        "registration_notes": "",
    },
    "classify_complaint": {
        "category": "safety",
        "severity": "high",
        "breach_of_law": False,
        "safety_issue": True,
        "sensitive": False,
        "financial_impact": Decimal("1000.01"),
        "classification_notes": "",
    },
    "resolve_minor": {
        "thanked": True,
        "apologised": True,
        "information_collected": False,
        "action_taken": "Seal replaced.",
        "put_right": "",
        "customer_happy": True,
        "written_response_requested": False,
        "remedies": ["repair"],
        "compensation_amount": None,
        "resolution_summary": "Seal replaced.",
        "response_letter": LETTER,
    },
    "investigate_complaint": {
        "interviews": "",
        "documents_reviewed": "",
        "findings": "Damaged in transport.",
        "root_cause_category": "process",
        "root_cause": "Loading at the depot.",
        "internal_corrections": "",
        "investigation_report": "The unit was dropped during loading; nobody reported it.",
        "escalation_requested": True,
        "escalation_target": "police",
        "escalation_reason": "Theft suspected.",
    },
    "approve_escalation": {"escalation_decision": "refused", "escalation_comment": "Internal."},
    "legal_review": {
        "legal_opinion": "Entitled to a refund.",
        "legal_action": "none",
        "legal_recommendations": "",
    },
    "resolve_complaint": {
        "remedies": ["refund", "apology"],
        "remedy_details": "",
        "compensation_amount": Decimal("19.99"),
        "resolution_summary": "Refunded.",
        "response_letter": LETTER,
    },
    "handle_confidential": {
        "findings": "Confirmed.",
        "protective_measures": "",
        "remedies": [],
        "resolution_summary": "Measures taken.",
        "response_letter": LETTER,
    },
    "sign_off": {
        "sign_off_decision": "approved",
        "resolution_codes": ["partially_upheld", "remedy_delivered"],
        "sign_off_comment": "",
    },
    "review_overdue": {
        "overdue_action": "deadline_extended",
        "extend_days": 7,
        "reassign_to": "",
        "escalate_to": "",
        "overdue_comment": "",
    },
    "handle_escalated_delay": {"escalation_response": "Called the handler."},
    "senior_management_decision": {
        "senior_decision": "policy_change",
        "senior_instructions": "Change the depot procedure.",
    },
    "police_referral": {
        "police_referral_date": date(2026, 11, 2),
        "police_service": "Commissariat central",
        "police_reference": "PV-1",
        "police_referral_notes": "",
    },
    "police_outcome": {
        "police_outcome": "charges_brought",
        "police_outcome_date": None,
        "police_outcome_notes": "",
    },
    "follow_up_satisfaction": {"follow_up_action": "no_action", "follow_up_notes": ""},
    "review_case": {
        "review_decision": "upheld",
        "review_findings": "The remedy was too small.",
        "review_letter": LETTER,
    },
    "record_consent": {
        "consent_to_action": True,
        "consent_to_disclosure": False,
        "consent_to_referral": True,
        "safe_contact_method": "email",
        "safe_contact_details": "safe@example.org",
        "safe_times": "",
        "shared_contact_safe": False,
        "consent_notes": "",
    },
    "refer_support": {
        "provider": "",
        "referral_date": None,
        "consent_confirmed": False,
        "declined": True,
        "referral_notes": "Does not want a referral now.",
    },
}


@pytest.mark.parametrize("key", sorted(FORMS))
def test_task_data_round_trips_through_json_input(key):
    form = FORMS[key](formdata_from_json(FORMS[key], TASK_DATA[key]))
    assert form.validate(), form.errors
    assert form.task_data() == TASK_DATA[key]


def test_json_values_become_what_a_browser_would_post():
    formdata = formdata_from_json(
        ResolutionForm,
        {
            "remedies": ["refund", "compensation"],
            "compensation_amount": 150.5,
            "resolution_summary": None,
        },
    )
    assert formdata.getlist("remedies") == ["refund", "compensation"]
    assert formdata["compensation_amount"] == "150.5"
    assert "resolution_summary" not in formdata


def test_booleans_post_like_checkboxes():
    formdata = formdata_from_json(ClassificationForm, {"safety_issue": True, "sensitive": False})
    assert formdata.to_dict(flat=False) == {"safety_issue": ["y"]}


def test_dates_and_times_are_accepted_as_iso_text_or_python_values():
    payload = {
        "channel": "email",
        "received_at": datetime(2026, 1, 20, 9, 30),
        "event_date": "2026-01-02",
        "purchase_date": date(2025, 12, 1),
        "anonymous": True,
        "description": "The bill was charged twice.",
    }
    form = StaffIntakeForm(formdata_from_json(StaffIntakeForm, payload))
    assert form.validate(), form.errors
    data = form.task_data()
    assert data["received_at"] == datetime(2026, 1, 20, 9, 30)
    assert data["event_date"] == date(2026, 1, 2)
    assert data["purchase_date"] == date(2025, 12, 1)


def test_json_input_gets_the_same_field_errors_as_a_browser():
    payload = {"anonymous": False, "description": "Short", "attestation": False}
    form = ComplaintForm(formdata_from_json(ComplaintForm, payload))
    assert not form.validate()
    assert set(form.errors) == {
        "complainant_name",
        "preferred_contact",
        "description",
        "attestation",
    }


def test_wrong_json_types_fail_validation_on_their_field():
    with pytest.raises(JsonInputError) as refused:
        formdata_from_json(SurveyForm, {"score": True})
    assert refused.value.messages() == {"score": ["Send a whole number."]}
    amount = ClassificationForm.json_schema()["properties"]["financial_impact"]
    assert amount["type"] == "number"
    with pytest.raises(JsonInputError) as refused:
        formdata_from_json(
            ClassificationForm,
            {"category": "billing", "severity": "low", "financial_impact": float("nan")},
        )
    assert refused.value.messages() == {"financial_impact": ["Send a finite number."]}


def test_survey_score_arrives_as_a_number():
    form = SurveyForm(formdata_from_json(SurveyForm, {"score": 4, "comment": "Fine."}))
    assert form.validate(), form.errors
    assert form.task_data() == {"score": 4, "comment": "Fine."}


def test_nested_objects_and_non_objects_are_refused():
    with pytest.raises(ValueError, match="remedies"):
        formdata_from_json(ResolutionForm, {"remedies": [{"code": "refund"}]})
    with pytest.raises(ValueError, match="JSON object"):
        formdata_from_json(ResolutionForm, ["refund"])  # type: ignore[arg-type]


CLASSIFIED = {"category": "billing", "severity": "low"}


@pytest.mark.parametrize("value", [0, 1, "0", "no", "off", "False", "true", "y", "", [True]])
def test_json_booleans_are_only_true_or_false(value):
    # WTForms' BooleanField takes any posted text as a ticked box: "breach_of_law": 0 once
    # routed a complaint major, "sensitive": 0 would have hidden it as confidential.
    for name in ("breach_of_law", "sensitive"):
        with pytest.raises(JsonInputError) as refused:
            formdata_from_json(ClassificationForm, {**CLASSIFIED, name: value})
        expected = "Send a single value, not a list." if value == [True] else "Send true or false."
        assert refused.value.messages() == {name: [expected]}


def test_json_false_is_an_unticked_box():
    formdata = formdata_from_json(ClassificationForm, {**CLASSIFIED, "sensitive": False})
    form = ClassificationForm(formdata)
    assert form.validate(), form.errors
    assert form.task_data()["sensitive"] is False


def test_html_checkboxes_keep_their_semantics():
    from werkzeug.datastructures import MultiDict

    form = ClassificationForm(MultiDict({**CLASSIFIED, "sensitive": "y"}))
    assert form.validate(), form.errors
    assert form.task_data()["sensitive"] is True


@pytest.mark.parametrize(
    ("form_cls", "payload", "errors"),
    [
        (
            ClassificationForm,
            {**CLASSIFIED, "classification_notes": ["first", "second"]},
            {"classification_notes": ["Send a single value, not a list."]},
        ),
        (ClassificationForm, {**CLASSIFIED, "category": 3}, {"category": ["Send text."]}),
        (
            ClassificationForm,
            {**CLASSIFIED, "classification_notes": {"text": "x"}},
            {"classification_notes": ["Send text."]},
        ),
        (
            ClassificationForm,
            {**CLASSIFIED, "financial_impact": "12.50"},
            {"financial_impact": ["Send a number."]},
        ),
        (
            ClassificationForm,
            {**CLASSIFIED, "financial_impact": True},
            {"financial_impact": ["Send a number."]},
        ),
        (ResolutionForm, {"remedies": "refund"}, {"remedies": ["Send a list."]}),
        (ResolutionForm, {"remedies": ["refund", 4]}, {"remedies": ["Send text in each item."]}),
        (SurveyForm, {"score": "4"}, {"score": ["Send a whole number."]}),
        (
            ClassificationForm,
            {**CLASSIFIED, "severty": "low", "csrf_token": "x", "submit": "Save"},
            {
                "severty": ["This field is not part of the form."],
                "csrf_token": ["This field is not part of the form."],
                "submit": ["This field is not part of the form."],
            },
        ),
    ],
)
def test_json_values_of_the_wrong_type_are_refused_by_field(form_cls, payload, errors):
    with pytest.raises(JsonInputError) as refused:
        formdata_from_json(form_cls, payload)
    assert refused.value.messages() == errors


def test_integral_floats_are_whole_numbers():
    form = SurveyForm(formdata_from_json(SurveyForm, {"score": 4.0}))
    assert form.validate(), form.errors
    assert form.task_data()["score"] == 4


@pytest.mark.parametrize("key", sorted(FORMS))
def test_task_data_is_valid_against_the_published_schema(key):
    # As a client sends it: dates as ISO text, a value left out rather than null.
    body = {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in TASK_DATA[key].items()
        if value is not None
    }
    assert schema_errors(FORMS[key], body) == {}
