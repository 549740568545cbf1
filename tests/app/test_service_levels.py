"""Service levels as staff see them: each task's clock in the inbox, the managers' breach view
(counts, filters, sorting, paging, one-click reassign, secrecy), the complaint page's clocks
and their pauses, and the JSON twin of the view.

Time is moved with time_machine (tick=False) over a week without holidays in the default
calendar (Europe/Paris, Monday to Friday, 9:00 to 17:30, French public holidays), so that every
due time and every "time left" is known to the minute. A complaint filed on Monday 7 December
2026 at 10:00 must be acknowledged within 2 working days: by Wednesday at 17:30, at risk once
75% of that working time is used (Wednesday 11:22:30).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.service_levels import time_words
from services import tasks, tracking, users, workflows
from services.breach_view import ClockStatus
from services.clock import as_utc
from services.db import db
from services.models import AuditEvent, Complaint, Task
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login, post_form
from tests.conftest import DEMO_PASSWORD

PARIS = ZoneInfo("Europe/Paris")
ROW = re.compile(
    r'<tr data-task="([^"]+)">\s*<td class="nowrap"><a href="/complaints/\d+">(C-[\d-]+)</a>'
)


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026 on the organisation's clock."""
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS)


MONDAY_10 = paris(7, 10)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """The application's clock stands still at `moment`."""
    with time_machine.travel(moment, tick=False):
        yield


def page(client: FlaskClient, username: str, url: str, moment: datetime) -> Any:
    """GET `url` as `username` at `moment` (signed in then: sessions expire after 8 hours)."""
    with at(moment):
        login(client, username)
        return client.get(url)


def rows(response: Any) -> list[str]:
    """The complaint references of the breach view's rows, in order."""
    return [reference for _task, reference in ROW.findall(response.get_data(as_text=True))]


def row_of(response: Any, task_id: str) -> str:
    """The HTML of one row of a table, by its task."""
    html = response.get_data(as_text=True)
    start = html.index(f'<tr data-task="{task_id}">')
    return html[start : html.index("</tr>", start)]


def inbox_row(response: Any, task_id: str) -> str:
    """The HTML of one inbox row, by its task link."""
    html = response.get_data(as_text=True)
    link = html.index(f'href="/tasks/{task_id}"')
    return html[html.rindex("<tr>", 0, link) : html.index("</tr>", link)]


def filed(moment: datetime, **intake: Any) -> Complaint:
    with at(moment):
        return j.file(**intake)


def task_id(complaint: Complaint, name: str) -> str:
    return j.open_task(complaint, name).id


def add_user(username: str, name: str, *roles: str) -> int:
    user = users.create_user(username, name, DEMO_PASSWORD, roles)
    db.session.commit()
    return user.id


# ---------------------------------------------------------------------------------------------
# The inbox: each task's clock, in working time
# ---------------------------------------------------------------------------------------------


def test_inbox_shows_the_working_time_left_while_on_track(app, client):
    with app.app_context():
        register = task_id(filed(MONDAY_10), "register_complaint")
    # Monday 11:00: 6 h 30 on Monday, 8 h 30 on Tuesday and Wednesday (a day is 8 h 30).
    response = page(client, "agent", "/inbox", paris(7, 11))
    row = inbox_row(response, register)
    assert "2 working days 6 h left" in row
    assert "At risk" not in row and "Breached" not in row
    assert "2026-12-09" in row and "17:30" in row  # the due time, on the organisation's clock


def test_inbox_marks_an_at_risk_task_and_counts_working_time_across_the_night(app, client):
    with app.app_context():
        register = task_id(filed(MONDAY_10), "register_complaint")
    response = page(client, "agent", "/inbox", paris(9, 12))
    row = inbox_row(response, register)
    assert 'class="badge badge-at_risk clock-at_risk">At risk<' in row
    assert "5 working hours 30 min left" in row
    # Tuesday evening: the night does not count, so it is not at risk yet.
    evening = inbox_row(page(client, "agent", "/inbox", paris(8, 23)), register)
    assert "At risk" not in evening and "1 working day left" in evening


