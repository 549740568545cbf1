"""The business calendar: what "2 working days" means across weekends, public holidays,
closure days, working hours and clock changes, in France, the United Kingdom and Australia.

Times are written in the calendar's local time (`at`) and compared in UTC, to the minute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services import business_calendar, message_templates
from services.business_calendar import Calendar, Target, TargetError, parse_target
from services.db import db
from services.models import BusinessCalendar, ClosureDay

PARIS = Calendar()  # the default: Monday to Friday, 9:00-17:30 Europe/Paris, French holidays
LONDON = Calendar(timezone="Europe/London", country="GB", subdivision="ENG")
SYDNEY = Calendar(timezone="Australia/Sydney", country="AU", subdivision="NSW")


def at(calendar: Calendar, *parts: int) -> datetime:
    """A local wall-clock time of the calendar's zone, as the aware UTC moment it is."""
    return datetime(*parts, tzinfo=ZoneInfo(calendar.timezone)).astimezone(UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- working days ------------------------------------------------------------------------------


def test_working_days_skip_the_weekend_and_count_from_the_next_day():
    friday_afternoon = at(PARIS, 2026, 11, 27, 16, 0)
    # Monday is day 1, Tuesday day 2: due at the close of business on Tuesday.
    assert PARIS.due(friday_afternoon, "working_days(2)") == at(PARIS, 2026, 12, 1, 17, 30)
    assert PARIS.due(friday_afternoon, "working_days(2)") == utc(2026, 12, 1, 16, 30)
    saturday = at(PARIS, 2026, 11, 28, 11, 0)
    assert PARIS.due(saturday, "working_days(1)") == at(PARIS, 2026, 11, 30, 17, 30)
    # Received after hours on Monday: Tuesday is still day 1.
    assert PARIS.due(at(PARIS, 2026, 11, 30, 22, 0), "working_days(1)") == at(
        PARIS, 2026, 12, 1, 17, 30
    )


def test_working_days_count_a_late_evening_in_the_local_day_not_the_utc_one():
    # 23:30 UTC on Sunday is already Monday 00:30 in Paris: Monday is the day of receipt.
    assert PARIS.due(utc(2026, 11, 29, 23, 30), "working_days(1)") == at(PARIS, 2026, 12, 1, 17, 30)


@pytest.mark.parametrize(
    ("start", "due", "holiday"),
    [
        # Christmas (Friday 25 December 2026), then the weekend.
        ((2026, 12, 24, 10, 0), (2026, 12, 28, 17, 30), date(2026, 12, 25)),
        # Easter Monday 2027 (29 March).
        ((2027, 3, 26, 10, 0), (2027, 3, 30, 17, 30), date(2027, 3, 29)),
        # 1 May 2026 is a Friday.
        ((2026, 4, 30, 10, 0), (2026, 5, 4, 17, 30), date(2026, 5, 1)),
        # 14 July 2027, a Wednesday.
        ((2027, 7, 13, 10, 0), (2027, 7, 15, 17, 30), date(2027, 7, 14)),
    ],
)
def test_french_public_holidays_are_not_working_days(start, due, holiday):
    assert not PARIS.is_working_day(holiday)
    assert PARIS.due(at(PARIS, *start), "working_days(1)") == at(PARIS, *due)


def test_uk_bank_holidays_of_england_include_boxing_day_observed():
    # Christmas on Friday, Boxing Day on Saturday, observed on Monday 28 December 2026.
    assert not LONDON.is_working_day(date(2026, 12, 28))
    assert LONDON.due(at(LONDON, 2026, 12, 24, 10, 0), "working_days(1)") == at(
        LONDON, 2026, 12, 29, 17, 30
    )
    assert LONDON.due(at(LONDON, 2026, 12, 24, 10, 0), "working_days(1)") == utc(
        2026, 12, 29, 17, 30
    )
    # Good Friday is a bank holiday in England (not in France outside Alsace-Moselle).
    assert not LONDON.is_working_day(date(2027, 3, 26))
    assert PARIS.is_working_day(date(2027, 3, 26))
    # The early May bank holiday: Monday 4 May 2026.
    assert LONDON.due(at(LONDON, 2026, 5, 1, 10, 0), "working_days(1)") == at(
        LONDON, 2026, 5, 5, 17, 30
    )


def test_uk_subdivisions_have_their_own_summer_bank_holiday():
    scotland = Calendar(timezone="Europe/London", country="GB", subdivision="SCT")
    england_summer, scotland_summer = date(2026, 8, 31), date(2026, 8, 3)
    assert not LONDON.is_working_day(england_summer) and scotland.is_working_day(england_summer)
    assert scotland.is_working_day(england_summer)
    assert not scotland.is_working_day(scotland_summer) and LONDON.is_working_day(scotland_summer)


def test_australia_day_and_new_south_wales_holidays():
    # Australia Day: Tuesday 26 January 2027. Sydney is on daylight time (UTC+11) in January.
    assert SYDNEY.due(at(SYDNEY, 2027, 1, 25, 10, 0), "working_days(1)") == at(
        SYDNEY, 2027, 1, 27, 17, 30
    )
    assert SYDNEY.due(at(SYDNEY, 2027, 1, 25, 10, 0), "working_days(1)") == utc(2027, 1, 27, 6, 30)
    # Labour Day in New South Wales (first Monday of October) is not Victoria's.
    victoria = Calendar(timezone="Australia/Melbourne", country="AU", subdivision="VIC")
    assert not SYDNEY.is_working_day(date(2026, 10, 5))
    assert victoria.is_working_day(date(2026, 10, 5))


def test_closure_days_are_not_working_days():
    closed = Calendar(closures=frozenset({date(2026, 12, 24), date(2026, 12, 31)}))
    assert not closed.is_working_day(date(2026, 12, 24))
    # Wednesday 23rd: the 24th is closed, the 25th a holiday, then the weekend.
    assert closed.due(at(closed, 2026, 12, 23, 10, 0), "working_days(1)") == at(
        closed, 2026, 12, 28, 17, 30
    )
    assert closed.holiday_name(date(2026, 12, 24)) == "closure"
    assert closed.days_off(date(2026, 12, 20), date(2027, 1, 2), "fr") == [
        (date(2026, 12, 24), "closure"),
        (date(2026, 12, 25), "Noël"),
        (date(2026, 12, 31), "closure"),
        (date(2027, 1, 1), "Jour de l'an"),
    ]


def test_jours_ouvrables_count_saturdays_but_not_sundays_or_holidays():
    friday = at(PARIS, 2026, 11, 27, 16, 0)
    # Saturday 28 is day 1 ... Wednesday 9 December is day 10 (Sundays skipped).
    assert PARIS.due(friday, "working_days(10, saturdays=True)") == at(PARIS, 2026, 12, 9, 17, 30)
    assert PARIS.due(friday, "working_days(10)") == at(PARIS, 2026, 12, 11, 17, 30)
    # Saturday 1 May 2027 and Saturday 8 May 2027 are public holidays: not counted.
    assert not PARIS.is_working_day(date(2027, 5, 1), saturdays=True)
    assert PARIS.is_working_day(date(2027, 5, 15), saturdays=True)
    assert PARIS.due(at(PARIS, 2027, 4, 30, 10, 0), "working_days(2, saturdays=True)") == at(
        PARIS, 2027, 5, 4, 17, 30
    )


def test_other_working_weeks():
    # An organisation open Sunday to Thursday.
    sunday_to_thursday = Calendar(
        timezone="Asia/Dubai", weekdays=frozenset({7, 1, 2, 3, 4}), country=""
    )
    thursday = at(sunday_to_thursday, 2026, 12, 3, 10, 0)
    assert sunday_to_thursday.due(thursday, "working_days(1)") == at(
        sunday_to_thursday, 2026, 12, 6, 17, 30
    )


# -- working hours -----------------------------------------------------------------------------


def test_working_hours_stop_at_night_and_over_the_weekend():
    friday = at(PARIS, 2026, 11, 27, 16, 30)
    # One hour on Friday (to 17:30), one on Monday from 9:00.
    assert PARIS.due(friday, "working_hours(2)") == at(PARIS, 2026, 11, 30, 10, 0)
    # Received on Saturday: the clock starts on Monday at 9:00.
    assert PARIS.due(at(PARIS, 2026, 11, 28, 12, 0), "working_hours(1)") == at(
        PARIS, 2026, 11, 30, 10, 0
    )
    # 24 working hours from Monday 9:00: 8.5 + 8.5 + 7 -> Wednesday 16:00.
    assert PARIS.due(at(PARIS, 2026, 11, 30, 9, 0), "working_hours(24)") == at(
        PARIS, 2026, 12, 2, 16, 0
    )
    # Exactly a working day ends at the close, not at the next opening.
    assert PARIS.add_working_seconds(at(PARIS, 2026, 11, 30, 9, 0), 8.5 * 3600) == at(
        PARIS, 2026, 11, 30, 17, 30
    )


def test_working_hours_across_a_night_and_a_holiday():
    evening = at(PARIS, 2026, 12, 24, 17, 0)
    # Half an hour on the 24th, then Christmas and the weekend: Monday 28 at 9:30.
    assert PARIS.due(evening, "working_hours(1)") == at(PARIS, 2026, 12, 28, 9, 30)
    assert PARIS.working_seconds(evening, at(PARIS, 2026, 12, 28, 9, 30)) == 3600


def test_working_seconds_between_two_moments():
    monday = at(PARIS, 2026, 11, 30, 9, 0)
    assert PARIS.working_seconds(monday, at(PARIS, 2026, 12, 4, 17, 30)) == 5 * 8.5 * 3600
    assert PARIS.working_seconds(at(PARIS, 2026, 12, 4, 17, 30), monday) == 0
    # Saturday and Sunday count nothing.
    assert PARIS.working_seconds(at(PARIS, 2026, 11, 28, 0, 0), at(PARIS, 2026, 11, 30, 9, 0)) == 0


# -- clock changes -----------------------------------------------------------------------------


def test_paris_clock_change_in_march_and_october():
    # Last Sunday of March 2027 (28th): 17:30 on Tuesday 30 is 15:30 UTC (UTC+2), while
    # 17:30 on Friday 26 was 16:30 UTC (UTC+1). Monday 29 is Easter Monday.
    assert PARIS.due(at(PARIS, 2027, 3, 25, 10, 0), "working_days(1)") == utc(2027, 3, 26, 16, 30)
    assert PARIS.due(at(PARIS, 2027, 3, 26, 10, 0), "working_days(1)") == utc(2027, 3, 30, 15, 30)
    # Last Sunday of October 2026 (25th): back to UTC+1.
    assert PARIS.due(at(PARIS, 2026, 10, 23, 10, 0), "working_days(1)") == utc(2026, 10, 26, 16, 30)
    # A working day is 8.5 hours on either side of the change.
    assert PARIS.working_seconds(utc(2027, 3, 26, 0, 0), utc(2027, 3, 31, 0, 0)) == 2 * 8.5 * 3600


def test_calendar_days_keep_the_local_time_across_a_clock_change_and_hours_do_not():
    saturday = at(PARIS, 2027, 3, 27, 10, 0)  # 09:00 UTC
    assert PARIS.due(saturday, "days(1)") == at(PARIS, 2027, 3, 28, 10, 0)  # 08:00 UTC
    assert PARIS.due(saturday, "days(1)") == utc(2027, 3, 28, 8, 0)
    assert PARIS.due(saturday, "calendar_days(1)") == PARIS.due(saturday, "days(1)")
    assert PARIS.due(saturday, "hours(24)") == utc(2027, 3, 28, 9, 0)  # 11:00 in Paris
    assert PARIS.due(saturday, "weeks(1)") == at(PARIS, 2027, 4, 3, 10, 0)


def test_sydney_clock_changes_in_april_and_october():
    # Daylight time ends on Sunday 4 April 2027: Friday 17:30 is 06:30 UTC, Monday 17:30 07:30.
    assert SYDNEY.due(at(SYDNEY, 2027, 4, 1, 10, 0), "working_days(1)") == utc(2027, 4, 2, 6, 30)
    assert SYDNEY.due(at(SYDNEY, 2027, 4, 2, 10, 0), "working_days(1)") == utc(2027, 4, 5, 7, 30)
    # It starts on Sunday 4 October 2026; Monday 5 is Labour Day in NSW.
    assert SYDNEY.due(at(SYDNEY, 2026, 10, 2, 10, 0), "working_days(1)") == utc(2026, 10, 6, 6, 30)
    assert SYDNEY.due(at(SYDNEY, 2026, 10, 3, 10, 0), "days(1)") == at(SYDNEY, 2026, 10, 4, 10, 0)


# -- months ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ((2026, 12, 31, 10, 0), (2027, 2, 28, 10, 0)),  # 31 December + 2 months: end of February
        ((2027, 12, 31, 10, 0), (2028, 2, 29, 10, 0)),  # a leap year
        ((2026, 11, 30, 10, 0), (2027, 1, 30, 10, 0)),
        ((2027, 1, 31, 10, 0), (2027, 3, 31, 10, 0)),  # across the March clock change
        ((2026, 8, 31, 23, 30), (2026, 10, 31, 23, 30)),
    ],
)
def test_months_are_calendar_months_at_the_same_local_time(start, due):
    assert PARIS.due(at(PARIS, *start), "months(2)") == at(PARIS, *due)


