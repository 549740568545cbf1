"""Service-level clocks on the real procedure: start, due times to the minute on the default
preset (grievance: Paris, Monday to Friday 9:00-17:30, French public holidays), at risk,
breach, met, pauses while the complainant is asked for information, stops, extensions, the
"at risk" notice, the evaluator's time functions and the deploy checks.

November 2026: Friday 6, a weekend, Monday 9, Tuesday 10, Wednesday 11 (Armistice, a public
holiday), Thursday 12. Complaints are filed at chosen instants with time_machine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from services import complaints, engine, presets, processes, service_levels, workflows
from services.clock import as_utc
from services.db import db
from services.models import AuditEvent, Notification, ProcessInstance, ServiceClock, Task
from tests import diagrams as d
from tests import journeys as j
from tests.app.helpers import login

pytestmark = pytest.mark.usefixtures("app_context")

PARIS = ZoneInfo("Europe/Paris")


def paris(text: str) -> datetime:
    """A moment in the organisation's time zone, as a test states it."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def at(text: str):
    """Freeze the clock at a Paris time (nothing moves until the next `at`)."""
    return time_machine.travel(paris(text), tick=False)


def clocks(complaint) -> dict[str, ServiceClock]:
    db.session.expire_all()
    rows = db.session.scalars(
        db.select(ServiceClock).where(ServiceClock.complaint_id == complaint.id)
    )
    return {row.name: row for row in rows}


def local(moment: datetime | None) -> str | None:
    """A stored time as the test writes it: Paris, to the minute (seconds if any)."""
    if moment is None:
        return None
    value = as_utc(moment).astimezone(PARIS)
    return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")


def summary(row: ServiceClock) -> tuple:
    return (row.state, local(row.started_at), local(row.due_at), local(row.at_risk_at))


def timer_due(complaint) -> datetime | None:
    db.session.expire_all()
    return as_utc(db.session.get(ProcessInstance, complaint.instance.id).next_timer_due)


def breaches(complaint) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "clock_breached")
            .order_by(AuditEvent.id)
        )
    )


def tick(text: str) -> workflows.TickReport:
    """The timer loop's round at a Paris time (the clock stands there meanwhile)."""
    with at(text):
        report = workflows.tick(paris(text))
        db.session.commit()
    return report


# ---- start and due times, to the minute ----------------------------------------------------