def test_inbox_marks_a_breached_task_with_how_late_it_is_in_working_time(app, client):
    with app.app_context():
        complaint = filed(MONDAY_10)
        register = task_id(complaint, "register_complaint")
        with at(paris(10, 11)):
            workflows.tick()  # the timer loop: breach recorded, overdue review raised
            db.session.commit()
        breach = db.session.scalar(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "clock_breached"
            )
        )
        assert breach is not None
    row = inbox_row(page(client, "agent", "/inbox", paris(10, 11)), register)
    assert 'clock-breached">Breached<' in row
    assert "2 working hours late" in row  # Wednesday 17:30 to Thursday 11:00, working time


def test_inbox_filter_at_risk_or_breached(app, client):
    with app.app_context():
        late = filed(MONDAY_10)
        risky = filed(paris(8, 10))
        fresh = filed(paris(10, 9))
        late, risky, fresh = late.reference, risky.reference, fresh.reference
    moment = paris(10, 12)
    everything = page(client, "agent", "/inbox", moment).get_data(as_text=True)
    assert late in everything and risky in everything and fresh in everything
    attention = page(client, "agent", "/inbox?service_level=attention", moment)
    html = attention.get_data(as_text=True)
    assert late in html and risky in html and fresh not in html
    breached = page(client, "agent", "/inbox?service_level=breached", moment)
    html = breached.get_data(as_text=True)
    assert late in html and risky not in html


def test_a_pause_stops_the_clock_the_inbox_shows_the_same_time_left_afterwards(app, client):
    """While the complainant is asked for information, no task of the step is open: the clock
    is paused (the complaint page says so) and the inbox shows, once they answer, the working
    time that was left when it stopped."""
    with app.app_context():
        complaint = filed(MONDAY_10)
        with at(paris(7, 11)):
            j.complete(
                complaint,
                "register_complaint",
                registration_outcome="incomplete",
                missing_information="The receipt.",
            )
        assert j.open_names(complaint) == []
        complaint_id = complaint.id
    during = page(client, "manager", f"/complaints/{complaint_id}", paris(7, 15))
    html = during.get_data(as_text=True)
    panel = html[html.index('id="service-levels"') :]
    acknowledge = panel[
        panel.index('id="clock-acknowledge"') : panel.index(
            "</tr>", panel.index('id="clock-acknowledge"')
        )
    ]
    assert "Paused" in acknowledge and "paused, 2 working days 6 h left" in acknowledge
    assert "still waiting" in panel
    with app.app_context():
        with at(paris(8, 11)):
            tracking.reply_information(
                j.refreshed(complaint), "Here it is.", upload_dir=app.config["UPLOAD_DIR"]
            )
            db.session.commit()
        register = task_id(complaint, "register_complaint")
        assert as_utc(j.open_task(complaint, "register_complaint").due_at) == paris(10, 17, 30)
    row = inbox_row(page(client, "agent", "/inbox", paris(8, 11)), register)
    assert "2 working days 6 h left" in row  # as on Monday at 11:00, when it stopped
    after = page(client, "agent", f"/complaints/{complaint_id}", paris(8, 11))
    html = after.get_data(as_text=True)
    assert "2026-12-07 11:00 → 2026-12-08 11:00" in html
    assert "Waiting for the complainant&#39;s missing information" in html


# ---------------------------------------------------------------------------------------------
# Each clock's time in the unit its target counts in
# ---------------------------------------------------------------------------------------------


def at_major_resolution(moment: datetime) -> Complaint:
    """A major complaint filed, classified and investigated at `moment`: its resolution is
    open, covered by the clock resolve_major (30 calendar days in the default preset)."""
    with at(moment):
        complaint = j.to_investigation()
        j.complete(complaint, "investigate_complaint")
    assert "resolve_major" in j.open_names(complaint)
    return complaint


def clock_row(response: Any, name: str) -> str:
    """The HTML of one clock's row on the complaint page."""
    html = response.get_data(as_text=True)
    start = html.index(f'id="clock-{name}"')
    return html[start : html.index("</tr>", start)]


