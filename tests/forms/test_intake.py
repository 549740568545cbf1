"""The complaint form: public filing and intake by staff."""

from datetime import date, datetime, timedelta

import pytest
from wtforms.fields import FileField, MultipleFileField

from forms import ComplaintForm, StaffIntakeForm

NAMED = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "preferred_contact": "email",
    "event_date": "2026-01-15",
    "product_service": "Washing machine WM-300",
    "purchase_date": "2025-12-01",
    "purchase_mode": "in_store",
    "payment_mode": "card",
    "delivery_date": "2025-12-05",
    "delivery_mode": "home_delivery",
    "description": "The machine leaks water from the first wash.",
    "desired_remedy": "A replacement",
    "attestation": "y",
}
ANONYMOUS = {
    "anonymous": "y",
    "preferred_contact": "none",
    "description": "The counter clerk insulted me in front of other customers.",
    "attestation": "y",
}
IN_THREE_DAYS = (date.today() + timedelta(days=3)).isoformat()


def test_named_complaint_with_its_contact_is_accepted(post):
    posted = post(ComplaintForm, NAMED)
    assert posted.errors == {}
    assert posted.valid


def test_anonymous_complaint_needs_no_name_and_no_contact(post):
    posted = post(ComplaintForm, ANONYMOUS)
    assert posted.valid, posted.errors
    data = posted.form.task_data()
    assert data["anonymous"] is True
    assert data["complainant_name"] == ""
    assert data["preferred_contact"] == "none"


def test_preferred_contact_left_alone_means_the_first_contact_detail_given(post, without):
    # "" is "the first contact detail given": services.complaints picks the channel.
    posted = post(ComplaintForm, without(NAMED, "preferred_contact"))
    assert posted.valid, posted.errors
    assert posted.form.task_data()["preferred_contact"] == ""
    anonymous = post(ComplaintForm, without(ANONYMOUS, "preferred_contact"))
    assert anonymous.valid, anonymous.errors


def test_no_contact_is_an_explicit_choice(post):
    posted = post(ComplaintForm, {**NAMED, "preferred_contact": "none"})
    assert posted.valid, posted.errors
    assert posted.form.task_data()["preferred_contact"] == "none"


def test_the_violence_flag_is_task_data_and_off_by_default(post):
    assert post(ComplaintForm, NAMED).form.task_data()["sensitive_at_intake"] is False
    flagged = post(ComplaintForm, {**NAMED, "sensitive_at_intake": "y"})
    assert flagged.form.task_data()["sensitive_at_intake"] is True
    staff = post(StaffIntakeForm, {**NAMED, "channel": "phone", "sensitive_at_intake": "y"})
    assert staff.valid, staff.errors
    assert staff.form.task_data()["sensitive_at_intake"] is True


def test_anonymous_complaint_cannot_ask_to_be_contacted(post):
    posted = post(ComplaintForm, {**ANONYMOUS, "preferred_contact": "email", "email": "a@b.org"})
    assert posted.errors == {
        "preferred_contact": [
            "An anonymous complaint is followed with the tracking link only: choose “No contact”."
        ]
    }


def test_named_complaint_needs_a_name(post):
    posted = post(ComplaintForm, {**NAMED, "complainant_name": "   "})
    assert posted.errors == {"complainant_name": ["Give a name, or choose to stay anonymous."]}


@pytest.mark.parametrize(
    ("channel", "field", "message"),
    [
        ("email", "email", "Give an email address to be contacted by email."),
        ("phone", "phone", "Give a telephone number to be contacted by telephone."),
        ("letter", "postal_address", "Give a postal address to be contacted by letter."),
    ],
)
def test_preferred_contact_channel_needs_its_contact_detail(post, channel, field, message):
    data = {**NAMED, "preferred_contact": channel, "email": "", "phone": "01 23 45 67 89"}
    if field == "phone":
        data |= {"phone": "", "email": "aminata@example.org"}
    posted = post(ComplaintForm, data)
    assert posted.errors == {field: [message]}


def test_each_preferred_channel_is_accepted_with_its_contact_detail(post):
    by_letter = {**NAMED, "preferred_contact": "letter", "postal_address": "12 rue des Lilas"}
    by_phone = {**NAMED, "preferred_contact": "phone", "email": "", "phone": "+221 77 000 00 00"}
    assert post(ComplaintForm, by_letter).valid
    assert post(ComplaintForm, by_phone).valid


def test_named_complaint_without_any_way_to_reach_the_complainant_is_refused(post):
    posted = post(ComplaintForm, {**NAMED, "preferred_contact": "none", "email": ""})
    assert posted.errors == {
        "preferred_contact": [
            "Give an email address, a telephone number or a postal address, "
            "or choose to stay anonymous."
        ]
    }


def test_named_complaint_that_wants_no_contact_is_accepted_with_a_contact_detail(post):
    assert post(ComplaintForm, {**NAMED, "preferred_contact": "none"}).valid


def test_malformed_email_is_refused_even_when_not_the_preferred_channel(post):
    data = {**NAMED, "preferred_contact": "phone", "phone": "0123456789", "email": "not-an-email"}
    posted = post(ComplaintForm, data)
    assert posted.errors == {"email": ["Enter a valid email address."]}