def test_every_clock_of_a_minor_complaint_across_a_weekend_and_a_public_holiday():
    with at("2026-11-06 16:00"):  # Friday afternoon
        complaint = j.file()
    found = clocks(complaint)
    assert set(found) == {"acknowledge", "complaint"}
    # 2 working days: Monday, Tuesday; at risk at 75% of 18.5 working hours (13 h 52 min 30 s).
    assert summary(found["acknowledge"]) == (
        "running",
        "2026-11-06 16:00",
        "2026-11-10 17:30",
        "2026-11-10 12:52:30",
    )
    # 45 calendar days; at risk after 33.75 days.
    assert summary(found["complaint"]) == (
        "running",
        "2026-11-06 16:00",
        "2026-12-21 16:00",
        "2026-12-10 10:00",
    )
    register = j.open_task(complaint, "register_complaint")
    assert (register.clock, local(register.due_at), local(register.at_risk_at)) == (
        "acknowledge",
        "2026-11-10 17:30",
        "2026-11-10 12:52:30",
    )
    # The overdue review's timer, target("acknowledge"), is the clock's due time.
    assert timer_due(complaint) == paris("2026-11-10 17:30")

    with at("2026-11-09 10:00"):  # Monday
        j.complete(complaint, "register_complaint")
    found = clocks(complaint)
    assert (found["acknowledge"].state, local(found["acknowledge"].ended_at)) == (
        "met",
        "2026-11-09 10:00",
    )
    # Classification: Tuesday, then Thursday (Wednesday 11 is Armistice Day).
    assert summary(found["classify"]) == (
        "running",
        "2026-11-09 10:00",
        "2026-11-12 17:30",
        "2026-11-12 11:22:30",
    )
    with at("2026-11-10 11:00"):  # Tuesday
        j.complete(complaint, "classify_complaint")
    found = clocks(complaint)
    assert found["classify"].state == "met"
    # 5 working days from Tuesday: Thursday 12, Friday 13, Monday 16, Tuesday 17, Wednesday 18.
    assert summary(found["resolve_minor"])[:3] == (
        "running",
        "2026-11-10 11:00",
        "2026-11-18 17:30",
    )
    resolve = j.open_task(complaint, "resolve_minor")
    assert (resolve.clock, local(resolve.due_at)) == ("resolve_minor", "2026-11-18 17:30")
    assert timer_due(complaint) == paris("2026-11-18 17:30")
    with at("2026-11-17 09:30"):
        j.complete(complaint, "resolve_minor")
    found = clocks(complaint)
    assert found["resolve_minor"].state == "running"  # the minor case runs to its sign-off
    assert summary(found["sign_off"])[:3] == ("running", "2026-11-17 09:30", "2026-11-19 17:30")
    sign_off = j.open_task(complaint, "sign_off_minor")
    assert (sign_off.clock, local(sign_off.due_at)) == ("sign_off", "2026-11-19 17:30")
    with at("2026-11-18 10:00"):
        j.complete(complaint, "sign_off_minor")
    found = clocks(complaint)
    assert {name: row.state for name, row in found.items()} == {
        "acknowledge": "met",
        "classify": "met",
        "resolve_minor": "met",
        "sign_off": "met",
        "complaint": "met",  # staff work ended: the response is out
    }
    assert local(found["complaint"].ended_at) == "2026-11-18 10:00"
    assert all(row.breached_at is None for row in found.values())
    assert {v.state for v in service_levels.views(complaint.id)} == {"met"}


def test_major_and_confidential_clocks_fall_due_to_the_minute():
    with at("2026-11-09 16:00"):  # Monday
        major = j.file()
        j.complete(major, "register_complaint")
    with at("2026-11-10 11:00"):
        j.complete(major, "classify_complaint", severity="high")
    found = clocks(major)
    # 15 working days from Tuesday 10 November, Armistice Day left out: Wednesday 2 December.
    assert summary(found["investigate"])[:3] == ("running", "2026-11-10 11:00", "2026-12-02 17:30")
    # 30 calendar days, weekends and holidays included.
    assert summary(found["resolve_major"]) == (
        "running",
        "2026-11-10 11:00",
        "2026-12-10 11:00",
        "2026-12-02 23:00",
    )
    investigate = j.open_task(major, "investigate_complaint")
    assert (investigate.clock, local(investigate.due_at)) == ("investigate", "2026-12-02 17:30")
    assert timer_due(major) == paris("2026-12-10 11:00")  # target("resolve_major")

    with at("2026-11-06 16:00"):  # Friday: flagged at receipt, straight to the focal point
        confidential = j.file(sensitive_at_intake=True)
    found = clocks(confidential)
    assert set(found) == {"confidential", "complaint"}
    assert summary(found["confidential"])[:3] == (
        "running",
        "2026-11-06 16:00",
        "2026-12-06 16:00",
    )
    consent = j.open_task(confidential, "record_consent")
    assert (consent.clock, local(consent.due_at)) == ("confidential", "2026-12-06 16:00")


def test_a_complaint_received_earlier_counts_from_its_receipt():
    # A letter received on Friday, recorded on Monday by an intake agent.
    with at("2026-11-09 09:30"):
        filed = complaints.file_complaint(
            j.INTAKE, channel="letter", received_at=paris("2026-11-06 16:00")
        )
        db.session.commit()
    complaint = filed.complaint
    found = clocks(complaint)
    assert local(found["acknowledge"].started_at) == "2026-11-06 16:00"
    assert local(found["acknowledge"].due_at) == "2026-11-10 17:30"
    assert local(found["complaint"].due_at) == "2026-12-21 16:00"
    assert timer_due(complaint) == paris("2026-11-10 17:30")