def two_clocks(app: Flask) -> dict[str, Any]:
    """A major complaint at its resolution (filed Monday 10:00: resolve_major due Wednesday
    6 January at 10:00, the whole case Thursday 21 January at 10:00) and a complaint filed
    Wednesday 9 December at 10:00 (acknowledge by Friday at 17:30, 2 working days)."""
    with app.app_context():
        major = at_major_resolution(MONDAY_10)
        fresh = filed(paris(9, 10))
        return {
            "major": major.id,
            "resolve": task_id(major, "resolve_major"),
            "fresh": fresh.id,
            "register": task_id(fresh, "register_complaint"),
        }


WEDNESDAY_NOON = paris(9, 12)


def test_a_calendar_day_clock_says_calendar_days_a_working_day_clock_working_days(app, client):
    """Wednesday at noon: the major resolution has 27 calendar days 22 h left (in working
    time it would be 19 working days and some hours); the fresh registration 2 working days
    5 h 30 min (5 h 30 on Wednesday, 8 h 30 on Thursday and Friday)."""
    seen = two_clocks(app)
    resolve = inbox_row(page(client, "investigator", "/inbox", WEDNESDAY_NOON), seen["resolve"])
    assert "27 calendar days 22 h left" in resolve
    assert "working" not in resolve
    register = inbox_row(page(client, "agent", "/inbox", WEDNESDAY_NOON), seen["register"])
    assert "2 working days 5 h left" in register
    assert "calendar" not in register

    major = page(client, "manager", f"/complaints/{seen['major']}", WEDNESDAY_NOON)
    assert "30 calendar days" in clock_row(major, "resolve_major")  # the target
    assert "27 calendar days 22 h left" in clock_row(major, "resolve_major")
    assert "42 calendar days 22 h left" in clock_row(major, "complaint")
    # Met on time: no time left to say.
    assert "left" not in clock_row(major, "acknowledge")
    case = page(client, "manager", f"/complaints/{seen['fresh']}", WEDNESDAY_NOON)
    assert "2 working days 5 h left" in clock_row(case, "acknowledge")
    assert "44 calendar days 22 h left" in clock_row(case, "complaint")
    # The case page lists the open task with its own clock's unit too.
    assert "27 calendar days 22 h left" in major.get_data(as_text=True)


def test_late_clocks_say_how_late_in_their_own_unit(app, client):
    """Friday 8 January 2027 at noon: the resolution is 2 calendar days 2 h late; the
    registration, due 11 December at 17:30, is 17 working days 3 h late (the holidays of
    Christmas and New Year's Day do not count)."""
    seen = two_clocks(app)
    moment = datetime(2027, 1, 8, 12, tzinfo=PARIS)
    view = page(client, "manager", "/service-levels", moment)
    resolve = row_of(view, seen["resolve"])
    assert "Breached" in resolve and "2 calendar days 2 h late" in resolve
    register = row_of(view, seen["register"])
    assert "Breached" in register and "17 working days 3 h late" in register
    token = issue_token(app.test_cli_runner(), "manager")
    with at(moment):
        body = client.get(f"{API}/service-levels?per_page=100", headers=bearer(token)).json
    levels = {task["id"]: task["service_level"] for task in body["tasks"]}
    assert levels[seen["resolve"]]["unit"] == "calendar_days"
    assert levels[seen["resolve"]]["seconds_left"] == -(2 * 86400 + 2 * 3600)  # elapsed
    assert levels[seen["register"]]["unit"] == "working_days"
    assert levels[seen["register"]]["seconds_left"] == -(17 * 8.5 + 3) * 3600  # working


def say(seconds: float, unit: str, state: str = "on_track") -> str:
    """What a page says of a clock with `seconds` left in `unit` (a working day: 8 h 30)."""
    return time_words(ClockStatus(state, seconds, 8.5 * 3600, MONDAY_10, unit))


