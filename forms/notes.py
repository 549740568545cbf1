"""Internal notes on a complaint (staff only)."""

from flask_babel import lazy_gettext as _l
from wtforms.fields import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.base import TranslatedForm

NOTE_MAX_LENGTH = 5000


class NoteForm(TranslatedForm):
    """A note for colleagues; @username mentions a colleague (not a task form)."""

    body = TextAreaField(
        _l("Internal note"),
        id="note-body",  # unique on a task page, whose own form may have a "body"
        description=_l(
            "Seen by staff only, never by the complainant. Mention a colleague with "
            "@username: they are told."
        ),
        validators=[
            DataRequired(message=_l("Write the note.")),
            Length(max=NOTE_MAX_LENGTH),
        ],
    )
    next = HiddenField()
