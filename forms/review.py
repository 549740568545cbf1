"""After closure: the review of a reopened case, and the follow-up of a low satisfaction score."""

from flask_babel import lazy_gettext as _l
from wtforms.fields import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.base import NoPlaceholder, TaskForm
from forms.choices import FOLLOW_UP_ACTIONS, REVIEW_DECISIONS, options


class CaseReviewForm(TaskForm):
    """The review of a case reopened by the complainant or by staff (form key review_case)."""

    review_decision = RadioField(
        _l("Decision of the review"),
        choices=options(REVIEW_DECISIONS),
        validators=[DataRequired(message=_l("Choose the decision of the review."))],
    )
    review_findings = TextAreaField(
        _l("What the review found"),
        validators=[DataRequired(message=_l("Record what the review found.")), Length(max=10000)],
    )
    review_letter = TextAreaField(
        _l("Letter to the complainant"),
        validators=[
            DataRequired(message=_l("Write the letter.")),
            Length(max=20000),
            NoPlaceholder(),
        ],
    )


class SatisfactionFollowUpForm(TaskForm):
    """The manager's follow-up of a score of 1 or 2 (form key follow_up_satisfaction)."""

    follow_up_action = RadioField(
        _l("What was done"),
        choices=options(FOLLOW_UP_ACTIONS),
        validators=[DataRequired(message=_l("Choose what was done."))],
    )
    follow_up_notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])


class EscalatedDelayForm(TaskForm):
    """The person a delay was escalated to says what they did (form key handle_escalated_delay)."""

    escalation_response = TextAreaField(
        _l("What you did"),
        validators=[DataRequired(message=_l("Say what you did.")), Length(max=5000)],
    )