def test_time_left_is_said_with_the_plural_of_each_unit(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert say(86400 + 3600, "calendar_days") == "1 calendar day 1 h left"
        assert say(3 * 86400, "calendar_days") == "3 calendar days left"
        assert say(8.5 * 3600, "working_days") == "1 working day left"
        assert say(3600, "working_days") == "1 working hour left"
        assert say(30 * 3600 + 300, "working_hours") == "30 working hours 5 min left"
        assert say(-3600, "working_hours", "breached") == "1 working hour late"
        assert say(30 * 3600, "hours") == "30 h left"
        assert say(5 * 3600, "calendar_days", "paused") == "paused, 5 h left"


def test_time_left_is_said_in_french_in_each_unit(app, client):
    """French (needs the French catalogue of this change)."""
    seen = two_clocks(app)
    with at(WEDNESDAY_NOON):
        login(client, "manager")
        major = client.get(f"/complaints/{seen['major']}", headers={"Accept-Language": "fr"})
        fresh = client.get(f"/complaints/{seen['fresh']}", headers={"Accept-Language": "fr"})
    assert "reste 27 jours calendaires 22 h" in clock_row(major, "resolve_major")
    assert "reste 2 jours ouvrés 5 h" in clock_row(fresh, "acknowledge")
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert say(86400 + 3600, "calendar_days") == "reste 1 jour calendaire 1 h"
        assert say(8.5 * 3600, "working_days") == "reste 1 jour ouvré"
        assert say(2 * 3600 + 300, "working_days") == "reste 2 heures ouvrées 5 min"
        assert say(-3600, "working_hours", "breached") == "1 heure ouvrée de retard"


# ---------------------------------------------------------------------------------------------
# The complaint page: its clocks and their history
# ---------------------------------------------------------------------------------------------


def test_complaint_page_lists_each_clock_with_target_times_state_and_met_date(app, client):
    with app.app_context():
        complaint = filed(MONDAY_10)
        with at(paris(7, 11)):
            j.complete(complaint, "register_complaint")
        complaint_id = complaint.id
    response = page(client, "analyst", f"/complaints/{complaint_id}", paris(7, 12))
    html = response.get_data(as_text=True)
    panel = html[
        html.index('id="service-levels"') : html.index(
            "</section>", html.index('id="service-levels"')
        )
    ]
    acknowledge = panel[panel.index('id="clock-acknowledge"') :]
    acknowledge = acknowledge[: acknowledge.index("</tr>")]
    assert "Acknowledgement" in acknowledge and "2 working days" in acknowledge
    assert "2026-12-07 10:00" in acknowledge  # started
    assert "2026-12-09 17:30" in acknowledge  # due
    assert "clock-met" in acknowledge and "2026-12-07 11:00" in acknowledge  # met on
    classify = panel[panel.index('id="clock-classify"') :]
    assert "Classification" in classify and "On track" in classify
    assert "Whole complaint" in panel and "45 calendar days" in panel


def test_complaint_page_of_a_confidential_case_keeps_its_clocks_secret(app, client):
    with app.app_context():
        complaint_id = filed(MONDAY_10, sensitive_at_intake=True).id
    assert page(client, "manager", f"/complaints/{complaint_id}", paris(7, 11)).status_code == 404
    focal = page(client, "focal", f"/complaints/{complaint_id}", paris(7, 11))
    assert focal.status_code == 200
    assert 'id="clock-confidential"' in focal.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# The managers' breach view
# ---------------------------------------------------------------------------------------------


def three_complaints(app: Flask) -> dict[str, Any]:
    """On Thursday at 12:00: one breached (filed Monday), one at risk (filed Tuesday), one on
    track (filed Thursday)."""
    with app.app_context():
        late = filed(MONDAY_10)
        risky = filed(paris(8, 10))
        fresh = filed(paris(10, 9))
        return {
            "late": late.reference,
            "risky": risky.reference,
            "fresh": fresh.reference,
            "late_task": task_id(late, "register_complaint"),
            "risky_task": task_id(risky, "register_complaint"),
        }


THURSDAY_NOON = paris(10, 12)


def test_staff_without_the_manager_role_get_a_403(app, client):
    for username in ("supervisor", "agent", "analyst", "focal"):
        response = page(client, username, "/service-levels", THURSDAY_NOON)
        assert response.status_code == 403, username
        assert "Only managers see the service-level view." in response.get_data(as_text=True)
        assert 'href="/service-levels"' not in client.get("/account").get_data(as_text=True)
    token = issue_token(app.test_cli_runner(), "supervisor")
    answer = client.get(f"{API}/service-levels", headers=bearer(token))
    assert answer.status_code == 403 and answer.json["code"] == "forbidden"


def test_managers_see_what_is_at_risk_or_breached_with_counts(app, client):
    seen = three_complaints(app)
    response = page(client, "manager", "/service-levels", THURSDAY_NOON)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/service-levels"' in html  # in the navigation
    assert rows(response) == [seen["late"], seen["risky"]]
    assert seen["fresh"] not in html
    totals = html[html.index('id="totals"') : html.index("</p>", html.index('id="totals"'))]
    assert re.search(r"At risk</span> <strong>1</strong>", totals)
    assert re.search(r"Breached</span> <strong>1</strong>", totals)
    steps = html[
        html.index('id="counts-clock"') : html.index("</table>", html.index('id="counts-clock"'))
    ]
    assert re.search(r"Acknowledgement</a></td>\s*<td>1</td>\s*<td>1</td>", steps)
    teams = html[
        html.index('id="counts-role"') : html.index("</table>", html.index('id="counts-role"'))
    ]
    assert re.search(r"Intake agent</a></td>\s*<td>1</td>\s*<td>1</td>", teams)
    late = row_of(response, seen["late_task"])
    # Wednesday 17:30 to Thursday 12:00, in working time
    assert "Breached" in late and "3 working hours late" in late
    assert "Acknowledgement" in late and "Register complaint" in late
    risky = row_of(response, seen["risky_task"])
    assert "At risk" in risky and "5 working hours 30 min left" in risky


def test_breach_view_filters_by_state_step_team_and_assignee(app, client):
    seen = three_complaints(app)
    with app.app_context():
        with at(THURSDAY_NOON):
            agent = j.user("agent")
            tasks.claim(agent, seen["late_task"])
            db.session.commit()
            agent_id = agent.id

    def listed(query: str) -> list[str]:
        return rows(page(client, "manager", f"/service-levels?{query}", THURSDAY_NOON))

    assert listed("state=breached") == [seen["late"]]
    assert listed("state=at_risk") == [seen["risky"]]
    assert listed("clock=acknowledge") == [seen["late"], seen["risky"]]
    assert listed("clock=classify") == []
    assert listed("task=register_complaint") == [seen["late"], seen["risky"]]
    assert listed("role=intake_agent") == [seen["late"], seen["risky"]]
    assert listed("role=supervisor") == []
    assert listed("department=Customer+service") == [seen["late"], seen["risky"]]
    assert listed(f"assignee={agent_id}") == [seen["late"]]
    assert listed("assignee=none") == [seen["risky"]]
    refused = page(client, "manager", "/service-levels?state=sideways", THURSDAY_NOON)
    assert refused.status_code == 422 and rows(refused) == [seen["late"], seen["risky"]]


def test_breach_view_sorts_by_due_time_step_team_and_assignee(app, client):
    seen = three_complaints(app)
    with app.app_context():
        with at(paris(7, 12)):
            # A classification task: registered on Monday at noon, due on Wednesday at 17:30.
            classified = j.to_classification()
            classify_ref = classified.reference
        with at(THURSDAY_NOON):
            tasks.claim(j.user("agent"), seen["risky_task"])
            db.session.commit()

    def listed(query: str) -> list[str]:
        return rows(page(client, "manager", f"/service-levels?{query}", THURSDAY_NOON))

    by_due = listed("sort=due")
    assert by_due.index(seen["late"]) < by_due.index(seen["risky"])
    assert listed("sort=due_desc")[0] == seen["risky"]
    # Steps in the clocks' order: acknowledgement before classification.
    assert listed("sort=step")[-1] == classify_ref
    # Teams by role name: complaint handling lanes, intake agent before supervisor.
    assert listed("sort=team")[-1] == classify_ref
    # Unassigned first, then by the assignee's name.
    assert listed("sort=assignee")[-1] == seen["risky"]


def test_breach_view_pages_through_many_rows(app, client):
    with app.app_context():
        with at(MONDAY_10):
            references = [j.file().reference for _ in range(26)]
    first = page(client, "manager", "/service-levels", THURSDAY_NOON)
    html = first.get_data(as_text=True)
    assert len(rows(first)) == 25 and "26 tasks at risk or breached" in html
    assert 'href="/service-levels?sort=due&amp;page=2"' in html or 'page=2"' in html
    second = page(client, "manager", "/service-levels?page=2", THURSDAY_NOON)
    assert len(rows(second)) == 1
    assert sorted(rows(first) + rows(second)) == sorted(references)


def test_reassigning_from_the_view_gives_the_task_to_the_person_chosen(app, client):
    seen = three_complaints(app)
    with app.app_context():
        other = add_user("agent2", "Aline Second Agent", "intake_agent")
    response = page(client, "manager", "/service-levels", THURSDAY_NOON)
    row = row_of(response, seen["late_task"])
    assert f'<option value="{other}"' in row and "Aline Second Agent" in row
    url = f"/service-levels/tasks/{seen['late_task']}/reassign"
    with at(THURSDAY_NOON):
        answer = post_form(
            client,
            url,
            {"assignee": other, "next": "/service-levels?state=breached"},
            form_url="/service-levels",
        )
        assert answer.status_code == 302
        assert answer.headers["Location"] == "/service-levels?state=breached"
        after = client.get("/service-levels?state=breached").get_data(as_text=True)
    assert f"{seen['late']}: “Register complaint” is now assigned to Aline Second Agent." in after
    with app.app_context():
        task = db.session.get(Task, seen["late_task"])
        assert task.assignee.username == "agent2"
        event = db.session.scalar(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == task.complaint_id, AuditEvent.kind == "reassigned"
            )
        )
        assert event.summary == "Assigned to Aline Second Agent"


