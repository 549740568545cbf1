"""Administration: the staff roles (the lanes of the procedure and the other roles)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from forms.base import TranslatedForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


KEY_HINT = _l(
    "What the procedure's lanes and the programs name: lower-case letters, digits and "
    "underscores, starting with a letter (for example hr_investigator)."
)


class RoleForm(TranslatedForm):
    """A role: its key, its name in both languages, a description and its two flags."""

    key = StringField(
        _l("Key"),
        validators=[
            DataRequired(message=_l("Give a key.")),
            Regexp(
                r"^[a-z][a-z0-9_]{1,49}$",
                message=_l(
                    "2 to 50 characters: lower-case letters, digits and underscores, "
                    "starting with a letter."
                ),
            ),
        ],
        filters=[_strip],
        description=KEY_HINT,
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[DataRequired(message=_l("Give a name.")), Length(max=100)],
        filters=[_strip],
    )
    name_fr = StringField(
        _l("Name in French"),
        validators=[DataRequired(message=_l("Give a name.")), Length(max=100)],
        filters=[_strip],
    )
    description = TextAreaField(
        _l("Description (optional)"), validators=[Length(max=1000)], filters=[_strip]
    )
    handles_cases = BooleanField(
        _l("Handles cases"),
        description=_l(
            "It may be a lane of the procedure; its holders have an inbox and read complaints."
        ),
    )
    confidential_clearance = BooleanField(
        _l("Confidential clearance"),
        description=_l(
            "Its holders see confidential complaints (and, in their roles, their tasks)."
        ),
    )


# What services.roles refuses with (InvalidInput details), for the catalogue.
MESSAGES = (
    _l("Give a name."),
    _l("At most 100 characters."),
    _l("At most 1000 characters."),
    _l("There is already a role of that name."),
    _l("There is already a role with that key."),
    _l("The key of a built-in role cannot change."),
    _l("A built-in role cannot be deleted."),
    _l("The code relies on this built-in role's lane flag."),
    _l("The confidential focal point runs confidential cases: it keeps its clearance."),
    _l("Users hold this role: take it from them first."),
    _l("The active procedure has a lane of this role: deploy one without it first."),
    _l("Open tasks are in this role's lane: they must be done first."),
)
