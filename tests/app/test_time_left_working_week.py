"""Time left counts the working days the clock's target counts: the business calendar's own
working days (whatever days the administrator ticked, Saturday included) and, for a target in
jours ouvrables (`working_days(n, saturdays=True)`), Saturdays too; public holidays and
closures never. The task page, the service-level view, its JSON twin and the "at risk" email
all read it from one function (business_calendar.Calendar.time_left).

Time stands still (time_machine, tick=False) in December 2026, Europe/Paris, 9:00 to 17:30
(a working day is 8 h 30), at-risk share 10 % so that the clocks are listed as at risk early.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from zoneinfo import ZoneInfo

import time_machine
from flask.testing import FlaskClient

from services import business_calendar, calendar_settings, presets, service_levels
from services.db import db
from services.models import Complaint, Notification, ServiceClock
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3600
DAY = 8.5 * HOUR


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def set_calendar(weekdays: tuple[int, ...], holidays: str = "FR") -> None:
    calendar_settings.update(
        j.user("admin"),
        timezone="Europe/Paris",
        weekdays=weekdays,
        starts=time(9, 0),
        ends=time(17, 30),
        country=holidays,
        subdivision="",
        at_risk_percent=10,
    )
    db.session.commit()


def acknowledge_clock(complaint: Complaint) -> ServiceClock:
    clock = db.session.scalar(
        db.select(ServiceClock).where(
            ServiceClock.complaint_id == complaint.id, ServiceClock.name == "acknowledge"
        )
    )
    assert clock is not None
    return clock


def task_page_time(client: FlaskClient, task_id: str, moment: datetime) -> str:
    """The time left the task page shows beside the due time."""
    with at(moment):
        login(client, "agent")
        html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    start = html.index('class="muted clock-time nowrap">')
    return html[html.index("·", start) + 1 : html.index("</span>", start)].strip()


def api_seconds_left(client: FlaskClient, runner, task_id: str, moment: datetime) -> dict:
    """The service level the API gives for the task (GET /service-levels, as a manager)."""
    token = issue_token(runner, "manager")
    with at(moment):
        body = client.get(f"{API}/service-levels", headers=bearer(token)).json
    [row] = [row for row in body["tasks"] if row["id"] == task_id]
    return row["service_level"]


def test_a_monday_to_saturday_calendar_counts_saturday_in_the_time_left(app, client, runner):
    with app.app_context():
        set_calendar((1, 2, 3, 4, 5, 6))
        with at(paris(4, 10)):  # Friday 4 December
            complaint = j.file()
        clock = acknowledge_clock(complaint)
        assert clock.target == "working_days(2)"
        # Saturday is day 1, Monday day 2: due on Monday at the close of business.
        assert business_calendar.to_local(clock.due_at) == paris(7, 17, 30)
        register = j.open_task(complaint, "register_complaint").id
    # Friday 16:00: 1 h 30 on Friday, 8 h 30 on Saturday, 8 h 30 on Monday.
    assert task_page_time(client, register, paris(4, 16)) == "2 working days 1 h left"
    level = api_seconds_left(client, runner, register, paris(4, 16))
    assert level == {
        "state": "at_risk",
        "seconds_left": int(1.5 * HOUR + 2 * DAY),
        "unit": "working_days",
        "due_at": "2026-12-07T16:30:00+00:00",
    }
    # Saturday noon: 5 h 30 of Saturday left, and Monday; Sunday counts nothing.
    assert task_page_time(client, register, paris(5, 12)) == "1 working day 5 h left"
    assert task_page_time(client, register, paris(6, 12)) == "1 working day left"


def test_jours_ouvrables_count_saturday_on_a_monday_to_friday_calendar(app, client, runner):
    with app.app_context():
        set_calendar((1, 2, 3, 4, 5))
        presets.set_active("acpr")  # acknowledge within 10 jours ouvrables (Monday-Saturday)
        db.session.commit()
        with at(paris(7, 10)):  # Monday 7 December
            complaint = j.file()
        clock = acknowledge_clock(complaint)
        assert clock.target == "working_days(10, saturdays=True)"
        # Tuesday 8 is day 1, Saturday 12 day 5, Friday 18 day 10.
        assert business_calendar.to_local(clock.due_at) == paris(18, 17, 30)
        register = j.open_task(complaint, "register_complaint").id
    # Friday 11 at the close: Saturday 12 and Monday 14 to Friday 18 are left, six days.
    assert task_page_time(client, register, paris(11, 17, 30)) == "6 working days left"
    level = api_seconds_left(client, runner, register, paris(11, 17, 30))
    assert (level["state"], level["seconds_left"], level["unit"]) == (
        "at_risk",
        int(6 * DAY),
        "working_days",
    )
    # The case page's clock and the "at risk" email count it the same way.
    with app.app_context():
        clock = acknowledge_clock(db.session.get(Complaint, complaint.id))
        assert service_levels.time_left(clock, paris(11, 17, 30)) == 6 * DAY
        with at(paris(11, 17, 30)):
            service_levels.process_due()
            db.session.commit()
            j.write_messages()
        texts = [
            n.body
            for n in db.session.scalars(
                db.select(Notification).where(Notification.kind == "clock_at_risk")
            )
        ]
        assert texts and all("(6 working days left)" in text for text in texts), texts


def test_holidays_and_closures_count_nothing_whatever_the_working_week(app):
    with app.app_context():
        set_calendar((1, 2, 3, 4, 5, 6))
        calendar = business_calendar.current()
        # Friday 25 December (Christmas) and Saturday 26: a Mon-Sat calendar counts Saturday
        # but not the holiday; a jours-ouvrables target on it counts the same.
        for target in ("working_days(2)", "working_days(2, saturdays=True)"):
            left = calendar.time_left(paris(24, 17, 30), paris(28, 17, 30), target)
            assert left == 2 * DAY, target
        # Calendar days count everything.
        assert calendar.time_left(paris(24, 17, 30), paris(28, 17, 30), "calendar_days(4)") == (
            4 * 24 * HOUR
        )
        # No target (a due time set by an ISO duration): elapsed time.
        assert calendar.time_left(paris(24, 17, 30), paris(25, 17, 30), None) == 24 * HOUR