def test_reassigning_needs_the_form_token_and_a_person_who_holds_the_role(app, client):
    seen = three_complaints(app)
    url = f"/service-levels/tasks/{seen['late_task']}/reassign"
    with app.app_context():
        supervisor_id = j.user("supervisor").id
    with at(THURSDAY_NOON):
        login(client, "manager")
        assert client.post(url, data={"assignee": supervisor_id}).status_code == 400  # no CSRF
        refused = post_form(client, url, {"assignee": supervisor_id}, form_url="/service-levels")
        assert refused.status_code == 302
        html = client.get("/service-levels").get_data(as_text=True)
    assert (
        "Samuel Supervisor cannot take “Register complaint”: it needs the role Intake agent."
        in html
    )
    with at(THURSDAY_NOON):
        for wrong in ("someone", 2**40):  # not a number; beyond any user id
            answer = post_form(client, url, {"assignee": wrong}, form_url="/service-levels")
            assert answer.status_code == 302
            html = client.get("/service-levels").get_data(as_text=True)
            assert "Choose who takes “Register complaint” from the list." in html
    with app.app_context():
        assert db.session.get(Task, seen["late_task"]).assignee_id is None
    # Not a manager: no reassigning.
    with at(THURSDAY_NOON):
        login(client, "supervisor")
        token_page = client.get("/inbox")
        assert token_page.status_code == 200
        answer = post_form(client, url, {"assignee": supervisor_id}, form_url="/inbox")
    assert answer.status_code == 403