# ---- at risk, breach, met late, sent back ----------------------------------------------------


def test_a_clock_turns_at_risk_then_breaches_once_with_an_audit_event():
    with at("2026-11-06 16:00"):
        complaint = j.file()
    row = clocks(complaint)["acknowledge"]
    assert service_levels.display_state(row, paris("2026-11-10 12:52")) == "on_track"
    assert service_levels.display_state(row, paris("2026-11-10 12:53")) == "at_risk"
    # Time left is working time: from Monday 17:00, half an hour today and Tuesday's day.
    assert service_levels.time_left(row, paris("2026-11-09 17:00")) == 9 * 3600
    tick("2026-11-10 17:29")
    assert breaches(complaint) == []
    report = tick("2026-11-10 17:31")
    assert report.clocks.breached == [(complaint.reference, "acknowledge")]
    assert "review_overdue_acknowledgement" in j.open_names(complaint)
    row = clocks(complaint)["acknowledge"]
    assert row.state == "running" and local(row.breached_at) == "2026-11-10 17:30"
    assert service_levels.display_state(row, paris("2026-11-10 17:31")) == "breached"
    assert service_levels.time_left(row, paris("2026-11-11 10:00")) == -0.0  # a holiday
    assert service_levels.time_left(row, paris("2026-11-12 10:00")) == -3600
    [event] = breaches(complaint)
    assert event.summary == "Acknowledgement: target working_days(2) missed"
    assert event.data["clock"] == "acknowledge"
    tick("2026-11-10 18:00")
    assert len(breaches(complaint)) == 1  # marked once
    with at("2026-11-12 10:00"):
        j.complete(complaint, "register_complaint")
    row = clocks(complaint)["acknowledge"]
    assert row.state == "met" and local(row.breached_at) == "2026-11-10 17:30"
    assert service_levels.display_state(row) == "met_late"
    assert len(breaches(complaint)) == 1


def test_a_step_done_late_before_the_loop_noticed_is_met_late():
    with at("2026-11-09 10:00"):
        complaint = j.to_classification()
    with at("2026-11-13 09:00"):  # classification (no overdue-review timer) due Thursday
        j.complete(complaint, "classify_complaint")
    row = clocks(complaint)["classify"]
    assert (row.state, local(row.ended_at), local(row.breached_at)) == (
        "met",
        "2026-11-13 09:00",
        "2026-11-12 17:30",
    )
    assert service_levels.view(row).state == "met_late"
    assert [e.data["clock"] for e in breaches(complaint)] == ["classify"]


def test_a_registration_done_after_its_timer_fell_due_before_the_loop_ran_goes_on():
    # The timer fires first, as the loop would have a moment earlier; the registration then
    # ends the step and withdraws the review it raised.
    with at("2026-11-06 16:00"):
        complaint = j.file()
    with at("2026-11-10 17:30:30"):  # Tuesday, just after the due time; no loop round yet
        j.complete(complaint, "register_complaint")
    assert j.open_names(complaint) == ["classify_complaint"]
    row = clocks(complaint)["acknowledge"]
    assert (row.state, local(row.breached_at)) == ("met", "2026-11-10 17:30")
    kinds = db.session.scalars(
        db.select(AuditEvent.kind)
        .where(AuditEvent.complaint_id == complaint.id)
        .order_by(AuditEvent.id)
    ).all()
    assert kinds.index("timer_fired") < kinds.index("task_completed")


