"""Recorded form data in words: labels for names, choice labels for values."""

from forms import FORMS, StaffIntakeForm
from forms.summary import describe


def test_task_data_reads_under_the_forms_labels_in_field_order():
    rows = describe(
        FORMS["classify_complaint"],
        {"severity": "low", "category": "billing", "breach_of_law": True, "sensitive": False},
    )
    assert rows == [
        ("Category", "Billing"),
        ("Severity", "Low"),
        ("Possible breach of law", "Yes"),
        ("Confidential (harassment, gender-based violence, whistle-blowing)", "No"),
    ]


def test_several_choices_read_as_a_list_of_labels():
    rows = describe(FORMS["resolve_minor"], {"remedies": ["repair", "apology"]})
    assert rows == [("Remedies", "Repair, Apology")]


def test_empty_values_are_left_out_and_unknown_keys_keep_their_name():
    rows = describe(StaffIntakeForm, {"complainant_name": "", "channel": "phone", "consent": True})
    assert rows == [("Received by", "Telephone"), ("Consent", "Yes")]


def test_a_value_no_longer_among_the_choices_shows_as_recorded():
    assert describe(FORMS["classify_complaint"], {"category": "weather"}) == [
        ("Category", "weather")
    ]


def test_data_without_a_form_keeps_its_own_names():
    assert describe(None, {"channel": "email", "at": None}) == [("Channel", "email")]
