"""Classification: category, severity, flags and financial impact."""

from decimal import Decimal

import pytest

from forms import ClassificationForm

CLASSIFIED = {
    "category": "billing",
    "severity": "medium",
    "breach_of_law": "y",
    "financial_impact": "1250.50",
    "classification_notes": "Double charge.",
}


def test_classified_complaint_gives_typed_task_data(post):
    posted = post(ClassificationForm, CLASSIFIED)
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {
        "category": "billing",
        "severity": "medium",
        "breach_of_law": True,
        "safety_issue": False,
        "sensitive": False,
        "financial_impact": Decimal("1250.50"),
        "classification_notes": "Double charge.",
    }


def test_category_and_severity_are_required(post):
    posted = post(ClassificationForm, {"category": "", "financial_impact": ""})
    assert posted.errors == {
        "category": ["Choose a category."],
        "severity": ["Choose a severity."],
    }


def test_unknown_category_is_refused(post):
    posted = post(ClassificationForm, {**CLASSIFIED, "category": "weather"})
    assert posted.errors == {"category": ["Not a valid choice."]}


def test_confidential_flag_label_names_what_it_covers():
    label = str(ClassificationForm().sensitive.label.text)
    assert label == "Confidential (harassment, gender-based violence, whistle-blowing)"


def test_gender_based_violence_is_a_category(post):
    data = {**CLASSIFIED, "category": "gender_based_violence", "sensitive": "y"}
    assert post(ClassificationForm, data).form.task_data()["sensitive"] is True


def test_financial_impact_is_optional(post):
    posted = post(ClassificationForm, {**CLASSIFIED, "financial_impact": ""})
    assert posted.valid, posted.errors
    assert posted.form.task_data()["financial_impact"] is None


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "Enter an amount between 0 and 9,999,999,999.99."),
        ("NaN", "Enter an amount between 0 and 9,999,999,999.99."),
        ("Infinity", "Enter an amount between 0 and 9,999,999,999.99."),
        ("1e15", "Enter an amount between 0 and 9,999,999,999.99."),
        # The amount columns hold ten digits before the point (a larger one failed to save).
        ("10000000000", "Enter an amount between 0 and 9,999,999,999.99."),
        ("12.345", "Use at most 2 decimals."),
        ("twelve", "Not a valid decimal value."),
    ],
)
def test_financial_impact_must_be_a_sensible_amount(post, amount, message):
    posted = post(ClassificationForm, {**CLASSIFIED, "financial_impact": amount})
    assert posted.errors == {"financial_impact": [message]}


def test_trailing_zeros_are_not_extra_decimals(post):
    posted = post(ClassificationForm, {**CLASSIFIED, "financial_impact": "12.500"})
    assert posted.valid, posted.errors
    assert posted.form.task_data()["financial_impact"] == Decimal("12.5")