def test_a_sign_off_sent_back_runs_its_clock_again_with_the_same_due_time():
    with at("2026-11-16 10:00"):
        complaint = j.to_minor_resolution()
        j.complete(complaint, "resolve_minor")
    due = clocks(complaint)["sign_off"].due_at
    assert local(due) == "2026-11-18 17:30"
    with at("2026-11-17 10:00"):
        j.complete(
            complaint,
            "sign_off_minor",
            sign_off_decision="sent_back",
            resolution_codes=[],
            sign_off_comment="Offer a refund as well.",
        )
    row = clocks(complaint)["sign_off"]
    assert (row.state, local(row.ended_at)) == ("met", "2026-11-17 10:00")
    assert clocks(complaint)["resolve_minor"].state == "running"
    with at("2026-11-19 10:00"):  # the second resolution comes after the sign-off's due time
        j.complete(complaint, "resolve_minor")
    row = clocks(complaint)["sign_off"]
    assert row.state == "running" and row.ended_at is None
    assert local(row.due_at) == "2026-11-18 17:30"  # not restarted
    assert local(j.open_task(complaint, "sign_off_minor").due_at) == "2026-11-18 17:30"
    with at("2026-11-19 11:00"):
        j.complete(complaint, "sign_off_minor")
    row = clocks(complaint)["sign_off"]
    assert service_levels.display_state(row) == "met_late"


# ---- pauses and stops ----------------------------------------------------------------------


def test_the_acknowledgement_clock_pauses_while_the_complainant_is_asked_for_information():
    with at("2026-11-06 16:00"):
        complaint = j.file()
    with at("2026-11-09 10:00"):  # Monday: incomplete, registration ends, the request goes out
        j.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="Please send a copy of your invoice.",
        )
    found = clocks(complaint)
    for name in ("acknowledge", "complaint"):
        row = found[name]
        assert (row.state, local(row.paused_at), row.ended_at) == (
            "paused",
            "2026-11-09 10:00",
            None,
        )
        [pause] = row.pauses
        assert (pause.reason, local(pause.started_at), pause.ended_at) == (
            "information_received",
            "2026-11-09 10:00",
            None,
        )
    # What was left when it paused: Monday 10:00 to Tuesday's close, 16 working hours.
    assert service_levels.view(found["acknowledge"]).time_left == 16 * 3600
    assert service_levels.view(found["acknowledge"]).state == "paused"
    # Nothing breaches while paused, even past the original due time.
    tick("2026-11-10 18:00")
    assert breaches(complaint) == []

    with at("2026-11-11 10:00"):  # the answer comes on a public holiday
        workflows.deliver_message(
            complaint, "information_received", {"information": "Invoice 4411."}
        )
        db.session.commit()
    found = clocks(complaint)
    ack = found["acknowledge"]
    # Paused for Monday 10:00-17:30 and Tuesday: 16 working hours, added after Tuesday's close
    # (Wednesday is a holiday): Thursday's 8.5 hours and 7.5 on Friday.
    assert (ack.state, ack.paused_at) == ("running", None)
    assert local(ack.due_at) == "2026-11-13 16:30"
    assert [(local(p.started_at), local(p.ended_at)) for p in ack.pauses] == [
        ("2026-11-09 10:00", "2026-11-11 10:00")
    ]
    # The whole complaint's clock counts calendar days: two days later.
    assert local(found["complaint"].due_at) == "2026-12-23 16:00"
    register = j.open_task(complaint, "register_complaint")
    assert (register.clock, local(register.due_at)) == ("acknowledge", "2026-11-13 16:30")
    # The restarted registration's overdue-review timer follows the paused clock.
    assert timer_due(complaint) == paris("2026-11-13 16:30")
    tick("2026-11-13 16:29")
    assert j.open_names(complaint) == ["register_complaint"]
    tick("2026-11-13 16:31")
    assert j.open_names(complaint) == ["register_complaint", "review_overdue_acknowledgement"]


def test_an_unanswered_information_request_stops_the_clocks():
    with at("2026-11-09 10:00"):
        complaint = j.file()
        j.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="Your address, please.",
        )
    tick("2026-11-23 10:01")  # 14 days: closed incomplete (an end with clocks = stop)
    assert j.refreshed(complaint).outcome == "closed_incomplete"
    found = clocks(complaint)
    for name in ("acknowledge", "complaint"):
        row = found[name]
        assert (row.state, local(row.ended_at), row.breached_at) == (
            "stopped",
            "2026-11-23 10:01",
            None,
        )
        assert [local(p.ended_at) for p in row.pauses] == ["2026-11-23 10:01"]
        assert service_levels.display_state(row) == "stopped"
    assert workflows.next_due() is None or workflows.next_due() > paris("2026-12-31 00:00")


