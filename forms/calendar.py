"""Administration: the business calendar (working time, time zone, holidays) and closure days."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from babel import Locale
from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectChoice
from wtforms.fields import DateField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from forms.base import WTFORMS_TRANSLATIONS, ChecklistField, WTFormsTranslations
from forms.numbers import BoundedIntegerField

WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: Monday = 1


def weekday_name(day: int) -> str:
    """The weekday's name in the reader's language ("Monday", "lundi"), from Babel."""
    return str(get_day_names("wide", locale=_locale())[day - 1])


def _locale() -> Locale:
    try:
        return Locale.parse(str(get_locale() or "en"))
    except (ValueError, RuntimeError):
        return Locale.parse("en")


TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def country_name(code: str) -> str:
    """A country's name in the reader's language ("France", "Royaume-Uni"), else its code."""
    return str(_locale().territories.get(code, code))


class _Translated(Form):
    class Meta:
        def get_translations(self, form: Form) -> WTFormsTranslations:
            """WTForms' own messages ("Not a valid time value.") in the reader's language."""
            return WTFORMS_TRANSLATIONS


class CalendarForm(_Translated):
    """The organisation's working time, time zone, public holidays and at-risk share."""

    timezone = SelectField(
        _l("Time zone"),
        validators=[DataRequired(message=_l("Choose a time zone."))],
        description=_l(
            "Working hours are in this zone, and people read dates and times in it; "
            "they are stored in UTC."
        ),
    )
    weekdays = ChecklistField(
        _l("Working days"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one working day."))],
    )
    starts = TimeField(
        _l("The working day starts at"),
        format=TIME_FORMATS,
        validators=[InputRequired(message=_l("Give the time the working day starts."))],
    )
    ends = TimeField(
        _l("The working day ends at"),
        format=TIME_FORMATS,
        validators=[InputRequired(message=_l("Give the time the working day ends."))],
        description=_l("A target in working days falls due at this time."),
    )
    country = SelectField(_l("Public holidays of"))
    subdivision = StringField(
        _l("Region or subdivision (optional)"),
        filters=[_strip],
        validators=[Length(max=16)],
        description=_l(
            "Its own public holidays are added, e.g. ENG (England), SCT (Scotland) for the "
            "United Kingdom, NSW or VIC for Australia, 57 (Moselle) for France."
        ),
    )
    at_risk_percent = BoundedIntegerField(
        _l("A clock is “at risk” once this percentage of its time is used"),
        validators=[
            InputRequired(message=_l("Give a percentage from 1 to 99.")),
            NumberRange(min=1, max=99, message=_l("Give a percentage from 1 to 99.")),
        ],
    )

    def __init__(
        self,
        formdata: Any = None,
        *,
        timezones: Sequence[str],
        countries: Sequence[str],
        preloaded: Sequence[str],
        subdivisions: Callable[[str], Mapping[str, str]],
        **kwargs: Any,
    ) -> None:
        """`timezones` and `countries` (codes) are what the calendar accepts, `preloaded` the
        countries listed first, `subdivisions(country)` maps how each subdivision may be
        written (case-folded code or name) to its code: the view reads them from the
        business calendar, so the form stays a declaration."""
        super().__init__(formdata, **kwargs)
        self._subdivisions = subdivisions
        self._countries = frozenset(countries)
        self.weekdays.choices = [
            SelectChoice(day, weekday_name(day).capitalize()) for day in WEEKDAYS
        ]
        self.timezone.choices = [SelectChoice(name, name) for name in timezones]
        others = sorted(
            (code for code in countries if code not in preloaded),
            key=lambda code: country_name(code).casefold(),
        )
        first, rest, none = (
            _l("Preloaded"),
            _l("Other countries of the holidays package"),
            _l("Without public holidays"),
        )
        self.country.choices = (
            [SelectChoice(code, country_name(code), optgroup=first) for code in preloaded]
            + [SelectChoice(code, country_name(code), optgroup=rest) for code in others]
            + [SelectChoice("", _l("No public holidays (only our closure days)"), optgroup=none)]
        )

    def validate_ends(self, field: Any) -> None:
        """The working day ends after it starts (no working day across midnight)."""
        if self.starts.data and field.data and not self.starts.data < field.data:
            raise ValidationError(_l("The working day must end after it starts."))

    def validate_subdivision(self, field: Any) -> None:
        """A subdivision the holidays package knows for the country; stored as its code."""
        if not field.data:
            return
        country = self.country.data or ""
        if not country:
            raise ValidationError(_l("Choose a country for this subdivision."))
        if country not in self._countries:
            return  # the country's own error says it
        lookup = self._subdivisions(country)
        code = lookup.get(field.data.casefold())
        if code is None:
            known = sorted(set(lookup.values()))
            name = country_name(country)
            if not known:
                raise ValidationError(
                    _(
                        "%(country)s has no subdivisions: leave this empty.",
                        country=name,
                    )
                )
            raise ValidationError(
                _(
                    "%(value)s is not a subdivision of %(country)s. Use one of: %(codes)s.",
                    value=field.data,
                    country=name,
                    codes=", ".join(known),
                )
            )
        field.data = code


class ClosureDayForm(_Translated):
    """A day the organisation is closed, beyond the public holidays."""

    day = DateField(
        _l("Date"), validators=[InputRequired(message=_l("Give the date of the closure."))]
    )
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Name the closure, e.g. “Annual closure”.")),
            Length(max=200),
        ],
    )

    def validate_day(self, field: Any) -> None:
        """A plausible day: the calendar reads public holidays for such years."""
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_l("Give a date between 2000 and 2100."))
