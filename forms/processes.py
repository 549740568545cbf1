"""The process owner's forms: deploy and roll back with a comment, replay, move complaints."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from forms.base import TranslatedForm
from forms.numbers import BoundedIntegerField, database_int

MAX_COMMENT = 2000
MAX_REPLAY = 1000


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class VersionCommentForm(TranslatedForm):
    """Why a version is deployed or made active again: every change of the procedure says why."""

    comment = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(_l("Say why you change the procedure.")), Length(max=MAX_COMMENT)],
        filters=[_strip],
        description=_l("Kept with the version and in the audit trail."),
    )


class ReplayForm(TranslatedForm):
    """How many past classified complaints a candidate decision table is tried on."""

    last_n = BoundedIntegerField(
        _l("Last complaints"),
        default=50,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_REPLAY)],
    )


class MigrationChoiceForm(TranslatedForm):
    """The two versions a dry run compares (choices are the process's versions, set by the view)."""

    # Named "from" and "to" in the address: /processes/migrate?from=1&to=2
    from_version = SelectField(_l("From version"), coerce=int, name="from")
    to_version = SelectField(_l("To version"), coerce=int, name="to")

    def validate(self, extra_validators: Any = None) -> bool:
        """Both versions chosen, and different."""
        if not super().validate(extra_validators):
            return False
        if self.from_version.data == self.to_version.data:
            self.to_version.errors.append(_l("Choose two different versions."))
            return False
        return True


class MigrateForm(MigrationChoiceForm):
    """The running complaints to move (choices: the movable ones of the dry run)."""

    # Any id the database holds may be posted: services.instance_migration.migrate() refuses
    # what cannot move.
    complaints = SelectMultipleField(
        _l("Complaints to move"),
        coerce=database_int,
        validate_choice=False,
        validators=[DataRequired(_l("Tick at least one complaint."))],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class PresetForm(TranslatedForm):
    """The service-level preset new clocks follow (choices: the shipped presets, from the view)."""

    preset = SelectField(
        _l("Service-level preset"),
        validators=[InputRequired(_l("Choose a preset."))],
        description=_l(
            "Running complaints keep the targets their clocks started with; new clocks use "
            "the preset you choose."
        ),
    )