def test_a_withdrawn_confidential_complaint_stops_its_clocks():
    with at("2026-11-09 10:00"):
        complaint = j.file(sensitive_at_intake=True)
        j.complete(complaint, "record_consent")
    with at("2026-11-10 10:00"):
        workflows.deliver_message(complaint, "complaint_withdrawn", {"reason": "I am safe now."})
        db.session.commit()
    assert j.refreshed(complaint).outcome == "closed_withdrawn"
    assert {name: row.state for name, row in clocks(complaint).items()} == {
        "confidential": "stopped",
        "complaint": "stopped",
    }


# ---- extending the deadline ----------------------------------------------------------------


def test_extending_the_deadline_moves_the_clock_the_tasks_and_counts_working_days():
    with at("2026-11-06 16:00"):
        complaint = j.file()
    tick("2026-11-10 17:31")  # acknowledgement breached, review raised
    with at("2026-11-10 18:00"):
        j.complete(
            complaint,
            "review_overdue_acknowledgement",
            overdue_action="deadline_extended",
            extend_days=2,
        )
    row = clocks(complaint)["acknowledge"]
    # Two working days after Tuesday's close: Thursday (Wednesday is a holiday) and Friday.
    assert local(row.due_at) == "2026-11-13 17:30"
    assert local(row.at_risk_at) == "2026-11-13 12:52:30"
    assert local(row.breached_at) == "2026-11-10 17:30"  # the miss stays on record
    assert service_levels.display_state(row, paris("2026-11-12 10:00")) == "on_track"
    register = j.open_task(complaint, "register_complaint")
    assert (local(register.due_at), local(register.at_risk_at)) == (
        "2026-11-13 17:30",
        "2026-11-13 12:52:30",
    )
    [event] = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "deadline_extended"
        )
    ).all()
    assert event.summary == "Deadline extended by 2 working days"
    # Running past the extended time is a second breach.
    report = tick("2026-11-13 17:31")
    assert report.clocks.breached == [(complaint.reference, "acknowledge")]
    missed = [local(datetime.fromisoformat(e.data["due_at"])) for e in breaches(complaint)]
    assert missed == ["2026-11-10 17:30", "2026-11-13 17:30"]


@pytest.mark.parametrize(
    ("preset", "filed", "extended", "history"),
    [
        # ACPR: acknowledge within 10 jours ouvrables (Monday to Saturday), from Monday 7
        # December: due Friday 18. Saturday 19 is day 1 of the extension, Monday 21 day 2.
        ("acpr", "2026-12-07 10:00", "2026-12-21 17:30", "(Monday to Saturday)"),
        # FCA: 5 working days (Monday to Friday) from Friday 11: due Friday 18 too; Monday 21
        # and Tuesday 22: one calendar day later.
        ("fca", "2026-12-11 10:00", "2026-12-22 17:30", ""),
    ],
)
def test_an_extension_counts_days_as_the_clock_s_target_counts_them(
    client, preset, filed, extended, history
):
    presets.set_active(preset)
    d.deploy_variant(d.acknowledgement_watched_again(), comment="reviewed until registered")
    with at(filed):
        complaint = j.file()
    assert local(clocks(complaint)["acknowledge"].due_at) == "2026-12-18 17:30"
    tick("2026-12-18 17:31")  # acknowledgement breached, review raised
    with at("2026-12-18 18:00"):
        j.complete(
            complaint,
            "review_overdue_acknowledgement",
            overdue_action="deadline_extended",
            extend_days=2,
        )
    row = clocks(complaint)["acknowledge"]
    assert local(row.due_at) == extended
    assert local(j.open_task(complaint, "register_complaint").due_at) == extended
    assert local(timer_due(complaint)) == extended  # the review's timer waits for it again
    # The case page: due times, and the time left counted like the target (two days: a
    # Monday-to-Friday count would leave three jours ouvrables), the history's line.
    with at("2026-12-18 18:00"):
        login(client, "manager")
        page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    text = " ".join(page.split())
    assert f"{extended} (Europe/Paris)</span>" in text  # the step's due time
    assert f'<td class="nowrap">{extended}</td>' in text  # the clock's
    assert text.count("2 working days left") == 2  # both, counted like the target
    line = f"By 2 working days {history}".strip()
    assert f"<strong>Deadline extended</strong> · {line} <span" in text
    counted = "Yes" if history else "No"
    assert f"<dt>Saturdays counted</dt><dd>{counted}</dd>" in text
    # The timer fires at the new due time: a second review.
    assert tick(f"{extended[:10]} 17:29").fired == {}
    assert tick(f"{extended[:10]} 17:31").fired
    assert j.open_names(complaint) == ["register_complaint", "review_overdue_acknowledgement"]


