"""Sign-off: a manager (or the focal point) closes the case or sends it back."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import Field, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import FILLED_TEXT, ChecklistField, TaskForm, needs, when
from forms.choices import RESOLUTION_CODES, SIGN_OFF_DECISIONS, options


class SignOffForm(TaskForm):
    """The sign-off of a resolved complaint (form key sign_off)."""

    sign_off_decision = RadioField(
        _l("Decision"),
        choices=options(SIGN_OFF_DECISIONS),
        validators=[DataRequired(message=_l("Approve the closure or send it back."))],
    )
    resolution_codes = ChecklistField(_l("Resolution codes"), choices=options(RESOLUTION_CODES))
    sign_off_comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])

    @classmethod
    def json_schema_rules(cls) -> list[dict[str, Any]]:
        """An approval is coded; sending back says why."""
        decision = "sign_off_decision"
        return [
            when(
                decision,
                {"const": "approved"},
                needs(resolution_codes={"type": "array", "minItems": 1}),
            ),
            when(decision, {"const": "sent_back"}, needs(sign_off_comment=FILLED_TEXT)),
        ]

    def validate_resolution_codes(self, field: Field) -> None:
        """A closure is coded: at least one resolution code."""
        if self.sign_off_decision.data == "approved" and not field.data:
            raise ValidationError(_l("Tick at least one resolution code."))

    def validate_sign_off_comment(self, field: Field) -> None:
        """Sending back must say what is missing."""
        if self.sign_off_decision.data == "sent_back" and not field.data:
            raise ValidationError(_l("Say what needs more work."))
