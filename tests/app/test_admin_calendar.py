"""Administrators keep the business calendar: time zone, working days and hours, public
holidays, at-risk share and closure days; every change audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine

from services import business_calendar
from services.db import db
from services.models import AuditEvent, BusinessCalendar, ClosureDay
from tests.app.helpers import login, post_form

URL = "/admin/calendar"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
# Saturday 28 November 2026, noon UTC: the next twelve months run to November 2027.
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SETTINGS = {
    "timezone": "Europe/London",
    "weekdays": ["1", "2", "3", "4", "5"],
    "starts": "08:30",
    "ends": "17:00",
    "country": "GB",
    "subdivision": "eng",
    "at_risk_percent": "80",
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


def settings_form(values: dict) -> list[tuple[str, str]]:
    """The settings as the browser posts them (one pair per ticked weekday)."""
    pairs = []
    for key, value in values.items():
        pairs += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return pairs


def row(app) -> BusinessCalendar:
    with app.app_context():
        found = db.session.get(BusinessCalendar, 1)
        db.session.expunge(found)
        return found


def calendar_events(app) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        return [
            (e.kind, e.actor_label, e.complaint_id)
            for e in db.session.scalars(
                db.select(AuditEvent)
                .where(AuditEvent.kind.like("calendar_%"))
                .order_by(AuditEvent.id)
            )
        ]


def closures(app) -> list[tuple[date, str]]:
    with app.app_context():
        return [(c.day, c.name) for c in db.session.scalars(db.select(ClosureDay).order_by("day"))]


def test_the_admin_finds_the_calendar_in_the_menu_with_the_preset_and_the_holidays(client, clock):
    login(client, "admin")
    page = client.get(URL).get_data(as_text=True)
    assert f'href="{URL}"' in page  # the navigation
    assert "Business calendar" in page
    # The preset in force, read-only; the process owner changes it on pages the administrator
    # may not open (no link to them here), or on the organisation page.
    assert "Grievance mechanism" in page
    assert 'href="/processes' not in page and 'href="/admin/organisation#preset-settings"' in page
    # The settings as stored by the migration.
    assert '<option selected value="Europe/Paris">' in page
    assert 'value="09:00"' in page and 'value="17:30"' in page
    assert 'value="75"' in page
    # The French public holidays of the next twelve months, named.
    assert "Friday 25 December 2026" in page and "Christmas Day" in page
    assert "Monday 29 March 2027" in page and "Easter Monday" in page
    assert "Thursday 11 November 2027" in page and "Armistice Day" in page
    assert "2026-11-11" not in page  # past
    assert "Working days: Monday, Tuesday, Wednesday, Thursday, Friday, 09:00–17:30" in page


@pytest.mark.parametrize("username", ["owner", "manager", "agent", "analyst"])
def test_other_roles_may_not_change_the_calendar(client, username):
    login(client, username)
    assert client.get(URL).status_code == 403
    assert f'href="{URL}"' not in client.get("/account").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_post_without_the_csrf_token_is_refused(app, client):
    login(client, "admin")
    response = client.post(URL, data=dict(settings_form(SETTINGS)))
    assert response.status_code == 400
    assert row(app).timezone == "Europe/Paris"


def test_the_admin_saves_the_settings_audited_and_used_at_once(app, client, clock):
    login(client, "admin")
    with app.app_context():
        assert business_calendar.current().timezone == "Europe/Paris"  # loaded, cached
    response = post_form(client, URL, settings_form(SETTINGS))
    assert response.status_code == 302
    saved = row(app)
    assert (saved.timezone, saved.working_days) == ("Europe/London", "1 2 3 4 5")
    assert (saved.work_starts, saved.work_ends) == (time(8, 30), time(17, 0))
    assert (saved.holiday_country, saved.holiday_subdivision) == ("GB", "ENG")
    assert saved.at_risk_share == Decimal("0.80")
    with app.app_context():
        calendar = business_calendar.current()  # the cache was dropped
        assert (calendar.timezone, calendar.subdivision, calendar.at_risk_share) == (
            "Europe/London",
            "ENG",
            0.8,
        )
        event = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.kind == "calendar_changed")
        ).one()
        assert event.complaint_id is None and event.actor_label == "Ada Admin"
        assert event.data["before"]["timezone"] == "Europe/Paris"
        assert event.data["after"]["holiday_subdivision"] == "ENG"
        assert event.data["after"]["work_starts"] == "08:30:00"
    page = client.get(URL).get_data(as_text=True)
    assert "Calendar saved." in page
    assert "Boxing Day (observed)" in page and "Monday 28 December 2026" in page
    assert "May Day" in page and "Monday 3 May 2027" in page
    assert (
        "Business calendar changed: time zone, start of the working day, end of the working day"
        in page
    )
    assert "(Europe/London)" in page  # the change's time, in the new zone


def test_saving_the_same_settings_again_records_no_change(app, client):
    login(client, "admin")
    same = {**SETTINGS, "timezone": "Europe/Paris", "starts": "09:00", "ends": "17:30"}
    same.update(country="FR", subdivision="", at_risk_percent="75")
    assert post_form(client, URL, settings_form(same)).status_code == 302
    assert calendar_events(app) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Not a valid choice."),
        ({"weekdays": []}, "Choose at least one working day."),
        ({"weekdays": ["8"]}, "is not a valid choice"),
        ({"starts": "17:00", "ends": "09:00"}, "The working day must end after it starts."),
        ({"starts": "09:00", "ends": "09:00"}, "The working day must end after it starts."),
        ({"starts": "nine"}, "Not a valid time value."),
        ({"ends": ""}, "Give the time the working day ends."),
        ({"country": "ZZ"}, "Not a valid choice."),
        (
            {"subdivision": "NSW"},
            "NSW is not a subdivision of United Kingdom. Use one of: ENG, NIR, SCT, WLS.",
        ),
        ({"country": "", "subdivision": "ENG"}, "Choose a country for this subdivision."),
        ({"country": "IS", "subdivision": "X"}, "Iceland has no subdivisions: leave this empty."),
        ({"at_risk_percent": "0"}, "Give a percentage from 1 to 99."),
        ({"at_risk_percent": "100"}, "Give a percentage from 1 to 99."),
        ({"at_risk_percent": ""}, "Give a percentage from 1 to 99."),
    ],
)
def test_invalid_settings_are_refused_with_their_error_and_nothing_changes(
    app, client, changes, message
):
    login(client, "admin")
    response = post_form(client, URL, settings_form({**SETTINGS, **changes}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert row(app).timezone == "Europe/Paris"
    assert calendar_events(app) == []


def test_any_country_the_holidays_package_knows_is_accepted(app, client, clock):
    login(client, "admin")
    germany = {**SETTINGS, "timezone": "Europe/Berlin", "country": "DE", "subdivision": "by"}
    assert post_form(client, URL, settings_form(germany)).status_code == 302
    assert (row(app).holiday_country, row(app).holiday_subdivision) == ("DE", "BY")
    page = client.get(URL).get_data(as_text=True)
    assert "Public holidays of Germany (BY)" in page
    assert "Epiphany" in page  # Bavaria's own
    none = {**SETTINGS, "country": "", "subdivision": ""}
    assert post_form(client, URL, settings_form(none)).status_code == 302
    assert row(app).holiday_country == ""
    assert "No public holidays are counted" in client.get(URL).get_data(as_text=True)


def test_the_admin_adds_and_removes_closure_days_all_audited(app, client, clock):
    login(client, "admin")
    response = post_form(
        client, f"{URL}/closures", {"day": "2026-12-24", "name": "Annual closure"}, form_url=URL
    )
    assert response.status_code == 302
    assert closures(app) == [(date(2026, 12, 24), "Annual closure")]
    page = client.get(URL).get_data(as_text=True)
    assert "24 December 2026 added as a closure day: Annual closure." in page
    assert "Thursday 24 December 2026" in page and "Closure day" in page
    with app.app_context():
        assert not business_calendar.current().is_working_day(date(2026, 12, 24))
        closure_id = db.session.scalar(db.select(ClosureDay.id))

    post_form(client, f"{URL}/closures/{closure_id}/delete", {}, form_url=URL)
    assert closures(app) == []
    assert "24 December 2026 is no longer a closure day." in client.get(URL).get_data(as_text=True)
    with app.app_context():
        assert business_calendar.current().is_working_day(date(2026, 12, 24))
    assert calendar_events(app) == [
        ("calendar_closure_added", "Ada Admin", None),
        ("calendar_closure_removed", "Ada Admin", None),
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"day": "2026-12-24", "name": "Again"}, "24 December 2026 is already a closure day"),
        ({"day": "", "name": "Annual closure"}, "Give the date of the closure."),
        ({"day": "24/12/2026", "name": "Annual closure"}, "Not a valid date value."),
        ({"day": "1999-12-31", "name": "Old"}, "Give a date between 2000 and 2100."),
        ({"day": "2026-12-31", "name": "  "}, "Name the closure, e.g. “Annual closure”."),
        ({"day": "2026-12-31", "name": "x" * 201}, "Field cannot be longer than 200 characters"),
    ],
)
def test_a_bad_closure_day_is_refused_with_a_clear_error(app, client, values, message):
    login(client, "admin")
    post_form(
        client, f"{URL}/closures", {"day": "2026-12-24", "name": "Annual closure"}, form_url=URL
    )
    response = post_form(client, f"{URL}/closures", values, form_url=URL)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert closures(app) == [(date(2026, 12, 24), "Annual closure")]
    assert len(calendar_events(app)) == 1


def test_removing_an_unknown_closure_is_404(client):
    login(client, "admin")
    assert post_form(client, f"{URL}/closures/999999/delete", {}, form_url=URL).status_code == 404


def test_the_page_speaks_french_with_french_holiday_names(client, clock):
    login(client, "admin")
    post_form(
        client,
        f"{URL}/closures",
        {"day": "2026-12-31", "name": "Fermeture annuelle"},
        form_url=URL,
        headers=FRENCH,
    )
    page = client.get(URL, headers=FRENCH).get_data(as_text=True)
    assert "Calendrier des jours ouvrés" in page
    assert "vendredi 25 décembre 2026" in page and "Noël" in page
    assert "lundi 29 mars 2027" in page and "Lundi de Pâques" in page
    assert "jeudi 31 décembre 2026" in page and "Fermeture annuelle" in page
    assert "Jour férié" in page and "Jour de fermeture" in page
    assert "Christmas Day" not in page


def test_a_refused_setting_is_explained_in_french(client):
    login(client, "admin")
    response = post_form(
        client,
        URL,
        settings_form({**SETTINGS, "starts": "18:00", "ends": "08:00", "subdivision": "NSW"}),
        headers=FRENCH,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La journée de travail doit finir après son début." in page
    assert (
        "NSW n&#39;est pas une subdivision connue (pays\u00a0: Royaume-Uni). "
        "Codes possibles\u00a0: ENG, NIR, SCT, WLS."
    ) in page


def test_seed_demo_leaves_a_working_calendar_and_the_demo_closure_days(app, runner):
    assert closures(app) == []  # the tests' seed has none: due times do not depend on the day
    with app.app_context():
        db.session.delete(db.session.get(BusinessCalendar, 1))
        db.session.commit()
    app.config["DEMO"] = True
    with time_machine.travel(NOW):
        for _run in range(2):  # again: nothing doubles
            result = runner.invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
    assert row(app).timezone == "Europe/Paris"
    assert closures(app) == [
        (date(2026, 12, 24), "Fermeture annuelle (veille de Noël)"),
        (date(2026, 12, 31), "Fermeture annuelle (31 décembre)"),
    ]