# -- at risk, pauses, time left ----------------------------------------------------------------


def test_at_risk_is_a_share_of_the_working_time():
    monday = at(PARIS, 2026, 11, 30, 9, 0)
    due = PARIS.due(monday, "working_days(2)")
    assert due == at(PARIS, 2026, 12, 2, 17, 30)  # 25.5 working hours
    # 75 % = 19.125 h: Monday and Tuesday (17 h), then 2 h 07 min 30 s on Wednesday.
    assert PARIS.at_risk(monday, due, "working_days(2)") == at(PARIS, 2026, 12, 2, 11, 7, 30)
    half = Calendar(at_risk_share=0.5)
    assert half.at_risk(monday, due, "working_days(2)") == at(PARIS, 2026, 12, 1, 13, 15)


def test_at_risk_of_a_plain_duration_is_a_share_of_the_elapsed_time():
    start = utc(2026, 11, 28, 0, 0)
    due = PARIS.due(start, "hours(24)")
    assert PARIS.at_risk(start, due, "hours(24)") == utc(2026, 11, 28, 18, 0)
    assert PARIS.at_risk(start, due, parse_target("hours(24)")) == utc(2026, 11, 28, 18, 0)


def test_a_pause_moves_the_due_time_by_the_working_time_paused():
    due = at(PARIS, 2026, 12, 2, 17, 30)  # Wednesday
    # Two working hours paused on Tuesday: due Thursday 11:00.
    paused = (at(PARIS, 2026, 12, 1, 10, 0), at(PARIS, 2026, 12, 1, 12, 0))
    assert PARIS.shift(due, *paused, "working_days(2)") == at(PARIS, 2026, 12, 3, 11, 0)
    # A pause from Friday evening to Monday morning holds no working time: nothing moves.
    weekend = (at(PARIS, 2026, 11, 27, 18, 0), at(PARIS, 2026, 11, 30, 8, 0))
    assert PARIS.shift(due, *weekend, "working_days(2)") == due
    # A plain duration moves by the time paused, nights and weekends included.
    assert PARIS.shift(due, *weekend, "days(30)") == due + timedelta(days=2, hours=14)


