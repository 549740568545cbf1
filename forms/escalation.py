"""Escalation: the manager's decision on an escalation, and the legal review that follows."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import Field, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import FILLED_TEXT, TaskForm, needs, when
from forms.choices import ESCALATION_DECISIONS, LEGAL_ACTIONS, PLACEHOLDER, options


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
