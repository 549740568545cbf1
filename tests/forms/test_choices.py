"""The choice lists: the procedure's (processes/choices.toml, forms.lists) and the
application's own (forms.choices), and their labels."""

import pytest
from flask_babel import force_locale
from wtforms import SelectChoice

from forms import choices, lists
from forms.choices import SCORES, STATUSES, label, options
from forms.lists import ListsError


def test_the_shipped_lists_hold_the_values_the_procedure_stores():
    shipped = lists.shipped()
    assert shipped.values("channels") == [
        "web", "phone", "email", "letter", "counter", "social_media",
    ]  # fmt: skip
    assert shipped.values("categories") == [
        "product_quality", "customer_service", "billing", "delivery", "safety",
        "gender_based_violence", "other",
    ]  # fmt: skip
    assert shipped.values("registration_outcomes") == [
        "complete", "incomplete", "not_a_complaint", "duplicate",
    ]  # fmt: skip
    assert shipped.values("remedies") == [
        "explanation", "apology", "repair", "replacement", "refund", "price_reduction",
        "repeat_performance", "compensation", "staff_training", "process_change",
    ]  # fmt: skip
    assert shipped.values("sign_off_decisions") == ["approved", "sent_back"]
    assert shipped.values("escalation_decisions") == ["approved", "refused"]
    assert shipped.values("root_causes") == [
        "process", "people", "product", "supplier", "communication", "system", "policy",
        "external", "other",
    ]  # fmt: skip
    assert [value for value, _ in SCORES] == [1, 2, 3, 4, 5]


def test_the_shipped_lists_have_distinct_values_and_labels_in_both_languages(app):
    shipped = lists.shipped()
    assert len(shipped.names()) == 19
    for name in shipped.names():
        pairs = shipped.choices(name)
        values = [value for value, _ in pairs]
        assert len(set(values)) == len(values)
        for language in ("en", "fr"):
            with app.test_request_context(), force_locale(language):
                labels = [str(text) for _, text in pairs]
            assert len(set(labels)) == len(labels), (name, language)
            assert all(labels)


def test_a_label_follows_the_readers_language(app):
    with app.test_request_context(), force_locale("fr"):
        assert str(lists.shipped().label("categories", "billing")) == "Facturation"
    with app.test_request_context(), force_locale("en"):
        assert str(lists.shipped().label("categories", "billing")) == "Billing"


def test_the_applications_own_lists_have_distinct_values_and_labels():
    own = [v for k, v in vars(choices).items() if k.isupper() and isinstance(v, tuple)]
    assert len(own) == 5  # languages, contact channels, safe contact methods, scores, statuses
    for pairs in own:
        values = [value for value, _ in pairs]
        labels = [str(text) for _, text in pairs]
        assert len(set(values)) == len(values)
        assert len(set(labels)) == len(labels)
        assert all(labels)


def test_label_gives_the_label_of_a_value():
    assert str(lists.shipped().label("categories", "billing")) == "Billing"
    assert str(label(SCORES, 5)) == "5 – very satisfied"
    assert str(label(STATUSES, "closed")) == "Closed"


def test_label_of_an_unknown_value_is_the_value_itself():
    assert lists.shipped().label("categories", "retired_category") == "retired_category"
    assert lists.shipped().label("categories", None) == ""
    assert label(STATUSES, "retired") == "retired"


def test_a_value_a_version_removed_reads_the_shipped_label():
    own = lists.loads(lists.shipped_text().replace('billing = { en = "Billing"', "# "))
    assert "billing" not in own.values("categories")
    assert own.label("categories", "billing") == "billing"
    assert str(own.with_fallback(lists.shipped()).label("categories", "billing")) == "Billing"


def test_options_are_wtforms_choices_with_an_optional_blank_head():
    plain = options(lists.shipped().choices("severities"))
    assert all(isinstance(option, SelectChoice) for option in plain)
    assert [option.value for option in plain] == ["low", "medium", "high", "critical"]
    headed = options(lists.shipped().choices("severities"), choices.PLACEHOLDER)
    assert headed[0].value == ""
    assert str(headed[0].label) == "Choose…"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[categories\n", "not valid TOML"),
        ('[Categories]\na = { en = "A", fr = "A" }\n', "the list name 'Categories'"),
        ("[flavours]\n", "list flavours needs at least one value"),
        ('[flavours]\nVanilla = { en = "V", fr = "V" }\n', "the value 'Vanilla' must be"),
        ('[flavours]\nvanilla = { en = "Vanilla" }\n', "value 'vanilla' has no text in fr"),
        ('[flavours]\nvanilla = "Vanilla"\n', "needs a text in each language"),
        ('[flavours]\nvanilla = { en = "<b>V</b>", fr = "V" }\n', "must be plain text"),
    ],
)
def test_a_lists_file_that_cannot_be_used_is_refused_naming_why(text, problem):
    with pytest.raises(ListsError) as refused:
        lists.loads(lists.shipped_text() + "\n" + text)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_the_lists_and_values_the_application_reads_cannot_be_removed():
    text = lists.shipped_text()
    without_list = text.replace("[purchase_modes]", "[purchase_ways]")
    with pytest.raises(ListsError) as refused:
        lists.loads(without_list)
    assert "the list purchase_modes is missing: the application reads it" in refused.value.problems
    without_value = text.replace("\nweb = {", "\nwww = {")
    with pytest.raises(ListsError) as refused:
        lists.loads(without_value)
    assert (
        "list channels: the value 'web' is missing: the application acts on it"
        in refused.value.problems
    )