def test_telephone_number_with_letters_is_refused(post):
    posted = post(ComplaintForm, {**NAMED, "phone": "call me maybe"})
    assert posted.errors == {"phone": ["Enter a telephone number, for example +33 1 23 45 67 89."]}


def test_unknown_preferred_contact_is_refused(post):
    posted = post(ComplaintForm, {**NAMED, "preferred_contact": "pigeon"})
    assert posted.errors == {"preferred_contact": ["Not a valid choice."]}


@pytest.mark.parametrize("field", ["event_date", "purchase_date"])
def test_dates_in_the_future_are_refused(post, field):
    posted = post(ComplaintForm, {**NAMED, field: IN_THREE_DAYS})
    assert posted.errors == {field: ["This cannot be in the future."]}


def test_today_is_not_the_future(post):
    posted = post(ComplaintForm, {**NAMED, "event_date": date.today().isoformat()})
    assert posted.valid, posted.errors


def test_malformed_date_is_refused(post):
    posted = post(ComplaintForm, {**NAMED, "event_date": "15/01/2026"})
    assert posted.errors == {"event_date": ["Not a valid date value."]}


def test_description_is_required_and_at_least_ten_characters(post, without):
    assert post(ComplaintForm, without(NAMED, "description")).errors == {
        "description": ["Describe what happened."]
    }
    assert post(ComplaintForm, {**NAMED, "description": "Too short"}).errors == {
        "description": ["Field must be between 10 and 5000 characters long."]
    }


def test_description_longer_than_5000_characters_is_refused(post):
    posted = post(ComplaintForm, {**NAMED, "description": "x" * 5001})
    assert list(posted.errors) == ["description"]


def test_public_complaint_must_be_attested(post, without):
    posted = post(ComplaintForm, without(NAMED, "attestation"))
    assert posted.errors == {"attestation": ["Confirm that the information is accurate."]}


def test_unknown_purchase_mode_is_refused_and_blank_means_not_applicable(post):
    assert post(ComplaintForm, {**NAMED, "purchase_mode": "barter"}).errors == {
        "purchase_mode": ["Not a valid choice."]
    }
    posted = post(ComplaintForm, {**NAMED, "purchase_mode": ""})
    assert posted.valid
    assert posted.form.task_data()["purchase_mode"] == ""


def test_empty_optional_fields_become_empty_text_or_none(post):
    data = post(ComplaintForm, ANONYMOUS).form.task_data()
    assert data["department"] == ""
    assert data["desired_remedy"] == ""
    assert data["payment_mode"] == ""
    assert data["event_date"] is None
    assert data["delivery_date"] is None


def test_text_is_stripped_of_surrounding_white_space(post):
    posted = post(ComplaintForm, {**NAMED, "complainant_name": "  Aminata Diallo \n"})
    assert posted.form.task_data()["complainant_name"] == "Aminata Diallo"


def test_task_data_holds_dates_and_booleans(post):
    data = post(ComplaintForm, NAMED).form.task_data()
    assert data["event_date"] == date(2026, 1, 15)
    assert data["anonymous"] is False
    assert data["attestation"] is True
    assert "form_date" not in data


def test_complaint_forms_hold_no_file_upload():
    for form in (ComplaintForm(), StaffIntakeForm()):
        assert not [f for f in form if isinstance(f, FileField | MultipleFileField)]


# Received a month ago (a receipt time must be within the last year).
RECEIVED = datetime.combine(date.today() - timedelta(days=30), datetime.min.time()).replace(
    hour=9, minute=30
)
STAFF = {
    **NAMED,
    "channel": "phone",
    "received_at": f"{RECEIVED:%Y-%m-%dT%H:%M}",
    "attestation": "",
}


def test_staff_records_a_complaint_without_written_attestation(post):
    posted = post(StaffIntakeForm, {**STAFF, "consent_recorded": "y"})
    assert posted.valid, posted.errors
    data = posted.form.task_data()
    assert data["channel"] == "phone"
    assert data["received_at"] == RECEIVED
    assert data["attestation"] is False
    assert data["consent_recorded"] is True


def test_staff_must_say_how_the_complaint_came_in(post, without):
    assert post(StaffIntakeForm, without(STAFF, "channel")).errors == {
        "channel": ["Choose how the complaint came in."]
    }
    assert post(StaffIntakeForm, {**STAFF, "channel": "fax"}).errors == {
        "channel": ["Not a valid choice."]
    }


def test_received_at_is_optional_but_not_in_the_future(post):
    assert post(StaffIntakeForm, {**STAFF, "received_at": ""}).valid
    later = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    assert post(StaffIntakeForm, {**STAFF, "received_at": later}).errors == {
        "received_at": ["This cannot be in the future."]
    }


def test_received_at_accepts_seconds_and_refuses_other_formats(post):
    assert post(StaffIntakeForm, {**STAFF, "received_at": f"{RECEIVED:%Y-%m-%dT%H:%M}:15"}).valid
    posted = post(StaffIntakeForm, {**STAFF, "received_at": "20/01/2026 09:30"})
    assert posted.errors == {"received_at": ["Not a valid datetime value."]}


def test_staff_form_applies_the_same_contact_rules(post):
    posted = post(StaffIntakeForm, {**STAFF, "complainant_name": ""})
    assert posted.errors == {"complainant_name": ["Give a name, or choose to stay anonymous."]}
