"""Escalation: the manager's decision, then its target's path (legal, senior management, police)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import DateField, Field, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import FILLED_TEXT, NotInFuture, TaskForm, needs, when
from forms.choices import (
    ESCALATION_DECISIONS,
    LEGAL_ACTIONS,
    PLACEHOLDER,
    POLICE_OUTCOMES,
    SENIOR_DECISIONS,
    options,
)


class EscalationApprovalForm(TaskForm):
    """The manager's decision on a requested escalation (form key approve_escalation)."""

    escalation_decision = RadioField(
        _l("Decision"),
        choices=options(ESCALATION_DECISIONS),
        validators=[DataRequired(message=_l("Approve or refuse the escalation."))],
    )
    escalation_comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """A refusal says why."""
        return [
            when("escalation_decision", {"const": "refused"}, needs(escalation_comment=FILLED_TEXT))
        ]

    def validate_escalation_comment(self, field: Field) -> None:
        """A refusal must say why, for the complaint manager."""
        if self.escalation_decision.data == "refused" and not field.data:
            raise ValidationError(_l("Say why the escalation is refused."))


class LegalReviewForm(TaskForm):
    """Legal counsel's review of an escalated complaint (form key legal_review)."""

    legal_opinion = TextAreaField(
        _l("Legal opinion"),
        validators=[DataRequired(message=_l("Give the legal opinion.")), Length(max=20000)],
    )
    legal_action = SelectField(
        _l("Legal action"),
        choices=options(LEGAL_ACTIONS, PLACEHOLDER),
        validators=[DataRequired(message=_l("Choose the legal action, or “No legal action”."))],
    )
    legal_recommendations = TextAreaField(
        _l("Recommendations"), validators=[Optional(), Length(max=10000)]
    )


class SeniorManagementDecisionForm(TaskForm):
    """Senior management's decision on an escalated case (form key senior_management_decision)."""

    senior_decision = RadioField(
        _l("Decision"),
        choices=options(SENIOR_DECISIONS),
        validators=[DataRequired(message=_l("Choose the decision."))],
    )
    senior_instructions = TextAreaField(
        _l("Instructions to the complaint manager"),
        validators=[DataRequired(message=_l("Say what is to be done.")), Length(max=10000)],
    )


class PoliceReferralForm(TaskForm):
    """The referral of an escalated case to the police (form key police_referral)."""

    police_referral_date = DateField(
        _l("Date of the referral"),
        validators=[DataRequired(message=_l("Give the date of the referral.")), NotInFuture()],
    )
    police_service = StringField(
        _l("Police service"),
        validators=[DataRequired(message=_l("Name the police service.")), Length(max=200)],
    )
    police_reference = StringField(
        _l("Police reference number"),
        validators=[DataRequired(message=_l("Give the police reference number.")), Length(max=100)],
    )
    police_referral_notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])


class PoliceOutcomeForm(TaskForm):
    """What the police decided about a referral (form key police_outcome)."""

    police_outcome = RadioField(
        _l("Police outcome"),
        choices=options(POLICE_OUTCOMES),
        validators=[DataRequired(message=_l("Choose the police outcome."))],
    )
    police_outcome_date = DateField(
        _l("Date of the police answer"), validators=[Optional(), NotInFuture()]
    )
    police_outcome_notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])