def confidential_sign_off(app: Flask) -> dict[str, Any]:
    """A confidential case handled by the focal point on Monday, its sign-off (four eyes:
    not by the handler) breached on Thursday; and a manager who is also a focal point."""
    with app.app_context():
        with at(MONDAY_10):
            complaint = j.file(sensitive_at_intake=True)
            j.complete(complaint, "record_consent")
            j.complete(complaint, "refer_support")
            j.complete(complaint, "handle_confidential", by="focal")
        chief = add_user("chief", "Claire Chief", "manager", "confidential_focal_point")
        return {
            "reference": complaint.reference,
            "task": task_id(complaint, "sign_off_confidential"),
            "chief": chief,
            "focal": j.user("focal").id,
            "focal2": j.user("focal2").id,
        }


def test_confidential_tasks_are_invisible_to_managers_who_are_not_focal_points(app, client):
    seen = three_complaints(app)
    secret = confidential_sign_off(app)
    manager = page(client, "manager", "/service-levels", THURSDAY_NOON)
    html = manager.get_data(as_text=True)
    assert secret["reference"] not in html
    assert rows(manager) == [seen["late"], seen["risky"]]
    assert "Sign-off" not in html[html.index('id="counts-clock"') :].split("</table>")[0]
    with at(THURSDAY_NOON):
        url = f"/service-levels/tasks/{secret['task']}/reassign"
        answer = post_form(client, url, {"assignee": secret["focal2"]}, form_url="/service-levels")
    assert answer.status_code == 404
    chief = page(client, "chief", "/service-levels", THURSDAY_NOON)
    assert secret["reference"] in rows(chief)
    assert "Sign-off" in row_of(chief, secret["task"])


