"""Registration: the intake agent's check of a filed complaint."""

import pytest

from forms import RegistrationForm

COMPLETE = {
    "form_complete": "y",
    "consent_confirmed": "y",
    "registration_outcome": "complete",
    "registration_notes": "Signed on the counter.",
}


def test_complete_and_consented_complaint_is_registered(post):
    posted = post(RegistrationForm, COMPLETE)
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {
        "form_complete": True,
        "consent_confirmed": True,
        "registration_outcome": "complete",
        "missing_information": "",
        "duplicate_of": "",
        "registration_notes": "Signed on the counter.",
    }


@pytest.mark.parametrize(
    ("unticked", "message"),
    [
        ("form_complete", "Check the form is complete before registering it."),
        ("consent_confirmed", "Check the complainant signed or consented before registering it."),
    ],
)
def test_complete_outcome_needs_both_checks_ticked(post, without, unticked, message):
    posted = post(RegistrationForm, without(COMPLETE, unticked))
    assert posted.errors == {unticked: [message]}


def test_outcome_is_required_and_must_be_known(post, without):
    assert post(RegistrationForm, without(COMPLETE, "registration_outcome")).errors == {
        "registration_outcome": ["Choose what happens to the complaint."]
    }
    assert post(RegistrationForm, {**COMPLETE, "registration_outcome": "lost"}).errors == {
        "registration_outcome": ["Not a valid choice."]
    }


def test_incomplete_complaint_needs_the_missing_information(post):
    posted = post(RegistrationForm, {"registration_outcome": "incomplete"})
    assert posted.errors == {
        "missing_information": ["Say what information the complainant must supply."]
    }
    posted = post(
        RegistrationForm,
        {"registration_outcome": "incomplete", "missing_information": "Your invoice number."},
    )
    assert posted.valid, posted.errors


def test_duplicate_needs_the_original_reference(post):
    posted = post(RegistrationForm, {"registration_outcome": "duplicate"})
    assert posted.errors == {"duplicate_of": ["Give the reference of the complaint it duplicates."]}


def test_duplicate_reference_must_look_like_a_reference(post):
    posted = post(
        RegistrationForm, {"registration_outcome": "duplicate", "duplicate_of": "C-26-42"}
    )
    assert posted.errors == {"duplicate_of": ["Enter a reference such as C-2025-000042."]}


def test_duplicate_reference_is_read_in_any_case(post):
    posted = post(
        RegistrationForm, {"registration_outcome": "duplicate", "duplicate_of": " c-2026-000042 "}
    )
    assert posted.valid, posted.errors
    assert posted.form.task_data()["duplicate_of"] == "C-2026-000042"


def test_not_a_complaint_needs_no_checks(post):
    posted = post(RegistrationForm, {"registration_outcome": "not_a_complaint"})
    assert posted.valid, posted.errors
    assert posted.form.task_data()["form_complete"] is False
