"""Bulk claim / release / assign in the inbox, the managers' all-open-tasks and workload views."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services import users
from services.db import db
from services.models import AuditEvent, Task
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.conftest import DEMO_PASSWORD


def _classifications(app: Flask, count: int) -> list[str]:
    with app.app_context():
        return [j.open_task(j.to_classification(), "classify_complaint").id for _ in range(count)]


def _bulk(client: FlaskClient, ids: list[str], action: str, **extra: str) -> object:
    data = [("task_ids", task_id) for task_id in ids] + [("action", action), ("next", "/inbox")]
    data += list(extra.items())
    return post_form(client, "/inbox/bulk", data, form_url="/inbox")


def test_supervisor_claims_several_tasks_at_once(app: Flask, client: FlaskClient) -> None:
    ids = _classifications(app, 3)
    login(client, "supervisor")
    html = client.get("/inbox").get_data(as_text=True)
    assert html.count('form="bulk-form"') == 3
    assert 'id="bulk-form"' in html
    response = _bulk(client, ids[:2], "claim")
    assert response.status_code == 302
    page = client.get("/inbox").get_data(as_text=True)
    assert "2 tasks claimed." in page
    with app.app_context():
        supervisor = j.user("supervisor")
        assignees = {
            t.id: t.assignee_id
            for t in db.session.scalars(db.select(Task).where(Task.status == "open"))
        }
        assert assignees[ids[0]] == assignees[ids[1]] == supervisor.id
        assert assignees[ids[2]] is None
        claimed = db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == "claimed"))
        assert len(list(claimed)) == 2


def test_a_partial_failure_is_reported_per_task_and_the_rest_is_done(
    app: Flask, client: FlaskClient
) -> None:
    ids = _classifications(app, 2)
    with app.app_context():
        users.create_user(
            "supervisor2", "Sid Second", DEMO_PASSWORD, ["supervisor"], "s2@example.org"
        )
        db.session.commit()
        reference = db.session.get(Task, ids[0]).reference
    other = app.test_client()
    login(other, "supervisor2")
    _bulk(other, [ids[0]], "claim")
    login(client, "supervisor")
    response = _bulk(client, [ids[0], ids[1], "no-such-task"], "claim")
    assert response.status_code == 302
    page = client.get("/inbox").get_data(as_text=True)
    assert "1 task claimed." in page
    assert f"{reference} · Classify" in page and "has claimed it." in page
    assert "A task: not done. No such task." in page
    with app.app_context():
        rows = {
            t.id: t.assignee.username if t.assignee else None
            for t in db.session.scalars(db.select(Task))
        }
        assert rows[ids[0]] == "supervisor2" and rows[ids[1]] == "supervisor"


def test_release_of_someone_elses_task_is_refused_but_not_mine(
    app: Flask, client: FlaskClient
) -> None:
    ids = _classifications(app, 2)
    with app.app_context():
        users.create_user(
            "supervisor2", "Sid Second", DEMO_PASSWORD, ["supervisor"], "s2@example.org"
        )
        db.session.commit()
    other = app.test_client()
    login(other, "supervisor2")
    _bulk(other, [ids[0]], "claim")
    login(client, "supervisor")
    _bulk(client, [ids[1]], "claim")
    _bulk(client, ids, "release")
    page = client.get("/inbox").get_data(as_text=True)
    assert "1 task released." in page
    with app.app_context():
        rows = {
            t.id: t.assignee_id
            for t in db.session.scalars(db.select(Task).where(Task.status == "open"))
        }
        assert rows[ids[1]] is None and rows[ids[0]] is not None


def test_only_managers_may_assign_in_bulk_and_the_role_is_checked_per_task(
    app: Flask, client: FlaskClient
) -> None:
    ids = _classifications(app, 2)
    with app.app_context():
        supervisor_id = j.user("supervisor").id
        investigator_id = j.user("investigator").id
    login(client, "supervisor")
    response = _bulk(client, ids, "assign", assignee=str(supervisor_id))
    assert response.status_code == 302
    assert "Not a valid choice." in client.get("/inbox").get_data(as_text=True)
    login(client, "manager")
    html = client.get("/inbox/all").get_data(as_text=True)
    assert html.count('form="bulk-form"') == 2
    assert "data-shown-when" in html  # the assignee list shows when "assign" is chosen
    post_form(
        client,
        "/inbox/bulk",
        [
            ("task_ids", ids[0]),
            ("task_ids", ids[1]),
            ("action", "assign"),
            ("assignee", str(investigator_id)),
            ("next", "/inbox/all"),
        ],
        form_url="/inbox/all",
    )
    page = client.get("/inbox/all").get_data(as_text=True)
    assert "does not hold the role" in page
    post_form(
        client,
        "/inbox/bulk",
        [
            ("task_ids", ids[0]),
            ("task_ids", ids[1]),
            ("action", "assign"),
            ("assignee", str(supervisor_id)),
            ("next", "/inbox/all"),
        ],
        form_url="/inbox/all",
    )
    page = client.get("/inbox/all").get_data(as_text=True)
    assert "2 tasks assigned to Samuel Supervisor." in page
    with app.app_context():
        assert {
            t.assignee_id for t in db.session.scalars(db.select(Task).where(Task.status == "open"))
        } == {supervisor_id}


def test_a_bulk_post_without_csrf_is_refused(app: Flask, client: FlaskClient) -> None:
    ids = _classifications(app, 1)
    login(client, "supervisor")
    response = client.post("/inbox/bulk", data={"task_ids": ids, "action": "claim"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Task, ids[0]).assignee_id is None


def test_workload_counts_open_and_overdue_tasks_per_person_and_role(
    app: Flask, client: FlaskClient
) -> None:
    ids = _classifications(app, 3)
    login(client, "supervisor")
    _bulk(client, ids[:1], "claim")
    login(client, "manager")
    html = client.get("/inbox/workload").get_data(as_text=True)
    assert "Team workload" in html
    person = re.search(r"Samuel Supervisor</a>\s*</th>\s*<td>(\d+)</td>", html)
    assert person and person.group(1) == "1"
    unassigned = re.search(r"Not assigned</a>\s*</th>\s*<td>(\d+)</td>", html)
    assert unassigned and unassigned.group(1) == "2"
    assert "By role" in html and "Supervisor" in html
    listing = client.get("/inbox/all?assignee=none").get_data(as_text=True)
    assert listing.count('form="bulk-form"') == 2


@pytest.mark.parametrize("username", ["supervisor", "investigator"])
def test_only_managers_see_all_tasks_and_workload(
    app: Flask, client: FlaskClient, username: str
) -> None:
    login(client, username)
    assert client.get("/inbox/all").status_code == 403
    assert client.get("/inbox/workload").status_code == 403


def test_next_task_and_bulk_pages_in_french(app: Flask, client: FlaskClient) -> None:
    ids = _classifications(app, 2)
    login(client, "manager")
    post_form(client, "/lang/fr", {"next": "/inbox"}, form_url="/inbox")
    for page in ("/inbox/all", "/inbox/workload"):
        response = client.get(page)
        assert response.status_code == 200
        assert '<html lang="fr">' in response.get_data(as_text=True)
    login(client, "supervisor")
    post_form(client, "/lang/fr", {"next": "/inbox"}, form_url="/inbox")
    _bulk(client, ids, "claim")
    html = client.get("/inbox").get_data(as_text=True)
    assert '<html lang="fr">' in html
    with app.app_context():
        assert {
            t.assignee_id for t in db.session.scalars(db.select(Task).where(Task.status == "open"))
        } == {j.user("supervisor").id}


def test_my_team_scope_shows_the_tasks_routed_to_my_teams_and_the_workload_per_team(
    app: Flask, client: FlaskClient
) -> None:
    from services import departments

    ids = _classifications(app, 2)
    with app.app_context():
        supervisor = j.user("supervisor")
        team = departments.add_team(j.user("admin"), "Front desk", None, [supervisor.id])
        departments.route_task(db.session.get(Task, ids[0]), {"team": "Front desk"})
        db.session.commit()
        assert team.id
    login(client, "supervisor")
    html = client.get("/inbox?scope=team").get_data(as_text=True)
    assert html.count('form="bulk-form"') == 1
    assert "My team" in html
    login(client, "manager")
    workload = client.get("/inbox/workload").get_data(as_text=True)
    row = re.search(r"Front desk\s*</th>\s*<td>(\d+)</td>", workload)
    assert row and row.group(1) == "1"
