"""Resolution: the remedy and the response to the complainant, for each branch."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, Field, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import AmountField, ChecklistField, NoPlaceholder, TaskForm, needs
from forms.choices import REMEDIES, options

# Remedies that pay the complainant, so need an amount.
PAID_REMEDIES = frozenset({"refund", "compensation"})


def _remedies(required: bool = True) -> ChecklistField:
    validators = [DataRequired(message=_l("Choose at least one remedy."))] if required else []
    return ChecklistField(_l("Remedies"), choices=options(REMEDIES), validators=validators)


def _summary() -> TextAreaField:
    return TextAreaField(
        _l("Summary of the resolution"),
        validators=[DataRequired(message=_l("Summarise the resolution.")), Length(max=5000)],
    )


def _response_letter() -> TextAreaField:
    return TextAreaField(
        _l("Response to the complainant"),
        validators=[
            DataRequired(message=_l("Write the response to the complainant.")),
            Length(min=20, max=10000),
            NoPlaceholder(),
        ],
    )


class MinorResolutionForm(TaskForm):
    """A minor complaint resolved by the supervisor, step by step (form key resolve_minor)."""

    thanked = BooleanField(_l("Thanked the complainant for raising it"))
    apologised = BooleanField(_l("Apologised"))
    information_collected = BooleanField(_l("Collected the information needed"))
    action_taken = TextAreaField(
        _l("Action taken"),
        validators=[DataRequired(message=_l("Say what action was taken.")), Length(max=5000)],
    )
    put_right = TextAreaField(
        _l("What we will do to put it right"), validators=[Optional(), Length(max=5000)]
    )
    customer_happy = BooleanField(_l("Checked the complainant is satisfied"))
    # Read by the service-level presets whose regulator lets a complaint resolved within days
    # skip the written response (ASIC RG 271): the complainant's request keeps the letter.
    written_response_requested = BooleanField(
        _l("The complainant asked for a written response"),
        description=_l(
            "Under a service-level preset where a complaint resolved to the complainant's "
            "satisfaction within days needs no written response, ticking this still sends it."
        ),
    )
    remedies = _remedies()
    resolution_summary = _summary()
    response_letter = _response_letter()


class ResolutionForm(TaskForm):
    """The resolution of a major complaint after investigation (form key resolve_complaint)."""

    remedies = _remedies()
    remedy_details = TextAreaField(
        _l("Details of the remedy"), validators=[Optional(), Length(max=5000)]
    )
    compensation_amount = AmountField(_l("Amount refunded or paid"))
    resolution_summary = _summary()
    response_letter = _response_letter()

    shown_when = {"compensation_amount": ("remedies", PAID_REMEDIES)}

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """A refund or a compensation needs an amount above zero."""
        paid = {"contains": {"enum": sorted(PAID_REMEDIES)}}
        amount = {"type": "number", "exclusiveMinimum": 0}
        return [
            {
                "if": {"properties": {"remedies": paid}, "required": ["remedies"]},
                "then": needs(compensation_amount=amount),
            }
        ]

    def validate_compensation_amount(self, field: Field) -> None:
        """A refund or a compensation needs its amount."""
        if PAID_REMEDIES.intersection(self.remedies.data or ()) and not field.data:
            raise ValidationError(_l("Give the amount of the refund or compensation."))


class ConfidentialCaseForm(TaskForm):
    """A confidential complaint handled by the focal point (form key handle_confidential)."""

    findings = TextAreaField(
        _l("Findings"),
        validators=[DataRequired(message=_l("Record the findings.")), Length(max=10000)],
    )
    protective_measures = TextAreaField(
        _l("Protective measures"), validators=[Optional(), Length(max=5000)]
    )
    remedies = _remedies(required=False)
    resolution_summary = _summary()
    response_letter = _response_letter()
