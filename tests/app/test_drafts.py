"""Drafts of a task form (per user, server-side) and "Complete and open the next task"."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from services import users
from services.db import db
from services.models import Task, TaskDraft
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.conftest import DEMO_PASSWORD


def _investigation(app: Flask) -> str:
    with app.app_context():
        complaint = j.to_investigation()
        return j.open_task(complaint, "investigate_complaint").id


def test_a_saved_draft_comes_back_when_the_investigator_reopens_the_task(
    app: Flask, client: FlaskClient
) -> None:
    task_id = _investigation(app)
    login(client, "investigator")
    page = f"/tasks/{task_id}"
    response = post_form(
        client,
        f"{page}/draft",
        {"findings": "Seal worn out after 3 washes.", "interviews": "Depot manager"},
        form_url=page,
    )
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Draft saved" in html
    assert "Your draft is restored" in html
    assert "Seal worn out after 3 washes." in html
    assert "Depot manager" in html
    with app.app_context():
        draft = db.session.scalar(db.select(TaskDraft))
        assert draft is not None and draft.values["findings"] == ["Seal worn out after 3 washes."]
        assert "csrf_token" not in draft.values


def test_a_colleague_never_sees_my_draft(app: Flask, client: FlaskClient) -> None:
    task_id = _investigation(app)
    with app.app_context():
        users.create_user(
            "investigator2", "Ivo Second", DEMO_PASSWORD, ["complaint_manager"], "i2@example.org"
        )
        db.session.commit()
    login(client, "investigator")
    page = f"/tasks/{task_id}"
    post_form(client, f"{page}/draft", {"findings": "My private draft text"}, form_url=page)
    other = app.test_client()
    login(other, "investigator2")
    html = other.get(page).get_data(as_text=True)
    assert "Save draft" in html  # they may work the task ...
    assert "My private draft text" not in html  # ... but start from the case, not my draft
    assert "Your draft is restored" not in html


def test_completing_the_task_discards_the_draft_and_discarding_works(
    app: Flask, client: FlaskClient
) -> None:
    task_id = _investigation(app)
    login(client, "investigator")
    page = f"/tasks/{task_id}"
    post_form(client, f"{page}/draft", {"findings": "first try"}, form_url=page)
    response = post_form(client, f"{page}/draft/delete", {}, form_url=page)
    assert response.status_code == 302
    assert "first try" not in client.get(page).get_data(as_text=True)
    post_form(client, f"{page}/draft", {"findings": "second try"}, form_url=page)
    answers = {k: v for k, v in j.ANSWERS["investigate_complaint"].items() if v is not False}
    response = post_form(client, page, answers)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(TaskDraft.id))) == 0


def test_a_draft_is_refused_for_a_task_someone_else_holds(app: Flask, client: FlaskClient) -> None:
    task_id = _investigation(app)
    with app.app_context():
        users.create_user(
            "investigator2", "Ivo Second", DEMO_PASSWORD, ["complaint_manager"], "i2@example.org"
        )
        db.session.commit()
    login(client, "investigator")
    page = f"/tasks/{task_id}"
    post_form(client, f"/inbox/tasks/{task_id}/claim", {"next": page}, form_url=page)
    other = app.test_client()
    login(other, "investigator2")
    response = post_form(other, f"{page}/draft", {"findings": "x"}, form_url=page)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(TaskDraft)) is None


def test_complete_and_open_the_next_task(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        first = j.to_minor_resolution()
        second = j.to_minor_resolution()
        first_id = first.id
        first_task = j.open_task(first, "resolve_minor").id
        second_task = j.open_task(second, "resolve_minor").id
    login(client, "supervisor")
    answers = {k: v for k, v in j.ANSWERS["resolve_minor"].items() if v is not False}
    response = post_form(client, f"/tasks/{first_task}", {**answers, "next_task": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/tasks/")
    assert response.headers["Location"] != f"/tasks/{first_task}"
    with app.app_context():
        following = response.headers["Location"].rsplit("/", 1)[1]
        task = db.session.get(Task, following)
        assert task is not None and task.status == "open"
        assert following == second_task or task.complaint_id == first_id


def test_complete_with_nothing_left_goes_back_to_the_inbox(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        complaint = j.to_investigation()
        complaint_id = complaint.id
        task_id = j.open_task(complaint, "investigate_complaint").id
    login(client, "investigator")
    answers = {k: v for k, v in j.ANSWERS["investigate_complaint"].items() if v is not False}
    response = post_form(client, f"/tasks/{task_id}", {**answers, "next_task": "1"})
    assert response.status_code == 302
    with app.app_context():
        names = list(
            db.session.scalars(
                db.select(Task.name).where(Task.complaint_id == complaint_id, Task.status == "open")
            )
        )
    if response.headers["Location"] == "/inbox":
        assert "No other task is waiting in your inbox." in client.get("/inbox").get_data(
            as_text=True
        )
    else:
        assert names  # the procedure gave the investigator the next step


def test_drafts_in_french(app: Flask, client: FlaskClient) -> None:
    task_id = _investigation(app)
    login(client, "investigator")
    post_form(client, "/lang/fr", {"next": "/inbox"}, form_url="/inbox")
    page = f"/tasks/{task_id}"
    post_form(client, f"{page}/draft", {"findings": "Joint usé."}, form_url=page)
    html = client.get(page).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Joint usé." in html


def test_the_api_keeps_my_draft_for_me_only_and_completion_discards_it(
    app: Flask, client: FlaskClient, runner
) -> None:
    from tests.app.api_helpers import API, bearer, issue_token

    task_id = _investigation(app)
    mine = bearer(issue_token(runner, "investigator"))
    url = f"{API}/tasks/{task_id}/draft"
    assert client.get(url, headers=mine).status_code == 404
    response = client.put(
        url, json={"findings": "Half done", "escalation_requested": True}, headers=mine
    )
    assert response.status_code == 200, response.json
    assert response.json["values"] == {"findings": ["Half done"], "escalation_requested": ["y"]}
    assert client.get(url, headers=mine).json["values"]["findings"] == ["Half done"]
    refused = client.put(url, json={"no_such_field": "x"}, headers=mine)
    assert refused.status_code == 422 and "no_such_field" in refused.json["errors"]
    # The page shows the same draft.
    login(client, "investigator")
    assert "Half done" in client.get(f"/tasks/{task_id}").get_data(as_text=True)
    # Someone who cannot work the task has no draft of it: a manager, who may read the task,
    # is refused (403), as for working on it.
    manager = bearer(issue_token(runner, "manager"))
    assert client.get(url, headers=manager).status_code == 403
    answers = {k: v for k, v in j.ANSWERS["investigate_complaint"].items()}
    done = client.post(f"{API}/tasks/{task_id}/complete", json=answers, headers=mine)
    assert done.status_code == 200, done.json
    assert client.get(url, headers=mine).status_code == 404
    assert client.delete(url, headers=mine).status_code == 204
