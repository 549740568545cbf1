"""The signed-in staff member's own settings."""

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import BooleanField


class NotificationSettingsForm(Form):
    """Which emails a member of staff wants (not a task form: nothing goes to task data)."""

    notify_assignment = BooleanField(
        _l("Email me when a task is assigned to me or a colleague mentions me in a note")
    )
    daily_digest = BooleanField(_l("Email me a daily list of my overdue tasks"))