def test_time_left_is_working_time_and_negative_once_late():
    due = at(PARIS, 2026, 12, 2, 17, 30)
    assert PARIS.time_left(at(PARIS, 2026, 12, 2, 15, 30), due, "working_days(2)") == 2 * 3600
    # Friday 17:30 to Monday 10:00 is one working hour.
    late = at(PARIS, 2026, 12, 7, 10, 0)
    friday = at(PARIS, 2026, 12, 4, 17, 30)
    assert PARIS.time_left(late, friday, "working_days(2)") == -3600
    # Thursday 10:00 after Wednesday 17:30: one working hour late.
    assert PARIS.time_left(at(PARIS, 2026, 12, 3, 10, 0), due, "working_days(2)") == -3600
    # A plain duration counts every hour.
    assert PARIS.time_left(late, friday, "hours(24)") == -(2 * 86400 + 16.5 * 3600)


# -- targets -----------------------------------------------------------------------------------


def test_targets_read_as_the_presets_and_diagrams_write_them():
    assert parse_target("working_days(10, saturdays=True)") == Target(
        "working_days", 10, True, "working_days(10, saturdays=True)"
    )
    assert parse_target(" weeks(8) ").kind == "weeks"
    assert parse_target("working_hours(24)").working
    assert not parse_target("calendar_days(30)").working
    assert parse_target('"P5D"').kind == "iso"
    start = utc(2026, 11, 28, 10, 0)
    assert PARIS.due(start, '"P5D"') == utc(2026, 12, 3, 10, 0)
    assert PARIS.due(start, '"PT3600S"') == utc(2026, 11, 28, 11, 0)
    assert business_calendar.target_text("working_days", 10, True) == (
        "working_days(10, saturdays=True)"
    )
    assert business_calendar.iso_seconds(3599.6) == "PT3600S"
    assert business_calendar.iso_seconds(-5) == "PT0S"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "'' is not a time limit"),
        ("two days", "'two days' is not a time limit"),
        ("fortnights(2)", "fortnights() is not a time limit function"),
        ("iso(3)", "iso() is not a time limit function"),
        ("os.system('ls')", "is not a time limit such as working_days(2)"),
        ("working_days()", "working_days() takes one whole number"),
        ("working_days(n)", "working_days() takes one whole number"),
        ("working_days(-1)", "working_days() takes one whole number"),
        ("working_days(1, 2)", "working_days() takes one whole number"),
        ("working_days(0)", "working_days() takes a whole number from 1 to 3660"),
        ("working_days(2.5)", "working_days() takes a whole number from 1 to 3660"),
        ("working_days(True)", "working_days() takes a whole number from 1 to 3660"),
        ("days(100000)", "days() takes a whole number from 1 to 3660"),
        ("hours(2, saturdays=True)", "hours() does not take saturdays="),
        ("working_days(2, sundays=True)", "working_days() does not take sundays="),
        ("working_days(2, saturdays=1)", "saturdays= takes True or False"),
        ('"5 days"', "'5 days' is not an ISO 8601 duration such as \"P5D\""),
        ('"P"', "'P' is not an ISO 8601 duration"),
        ('"P1Y"', "'P1Y' is not an ISO 8601 duration"),
    ],
)
def test_unknown_targets_are_refused_with_a_clear_message(text, message):
    with pytest.raises(TargetError) as refused:
        parse_target(text)
    assert message in str(refused.value)


