"""Receipt: a complaint filed on the public form, or recorded by an intake agent."""

from collections.abc import Callable, Iterator
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from forms.base import FILLED_TEXT, NotInFuture, TaskForm, WithinLastYear, needs, when
from forms.choices import CONTACT_CHANNELS, LANGUAGES, PLACEHOLDER, listed, options

# Digits and the punctuation people write numbers with; empty is allowed (it may be optional).
PHONE_PATTERN = r"^(\+?[0-9 ()./-]{6,40})?$"
# The contact detail each preferred contact channel needs.
CONTACT_FIELD = {"email": "email", "phone": "phone", "letter": "postal_address"}
NOT_APPLICABLE = _l("Not applicable")
# What the API takes as a telephone number: PHONE_PATTERN without white space around it.
API_PHONE_PATTERN = r"^(\+?[0-9()./-][0-9 ()./-]{4,38}[0-9()./-])?$"


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


# An address the email validator surely takes: dot-atoms, a letters-only top-level domain
# that is not a special-use name (RFC 6761), at most 64 characters before the @.
_SPECIAL_USE = "|".join(
    _any_case(name) for name in ("arpa", "invalid", "local", "localhost", "onion", "test")
)
API_EMAIL_PATTERN = (
    r"^$|^(?=[^@]{1,64}@)[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*"
    r"@([A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20})?\.)+"
    rf"(?!({_SPECIAL_USE})$)[A-Za-z]{{2,20}}$"
)
# The managed list of departments (services.departments.choices: the name complaints carry
# and the name in the reader's language), supplied by the application when it starts (forms
# import nothing of ours); read each time a form is built.
_DEPARTMENT_SOURCE: list[Callable[[], list[tuple[str, str]]]] = []
# The other names a department may be given by (its French name -> the name complaints carry).
_DEPARTMENT_ALIASES: list[Callable[[], dict[str, str]]] = []
NOT_SPECIFIED = _l("Not specified")
DEPARTMENT_JSON_DESCRIPTION = (
    "Department or service concerned: a department's English name (the one complaints carry "
    "and the department filters take) or its French name, as the list of departments names "
    'them; either files the complaint under that department, stored by its English name. "" '
    "for none."
)


def use_departments(
    source: Callable[[], list[tuple[str, str]]],
    aliases: Callable[[], dict[str, str]] | None = None,
) -> None:
    """Take the department select's (value, label) pairs from `source`, and the other names
    a department is given by (its French name -> its value) from `aliases`."""
    _DEPARTMENT_SOURCE[:] = [source]
    _DEPARTMENT_ALIASES[:] = [aliases] if aliases is not None else []


def department_aliases() -> dict[str, str]:
    """A department's other name (French) -> the name complaints carry."""
    return _DEPARTMENT_ALIASES[0]() if _DEPARTMENT_ALIASES else {}


class DepartmentField(SelectField):
    """The department select: its options' values are the names complaints carry (English);
    a department's French name, posted by a client or a link, is read as the same department.
    Matched exactly, as the options are."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data:
            self.data = department_aliases().get(self.data, self.data)

    def also_accepted(self) -> list[str]:
        """The values the published schema takes beside the options' (forms.base)."""
        return sorted(department_aliases())


def department_choices() -> list[SelectChoice]:
    """The department select's options: none chosen, then each active department."""
    pairs = _DEPARTMENT_SOURCE[0]() if _DEPARTMENT_SOURCE else []
    return [SelectChoice("", NOT_SPECIFIED)] + [SelectChoice(v, label) for v, label in pairs]


FIRST_CONTACT_GIVEN = _l("The first contact detail given (email, telephone, then letter)")
CHANNEL_USED = _l(
    "The channel the complaint came in by (letter, email, telephone), else the first detail given"
)


