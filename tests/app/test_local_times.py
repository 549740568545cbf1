"""Times are stored in UTC and read by people in the organisation's time zone (the business
calendar's); the JSON API keeps UTC for integrators."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from app.delivery_cli import deliver_once
from services import business_calendar, delivery, notifications, staff_notices
from services.clock import as_utc
from services.db import db
from services.errors import InvalidInput
from services.models import BusinessCalendar, Complaint, Notification, Task
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login, post_form
from tests.services.test_delivery import settings_for

# 23:30 UTC on 1 December is 00:30 on 2 December in Paris (UTC+1).
DUE = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def task_due_late_in_the_evening(app) -> tuple[int, str]:
    """A complaint whose registration task is due at DUE; its id and the task's id."""
    with app.app_context():
        complaint = j.file()
        task = j.open_task(complaint, "register_complaint")
        task.due_at = DUE
        db.session.commit()
        return complaint.id, task.id


def set_timezone(app, name: str) -> None:
    with app.app_context():
        db.session.get(BusinessCalendar, 1).timezone = name
        db.session.commit()
        business_calendar.invalidate()  # as the administrator's page does after a save


def test_a_due_time_stored_in_utc_shows_in_the_organisations_zone_on_staff_pages(app, client):
    complaint_id, task_id = task_due_late_in_the_evening(app)
    login(client, "agent")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "2026-12-02</span> 00:30" in inbox and "(Europe/Paris)" in inbox
    assert "23:30" not in inbox
    task_page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    # One format on every page: the task page says it as the inbox and the case page do.
    assert "Due 2026-12-02 00:30 (Europe/Paris)" in task_page
    login(client, "manager")
    case = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "2026-12-02 00:30 (Europe/Paris)" in case
    assert "2026-12-01 23:30" not in case


def test_another_time_zone_shows_the_same_moment_at_its_own_time(app, client):
    complaint_id, _task_id = task_due_late_in_the_evening(app)
    set_timezone(app, "America/Toronto")  # UTC-5 in December
    login(client, "manager")
    case = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "2026-12-01 18:30 (America/Toronto)" in case


def test_a_due_time_in_a_staff_message_is_dated_in_the_organisations_zone(app):
    _complaint_id, task_id = task_due_late_in_the_evening(app)
    with app.app_context():
        supervisor = j.user("supervisor")
        staff_notices.set_preferences(supervisor, notify_assignment=True, daily_digest=False)
        staff_notices.task_assigned(db.session.get(Task, task_id), supervisor, by=None)
        db.session.commit()
        j.write_messages()  # as the delivery worker does when it claims it
        notice = db.session.scalars(
            db.select(Notification).where(Notification.kind == "task_assigned")
        ).one()
        assert "2 December 2026" in notice.body
        assert "1 December 2026" not in notice.body


def test_the_api_keeps_utc(app, client, runner):
    _complaint_id, task_id = task_due_late_in_the_evening(app)
    token = issue_token(runner, "agent")
    body = client.get(f"{API}/tasks/{task_id}", headers=bearer(token)).get_json()
    assert body["due_at"] == "2026-12-01T23:30:00+00:00"


@time_machine.travel("2026-11-29 12:00 +0000", tick=True)  # July 14 within the last year
def test_intake_staff_type_the_organisations_time_and_it_is_stored_in_utc(app, client):
    login(client, "agent")
    page = client.get("/intake").get_data(as_text=True)
    assert "Date and time in Europe/Paris; empty: now." in page
    response = post_form(
        client,
        "/intake",
        {
            "channel": "phone",
            "received_at": "2026-07-14T10:00",  # summer time: UTC+2
            "complainant_name": "Moussa Ba",
            "preferred_contact": "phone",
            "phone": "+221 77 000 00 00",
            "description": "The meter was read twice.",
            "consent_recorded": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint))
        assert as_utc(complaint.received_at) == datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
    login(client, "manager")
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert "2026-07-14 10:00 (Europe/Paris)" in page


def test_a_letter_posted_just_after_midnight_is_dated_by_the_organisations_day(
    app, app_context, smtp_server
):
    complaint = j.to_classification(preferred_contact="letter")
    deliver_once(settings_for(app, smtp_server))
    [row] = [n for n in notifications.for_complaint(complaint.id) if n.kind == "acknowledgement"]
    assert row.status == "to_post"
    # 23:30 UTC on 1 December is 2 December in Paris: "posted today" is the 2nd, not the future.
    delivery.mark_posted(row.id, j.user("agent"), date(2026, 12, 2), now=DUE)
    db.session.commit()
    assert as_utc(row.posted_at) == DUE
    other = j.to_classification(preferred_contact="letter")
    deliver_once(settings_for(app, smtp_server))
    [waiting] = [n for n in notifications.for_complaint(other.id) if n.kind == "acknowledgement"]
    with pytest.raises(InvalidInput, match="cannot be in the future"):
        delivery.mark_posted(waiting.id, j.user("agent"), date(2026, 12, 3), now=DUE)
