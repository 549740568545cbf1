"""What the complainant sends from the tracking page: missing information, the survey."""

from flask_babel import lazy_gettext as _l
from wtforms.fields import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.base import TaskForm
from forms.choices import SCORES, options


class InformationReplyForm(TaskForm):
    """The complainant's answer to a request for missing information."""

    information_reply = TextAreaField(
        _l("Your answer"),
        validators=[
            DataRequired(message=_l("Write the information we asked for.")),
            Length(min=5, max=5000),
        ],
    )


class ResendLinkForm(TaskForm):
    """The complainant who lost the tracking link asks for a new one."""

    reference = StringField(
        _l("Reference of your complaint"),
        validators=[
            DataRequired(message=_l("Enter the reference, such as C-2026-000042.")),
            Length(max=40),
        ],
    )
    contact = StringField(
        _l("Your email address or telephone number, as you gave it to us"),
        validators=[
            DataRequired(message=_l("Enter your email address or telephone number.")),
            Length(max=254),
        ],
    )


class SurveyForm(TaskForm):
    """The complainant's satisfaction survey after closure."""

    score = RadioField(
        _l("How satisfied are you with how we handled your complaint?"),
        choices=options(SCORES),
        coerce=int,
        validators=[InputRequired(message=_l("Choose a score from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class ReviewRequestForm(TaskForm):
    """The complainant asks for a review of the decision, within the appeal window."""

    review_reason = TextAreaField(
        _l("Why should we look at your complaint again?"),
        validators=[
            DataRequired(message=_l("Say what you disagree with.")),
            Length(min=5, max=5000),
        ],
    )


class WithdrawalForm(TaskForm):
    """The complainant withdraws the complaint."""

    withdrawal_reason = TextAreaField(
        _l("Reason (optional)"), validators=[Optional(), Length(max=2000)]
    )
