"""The staff complaint list: its filters, bound to the query string."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import BooleanField, HiddenField, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional

from forms.base import WTFORMS_TRANSLATIONS, WTFormsTranslations
from forms.choices import STATUSES, Choices, filtered, options
from forms.inbox import ALL, department_options
from forms.numbers import BoundedIntegerField

SORTS: Choices = (
    ("newest", _l("Most recently received first")),
    ("oldest", _l("Least recently received first")),
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ComplaintFilterForm(Form):
    """Which complaints the list shows; the address can be shared."""

    class Meta:
        def get_translations(self, form: Form) -> WTFormsTranslations:
            """WTForms' own messages ("Number must be between…") in the reader's language."""
            return WTFORMS_TRANSLATIONS

    search = SearchField(
        _l("Reference or name"), validators=[Optional(), Length(max=200)], filters=[_strip]
    )
    category = SelectField(_l("Category"), choices=filtered("categories", ALL), default="")
    status = SelectField(_l("Status"), choices=options(STATUSES, ALL), default="")
    channel = SelectField(_l("Channel"), choices=filtered("channels", ALL), default="")
    department = SelectField(_l("Department"), choices=department_options(()), default="")
    confidential = BooleanField(_l("Confidential only"))
    sort = SelectField(_l("Order"), choices=options(SORTS), default="newest")
    page = BoundedIntegerField(
        widget=HiddenField.widget, validators=[Optional(), NumberRange(min=1, max=100000)]
    )

    def values(self) -> dict[str, Any]:
        """The valid, non-empty settings by name; a field with an error is left out."""
        return {
            field.short_name: field.data
            for field in self
            if not field.errors and field.data not in (None, "", False)
        }

    def query(self) -> dict[str, Any]:
        """The settings worth keeping in a link (no page number)."""
        return {name: value for name, value in self.values().items() if name != "page"}
