"""Staff sign-in."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forms.base import TranslatedForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LoginForm(TranslatedForm):
    """A staff member's user name and password (not a task form: nothing goes to task data)."""

    username = StringField(
        _l("User name"),
        validators=[DataRequired(message=_l("Enter your user name.")), Length(max=80)],
        filters=[_strip],
    )
    # Never stripped: a password may begin or end with a space.
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=200)],
    )
