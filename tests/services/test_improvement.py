"""Systemic issues and improvement actions: their lifecycle, overdue on the organisation's
calendar day, who may do what, the audit trail and the confidential rule."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from services import audit, improvement, users
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import AuditEvent, ImprovementAction, SystemicIssue
from tests import journeys as j
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.usefixtures("app_context")

PARIS = ZoneInfo("Europe/Paris")


def events(kind: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == kind)))


def test_a_manager_marks_a_cluster_systemic_and_tracks_it_to_closed():
    first, second = j.file(), j.file()
    manager = j.user("manager")
    issue = improvement.open_issue(
        manager,
        title="Leaking WM-300",
        description="Door seals fail.",
        cluster_kind="product",
        cluster_key="washing machine wm-300",
        complaint_ids=[first.id, second.id],
    )
    db.session.commit()
    assert issue.status == "open" and {c.id for c in issue.complaints} == {first.id, second.id}
    (opened,) = events("systemic_issue_opened")
    assert opened.complaint_id is None and opened.data["issue_id"] == issue.id
    assert opened.data["complaints"] == [first.reference, second.reference]
    # Each complaint's own history says so.
    linked = [e for e in audit.history(first.id) if e.kind == "systemic_issue_linked"]
    assert linked[0].summary == "Leaking WM-300"

    third = j.file()
    added = improvement.link_issue_complaints(
        manager, issue.id, [third.reference.lower(), first.reference]
    )
    db.session.commit()
    assert [c.id for c in added] == [third.id]
    with pytest.raises(InvalidInput) as refused:
        improvement.link_issue_complaints(manager, issue.id, ["C-1999-000001"])
    assert refused.value.details == {"references": ["C-1999-000001"]}
    db.session.rollback()

    improvement.set_issue_status(manager, issue.id, "monitoring")
    improvement.set_issue_status(manager, issue.id, "closed")
    db.session.commit()
    issue = db.session.get(SystemicIssue, issue.id)
    assert issue.status == "closed" and issue.closed_at is not None
    history = improvement.history("systemic_issue", "issue_id", issue.id)
    assert [e.kind for e in history] == [
        "systemic_issue_status",
        "systemic_issue_status",
        "systemic_issue_linked",
        "systemic_issue_opened",
    ]
    assert improvement.systemic_issues(manager, status="active") == []
    assert improvement.systemic_issues(manager, complaint_id=third.id) == [issue]


def test_only_managers_open_and_change_issues_and_actions():
    complaint = j.file()
    for username in ("analyst", "senior", "supervisor", "agent"):
        with pytest.raises(NotAllowed):
            improvement.open_issue(j.user(username), title="x", complaint_ids=[complaint.id])
        with pytest.raises(NotAllowed):
            improvement.open_action(
                j.user(username), title="x", owner_id=1, due_date=date(2026, 12, 1)
            )
    assert improvement.reads_improvement(j.user("analyst"))
    assert improvement.reads_improvement(j.user("senior"))
    assert not improvement.reads_improvement(j.user("supervisor"))
    with pytest.raises(NotAllowed):
        improvement.summary(j.user("agent"))


def test_an_action_lives_from_open_to_done_and_its_owner_updates_it():
    complaint = j.file()
    manager, owner = j.user("manager"), j.user("supervisor")
    action = improvement.open_action(
        manager,
        title="Replace the door seal supplier",
        description="Audit the supplier.",
        owner_id=owner.id,
        due_date=date(2026, 12, 15),
        complaint_ids=[complaint.id],
    )
    db.session.commit()
    assert action.status == "open" and action.complaints == [complaint]
    # The owner (not a report reader) reads it and updates it; other staff may not.
    assert improvement.get_action(owner, action.id) is action
    with pytest.raises(NotAllowed):
        improvement.get_action(j.user("agent"), action.id)
    with pytest.raises(NotAllowed):
        improvement.update_action(j.user("analyst"), action.id, status="done", outcome="x")
    assert improvement.actions(owner) == [action]
    assert improvement.actions(j.user("agent")) == []  # staff see only the actions they own
    improvement.update_action(owner, action.id, status="in_progress", outcome="")
    with pytest.raises(InvalidInput):
        improvement.update_action(owner, action.id, status="done", outcome="")
    improvement.update_action(
        owner, action.id, status="done", outcome="New supplier since 1 December."
    )
    # The owner cannot move the due date; a manager can.
    improvement.update_action(
        owner, action.id, status="done", outcome=action.outcome, due_date=date(2027, 1, 1)
    )
    db.session.commit()
    action = db.session.get(ImprovementAction, action.id)
    assert action.status == "done" and action.completed_at is not None
    assert action.due_date == date(2026, 12, 15)
    kinds = [e.data for e in improvement.history("improvement_action", "action_id", action.id)]
    assert kinds[0]["status"] == ["in_progress", "done"]
    assert kinds[0]["outcome"] == "New supplier since 1 December."
    assert kinds[1] == {"action_id": action.id, "status": ["open", "in_progress"]}
    assert events("improvement_action_linked")[0].complaint_id == complaint.id


def test_overdue_means_due_before_the_organisations_today_and_not_ended():
    manager = j.user("manager")
    owner = j.user("supervisor").id

    def action(title: str, due: date) -> ImprovementAction:
        return improvement.open_action(manager, title=title, owner_id=owner, due_date=due)

    late = action("Late", date(2026, 11, 26))
    today = action("Due today", date(2026, 11, 27))
    done = action("Done late", date(2026, 11, 1))
    cancelled = action("Cancelled", date(2026, 11, 1))
    db.session.commit()
    improvement.update_action(manager, done.id, status="done", outcome="Done.")
    improvement.update_action(manager, cancelled.id, status="cancelled", outcome="")
    db.session.commit()

    # 23:30 UTC on the 26th is already the 27th in Paris: yesterday's action is overdue.
    with time_machine.travel(datetime(2026, 11, 26, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        summary = improvement.summary(j.user("analyst"))
        assert summary.today == date(2026, 11, 27)
        assert (summary.open, summary.overdue) == (2, 1)
        assert summary.overdue_actions == [late]
        assert improvement.actions(manager, improvement.ActionFilter(overdue=True)) == [late]
        assert improvement.is_overdue(late) and not improvement.is_overdue(today)
        assert not improvement.is_overdue(done)
        listed = improvement.actions(manager, improvement.ActionFilter(status="active"))
        assert listed == [late, today]
        assert improvement.actions(manager, improvement.ActionFilter(status="done")) == [done]


def test_an_action_needs_an_owner_a_due_date_and_visible_complaints():
    manager = j.user("manager")
    with pytest.raises(InvalidInput):
        improvement.open_action(manager, title="x", owner_id=None, due_date=date(2026, 12, 1))
    with pytest.raises(InvalidInput):
        improvement.open_action(manager, title="x", owner_id=manager.id, due_date=None)
    with pytest.raises(InvalidInput):
        improvement.open_action(manager, title=" ", owner_id=manager.id, due_date=date(2026, 12, 1))
    secret = j.file(sensitive_at_intake=True)
    with pytest.raises(NotFound):
        improvement.open_action(
            manager,
            title="x",
            owner_id=manager.id,
            due_date=date(2026, 12, 1),
            complaint_ids=[secret.id],
        )


def test_confidential_links_are_neither_shown_nor_counted_without_clearance():
    cleared = users.create_user(
        "cleared", "Claire Cleared", DEMO_PASSWORD, ["manager", "confidential_focal_point"]
    )
    secret, plain = j.file(sensitive_at_intake=True), j.file()
    action = improvement.open_action(
        cleared,
        title="Protect complainants",
        owner_id=cleared.id,
        due_date=date(2026, 12, 1),
        complaint_ids=[secret.id, plain.id],
    )
    db.session.commit()
    links = improvement.visible_links(j.user("manager"), action.complaints)
    assert links == improvement.Links([plain])
    links = improvement.visible_links(cleared, action.complaints)
    assert len(links.visible) == 2


def test_issues_and_actions_alive_in_a_period_for_the_management_review():
    manager = j.user("manager")
    with time_machine.travel(datetime(2025, 3, 1, 12, tzinfo=PARIS), tick=False):
        old = improvement.open_issue(manager, title="Old")
        old_action = improvement.open_action(
            manager, title="Old action", owner_id=manager.id, due_date=date(2025, 4, 1)
        )
        db.session.commit()
    with time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=PARIS), tick=False):
        improvement.set_issue_status(manager, old.id, "closed")
        improvement.update_action(manager, old_action.id, status="done", outcome="Done.")
        db.session.commit()
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=PARIS), tick=False):
        new = improvement.open_issue(manager, title="New")
        db.session.commit()
    in_2025 = improvement.systemic_issues(manager, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert in_2025 == [old]
    in_2026 = improvement.systemic_issues(manager, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert in_2026 == [new]
    flt = improvement.ActionFilter(start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert improvement.actions(manager, flt) == [old_action]
    flt = improvement.ActionFilter(start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert improvement.actions(manager, flt) == []
