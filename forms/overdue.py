"""Overdue tasks: what the manager does about a missed service level."""

from flask_babel import lazy_gettext as _l
from wtforms.fields import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.base import TaskForm
from forms.choices import OVERDUE_ACTIONS, options


class OverdueReviewForm(TaskForm):
    """The manager's review of an overdue task (form key review_overdue)."""

    overdue_action = RadioField(
        _l("Action"),
        choices=options(OVERDUE_ACTIONS),
        validators=[DataRequired(message=_l("Choose what to do about the delay."))],
    )
    overdue_comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])
