"""Analysis and classification: category, severity and the flags the routing table reads."""

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.base import AmountField, TaskForm
from forms.choices import CATEGORIES, PLACEHOLDER, SEVERITIES, options


class ClassificationForm(TaskForm):
    """The supervisor's classification of a registered complaint (form key classify_complaint)."""

    category = SelectField(
        _l("Category"),
        choices=options(CATEGORIES, PLACEHOLDER),
        validators=[DataRequired(message=_l("Choose a category."))],
    )
    severity = SelectField(
        _l("Severity"),
        choices=options(SEVERITIES, PLACEHOLDER),
        validators=[DataRequired(message=_l("Choose a severity."))],
    )
    breach_of_law = BooleanField(_l("Possible breach of law"))
    safety_issue = BooleanField(_l("Safety issue"))
    sensitive = BooleanField(
        _l("Confidential (harassment, gender-based violence, whistle-blowing)")
    )
    financial_impact = AmountField(_l("Financial impact (amount)"))
    classification_notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
