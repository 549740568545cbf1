"""Resolution: minor (TACTICS), major and confidential."""

from decimal import Decimal

import pytest

from forms import ConfidentialCaseForm, MinorResolutionForm, ResolutionForm

LETTER = "Dear Ms Diallo, we have replaced the faulty seal. Thank you for telling us."
MINOR = {
    "thanked": "y",
    "apologised": "y",
    "information_collected": "y",
    "action_taken": "Technician visit booked; seal replaced.",
    "put_right": "We will replace the door seal this week.",
    "customer_happy": "y",
    "remedies": ["repair", "apology"],
    "resolution_summary": "Seal replaced under warranty.",
    "response_letter": LETTER,
}
MAJOR = {
    "remedies": ["replacement", "compensation"],
    "remedy_details": "New unit delivered and installed.",
    "compensation_amount": "150",
    "resolution_summary": "Unit replaced, compensation paid.",
    "response_letter": LETTER,
}
CONFIDENTIAL = {
    "findings": "Account confirmed by two witnesses.",
    "protective_measures": "Staff member suspended pending inquiry.",
    "resolution_summary": "Measures taken; inquiry opened.",
    "response_letter": LETTER,
}


def test_minor_resolution_records_the_tactics_steps(post):
    posted = post(MinorResolutionForm, MINOR)
    assert posted.valid, posted.errors
    data = posted.form.task_data()
    assert [data[step] for step in ("thanked", "apologised", "information_collected")] == [
        True,
        True,
        True,
    ]
    assert data["customer_happy"] is True
    assert data["remedies"] == ["repair", "apology"]


def test_tactics_ticks_are_optional(post, without):
    posted = post(MinorResolutionForm, without(MINOR, "thanked", "customer_happy", "put_right"))
    assert posted.valid, posted.errors
    assert posted.form.task_data()["customer_happy"] is False


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("action_taken", "Say what action was taken."),
        ("remedies", "Choose at least one remedy."),
        ("resolution_summary", "Summarise the resolution."),
        ("response_letter", "Write the response to the complainant."),
    ],
)
def test_minor_resolution_needs_action_remedy_summary_and_letter(post, without, field, message):
    assert post(MinorResolutionForm, without(MINOR, field)).errors == {field: [message]}


def test_response_letter_of_a_few_words_is_refused(post):
    posted = post(MinorResolutionForm, {**MINOR, "response_letter": "Sorry."})
    assert posted.errors == {
        "response_letter": ["Field must be between 20 and 10000 characters long."]
    }


def test_unknown_remedy_is_refused(post):
    posted = post(MinorResolutionForm, {**MINOR, "remedies": ["repair", "free_holiday"]})
    assert list(posted.errors) == ["remedies"]
    assert "free_holiday" in posted.errors["remedies"][0]


def test_major_resolution_with_compensation_gives_its_amount(post):
    posted = post(ResolutionForm, MAJOR)
    assert posted.valid, posted.errors
    assert posted.form.task_data()["compensation_amount"] == Decimal("150")


@pytest.mark.parametrize("remedy", ["refund", "compensation"])
@pytest.mark.parametrize("amount", ["", "0"])
def test_refund_or_compensation_needs_an_amount(post, remedy, amount):
    data = {**MAJOR, "remedies": ["apology", remedy], "compensation_amount": amount}
    posted = post(ResolutionForm, data)
    assert posted.errors == {
        "compensation_amount": ["Give the amount of the refund or compensation."]
    }


def test_remedies_that_pay_nothing_need_no_amount(post):
    posted = post(ResolutionForm, {**MAJOR, "remedies": ["apology"], "compensation_amount": ""})
    assert posted.valid, posted.errors
    assert posted.form.task_data()["compensation_amount"] is None


def test_negative_compensation_is_refused(post):
    posted = post(ResolutionForm, {**MAJOR, "compensation_amount": "-150"})
    assert posted.errors == {
        "compensation_amount": ["Enter an amount between 0 and 9,999,999,999.99."]
    }


def test_major_resolution_needs_a_remedy(post, without):
    assert post(ResolutionForm, without(MAJOR, "remedies")).errors == {
        "remedies": ["Choose at least one remedy."]
    }


def test_confidential_case_may_close_without_a_remedy(post):
    posted = post(ConfidentialCaseForm, CONFIDENTIAL)
    assert posted.valid, posted.errors
    assert posted.form.task_data()["remedies"] == []


def test_confidential_case_needs_findings(post, without):
    assert post(ConfidentialCaseForm, without(CONFIDENTIAL, "findings")).errors == {
        "findings": ["Record the findings."]
    }


def test_remedy_boxes_do_not_each_demand_a_tick_in_the_browser():
    # HTML `required` on every box of a group would make the browser insist on all of them.
    html = str(MinorResolutionForm().remedies())
    assert html.count('type="checkbox"') == 10
    assert "required" not in html


@pytest.mark.parametrize("form_cls", [MinorResolutionForm, ResolutionForm, ConfidentialCaseForm])
def test_a_letter_still_holding_a_draft_placeholder_is_refused_naming_it(post, form_cls):
    data = {MinorResolutionForm: MINOR, ResolutionForm: MAJOR}.get(form_cls, CONFIDENTIAL)
    letter = "Dear Ms Diallo,\n\n[What we will do to put it right, and when.]\n\nYours."
    posted = post(form_cls, {**data, "response_letter": letter})
    assert posted.errors == {
        "response_letter": [
            "Replace the part [What we will do to put it right, and when.] with your text "
            "before sending the letter."
        ]
    }


def test_an_emptied_placeholder_is_refused_too(post):
    posted = post(MinorResolutionForm, {**MINOR, "response_letter": f"{LETTER} [] Yours."})
    assert posted.errors == {
        "response_letter": ["Replace the part [] with your text before sending the letter."]
    }


def test_the_published_schema_refuses_a_placeholder_like_the_form():
    from forms.base import json_validator

    schema = MinorResolutionForm.json_schema()
    body = {
        "action_taken": "Seal replaced.",
        "remedies": ["repair"],
        "resolution_summary": "Seal replaced.",
        "response_letter": LETTER,
    }
    assert list(json_validator(schema).iter_errors(body)) == []
    body["response_letter"] = f"{LETTER} [What we found.]"
    assert list(json_validator(schema).iter_errors(body)) != []


def test_a_review_letter_with_a_placeholder_is_refused(post):
    from forms import CaseReviewForm

    posted = post(
        CaseReviewForm,
        {
            "review_decision": "upheld",
            "review_findings": "The refund was late.",
            "review_letter": "Dear Ms Diallo, [decision].",
        },
    )
    assert posted.errors == {
        "review_letter": ["Replace the part [decision] with your text before sending the letter."]
    }
