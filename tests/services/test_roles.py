"""Roles as a managed list: the seeded roles, confidential clearance read from the role,
the lanes a deploy accepts, and what an administrator may and may not change."""

from __future__ import annotations

import re

import pytest

from services import permissions, processes, roles, tasks, users
from services.db import db
from services.errors import DeployRefused, InvalidInput, NotAllowed
from services.models import Complaint, Role, UserRole
from tests import diagrams
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

GBV = (
    "My supervisor touched me against my will and threatens to fire me if I speak about it. "
    "He reads my work email."
)


def admin():
    return j.user("admin")


def add_role(key: str, *, clearance: bool, lane: bool = True) -> Role:
    role = roles.create(
        admin(),
        key,
        f"{key} en",
        f"{key} fr",
        handles_cases=lane,
        confidential_clearance=clearance,
    )
    db.session.commit()
    return role


def holder(username: str, role: str):
    user = users.create_user(username, username.title(), "a long enough password 1", [role])
    db.session.commit()
    return user


def visible_ids(user) -> set[int]:
    query = db.select(Complaint.id).where(permissions.visible_complaints_filter(user))
    return set(db.session.scalars(query))


def test_the_migration_seeds_todays_roles_with_their_names_and_flags():
    assert roles.keys() == frozenset(roles.ROLES)
    assert roles.lane_keys() == frozenset(roles.ROLES[:8])
    assert roles.lane_keys(fresh=True) == roles.lane_keys()
    assert roles.labels("fr")["confidential_focal_point"] == "Point focal confidentiel"
    assert roles.labels("en")["intake_agent"] == "Intake agent"
    assert list(roles.labels("en"))[:3] == ["intake_agent", "supervisor", "complaint_manager"]
    cleared = {r.key for r in roles.definitions() if r.confidential_clearance}
    assert cleared == {"confidential_focal_point"}
    assert {r.key for r in roles.definitions() if r.built_in} == roles.BUILT_IN
    assert roles.choices("fr", lanes_only=True)[0] == ("intake_agent", "Agent d'accueil")


def test_a_new_cleared_role_sees_confidential_complaints_and_an_uncleared_one_does_not():
    confidential = j.file(description=GBV, sensitive_at_intake=True)
    ordinary = j.file()
    assert confidential.confidential and not ordinary.confidential
    add_role("hr_investigator", clearance=True)
    add_role("hr_assistant", clearance=False)
    cleared, uncleared = holder("hana", "hr_investigator"), holder("hugo", "hr_assistant")

    assert permissions.can_view_complaint(cleared, confidential)
    assert permissions.sees_confidential(cleared)
    assert {confidential.id, ordinary.id} <= visible_ids(cleared)

    assert permissions.can_view_complaint(uncleared, ordinary)  # a lane role reads complaints
    assert not permissions.can_view_complaint(uncleared, confidential)
    assert not permissions.sees_confidential(uncleared)
    assert confidential.id not in visible_ids(uncleared) and ordinary.id in visible_ids(uncleared)
    # Seeing is not running confidential cases: that stays the focal point's.
    assert not permissions.handles_confidential(cleared)


def test_taking_clearance_from_a_role_holds_at_once():
    confidential = j.file(description=GBV, sensitive_at_intake=True)
    add_role("hr_investigator", clearance=True)
    user = holder("hana", "hr_investigator")
    assert permissions.can_view_complaint(user, confidential)
    roles.update(
        admin(),
        "hr_investigator",
        name_en="HR investigator",
        name_fr="Enquêteur RH",
        handles_cases=True,
        confidential_clearance=False,
    )
    db.session.commit()
    db.session.expire_all()  # as the next request: the user loaded again with their roles
    user = users.by_session_id(f"{user.id}:{user.session_version or 0}")
    assert user is not None
    assert not permissions.can_view_complaint(user, db.session.get(Complaint, confidential.id))


def test_a_role_without_the_lane_flag_has_no_inbox_and_reads_no_complaint():
    add_role("auditor", clearance=True, lane=False)
    user = holder("aude", "auditor")
    assert not permissions.works_on_tasks(user)
    assert not permissions.reads_complaints(user)
    assert not permissions.can_view_complaint(
        user, j.file(description=GBV, sensitive_at_intake=True)
    )


def test_the_focal_point_and_users_cleared_one_by_one_still_see_confidential_cases():
    confidential = j.file(description=GBV, sensitive_at_intake=True)
    focal = db.session.scalar(
        db.select(UserRole.user_id).where(UserRole.role == roles.CONFIDENTIAL_FOCAL_POINT)
    )
    assert permissions.can_view_complaint(db.session.get(type(admin()), focal), confidential)
    manager = j.user("manager")
    assert not permissions.can_view_complaint(manager, confidential)
    manager.confidential_clearance = True
    assert permissions.can_view_complaint(manager, confidential)


def test_holders_of_a_new_lane_role_can_be_given_tasks():
    add_role("hr_investigator", clearance=False)
    user = holder("hana", "hr_investigator")
    assert user in tasks.assignable_people()
    add_role("auditor", clearance=False, lane=False)
    assert holder("aude", "auditor") not in tasks.assignable_people()


