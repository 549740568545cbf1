"""Investigation: the complaint manager's inquiry into a major complaint, and its report."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, Field, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import FILLED_TEXT, TaskForm, needs, when
from forms.choices import ESCALATION_TARGETS, PLACEHOLDER, ROOT_CAUSES, options


class InvestigationForm(TaskForm):
    """The investigation of a major complaint (form key investigate_complaint)."""

    interviews = TextAreaField(_l("Interviews"), validators=[Optional(), Length(max=10000)])
    documents_reviewed = TextAreaField(
        _l("Documents reviewed"), validators=[Optional(), Length(max=10000)]
    )
    findings = TextAreaField(
        _l("Findings"),
        validators=[DataRequired(message=_l("Record the findings.")), Length(max=10000)],
    )
    root_cause_category = SelectField(
        _l("Root cause category"),
        choices=options(ROOT_CAUSES, PLACEHOLDER),
        validators=[DataRequired(message=_l("Choose the category of the root cause."))],
    )
    root_cause = TextAreaField(
        _l("Root cause"),
        validators=[DataRequired(message=_l("Record the root cause.")), Length(max=5000)],
    )
    internal_corrections = TextAreaField(
        _l("Internal corrections"), validators=[Optional(), Length(max=5000)]
    )
    investigation_report = TextAreaField(
        _l("Investigation report"),
        validators=[
            DataRequired(message=_l("Write the investigation report.")),
            Length(min=50, max=50000),
        ],
    )
    escalation_requested = BooleanField(_l("Escalate (senior management, legal counsel or police)"))
    escalation_target = SelectField(
        _l("Escalate to"),
        choices=options(ESCALATION_TARGETS, _l("No escalation")),
        default="",
    )
    escalation_reason = TextAreaField(_l("Why escalate"), validators=[Length(max=5000)])

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """An escalation needs a target and a reason."""
        targets = {"type": "string", "enum": [value for value, _ in ESCALATION_TARGETS]}
        return [
            when(
                "escalation_requested",
                {"const": True},
                needs(escalation_target=targets, escalation_reason=FILLED_TEXT),
            )
        ]

    def validate_escalation_target(self, field: Field) -> None:
        """An escalation needs somebody to escalate to."""
        if self.escalation_requested.data and not field.data:
            raise ValidationError(_l("Choose whom to escalate to."))

    def validate_escalation_reason(self, field: Field) -> None:
        """An escalation needs a reason the manager can judge."""
        if self.escalation_requested.data and not field.data:
            raise ValidationError(_l("Say why the complaint needs escalating."))