class ComplaintForm(TaskForm):
    """A complaint as the complainant files it on the public form.

    The fields are declared in the order the public page shows them: the error summary
    lists their errors in this order."""

    anonymous = BooleanField(
        _l("I want to stay anonymous (I will follow my complaint with the tracking link only)")
    )
    complainant_name = StringField(_l("Full name"), validators=[Length(max=200)])
    # Left on "first detail given", a named complainant is written to at the first contact
    # detail they gave; "no contact" is only ever an explicit choice.
    preferred_contact = SelectField(
        _l("How should we contact you?"),
        choices=options(CONTACT_CHANNELS, FIRST_CONTACT_GIVEN),
        default="",
    )
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    phone = TelField(
        _l("Telephone"),
        validators=[
            Regexp(
                PHONE_PATTERN,
                message=_l("Enter a telephone number, for example +33 1 23 45 67 89."),
            ),
        ],
    )
    postal_address = TextAreaField(_l("Postal address"), validators=[Length(max=500)])
    # Empty: the language of the page (or of the API request) the complaint is filed in.
    language = SelectField(
        _l("Language of our letters"),
        choices=options(LANGUAGES, _l("The language of this page")),
        validators=[Optional()],
    )
    sensitive_at_intake = BooleanField(
        _l("This complaint concerns violence, abuse or harassment"),
        description=_l(
            "Only a specially trained person will read it, and nothing is done or shared "
            "without your consent."
        ),
    )
    description = TextAreaField(
        _l("What happened?"),
        validators=[
            DataRequired(message=_l("Describe what happened.")),
            Length(min=10, max=5000),
        ],
    )
    event_date = DateField(_l("Date of the event"), validators=[Optional(), NotInFuture()])
    department = DepartmentField(
        _l("Department or service concerned"),
        choices=department_choices,
        default="",
        validators=[Optional(), Length(max=100)],
    )
    product_service = StringField(
        _l("Product or service concerned"), validators=[Optional(), Length(max=200)]
    )
    desired_remedy = TextAreaField(
        _l("What would you like us to do?"), validators=[Optional(), Length(max=2000)]
    )
    purchase_date = DateField(_l("Purchase date"), validators=[Optional(), NotInFuture()])
    purchase_mode = SelectField(
        _l("How it was bought"),
        choices=listed("purchase_modes", NOT_APPLICABLE),
        validators=[Optional()],
    )
    payment_mode = SelectField(
        _l("How it was paid"),
        choices=listed("payment_modes", NOT_APPLICABLE),
        validators=[Optional()],
    )
    delivery_date = DateField(_l("Delivery date"), validators=[Optional()])
    delivery_mode = SelectField(
        _l("How it was delivered"),
        choices=listed("delivery_modes", NOT_APPLICABLE),
        validators=[Optional()],
    )
    attestation = BooleanField(
        _l("I confirm the information is accurate"),
        validators=[DataRequired(message=_l("Confirm that the information is accurate."))],
    )

    @classmethod
    def json_schema_overrides(cls) -> dict[str, dict[str, Any]]:
        """Telephone and email as the API takes them (stricter than the page); the
        department by either of its names."""
        return {
            "phone": {"pattern": API_PHONE_PATTERN},
            "email": {"pattern": API_EMAIL_PATTERN},
            "department": {"description": DEPARTMENT_JSON_DESCRIPTION},
        }

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """Anonymous: no contact. Otherwise a name, some way to reach them, and the detail
        their preferred channel needs."""
        by_channel = [
            when("preferred_contact", {"const": channel}, needs(**{name: FILLED_TEXT}))
            for channel, name in CONTACT_FIELD.items()
        ]
        some_contact = {
            "anyOf": [
                needs(**{name: FILLED_TEXT}) for name in ("email", "phone", "postal_address")
            ],
            "x-field": "preferred_contact",
        }
        return [
            {
                "if": {"properties": {"anonymous": {"const": True}}, "required": ["anonymous"]},
                "then": {"properties": {"preferred_contact": {"const": "none"}}},
                "else": {"allOf": [needs(complainant_name=FILLED_TEXT), some_contact, *by_channel]},
            }
        ]

    def validate_complainant_name(self, field: Field) -> None:
        """A name is required unless the complaint is anonymous."""
        if not self.anonymous.data and not field.data:
            raise ValidationError(_l("Give a name, or choose to stay anonymous."))

    def validate_preferred_contact(self, field: Field) -> None:
        """Nobody can be contacted anonymously; anybody else must leave a way to be reached."""
        if self.anonymous.data:
            if field.data not in ("", "none"):
                raise ValidationError(
                    _l(
                        "An anonymous complaint is followed with the tracking link only: "
                        "choose “No contact”."
                    )
                )
        elif not (self.email.data or self.phone.data or self.postal_address.data):
            raise ValidationError(
                _l(
                    "Give an email address, a telephone number or a postal address, "
                    "or choose to stay anonymous."
                )
            )

    def validate_email(self, field: Field) -> None:
        """A valid address; required when the complainant wants to be contacted by email."""
        if field.data:
            Email(message=_l("Enter a valid email address."))(self, field)
        elif self._contact_required("email"):
            raise ValidationError(_l("Give an email address to be contacted by email."))

    def validate_phone(self, field: Field) -> None:
        """Required when the complainant wants to be contacted by telephone."""
        if not field.data and self._contact_required("phone"):
            raise ValidationError(_l("Give a telephone number to be contacted by telephone."))

    def validate_postal_address(self, field: Field) -> None:
        """Required when the complainant wants to be contacted by letter."""
        if not field.data and self._contact_required("postal_address"):
            raise ValidationError(_l("Give a postal address to be contacted by letter."))

    def _contact_required(self, name: str) -> bool:
        if self.anonymous.data:
            return False
        return CONTACT_FIELD.get(self.preferred_contact.data) == name