def test_an_extension_moves_a_waiting_timer_that_follows_the_clock():
    with at("2026-11-16 10:00"):
        complaint = j.to_minor_resolution()
    instance = db.session.get(ProcessInstance, complaint.instance.id)
    wf = engine.load_workflow(processes.specs_of(instance.process_version), instance.state)
    due = {"resolve_minor": paris("2026-11-26 17:30").astimezone(UTC)}
    assert engine.align_clock_timers(wf, due) is True
    assert engine.next_timer_due(wf) == due["resolve_minor"]
    assert engine.align_clock_timers(wf, due) is False  # already there: nothing written


# ---- the "at risk" notice ------------------------------------------------------------------


def notices() -> list[Notification]:
    j.write_messages()  # as the delivery worker does when it claims them
    return list(
        db.session.scalars(
            db.select(Notification)
            .where(Notification.kind == "clock_at_risk")
            .order_by(Notification.id)
        )
    )


def test_the_at_risk_notice_goes_once_to_whoever_may_do_the_step_and_the_managers():
    with at("2026-11-06 16:00"):
        complaint = j.file()
    tick("2026-11-10 12:52")
    assert notices() == []
    report = tick("2026-11-10 12:53")
    assert report.clocks.at_risk == [(complaint.reference, "acknowledge")]
    sent = notices()
    # Unassigned registration: the intake agents; and the managers.
    assert sorted(n.recipient for n in sent) == ["agent@example.org", "manager@example.org"]
    agent = next(n for n in sent if n.recipient == "agent@example.org")
    assert agent.complaint_id == complaint.id and agent.status == "queued"
    assert complaint.reference in agent.subject and "Acknowledgement" in agent.subject
    task = j.open_task(complaint, "register_complaint")
    assert f"/tasks/{task.id}" in agent.body
    assert "10 November 2026 at 17:30 (Europe/Paris)" in agent.body
    assert "(4 working hours 37 min left)" in agent.body  # working time, said so
    manager = next(n for n in sent if n.recipient == "manager@example.org")
    assert f"/complaints/{complaint.id}" in manager.body
    tick("2026-11-10 13:30")
    assert len(notices()) == 2  # once


def test_the_at_risk_notice_goes_to_the_assignee_and_in_their_language():
    with at("2026-11-16 10:00"):
        complaint = j.to_minor_resolution()
        task = j.open_task(complaint, "resolve_minor")
        supervisor = j.user("supervisor")
        supervisor.locale = "fr"
        task.assignee = supervisor
        db.session.commit()
    row = clocks(complaint)["resolve_minor"]
    assert local(row.at_risk_at) == "2026-11-20 13:30"
    tick("2026-11-20 13:30")
    sent = notices()
    assert sorted(n.recipient for n in sent) == ["manager@example.org", "supervisor@example.org"]
    mine = next(n for n in sent if n.recipient == "supervisor@example.org")
    assert mine.language == "fr" and "Traitement d'une réclamation simple" in mine.subject
    assert "23 novembre 2026 à 17:30" in mine.body
    # Friday 13:30 to 17:30, and Monday's 8 h 30 of working time.
    assert "(il reste 1 jour ouvré 4 h)" in mine.body


