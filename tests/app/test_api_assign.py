"""Managers reassign tasks through the API: to a person holding the task's role, or back to its
team; every refusal says why. Managers oversee every task they may know of: they read it
(GET /tasks/{id}) and give it away whatever its role, and work only on their own roles' tasks;
a confidential task without clearance does not exist for them (404)."""

from __future__ import annotations

import pytest

from services import users
from services.db import db
from services.models import AuditEvent, Complaint, Task, UserRole
from tests import journeys
from tests.app.api_helpers import API, bearer, issue_token, open_task_id, problem


@pytest.fixture
def document(client) -> dict:
    """The published OpenAPI document."""
    return client.get(f"{API}/openapi.json").json


@pytest.fixture
def as_user(runner):
    """Headers carrying a demo user's API token."""
    return lambda username: bearer(issue_token(runner, username))


def user_id(app, username: str) -> int:
    with app.app_context():
        return users.by_username(username).id


def investigation_task(app) -> str:
    """The open investigation of a major complaint (role complaint_manager)."""
    with app.app_context():
        complaint_id = journeys.to_investigation().id
    return open_task_id(app, complaint_id, "investigate_complaint")


def also_holds(app, username: str, role: str) -> None:
    """Give a demo user one more role (a manager who also leads a team reads its tasks)."""
    with app.app_context():
        user = users.by_username(username)
        user.roles.append(UserRole(role=role))
        db.session.commit()


def assignee_of(app, task_id: str) -> str | None:
    with app.app_context():
        task = db.session.get(Task, task_id)
        return task.assignee.username if task.assignee else None


def assign(client, headers, task_id: str, body):
    return client.post(f"{API}/tasks/{task_id}/assign", json=body, headers=headers)


def test_manager_gives_a_task_to_someone_holding_its_role_then_releases_it(app, client, as_user):
    task_id = investigation_task(app)  # the investigators' (complaint_manager) task
    manager = as_user("manager")
    response = assign(client, manager, task_id, {"assignee_id": user_id(app, "investigator")})
    assert response.status_code == 200, response.json
    assert response.json["assignee"]["username"] == "investigator"
    # The answer carries the task's new ETag, the one a GET gives and If-Match takes.
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    shown = client.get(f"{API}/tasks/{task_id}", headers=manager)
    assert shown.status_code == 200 and shown.headers["ETag"] == etag
    assert assignee_of(app, task_id) == "investigator"
    with app.app_context():
        kinds = db.session.scalars(
            db.select(AuditEvent.kind).where(AuditEvent.task_name == "investigate_complaint")
        ).all()
        assert "reassigned" in kinds
    released = assign(client, manager, task_id, {"assignee_id": None})
    assert released.status_code == 200 and released.json["assignee"] is None
    assert released.headers["ETag"] not in (etag, None)
    assert assignee_of(app, task_id) is None
    with app.app_context():
        assert db.session.scalar(
            db.select(AuditEvent.actor_label).where(AuditEvent.kind == "unclaimed")
        ) == ("Marie Manager")


def test_a_reassignment_on_a_stale_read_is_refused_with_412(app, client, as_user, document):
    # The document's link from GET /tasks/{id} to assignTask sends the ETag read as If-Match;
    # the assignment ignored it, so a manager's reassignment made on a stale read undid a
    # colleague's.
    operation = document["paths"]["/tasks/{task_id}/assign"]["post"]
    assert "If-Match" in [p.get("name") for p in operation["parameters"]]
    assert "412" in operation["responses"]
    task_id = investigation_task(app)
    manager = as_user("manager")
    read = client.get(f"{API}/tasks/{task_id}", headers=manager)
    investigator = {"assignee_id": user_id(app, "investigator")}
    moved = assign(client, manager, task_id, investigator)  # a colleague, meanwhile
    assert moved.status_code == 200
    stale = {**manager, "If-Match": read.headers["ETag"]}
    refused = client.post(
        f"{API}/tasks/{task_id}/assign", json={"assignee_id": None}, headers=stale
    )
    problem(refused, 412, "precondition_failed")
    assert assignee_of(app, task_id) == "investigator"
    current = {**manager, "If-Match": moved.headers["ETag"]}
    released = client.post(
        f"{API}/tasks/{task_id}/assign", json={"assignee_id": None}, headers=current
    )
    assert released.status_code == 200 and released.json["assignee"] is None
    assert assignee_of(app, task_id) is None


def test_a_manager_reads_a_task_they_oversee_but_works_only_on_their_roles(app, client, as_user):
    task_id = investigation_task(app)  # the investigators' (complaint_manager) task
    manager = as_user("manager")
    shown = client.get(f"{API}/tasks/{task_id}", headers=manager)
    assert shown.status_code == 200 and shown.json["name"] == "investigate_complaint"
    # Reading it is not working on it: completing or claiming it is not theirs to do.
    done = client.post(
        f"{API}/tasks/{task_id}/complete",
        json=journeys.ANSWERS["investigate_complaint"],
        headers=manager,
    )
    # A 403: the task exists for them (a 404 after the 200 above would say it does not).
    assert done.status_code == 403 and done.json["code"] == "forbidden"
    assert "not work on it" in done.json["detail"]
    for action in ("claim", "unclaim"):
        refused = client.post(f"{API}/tasks/{task_id}/{action}", headers=manager)
        assert refused.status_code == 403, action
    draft = client.put(f"{API}/tasks/{task_id}/draft", json={}, headers=manager)
    assert draft.status_code == 403
    assert assignee_of(app, task_id) is None
    # Staff who are not managers read only their roles' tasks.
    assert client.get(f"{API}/tasks/{task_id}", headers=as_user("supervisor")).status_code == 404


