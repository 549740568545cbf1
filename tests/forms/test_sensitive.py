"""Consent and safe contact, and referral to support services (the confidential path)."""

from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from forms import FORMS, ConsentForm, ReferralForm

CONSENT = {
    "consent_to_action": "y",
    "consent_to_referral": "y",
    "safe_contact_method": "phone",
    "safe_contact_details": "+221 77 111 11 11",
    "safe_times": "Weekdays 10:00-12:00",
}
PROVIDERS = [(3, "Centre de santé (medical)"), (7, "Clinique juridique (legal)")]


def referral_form(post, data):
    """Post to the referral form offering PROVIDERS, as services.sensitive.prepare_form does."""
    form = ReferralForm(MultiDict(data))
    form.fill_choices("provider", PROVIDERS)
    valid = form.validate()
    return form, valid, {k: [str(m) for m in v] for k, v in form.errors.items()}


def test_both_forms_are_registered_under_their_form_keys():
    assert FORMS["record_consent"] is ConsentForm
    assert FORMS["refer_support"] is ReferralForm


def test_consent_with_a_safe_number_is_task_data(post):
    posted = post(ConsentForm, CONSENT)
    assert posted.valid, posted.errors
    data = posted.form.task_data()
    assert data["consent_to_action"] is True and data["consent_to_disclosure"] is False
    assert data["safe_contact_method"] == "phone"
    assert data["safe_contact_details"] == "+221 77 111 11 11"
    assert data["shared_contact_safe"] is False


def test_a_written_contact_needs_a_safe_address_or_the_given_one_declared_safe(post):
    posted = post(ConsentForm, {**CONSENT, "safe_contact_details": ""})
    assert posted.errors == {
        "safe_contact_details": [
            "Give the safe address or number, or confirm that the one already given is safe."
        ]
    }
    declared = post(
        ConsentForm, {**CONSENT, "safe_contact_details": "", "shared_contact_safe": "y"}
    )
    assert declared.valid, declared.errors


def test_no_contact_or_in_person_needs_no_address(post):
    for method in ("none", "in_person"):
        posted = post(
            ConsentForm, {**CONSENT, "safe_contact_method": method, "safe_contact_details": ""}
        )
        assert posted.valid, (method, posted.errors)


def test_a_safe_email_must_be_an_email_address(post):
    posted = post(ConsentForm, {**CONSENT, "safe_contact_method": "email"})
    assert posted.errors == {"safe_contact_details": ["Enter a valid email address."]}


def test_the_method_is_required(post):
    posted = post(ConsentForm, {**CONSENT, "safe_contact_method": ""})
    assert posted.errors == {
        "safe_contact_method": ["Choose how the complainant can safely be reached."]
    }


def test_a_referral_to_an_offered_provider_with_consent_is_valid(post):
    _form, valid, errors = referral_form(
        post, {"provider": "7", "referral_date": date.today().isoformat(), "consent_confirmed": "y"}
    )
    assert valid, errors


def test_a_referral_needs_consent_and_a_date(post):
    _form, valid, errors = referral_form(post, {"provider": "7"})
    assert not valid
    assert errors == {
        "consent_confirmed": ["A referral needs the complainant's consent."],
        "referral_date": ["Give the date of the referral."],
    }


def test_a_referral_date_cannot_be_in_the_future(post):
    later = (date.today() + timedelta(days=3)).isoformat()
    _form, _valid, errors = referral_form(
        post, {"provider": "3", "referral_date": later, "consent_confirmed": "y"}
    )
    assert errors == {"referral_date": ["This cannot be in the future."]}


def test_either_a_provider_or_declined_not_both_not_neither(post):
    _f, _v, neither = referral_form(post, {})
    assert neither == {
        "provider": ["Choose a support service, or record that the complainant declined."]
    }
    _f, valid, _e = referral_form(post, {"declined": "y"})
    assert valid
    _f, _v, both = referral_form(
        post,
        {"provider": "3", "declined": "y", "consent_confirmed": "y", "referral_date": "2026-01-02"},
    )
    assert both == {
        "provider": ["Choose a support service or record that the complainant declined, not both."]
    }


def test_a_provider_that_is_not_offered_is_refused(post):
    _f, valid, errors = referral_form(
        post, {"provider": "99", "consent_confirmed": "y", "referral_date": "2026-01-02"}
    )
    assert not valid
    assert "provider" in errors