class StaffIntakeForm(ComplaintForm):
    """A complaint recorded by an intake agent (telephone, letter, email, counter, social media)."""

    channel = SelectField(
        _l("Received by"),
        choices=listed("channels", PLACEHOLDER),
        validators=[DataRequired(message=_l("Choose how the complaint came in."))],
    )
    received_at = DateTimeLocalField(
        _l("Received on"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional(), NotInFuture(), WithinLastYear()],
    )
    # Staff record the complaint: the form speaks about the complainant, not as them.
    anonymous = BooleanField(
        _l("The complainant wants to stay anonymous (followed with the tracking link only)")
    )
    # Left alone, the complainant is answered on the channel the complaint came in by.
    preferred_contact = SelectField(
        _l("How should we contact the complainant?"),
        choices=options(CONTACT_CHANNELS, CHANNEL_USED),
        default="",
    )
    attestation = BooleanField(_l("The complainant confirmed the information is accurate"))
    consent_recorded = BooleanField(_l("The complainant gave consent orally"))
    sensitive_at_intake = BooleanField(
        _l("This complaint concerns violence, abuse or harassment"),
        description=_l(
            "Only a specially trained focal point will read it, and nothing is done or shared "
            "without the complainant's consent."
        ),
    )
    desired_remedy = TextAreaField(
        _l("What the complainant asks for"), validators=[Optional(), Length(max=2000)]
    )

    # The order the intake page shows the fields in: how it came in first. WTForms puts a
    # subclass's fields after its parent's, so the error summary listed "Received by" last.
    PAGE_ORDER = (
        "channel",
        "received_at",
        "anonymous",
        "complainant_name",
        "preferred_contact",
        "email",
        "phone",
        "language",
        "postal_address",
        "sensitive_at_intake",
        "event_date",
        "department",
        "product_service",
        "purchase_date",
        "purchase_mode",
        "payment_mode",
        "delivery_date",
        "delivery_mode",
        "description",
        "desired_remedy",
        "attestation",
        "consent_recorded",
    )

    def __iter__(self) -> Iterator[Field]:
        """The fields in the page's order (any the order does not name, last)."""
        named = [self._fields[name] for name in self.PAGE_ORDER if name in self._fields]
        rest = [field for name, field in self._fields.items() if name not in self.PAGE_ORDER]
        return iter(named + rest)