def test_the_at_risk_notice_of_a_calendar_day_clock_says_calendar_days():
    with at("2026-11-06 16:00"):
        complaint = j.file()
    row = clocks(complaint)["complaint"]  # calendar_days(45): due 21 December at 16:00
    assert local(row.at_risk_at) == "2026-12-10 10:00"  # 75% of 45 days
    tick("2026-12-10 10:00")
    sent = [n for n in notices() if "Whole complaint" in n.subject]
    assert sent and all("(11 calendar days 6 h left)" in n.body for n in sent)


def test_a_confidential_at_risk_notice_never_reaches_a_manager():
    with at("2026-11-06 16:00"):
        complaint = j.file(sensitive_at_intake=True)
    row = clocks(complaint)["confidential"]
    tick(local(row.at_risk_at) or "")
    recipients = sorted(n.recipient for n in notices() if n.complaint_id == complaint.id)
    assert recipients == ["focal2@example.org", "focal@example.org"]


def test_the_timer_loop_wakes_for_the_next_clock_event():
    with at("2026-11-06 16:00"):
        j.file()
        assert workflows.next_due() == paris("2026-11-10 12:52:30")  # at risk comes first
    tick("2026-11-10 12:53")
    with at("2026-11-10 12:54"):
        assert workflows.next_due() == paris("2026-11-10 17:30")
    tick("2026-11-10 17:31")
    with at("2026-11-10 17:32"):  # the whole complaint's clock is the next event
        assert workflows.next_due() == paris("2026-12-10 10:00")


def test_a_calendar_day_clock_counts_its_time_left_in_elapsed_time():
    with at("2026-11-06 16:00"):
        complaint = j.file()
    row = clocks(complaint)["complaint"]  # calendar_days(45): due 21 December at 16:00
    # The weekend and the holiday of 11 November count: 42 whole days from Monday 16:00.
    assert service_levels.time_left(row, paris("2026-11-09 16:00")) == 42 * 86400
    assert service_levels.time_left(row, paris("2026-12-22 16:00")) == -86400
    # The acknowledgement (2 working days) on the same complaint counts working time.
    acknowledge = clocks(complaint)["acknowledge"]
    assert service_levels.time_left(acknowledge, paris("2026-11-09 16:00")) == 10 * 3600


# ---- task rows -----------------------------------------------------------------------------


def test_task_rows_show_their_clock_state_and_working_time_left():
    with at("2026-11-06 16:00"):
        complaint = j.file()
    task = j.open_task(complaint, "register_complaint")
    assert service_levels.task_state(task, paris("2026-11-09 09:00")) == "on_track"
    assert service_levels.task_state(task, paris("2026-11-10 13:00")) == "at_risk"
    assert service_levels.task_state(task, paris("2026-11-10 17:30")) == "breached"
    assert service_levels.task_time_left(task, paris("2026-11-07 12:00")) == 17 * 3600
    tick("2026-11-10 17:31")
    review = j.open_task(complaint, "review_overdue_acknowledgement")
    assert (review.clock, review.due_at, review.at_risk_at) == (None, None, None)
    assert service_levels.task_state(review) is None
    rows = db.session.scalars(db.select(Task).where(Task.clock == "acknowledge")).all()
    assert [t.name for t in rows] == ["register_complaint"]


# ---- the evaluator's time functions --------------------------------------------------------


