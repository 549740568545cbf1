"""The choice lists and their labels."""

from wtforms import SelectChoice

from forms import choices
from forms.choices import CATEGORIES, REMEDIES, SCORES, label, options


def test_choice_values_are_the_ones_the_procedure_stores():
    assert [value for value, _ in choices.CHANNELS] == [
        "web", "phone", "email", "letter", "counter", "social_media",
    ]  # fmt: skip
    assert [value for value, _ in CATEGORIES] == [
        "product_quality", "customer_service", "billing", "delivery", "safety",
        "gender_based_violence", "other",
    ]  # fmt: skip
    assert [value for value, _ in choices.REGISTRATION_OUTCOMES] == [
        "complete", "incomplete", "not_a_complaint", "duplicate",
    ]  # fmt: skip
    assert [value for value, _ in REMEDIES] == [
        "explanation", "apology", "repair", "replacement", "refund", "price_reduction",
        "repeat_performance", "compensation", "staff_training", "process_change",
    ]  # fmt: skip
    assert [value for value, _ in choices.SIGN_OFF_DECISIONS] == ["approved", "sent_back"]
    assert [value for value, _ in choices.ESCALATION_DECISIONS] == ["approved", "refused"]
    assert [value for value, _ in choices.ROOT_CAUSES] == [
        "process", "people", "product", "supplier", "communication", "system", "policy",
        "external", "other",
    ]  # fmt: skip
    assert [value for value, _ in SCORES] == [1, 2, 3, 4, 5]


def test_every_list_has_distinct_values_and_labels():
    lists = [v for k, v in vars(choices).items() if k.isupper() and isinstance(v, tuple)]
    assert len(lists) == 24
    for pairs in lists:
        values = [value for value, _ in pairs]
        labels = [str(text) for _, text in pairs]
        assert len(set(values)) == len(values)
        assert len(set(labels)) == len(labels)
        assert all(labels)


def test_label_gives_the_label_of_a_value():
    assert str(label(CATEGORIES, "billing")) == "Billing"
    assert str(label(SCORES, 5)) == "5 – very satisfied"


def test_label_of_an_unknown_value_is_the_value_itself():
    assert label(CATEGORIES, "retired_category") == "retired_category"
    assert label(CATEGORIES, None) == ""


def test_options_are_wtforms_choices_with_an_optional_blank_head():
    plain = options(choices.SEVERITIES)
    assert all(isinstance(option, SelectChoice) for option in plain)
    assert [option.value for option in plain] == ["low", "medium", "high", "critical"]
    headed = options(choices.SEVERITIES, choices.PLACEHOLDER)
    assert headed[0].value == ""
    assert str(headed[0].label) == "Choose…"
