"""Administration: the support services complainants can be referred to."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.base import TranslatedForm
from forms.choices import Choices, options

PROVIDER_KINDS: Choices = (
    ("medical", _l("Medical care")),
    ("psychosocial", _l("Psychosocial support")),
    ("legal", _l("Legal aid")),
    ("shelter", _l("Shelter")),
    ("police", _l("Police")),
    ("other", _l("Other")),
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ServiceProviderForm(TranslatedForm):
    """A support service: its name, kind and how to reach it."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Give the name of the service.")), Length(max=200)],
        filters=[_strip],
    )
    kind = SelectField(
        _l("Kind of support"),
        choices=options(PROVIDER_KINDS, _l("Choose…")),
        validators=[DataRequired(message=_l("Choose the kind of support."))],
    )
    contact = TextAreaField(
        _l("Contact (address, telephone, opening hours)"),
        validators=[Length(max=2000)],
        filters=[_strip],
    )


class MessageTemplateForm(TranslatedForm):
    """A message template as an administrator edits it: each save is a new version."""

    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(message=_l("A subject is required.")), Length(max=300)],
    )
    body_text = TextAreaField(
        _l("Text"),
        validators=[DataRequired(message=_l("A text is required.")), Length(max=20000)],
        render_kw={"rows": 16},
    )
    body_html = TextAreaField(
        _l("HTML version (optional; empty: made from the text)"),
        validators=[Length(max=50000)],
        render_kw={"rows": 6},
    )
    comment = StringField(_l("What changed, and why"), validators=[Length(max=500)])