def test_timer_functions_count_on_the_business_calendar():
    helpers = engine.TIME_LIMIT_HELPERS
    env = engine.RestrictedEnvironment()
    with at("2026-11-10 16:00"):  # Tuesday, the day before Armistice Day
        # Thursday 12 (day 1), Friday 13 (day 2) at 17:30: 73.5 hours later.
        assert helpers["working_days"](2) == f"PT{int(73.5 * 3600)}S"
        assert env.evaluate("working_days(2)", {}) == f"PT{int(73.5 * 3600)}S"
        # Three: Monday 16; jours ouvrables (Saturday counts, the holiday does not): Saturday.
        assert env.evaluate("working_days(3)", {}) == f"PT{int(145.5 * 3600)}S"
        assert env.evaluate("working_days(3, saturdays=True)", {}) == f"PT{int(97.5 * 3600)}S"
        # 3 working hours: 1.5 today, 1.5 on Thursday from 9:00 -> Thursday 10:30.
        assert env.evaluate("working_hours(3)", {}) == f"PT{int(42.5 * 3600)}S"
        assert env.evaluate("calendar_days(2)", {}) == "PT172800S"
        assert env.evaluate("days(1)", {}) == "PT86400S"
        assert env.evaluate("hours(24)", {}) == "PT86400S"
        assert env.evaluate("weeks(1)", {}) == "PT604800S"
        # Two calendar months: 10 January 2027 16:00, 61 days later.
        assert env.evaluate("months(2)", {}) == f"PT{61 * 86400}S"
        # The active preset's target of a clock: acknowledge is working_days(2).
        assert env.evaluate('target("acknowledge")', {}) == f"PT{int(73.5 * 3600)}S"
        assert env.evaluate('target("complaint")', {}) == f"PT{45 * 86400}S"
    for expression, error in (
        ("working_days(0)", "from 1 to"),
        ('working_days("2")', "whole number"),
        ("hours(2, saturdays=True)", "saturdays"),
        ('target("nope")', "no target for clock 'nope'"),
    ):
        with pytest.raises((TypeError, ValueError), match=error):
            env.evaluate(expression, {})


# ---- deploy ----------------------------------------------------------------------------------


def problems_of(old: str, new: str) -> list[tuple[str, str]]:
    result = processes.validate(d.variant(d.edited(d.bpmn(), old, new)))
    return [(p.element_id, p.message) for p in result.problems]


def test_deploy_accepts_timers_counted_on_the_calendar():
    for timer in ("working_days(3)", "working_days(10, saturdays=True)", "hours(24)", "months(2)"):
        assert problems_of(d.MINOR_TIMER, timer) == [], timer


@pytest.mark.parametrize(
    ("old", "new", "element", "message"),
    [
        (
            d.MINOR_TIMER,
            'target("resolve_minr")',
            "minor_sla",
            "no service-level clock is called 'resolve_minr'",
        ),
        (d.MINOR_TIMER, "working_days(n)", "minor_sla", "working_days() takes one whole number"),
        (d.MINOR_TIMER, "target(route)", "minor_sla", "target() takes the name of a clock"),
        (d.MINOR_TIMER, "hours(0)", "minor_sla", "from 1 to 3660"),
        (
            f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{d.MINOR_TIMER}'
            "</bpmn:timeDuration>",
            '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">working_days(2)</bpmn:timeDate>',
            "minor_sla",
            "gives a duration: use it in a duration timer",
        ),
        (
            '<spiffworkflow:property name="clock" value="classify" />',
            '<spiffworkflow:property name="clock" value="clasify" />',
            "classify_complaint",
            "property clock='clasify' names no service-level clock",
        ),
        (
            '<spiffworkflow:property name="clocks" value="stop" />',
            '<spiffworkflow:property name="clocks" value="halt" />',
            "closed_incomplete",
            "the only value is 'stop'",
        ),
        (
            '<spiffworkflow:property name="clocks" value="stop" />',
            '<spiffworkflow:property name="clock" value="complaint" />',
            "closed_incomplete",
            "property clock belongs on a user task, a subprocess or the process's start event",
        ),
    ],
)
def test_deploy_refuses_unknown_clocks_and_computed_time_limits(old, new, element, message):
    found = problems_of(old, new)
    assert [e for e, _ in found] == [element], found
    assert message in found[0][1]