def test_a_calendar_with_no_working_day_says_so():
    never = Calendar(weekdays=frozenset())
    with pytest.raises(TargetError, match="no working day found"):
        never.due(utc(2026, 11, 30, 9, 0), "working_days(1)")
    with pytest.raises(TargetError, match="no working hours found"):
        never.due(utc(2026, 11, 30, 9, 0), "working_hours(1)")


# -- names and choices -------------------------------------------------------------------------


def test_holiday_names_in_the_readers_language():
    assert PARIS.holiday_name(date(2026, 12, 25), "fr") == "Noël"
    assert PARIS.holiday_name(date(2026, 12, 25), "en") == "Christmas Day"
    assert PARIS.holiday_name(date(2026, 12, 24), "en") is None
    # No French names for the United Kingdom's holidays: English ones.
    assert LONDON.holiday_name(date(2026, 12, 28), "fr") == "Boxing Day (observed)"
    assert SYDNEY.holiday_name(date(2027, 1, 26), "fr") == "Australia Day"
    assert business_calendar.holiday_language("FR", "fr") == "fr"
    assert business_calendar.holiday_language("FR", "en") == "en_US"
    assert business_calendar.holiday_language("GB", "en") == "en_GB"
    assert business_calendar.holiday_language("AU", "fr") == "en_AU"