def test_reassigning_refuses_a_four_eyes_violation(app, client):
    secret = confidential_sign_off(app)
    response = page(client, "chief", "/service-levels", THURSDAY_NOON)
    row = row_of(response, secret["task"])
    # The handler may not sign off their own case: only the second focal point is offered.
    assert f'<option value="{secret["focal2"]}"' in row
    assert f'<option value="{secret["focal"]}"' not in row
    url = f"/service-levels/tasks/{secret['task']}/reassign"
    with at(THURSDAY_NOON):
        answer = post_form(client, url, {"assignee": secret["focal"]}, form_url="/service-levels")
        assert answer.status_code == 302
        html = client.get("/service-levels").get_data(as_text=True)
    assert (
        "Fatou Focal Point cannot take “Sign off confidential complaint”: they handled an "
        "earlier step of this complaint and the four-eyes rule needs someone else." in html
    )
    assert 'class="flash flash-error"' in html
    with app.app_context():
        assert db.session.get(Task, secret["task"]).assignee_id is None
    with at(THURSDAY_NOON):
        post_form(client, url, {"assignee": secret["focal2"]}, form_url="/service-levels")
    with app.app_context():
        assert db.session.get(Task, secret["task"]).assignee_id == secret["focal2"]


# ---------------------------------------------------------------------------------------------
# The JSON twin
# ---------------------------------------------------------------------------------------------


def test_api_lists_the_breach_view_with_counts_and_pages(app, client):
    seen = three_complaints(app)
    token = issue_token(app.test_cli_runner(), "manager")
    with at(THURSDAY_NOON):
        body = client.get(f"{API}/service-levels?per_page=1", headers=bearer(token)).json
        assert body["total"] == 2 and body["pages"] == 2
        assert body["counts"]["at_risk"] == 1 and body["counts"]["breached"] == 1
        assert body["counts"]["by_step"] == [{"key": "acknowledge", "at_risk": 1, "breached": 1}]
        (first,) = body["tasks"]
        assert first["id"] == seen["late_task"] and first["clock"] == "acknowledge"
        assert first["service_level"]["state"] == "breached"
        assert first["service_level"]["seconds_left"] == -3 * 3600
        assert body["links"]["next"].endswith("per_page=1&page=2")
        second = client.get(body["links"]["next"], headers=bearer(token)).json
        assert [t["id"] for t in second["tasks"]] == [seen["risky_task"]]
        assert second["tasks"][0]["service_level"]["state"] == "at_risk"
        breached = client.get(f"{API}/service-levels?state=breached", headers=bearer(token))
        assert [t["id"] for t in breached.json["tasks"]] == [seen["late_task"]]
        bad = client.get(f"{API}/service-levels?sort=sideways&assignee=x", headers=bearer(token))
        assert bad.status_code == 422 and set(bad.json["errors"]) == {"sort", "assignee"}


def test_api_breach_view_is_described_and_fuzzes_without_server_errors(app, client, runner):
    import schemathesis

    from tests.app.test_api_fuzz import bounded

    document = client.get(f"{API}/openapi.json").json
    assert "/service-levels" in document["paths"]
    assert "BreachPage" in document["components"]["schemas"]
    three_complaints(app)
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    operation = schema["/service-levels"]["GET"]
    headers = bearer(issue_token(runner, "manager"))

    def check(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.formatted_path}: {response.text}"

    with at(THURSDAY_NOON):
        bounded(operation.as_strategy(), check, 10)
        bounded(
            operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE), check, 10
        )