def test_a_lane_named_after_a_new_role_deploys_and_one_that_is_no_role_is_refused():
    text = re.sub(r'name="legal_counsel"', 'name="hr_investigator"', diagrams.bpmn(), count=1)
    with pytest.raises(DeployRefused) as caught:
        processes.deploy(diagrams.variant(text), comment="lane before the role")
    db.session.rollback()
    assert "lane 'hr_investigator' is not a known role" in "\n".join(
        caught.value.details["problems"]
    )
    add_role("hr_investigator", clearance=True)
    version = diagrams.deploy_variant(text)
    assert version.active
    assert "hr_investigator" in roles.lanes_in_use()
    # A role that does not handle cases is no lane either.
    db.session.rollback()
    add_role("auditor", clearance=False, lane=False)
    text = re.sub(r'name="hr_investigator"', 'name="auditor"', text, count=1)
    problems = processes.validate(diagrams.variant(text)).problems
    assert any("lane 'auditor' is not a known role" in p.message for p in problems)


def test_built_in_roles_keep_their_key_lane_flag_and_existence():
    with pytest.raises(InvalidInput) as caught:
        roles.delete(admin(), roles.MANAGER)
    assert caught.value.details == {"key": ["A built-in role cannot be deleted."]}
    with pytest.raises(InvalidInput) as caught:
        roles.update(
            admin(),
            roles.MANAGER,
            new_key="boss",
            name_en="Manager",
            name_fr="Responsable",
            handles_cases=False,
            confidential_clearance=False,
        )
    assert set(caught.value.details) == {"key", "handles_cases"}
    with pytest.raises(InvalidInput) as caught:
        roles.update(
            admin(),
            roles.CONFIDENTIAL_FOCAL_POINT,
            name_en="Focal point",
            name_fr="Point focal",
            handles_cases=True,
            confidential_clearance=False,
        )
    assert set(caught.value.details) == {"confidential_clearance"}
    db.session.rollback()
    assert roles.get(roles.CONFIDENTIAL_FOCAL_POINT).name_en == "Confidential focal point"
    # Names and clearance of a built-in role do change.
    roles.update(
        admin(),
        roles.MANAGER,
        name_en="Team manager",
        name_fr="Chef d'équipe",
        handles_cases=True,
        confidential_clearance=True,
    )
    db.session.commit()
    assert roles.name_of(roles.MANAGER, "fr") == "Chef d'équipe"
    assert permissions.sees_confidential(j.user("manager"))


def test_a_role_in_use_is_not_deleted_and_an_unused_one_is():
    # supervisor: held by the demo supervisor, and a lane of the active procedure.
    with pytest.raises(InvalidInput) as caught:
        roles.delete(admin(), roles.SUPERVISOR)
    assert caught.value.details["key"][:2] == [roles.HELD, roles.LANE]
    db.session.rollback()
    add_role("hr_investigator", clearance=True)
    user = holder("hana", "hr_investigator")
    with pytest.raises(InvalidInput) as caught:
        roles.delete(admin(), "hr_investigator")
    assert caught.value.details["key"] == [roles.HELD]
    db.session.rollback()
    users.update_user(
        admin(),
        user.id,
        name=user.name,
        email="",
        roles=["supervisor"],
        clearance=False,
        team_ids=[],
    )
    db.session.commit()
    roles.delete(admin(), "hr_investigator")
    db.session.commit()
    assert db.session.get(Role, "hr_investigator") is None
    assert "hr_investigator" not in roles.keys()


def test_bad_input_names_the_fields_and_writes_nothing():
    before = db.session.scalar(db.select(db.func.count()).select_from(Role))
    with pytest.raises(InvalidInput) as caught:
        roles.create(admin(), "HR Investigator", "Manager", "", handles_cases=True)
    assert set(caught.value.details) == {"key", "name_en", "name_fr"}
    assert caught.value.details["name_en"] == ["There is already a role of that name."]
    db.session.rollback()
    with pytest.raises(InvalidInput) as caught:
        roles.create(admin(), "supervisor", "Someone", "Quelqu'un")
    assert caught.value.details == {"key": ["There is already a role with that key."]}
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Role)) == before


def test_the_key_of_an_unused_role_changes_and_of_a_held_one_does_not():
    add_role("hr_investigator", clearance=True)
    role = roles.update(
        admin(),
        "hr_investigator",
        new_key="hr_inquirer",
        name_en="HR inquirer",
        name_fr="Enquêteur RH",
        handles_cases=True,
        confidential_clearance=True,
    )
    db.session.commit()
    assert role.key == "hr_inquirer" and "hr_investigator" not in roles.keys()
    holder("hana", "hr_inquirer")
    with pytest.raises(InvalidInput) as caught:
        roles.update(
            admin(),
            "hr_inquirer",
            new_key="hr_other",
            name_en="HR inquirer",
            name_fr="Enquêteur RH",
            handles_cases=True,
            confidential_clearance=True,
        )
    assert caught.value.details == {"key": [roles.HELD]}


def test_only_administrators_change_roles():
    with pytest.raises(NotAllowed):
        roles.create(j.user("manager"), "hr_investigator", "HR", "RH")
    assert not roles.administers(j.user("owner"))
    assert roles.administers(admin())


def test_a_user_is_given_only_roles_that_exist():
    with pytest.raises(InvalidInput):
        users.create_user("nobody", "Nobody", "a long enough password 1", ["hr_investigator"])
    add_role("hr_investigator", clearance=False)
    assert holder("hana", "hr_investigator").has_role("hr_investigator")