def test_a_due_date_loads_the_holidays_of_its_country_alone():
    """The holidays package imports all ~270 countries when any is asked for through it
    (about 8 MiB per process): the calendar loads its own country's module, and a country
    defined from another (French Guiana from France) that one first."""
    from tests.fresh_interpreter import last_line

    script = (
        "import sys; from datetime import UTC, datetime; "
        "from services.business_calendar import Calendar; "
        "paris, cayenne = Calendar(), Calendar(timezone='America/Cayenne', country='GF'); "
        "due = paris.due(datetime(2026, 12, 24, 12, tzinfo=UTC), 'working_days(1)'); "
        "named = cayenne.holiday_name(datetime(2026, 6, 10).date(), 'fr'); "
        "loaded = sorted(m for m in sys.modules if m.startswith('holidays.countries')); "
        "print(due.date(), named, loaded)"
    )
    assert last_line(script) == (
        "2026-12-28 Abolition de l'esclavage "
        "['holidays.countries.france', 'holidays.countries.french_guiana']"
    )


@pytest.mark.parametrize(
    ("country", "subdivision", "language"),
    [("FR", "", "fr"), ("GB", "SCT", None), ("AU", "NSW", "en_AU"), ("GF", "", None)],
)
def test_the_holidays_are_the_packages_own(country, subdivision, language):
    import holidays

    ours = business_calendar.country_holidays(country, subdivision, language)
    theirs = holidays.country_holidays(country, subdiv=subdivision or None, language=language)
    for year in (2025, 2026, 2027):  # each year is filled on first use
        span = slice(date(year, 1, 1), date(year + 1, 1, 1))
        assert ours[span] == theirs[span]
    assert dict(ours) == dict(theirs)  # the names too
    with pytest.raises(NotImplementedError):
        business_calendar.country_holidays("ZZ")