def test_only_managers_reassign(app, client, as_user):
    task_id = investigation_task(app)
    for username in ("investigator", "supervisor"):
        response = assign(client, as_user(username), task_id, {"assignee_id": None})
        assert response.status_code == 403, username
    assert assign(client, {}, task_id, {"assignee_id": None}).status_code == 401


def test_an_assignee_without_the_tasks_role_is_refused(app, client, as_user):
    task_id = investigation_task(app)
    also_holds(app, "manager", "complaint_manager")
    response = assign(client, as_user("manager"), task_id, {"assignee_id": user_id(app, "agent")})
    assert response.status_code == 422
    assert response.json["errors"]["assignee_id"] == ["This person does not hold the task's role."]
    assert assignee_of(app, task_id) is None


def test_an_unknown_or_inactive_assignee_is_refused(app, client, as_user):
    task_id = investigation_task(app)
    also_holds(app, "manager", "complaint_manager")
    manager = as_user("manager")
    response = assign(client, manager, task_id, {"assignee_id": 999999})
    assert response.status_code == 422 and "assignee_id" in response.json["errors"]
    investigator = user_id(app, "investigator")
    with app.app_context():
        users.by_username("investigator").active = False
        db.session.commit()
    response = assign(client, manager, task_id, {"assignee_id": investigator})
    assert response.status_code == 422
    assert response.json["errors"]["assignee_id"] == ["No active staff member has this id."]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"assignee_id": "3"},
        {"assignee_id": True},
        {"assignee_id": 0},
        {"assignee_id": 3.5},
        {"who": 3},
    ],
)
def test_a_malformed_body_is_refused(app, client, as_user, body):
    task_id = investigation_task(app)
    also_holds(app, "manager", "complaint_manager")
    response = assign(client, as_user("manager"), task_id, body)
    assert response.status_code == 422
    assert set(response.json["errors"]) & {"body", "assignee_id", "who"}


def test_an_id_written_as_a_whole_float_is_the_id_the_schema_takes(app, client, as_user):
    # {"assignee_id": 12.0} fits the document (an integer in JSON Schema) but was a 422.
    task_id = investigation_task(app)
    body = {"assignee_id": float(user_id(app, "investigator"))}
    response = assign(client, as_user("manager"), task_id, body)
    assert response.status_code == 200, response.json
    assert assignee_of(app, task_id) == "investigator"


def test_a_task_no_longer_open_is_a_conflict(app, client, as_user):
    with app.app_context():
        complaint = journeys.file()
        task_id = journeys.open_task(complaint, "register_complaint").id
        journeys.complete(complaint, "register_complaint")
    also_holds(app, "manager", "intake_agent")
    response = assign(client, as_user("manager"), task_id, {"assignee_id": None})
    assert response.status_code == 409


def test_confidential_tasks_need_clearance_from_the_manager_and_the_assignee(app, client, as_user):
    with app.app_context():
        complaint = journeys.to_classification()
        task_id = journeys.open_task(complaint, "classify_complaint").id
        # A procedure may route a confidential case to another team than the focal points'
        # (the default one does not): its task is hidden from uncleared holders of the role.
        db.session.get(Complaint, complaint.id).confidential = True
        db.session.get(Task, task_id).confidential = True
        db.session.commit()
    also_holds(app, "manager", "supervisor")
    manager = as_user("manager")
    supervisor = user_id(app, "supervisor")
    # Without clearance the manager may not know the task exists.
    assert assign(client, manager, task_id, {"assignee_id": supervisor}).status_code == 404
    with app.app_context():
        users.by_username("manager").confidential_clearance = True
        db.session.commit()
    response = assign(client, manager, task_id, {"assignee_id": supervisor})
    assert response.status_code == 422
    assert response.json["errors"]["assignee_id"] == [
        "This person is not cleared to see confidential complaints."
    ]
    with app.app_context():
        users.by_username("supervisor").confidential_clearance = True
        db.session.commit()
    assert assign(client, manager, task_id, {"assignee_id": supervisor}).status_code == 200
    assert assignee_of(app, task_id) == "supervisor"


def test_the_four_eyes_rule_keeps_the_handler_off_the_sign_off(app, client, as_user):
    with app.app_context():
        complaint = journeys.to_classification()
        journeys.complete(
            complaint, "classify_complaint", sensitive=True, category="gender_based_violence"
        )
        for name in ("record_consent", "refer_support"):
            journeys.complete(complaint, name)
        journeys.complete(complaint, "handle_confidential", by="focal")
        sign_off = next(
            t for t in journeys.open_tasks(complaint) if t.not_by == "handle_confidential"
        ).id
    # The manager reads the focal points' sign-off: they are one too.
    also_holds(app, "manager", "confidential_focal_point")
    manager = as_user("manager")
    response = assign(client, manager, sign_off, {"assignee_id": user_id(app, "focal")})
    assert response.status_code == 422
    assert "four-eyes" in response.json["errors"]["assignee_id"][0]
    ok = assign(client, manager, sign_off, {"assignee_id": user_id(app, "focal2")})
    assert ok.status_code == 200 and assignee_of(app, sign_off) == "focal2"


def test_releasing_a_task_nobody_claimed_is_a_conflict(app, client, as_user):
    task_id = investigation_task(app)
    released = client.post(f"{API}/tasks/{task_id}/unclaim", headers=as_user("investigator"))
    assert released.status_code == 409 and released.json["code"] == "conflict"
    assert released.json["detail"] == "Nobody has claimed it yet."
    french = client.post(
        f"{API}/tasks/{task_id}/unclaim",
        headers={**as_user("investigator"), "Accept-Language": "fr"},
    )
    assert french.json["detail"] == "Personne ne l'a encore prise en charge."
