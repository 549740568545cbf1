"""Survivor-centred handling: informed consent, a safe way to reach the complainant, referral."""

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import BooleanField, DateField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from forms.base import FILLED_TEXT, NotInFuture, TaskForm, needs, when
from forms.choices import Choices, options
from forms.intake import API_EMAIL_PATTERN

SAFE_CONTACT_METHODS: Choices = (
    ("email", _l("Email")),
    ("phone", _l("Telephone")),
    ("post", _l("Post")),
    ("in_person", _l("In person")),
    ("none", _l("No contact (tracking link only)")),
)
# Methods that write to an address or a number, which must then be one known to be safe.
WRITTEN_METHODS = frozenset({"email", "phone", "post"})
NO_REFERRAL = _l("No referral")
FILLED_CHOICES = (
    "The choices are the active support services (their ids), listed by the task's own "
    "payload_schema (GET /tasks/{task_id})."
)


class DatedReferral:
    """A referral has a date: an empty date is refused once a provider is chosen."""

    def __call__(self, form: Form, field: Field) -> None:
        """Stop with one clear message (before Optional() would accept the empty date)."""
        if form.provider.data and not field.data:
            field.errors[:] = []  # not also "Not a valid date value."
            raise StopValidation(_l("Give the date of the referral."))


class ConsentForm(TaskForm):
    """Informed consent and the safe way to reach the complainant (form key record_consent)."""

    consent_to_action = BooleanField(_l("The complainant agrees that we act on the complaint"))
    consent_to_disclosure = BooleanField(
        _l("The complainant agrees that we share what is needed with the people who must act")
    )
    consent_to_referral = BooleanField(
        _l("The complainant agrees to be referred to support services")
    )
    safe_contact_method = SelectField(
        _l("Safe way to reach the complainant"),
        choices=options(SAFE_CONTACT_METHODS, _l("Choose…")),
        validators=[DataRequired(message=_l("Choose how the complainant can safely be reached."))],
    )
    safe_contact_details = StringField(
        _l("Safe address or number"),
        description=_l("Leave empty to use the one the complainant already gave, if it is safe."),
        validators=[Length(max=300)],
    )
    safe_times = StringField(
        _l("Safe times to make contact"), validators=[Optional(), Length(max=200)]
    )
    shared_contact_safe = BooleanField(
        _l("The complainant said it is safe to write to the address or number already given")
    )
    consent_notes = TextAreaField(_l("Notes on consent"), validators=[Length(max=5000)])

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """A written method needs a safe address, or the one given confirmed safe; an email
        address as the API takes it (as on the public form)."""
        method = "safe_contact_method"
        address = {
            "anyOf": [
                needs(safe_contact_details=FILLED_TEXT),
                needs(shared_contact_safe={"const": True}),
            ],
            "x-field": "safe_contact_details",
        }
        return [
            when(method, {"enum": sorted(WRITTEN_METHODS)}, address),
            when(
                method,
                {"const": "email"},
                {"properties": {"safe_contact_details": {"pattern": API_EMAIL_PATTERN}}},
            ),
        ]

    def validate_safe_contact_details(self, field: Field) -> None:
        """A written method needs a safe address: this one, or the one given if it is safe."""
        method = self.safe_contact_method.data
        if method not in WRITTEN_METHODS:
            return
        if not field.data and not self.shared_contact_safe.data:
            raise ValidationError(
                _l(
                    "Give the safe address or number, or confirm that the one already given "
                    "is safe."
                )
            )
        if field.data and method == "email":
            Email(message=_l("Enter a valid email address."))(self, field)


class ReferralForm(TaskForm):
    """Referral to a support service, with the complainant's consent (form key refer_support)."""

    # The active service providers are set by the caller (set_providers): forms read no data.
    provider = SelectField(_l("Support service"), choices=options((), NO_REFERRAL), default="")
    referral_date = DateField(
        _l("Date of the referral"),
        validators=[DatedReferral(), Optional(), NotInFuture()],
    )
    consent_confirmed = BooleanField(_l("The complainant consents to this referral"))
    declined = BooleanField(_l("The complainant declined a referral"))
    referral_notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def set_providers(self, providers: Iterable[tuple[int | str, str]]) -> None:
        """Offer these service providers (id, name), after the "no referral" option."""
        self.provider.choices = options(
            tuple((str(value), text) for value, text in providers), NO_REFERRAL
        )

    @classmethod
    def json_schema_overrides(cls) -> dict[str, dict[str, Any]]:
        """Where the services offered are listed (the class alone offers none)."""
        return {"provider": {"$comment": FILLED_CHOICES}}

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """A referral (dated, with consent) or the complainant's refusal: one of the two."""
        return [
            {
                "if": {"properties": {"provider": {"minLength": 1}}, "required": ["provider"]},
                "then": {
                    **needs(consent_confirmed={"const": True}, referral_date={"type": "string"}),
                    "not": needs(declined={"const": True}),
                    "x-field": "provider",
                },
                # Neither: the form names the missing choice of a provider.
                "else": {"anyOf": [needs(declined={"const": True})], "x-field": "provider"},
            }
        ]

    def validate_provider(self, field: Field) -> None:
        """Either a referral or the complainant's refusal, not both and not neither."""
        if field.data and self.declined.data:
            raise ValidationError(
                _l("Choose a support service or record that the complainant declined, not both.")
            )
        if not field.data and not self.declined.data:
            raise ValidationError(
                _l("Choose a support service, or record that the complainant declined.")
            )

    def validate_consent_confirmed(self, field: Field) -> None:
        """No referral without the complainant's consent."""
        if self.provider.data and not field.data:
            raise ValidationError(_l("A referral needs the complainant's consent."))