def test_subdivisions_and_time_zones_an_administrator_may_choose():
    assert business_calendar.subdivision_code("GB", "eng") == "ENG"
    assert business_calendar.subdivision_code("GB", "Scotland") == "SCT"
    assert business_calendar.subdivision_code("AU", "nsw") == "NSW"
    assert business_calendar.subdivision_code("FR", "57") == "57"
    assert business_calendar.subdivision_code("GB", "") == ""
    assert business_calendar.subdivision_code("GB", "NSW") is None
    assert business_calendar.subdivision_code("ZZ", "NSW") is None
    assert {"FR", "GB", "AU", "DE", "US"} <= set(business_calendar.countries())
    assert business_calendar.is_timezone("Europe/Paris")
    assert business_calendar.is_timezone("Australia/Sydney")
    assert not business_calendar.is_timezone("Europe/Lyon")
    assert not business_calendar.is_timezone("")


# -- the stored calendar -----------------------------------------------------------------------


def test_the_migration_stores_the_default_calendar(app_context):
    calendar = business_calendar.current()
    assert (calendar.timezone, calendar.country, calendar.subdivision) == ("Europe/Paris", "FR", "")
    assert calendar.weekdays == frozenset({1, 2, 3, 4, 5})
    assert (calendar.starts, calendar.ends) == (time(9, 0), time(17, 30))
    assert calendar.at_risk_share == 0.75
    assert calendar.preset == "grievance"
    assert calendar.closures == frozenset()


def test_current_reads_the_row_and_the_closure_days_until_invalidated(app_context):
    before = business_calendar.current()
    assert business_calendar.current() is before  # loaded once, then cached
    row = db.session.get(BusinessCalendar, 1)
    row.timezone, row.working_days = "Australia/Sydney", "1 2 3 4 5 6"
    row.holiday_country, row.holiday_subdivision = "AU", "NSW"
    row.at_risk_share = Decimal("0.60")
    db.session.add(ClosureDay(day=date(2026, 12, 24), name="Annual closure"))
    db.session.commit()
    assert business_calendar.current() is before  # other workers re-read within a minute
    business_calendar.invalidate()
    after = business_calendar.current()
    assert (after.timezone, after.country, after.subdivision) == ("Australia/Sydney", "AU", "NSW")
    assert after.weekdays == frozenset({1, 2, 3, 4, 5, 6})
    assert after.at_risk_share == 0.6
    assert after.closures == frozenset({date(2026, 12, 24)})
    assert not after.is_working_day(date(2026, 12, 24))
    assert after.is_working_day(date(2026, 12, 5))  # Saturdays are working days now
    assert not after.is_working_day(date(2026, 12, 28))  # Boxing Day (Saturday), observed


def test_times_are_stored_in_utc_and_read_in_the_organisations_zone(app_context):
    late_evening = utc(2026, 12, 1, 23, 30)  # already 2 December in Paris
    assert business_calendar.to_local(late_evening) == datetime(
        2026, 12, 2, 0, 30, tzinfo=ZoneInfo("Europe/Paris")
    )
    assert business_calendar.to_local(late_evening.replace(tzinfo=None)).hour == 0  # SQLite
    assert business_calendar.to_local(None) is None
    assert business_calendar.from_local(datetime(2026, 7, 14, 10, 0)) == utc(2026, 7, 14, 8, 0)
    assert business_calendar.local_today(late_evening) == date(2026, 12, 2)
    assert message_templates.long_date(late_evening, "en") == "2 December 2026"
    assert message_templates.long_date(late_evening.isoformat(), "fr") == "2 décembre 2026"
    assert message_templates.long_date("2026-12-01", "en") == "1 December 2026"  # a date
    assert message_templates.long_datetime(late_evening, "en") == (
        "2 December 2026 at 00:30 (Europe/Paris)"
    )
    assert message_templates.long_datetime(late_evening, "fr") == (
        "2 décembre 2026 à 00:30 (Europe/Paris)"
    )


def test_outside_the_application_times_stay_in_utc():
    late_evening = utc(2026, 12, 1, 23, 30)
    assert business_calendar.to_local(late_evening) == late_evening
    assert message_templates.long_date(late_evening, "en") == "1 December 2026"
