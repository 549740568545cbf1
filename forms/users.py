"""Administration: staff accounts, and the pages that set a password with a one-time link."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from forms.base import ChecklistField, TranslatedForm


def role_options(roles: list[tuple[str, str]]) -> list[SelectChoice]:
    """The roles a user may hold, as the role table names them (the view passes them)."""
    return [SelectChoice(key, name) for key, name in roles]


PASSWORD_HINT = _l(
    "At least 12 characters, up to 128. No rules about digits or symbols: a few words in a "
    "row make a good password. Not your user name, nor a common password."
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class UserSearchForm(TranslatedForm):
    """The user list's search, role and status filters (query string)."""

    q = StringField(_l("Search (name, user name or email)"), filters=[_strip])
    role = SelectField(
        _l("Role"), choices=[SelectChoice("", _l("All roles"))], default=""
    )  # the view adds the roles
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
        ],
        default="",
    )


class UserForm(TranslatedForm):
    """A user's name, contact, roles, clearance and teams (the view fills the team choices)."""

    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Give the person's name.")), Length(max=200)],
        filters=[_strip],
    )
    email = EmailField(
        _l("Email"),
        validators=[Optional(), Email(message=_l("Enter a valid email address.")), Length(max=254)],
        filters=[_strip],
    )
    roles = ChecklistField(
        _l("Roles"),
        choices=[],  # the view fills them (the role table)
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )
    confidential_clearance = BooleanField(
        _l("Confidential clearance"),
        description=_l(
            "Sees confidential complaints (and, in their roles, their tasks) without holding a "
            "role with confidential clearance."
        ),
    )
    teams = ChecklistField(_l("Teams"), coerce=int, choices=[], validate_choice=True)


class NewUserForm(UserForm):
    """A new user: a user name, and either an invitation by email or a password now."""

    username = StringField(
        _l("User name"),
        validators=[
            DataRequired(message=_l("Give a user name.")),
            Length(max=80),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message=_l("Letters, digits, dots, dashes and underscores only."),
            ),
        ],
        filters=[_strip],
    )
    how = RadioField(
        _l("Password"),
        choices=[
            SelectChoice("invite", _l("Email an invitation: they choose their password")),
            SelectChoice("password", _l("Set a password now")),
        ],
        default="invite",
    )
    password = PasswordField(
        _l("Password (if set now)"), validators=[Length(max=200)], description=PASSWORD_HINT
    )


class SetPasswordForm(TranslatedForm):
    """A new password, typed twice (invitation and reset links)."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Choose a password.")), Length(max=200)],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(message=_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


class ForgotPasswordForm(TranslatedForm):
    """The user name or email of an account whose password was forgotten."""

    identifier = StringField(
        _l("User name or email"),
        validators=[DataRequired(message=_l("Enter your user name or email.")), Length(max=254)],
        filters=[_strip],
    )
