"""assignTo: a task the diagram gives to a person goes to them only if they may take it.

Otherwise it waits in its role's queue, the case's history says whom the diagram named and
why not, and the process owner sees it on the versions page; a deploy refuses a diagram that
names, in quotes, a person known not to hold the task's lane role.
"""

from __future__ import annotations

import html

import pytest

from services import departments, processes, tasks, users
from services.db import db
from services.errors import DeployRefused
from services.models import AuditEvent, Complaint, Task
from tests import diagrams as d
from tests import journeys as j
from tests.app.helpers import login

ESCALATED = '<spiffworkflow:property name="assignTo" value="escalate_to" />'


def assign_to(value: str, tasks: tuple[str, ...] = ("major",)) -> dict[str, bytes]:
    """The shipped files, the escalated delays of `tasks` given to `value`."""
    text = d.bpmn()
    for kind in tasks:
        start = text.index(f'id="handle_escalated_delay_{kind}"')
        at = text.index(ESCALATED, start)
        prop = f'<spiffworkflow:property name="assignTo" value="{value}" />'
        text = text[:at] + prop + text[at + len(ESCALATED) :]
    return d.variant(text)


def escalated(complaint: Complaint, **answers: object) -> Task:
    """The major case's delay, escalated by the manager to themselves: its new task."""
    j.overdue(complaint, "resolve_major")
    manager = j.user("manager")
    j.complete(
        complaint,
        "review_overdue_major",
        overdue_action="escalated",
        escalate_to=manager.id,
        **answers,
    )
    return j.open_task(complaint, "handle_escalated_delay_major")


def fallbacks(complaint: Complaint) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint.id,
                AuditEvent.kind == "assignment_fell_back",
            )
        )
    )


def unassigned_for_managers(task: Task) -> bool:
    """The task waits in the manager queue: in a manager's inbox, nobody's own."""
    manager = j.user("manager")
    listed = tasks.inbox(manager, tasks.InboxFilter()).tasks
    return task.assignee_id is None and task.id in [t.id for t in listed]


@pytest.mark.usefixtures("app_context")
def test_a_person_from_a_data_field_without_the_lane_role_leaves_the_task_in_its_queue():
    # The diagram's field now names whom the step was reassigned to: an investigator, who
    # does not hold the manager role of the escalated delay's lane.
    processes.deploy(assign_to("reassign_to"), comment="assign to the reassignee")
    db.session.commit()
    investigator = j.user("investigator")
    complaint = j.to_investigation()
    task = escalated(complaint, reassign_to=investigator.id)
    assert unassigned_for_managers(task)
    [event] = fallbacks(complaint)
    assert event.task_name == "handle_escalated_delay_major"
    assert event.data["reason"] == "assignee_lacks_role"
    assert event.data["person"] == investigator.name and event.data["role"] == "manager"
    assert "not given to Ines Investigator" in event.summary
    assert task.id not in [
        t.id for t in tasks.inbox(investigator, tasks.InboxFilter(scope="mine")).tasks
    ]


@pytest.mark.usefixtures("app_context")
def test_a_person_named_in_quotes_gets_the_task_while_they_hold_the_role():
    processes.deploy(assign_to("'manager'"), comment="assign to the manager by name")
    db.session.commit()
    complaint = j.to_investigation()
    task = escalated(complaint)
    assert task.assignee_id == j.user("manager").id
    assert fallbacks(complaint) == []


@pytest.mark.usefixtures("app_context")
def test_a_person_named_in_quotes_who_left_or_lost_the_role_is_not_given_the_task():
    processes.deploy(assign_to("'manager'"), comment="assign to the manager by name")
    admin, manager = j.user("admin"), j.user("manager")
    # A second manager, so that the role's queue has someone; the named one loses the role.
    users.create_user("mona", "Mona Manager", "long enough secret words", ["manager"])
    users.update_user(
        admin,
        manager.id,
        name=manager.name,
        email=manager.email or "",
        roles=["complaint_manager"],
        clearance=False,
        team_ids=[t.id for t in departments.teams_of(manager)],
    )
    db.session.commit()
    complaint = j.to_investigation()
    task = escalated_by(complaint, "mona")
    assert task.assignee_id is None
    [event] = fallbacks(complaint)
    assert event.data["reason"] == "assignee_lacks_role"
    # Deactivated: the same, saying so.
    users.set_active(admin, manager.id, False)
    db.session.commit()
    other = j.to_investigation()
    assert escalated_by(other, "mona").assignee_id is None
    [event] = fallbacks(other)
    assert event.data["reason"] == "unknown_assignee"


def escalated_by(complaint: Complaint, username: str) -> Task:
    j.overdue(complaint, "resolve_major")
    j.complete(
        complaint,
        "review_overdue_major",
        by=username,
        overdue_action="escalated",
        escalate_to=j.user(username).id,
    )
    return j.open_task(complaint, "handle_escalated_delay_major")


def test_the_case_history_and_the_process_owner_say_why(app, client):
    with app.app_context():
        processes.deploy(assign_to("reassign_to"), comment="assign to the reassignee")
        db.session.commit()
        complaint = j.to_investigation()
        escalated(complaint, reassign_to=j.user("investigator").id)
        reference, complaint_id = complaint.reference, complaint.id
    expected = (
        "Handle the escalated delay: Ines Investigator does not hold the role Manager; the "
        "task waits in that role's queue"
    )
    login(client, "manager")
    page = html.unescape(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "Not given to the person the procedure names" in page
    assert expected in page
    owner = client.application.test_client()
    login(owner, "owner")
    versions = html.unescape(owner.get("/processes/versions").get_data(as_text=True))
    assert "Tasks not given to the person the procedure names" in versions
    assert expected in versions
    assert reference not in versions  # the process owner does not read complaints


@pytest.mark.usefixtures("app_context")
def test_a_deploy_refuses_a_person_named_in_quotes_without_the_lane_role():
    with pytest.raises(DeployRefused) as refused:
        processes.deploy(assign_to("'agent'"), comment="assign to the intake agent")
    [item] = refused.value.details["items"]
    assert item["element_id"] == "handle_escalated_delay_major"
    assert (
        "assignTo names 'agent', who does not hold the role of the task's lane (manager)"
        in item["message"]
    )
    # The focal point holds the confidential lane's role, not the manager's.
    result = processes.validate(assign_to("'focal'", ("major", "confidential")))
    assert [p.element_id for p in result.problems] == ["handle_escalated_delay_major"]
    assert result.warnings == []


@pytest.mark.usefixtures("app_context")
def test_a_deploy_warns_of_a_person_named_in_quotes_who_is_not_active_staff():
    result = processes.deploy(assign_to("'nobody'"), comment="assign to a future colleague")
    assert result.created
    [warning] = result.warnings
    assert warning.element_id == "handle_escalated_delay_major"
    message = str(warning.message)
    assert "assignTo names 'nobody', who is not an active staff member" in message
