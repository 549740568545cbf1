"""The signed-in staff member's own settings."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, TelField
from wtforms.validators import Length, Regexp

from forms.base import TranslatedForm
from forms.intake import PHONE_PATTERN


class NotificationSettingsForm(TranslatedForm):
    """Which emails a member of staff wants (not a task form: nothing goes to task data)."""

    notify_assignment = BooleanField(
        _l("Email me when a task is assigned to me or a colleague mentions me in a note")
    )
    daily_digest = BooleanField(_l("Email me a daily list of my overdue tasks"))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ContactForm(TranslatedForm):
    """The telephone number response letters give the complainant, beside the handler's name."""

    phone = TelField(
        _l("Your telephone number"),
        description=_l(
            "The response letters you draft give it to the complainant, beside your name. "
            "Leave it empty to give your email address instead."
        ),
        filters=[_strip],
        validators=[
            Length(max=50),
            Regexp(
                PHONE_PATTERN,
                message=_l("Enter a telephone number, for example +33 1 23 45 67 89."),
            ),
        ],
    )
