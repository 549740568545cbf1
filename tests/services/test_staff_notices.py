"""Staff who opted in get an email (an outbox row) when a task is given to them, and a digest."""

from __future__ import annotations

from datetime import timedelta

from services import staff_notices, tasks, users, workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.models import Notification
from tests import journeys as j


def staff_rows(kind: str) -> list[Notification]:
    return list(
        db.session.scalars(
            db.select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        )
    )


def opt_in(username: str, *, assignment: bool = True, digest: bool = True):
    user = j.user(username)
    staff_notices.set_preferences(user, notify_assignment=assignment, daily_digest=digest)
    db.session.commit()
    return user


def test_a_task_a_manager_gives_to_someone_who_opted_in_queues_an_email(app_context):
    supervisor = opt_in("supervisor")
    complaint = j.to_minor_resolution()
    task = j.open_task(complaint, "resolve_minor")
    tasks.reassign(j.user("manager"), task.id, supervisor)
    db.session.commit()
    [notice] = staff_rows("task_assigned")
    assert (notice.user_id, notice.recipient, notice.channel) == (
        supervisor.id,
        supervisor.email,
        "email",
    )
    assert notice.status == "queued" and notice.complaint_id == complaint.id
    assert notice.subject == ""  # the request wrote the row; the worker writes the email
    j.write_messages()
    assert complaint.reference in notice.subject
    assert f"http://localhost:5000/tasks/{task.id}" in notice.body
    assert "Hello Samuel Supervisor" in notice.body


def test_claiming_a_task_oneself_or_not_opting_in_sends_nothing(app_context):
    supervisor = opt_in("supervisor")
    complaint = j.to_minor_resolution()
    tasks.claim(supervisor, j.open_task(complaint, "resolve_minor").id)
    db.session.commit()
    assert staff_rows("task_assigned") == []
    opt_in("supervisor", assignment=False)
    other = j.to_minor_resolution()
    tasks.reassign(j.user("manager"), j.open_task(other, "resolve_minor").id, supervisor)
    db.session.commit()
    assert staff_rows("task_assigned") == []


def test_a_task_the_procedure_gives_on_creation_queues_an_email(app_context):
    manager = opt_in("manager")
    complaint = j.to_investigation()
    workflows.tick(utcnow() + timedelta(days=30.01))
    db.session.commit()
    j.complete(
        complaint, "review_overdue_major", overdue_action="escalated", escalate_to=manager.id
    )
    # handle_escalated_delay_major is given to escalate_to by the diagram (assignTo).
    task = j.open_task(complaint, "handle_escalated_delay_major")
    j.write_messages()
    [notice] = staff_rows("task_assigned")
    assert notice.user_id == manager.id and notice.complaint_id == complaint.id
    assert f"/tasks/{task.id}" in notice.body


def test_the_daily_digest_lists_overdue_tasks_once_a_day(app_context):
    supervisor = opt_in("supervisor")
    complaint = j.to_minor_resolution()
    task = tasks.claim(supervisor, j.open_task(complaint, "resolve_minor").id)
    db.session.commit()
    assert staff_notices.send_digests(utcnow()) == []  # nothing overdue yet
    db.session.commit()
    # Past the due time, counted in working days: six calendar days are not always enough.
    later = as_utc(task.due_at) + timedelta(hours=1)
    [digest] = staff_notices.send_digests(later)
    db.session.commit()
    assert digest.kind == "daily_digest" and digest.user_id == supervisor.id
    assert digest.complaint_id is None and digest.status == "queued"
    j.write_messages()
    assert complaint.reference in digest.body and "http://localhost:5000/inbox" in digest.body
    assert staff_notices.send_digests(later + timedelta(hours=2)) == []
    assert len(staff_notices.send_digests(later + timedelta(days=1))) == 1


def test_send_digests_command_queues_them(app, runner):
    with app.app_context():
        supervisor = opt_in("supervisor")
        complaint = j.to_minor_resolution()
        task = tasks.claim(supervisor, j.open_task(complaint, "resolve_minor").id)
        db.session.commit()
        when = (as_utc(task.due_at) + timedelta(hours=1)).isoformat()
    result = runner.invoke(args=["send-digests", "--now", when])
    assert result.exit_code == 0, result.output
    assert "1 digest(s) queued." in result.output
    with app.app_context():
        assert len(staff_rows("daily_digest")) == 1


def test_the_digest_leaves_out_tasks_the_person_may_no_longer_see(app_context):
    """A focal point moved to another role keeps the confidential task they had claimed, but
    their digest no longer names its complaint: only the focal points may know of it."""
    focal = opt_in("focal2")
    complaint = j.file(sensitive_at_intake=True)
    [task] = [t for t in j.open_tasks(complaint) if t.due_at is not None]
    tasks.claim(focal, task.id)
    db.session.commit()
    later = utcnow() + timedelta(days=60)
    assert len(staff_notices.send_digests(later)) == 1  # while a focal point: listed
    db.session.rollback()
    users.update_user(
        j.user("admin"),
        focal.id,
        name=focal.name,
        email=focal.email,
        roles=["supervisor"],
        clearance=False,
        team_ids=[],
    )
    db.session.commit()
    assert staff_notices.send_digests(later) == []
    assert complaint.reference not in " ".join(n.body for n in staff_rows("daily_digest"))
