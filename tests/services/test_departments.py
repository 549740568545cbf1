"""Departments, teams, membership and routing a task to the team of the complaint's department."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade

from services import departments, permissions, users, workflows
from services.db import db
from services.errors import InvalidInput, NotAllowed
from services.models import AuditEvent, Task
from tests import diagrams, journeys

CLASSIFY_PROPERTY = '<spiffworkflow:property name="formKey" value="classify_complaint" />'
TEAM_ON_CLASSIFY = CLASSIFY_PROPERTY + '\n<spiffworkflow:property name="team" value="department" />'


WATER = "Water supply"  # a department of its own: the seeded demo may have others


def _team_of_water_supply() -> int:
    admin = journeys.user("admin")
    department = departments.add_department(admin, WATER)
    member = users.create_user("sup_water", "Sira Water", "water desk supervisor", ["supervisor"])
    team = departments.add_team(admin, "Water desk", department.id, [member.id])
    db.session.commit()
    return team.id


def _my_team_tasks(username: str) -> list[Task]:
    user = journeys.user(username)
    return list(
        db.session.scalars(
            db.select(Task).where(
                Task.status == "open",
                permissions.visible_tasks_filter(user),
                departments.my_team_filter(user),
            )
        )
    )


def test_a_task_the_diagram_routes_to_the_department_goes_to_its_team(app_context):
    diagrams.deploy_variant(diagrams.edited(diagrams.bpmn(), CLASSIFY_PROPERTY, TEAM_ON_CLASSIFY))
    team_id = _team_of_water_supply()

    complaint = journeys.to_classification(department=WATER)

    task = journeys.open_task(complaint, "classify_complaint")
    assert task.team_id == team_id
    assert [t.id for t in _my_team_tasks("sup_water")] == [task.id]


def test_route_task_reads_the_team_property_of_the_task(app_context):
    diagrams.deploy_variant(diagrams.edited(diagrams.bpmn(), CLASSIFY_PROPERTY, TEAM_ON_CLASSIFY))
    team_id = _team_of_water_supply()
    complaint = journeys.to_classification(department=WATER)
    task = journeys.open_task(complaint, "classify_complaint")
    task.team_id = None

    departments.route_task(task, workflows.properties(task))
    db.session.commit()

    assert task.team_id == team_id
    assert [t.id for t in _my_team_tasks("sup_water")] == [task.id]
    # Another supervisor outside the team sees the task in the inbox, not in "my team".
    other = users.create_user("sup2", "Sam Second", "second supervisor pass", ["supervisor"])
    db.session.commit()
    assert _my_team_tasks(other.username) == []


def test_a_task_without_the_property_or_without_a_team_goes_to_no_team(app_context):
    complaint = journeys.to_classification(department=WATER)
    task = journeys.open_task(complaint, "classify_complaint")
    departments.route_task(task, workflows.properties(task))
    assert task.team_id is None

    admin = journeys.user("admin")
    departments.add_department(admin, WATER)  # a department with no team
    departments.route_task(task, {"team": "department"})
    assert task.team_id is None
    team = departments.add_team(admin, "Night shift", None)
    departments.route_task(task, {"team": "Night shift"})  # a team named in the diagram
    assert task.team_id == team.id


def test_teams_of_and_members_follow_membership_and_active_teams(app_context):
    admin = journeys.user("admin")
    # People in no demo team.
    counsel, police = journeys.user("counsel"), journeys.user("police")
    desk = departments.add_team(admin, "Desk", None, [counsel.id, police.id])
    night = departments.add_team(admin, "Night", None, [counsel.id])
    assert [t.name for t in departments.teams_of(counsel)] == ["Desk", "Night"]
    assert departments.team_members_of(police) == [counsel, police]  # by name

    departments.set_team_active(admin, night.id, False)
    assert departments.team_ids_of(counsel) == {desk.id}
    before, after = departments.set_user_teams(counsel, [night.id])
    assert (before, after) == (sorted([desk.id, night.id]), [night.id])
    assert departments.teams_of(counsel) == []  # the one team left is inactive
    assert departments.my_team_filter(counsel) is not None


def test_only_administrators_change_departments_and_names_are_unique(app_context):
    with pytest.raises(NotAllowed):
        departments.add_department(journeys.user("manager"), "Billing")
    admin = journeys.user("admin")
    departments.add_department(admin, "  Billing   office ")
    with pytest.raises(InvalidInput):
        departments.add_department(admin, "billing office")
    assert "Billing office" in departments.names()
    kinds = db.session.scalars(db.select(AuditEvent.kind).where(AuditEvent.complaint_id.is_(None)))
    assert "department_added" in list(kinds)


def test_the_migration_backfills_departments_from_the_complaints(app, app_context):
    """Free-text departments already on complaints become the managed list, once each."""
    journeys.file(department="Water supply")
    journeys.file(department="Gas")
    journeys.file(department="Water supply ")
    db.session.remove()
    downgrade(revision="d171f16e18e9")
    upgrade()
    names = departments.names()
    assert {"Water supply", "Gas"} <= set(names) and names.count("Water supply") == 1


def test_the_demo_organisation_names_the_demo_complaints_departments(app_context):
    departments.ensure_demo_organisation()
    departments.ensure_demo_organisation()  # once
    assert {name for name, _fr in departments.DEMO_DEPARTMENTS} <= set(departments.names())
    investigator = journeys.user("investigator")
    assert {t.name for t in departments.teams_of(investigator)} == {
        "Customer service team",
        "Logistics team",
    }
    team = departments.team_for_department("Customer service")
    assert team is not None and team.name == "Customer service team"
