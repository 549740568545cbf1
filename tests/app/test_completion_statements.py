"""What one task completion costs the database: at most eight SQL statements over HTTP.

The signed-in user (one SELECT with the roles), the task with its complaint, workflow row,
clocks and open tasks (one joined SELECT), then the writes the procedure needs (complaint,
audit events, workflow state, clock, completed task, new task). A lazy load or a routing
look-up added on this path shows here first.

On SQLite the save's two audit rows (the step, and the change of status the change feed
reads) go in two INSERTs: SQLAlchemy batches rows into one INSERT ... RETURNING only where
the database keeps RETURNING in row order (PostgreSQL). SQLite has no round trip to save.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from benchmarks.engine import SEND_BACK
from services.db import db
from services.models import ApiToken, Complaint
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import csrf_token, login

MAX_STATEMENTS = {"postgresql": 8, "sqlite": 9}


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _complete(app: Flask, client: FlaskClient, task_id: str, answers: dict) -> list[str]:
    data = j.formdata(answers)
    data["csrf_token"] = csrf_token(client, f"/tasks/{task_id}")
    with _statements(app) as seen:
        response = client.post(f"/tasks/{task_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return seen


def test_a_completion_over_http_takes_at_most_eight_statements(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    with app.app_context():
        complaint_id = j.to_minor_resolution().id
    login(client, "supervisor")
    counts = []
    for _ in range(2):  # resolve, then (as the manager) send it back, twice: history grows
        with app.app_context():
            task = j.open_tasks(db.session.get(Complaint, complaint_id))[0]
            task_id = task.id
        client.get("/auth/logout")
        login(client, "supervisor")
        counts.append(len(_complete(app, client, task_id, j.ANSWERS["resolve_minor"])))
        with app.app_context():
            sign_off = j.open_tasks(db.session.get(Complaint, complaint_id))[0]
            assert sign_off.name == "sign_off_minor"
            sign_off_id = sign_off.id
        client.get("/auth/logout")
        login(client, "manager")
        counts.append(len(_complete(app, client, sign_off_id, SEND_BACK)))
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert max(counts) <= MAX_STATEMENTS[backend], counts
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert [t.name for t in j.open_tasks(complaint)] == ["resolve_minor"]


def _resolution_through_the_api(
    app: Flask, client: FlaskClient, runner: Any
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A minor resolution waiting for the supervisor: its task id, the headers with a token
    already used once (its first use records the time, once a minute at most: the steady
    state is after it) and the answers as JSON."""
    with app.app_context():
        complaint_id = j.to_minor_resolution().id
        task_id = j.open_tasks(db.session.get(Complaint, complaint_id))[0].id
    token = issue_token(runner, "supervisor")
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in j.ANSWERS["resolve_minor"].items()}  # fmt: skip
    return task_id, bearer(token), body


def test_a_completion_through_the_api_takes_as_few(
    app: Flask, client: FlaskClient, runner, database_url: str
) -> None:
    """The token with its user and roles (one SELECT), the task with what the save reads
    (one), the writes; the answer is written before the commit expires what it reads."""
    task_id, headers, body = _resolution_through_the_api(app, client, runner)
    with _statements(app) as seen:
        response = client.post(f"{API}/tasks/{task_id}/complete", json=body, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "completed"
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert len(seen) <= MAX_STATEMENTS[backend], [s[:60] for s in seen]


def test_a_tokens_first_use_in_a_minute_adds_only_its_time_of_use(
    app: Flask, client: FlaskClient, runner, database_url: str
) -> None:
    """Recording the time of use commits on its own; it used to expire the token's user,
    read again by the permission check (two statements more instead of one)."""
    task_id, headers, body = _resolution_through_the_api(app, client, runner)
    with app.app_context():
        db.session.execute(db.update(ApiToken).values(last_used_at=None))
        db.session.commit()
    with _statements(app) as seen:
        response = client.post(f"{API}/tasks/{task_id}/complete", json=body, headers=headers)
    assert response.status_code == 200, response.json
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert len(seen) <= MAX_STATEMENTS[backend] + 1, [s[:60] for s in seen]
    assert sum(s.startswith("UPDATE api_token") for s in seen) == 1
    with app.app_context():
        used = db.select(db.func.count()).where(ApiToken.last_used_at.is_not(None))
        assert db.session.scalar(used) == 1


def test_a_retry_key_does_not_read_the_token_twice(app: Flask, client: FlaskClient, runner) -> None:
    """The idempotency hook keys the answer by the token's owner before the view runs; the
    view reuses that authentication instead of reading the token again."""
    task_id, headers, body = _resolution_through_the_api(app, client, runner)
    headers["Idempotency-Key"] = "retry-once-0001"
    with _statements(app) as seen:
        response = client.post(f"{API}/tasks/{task_id}/complete", json=body, headers=headers)
    assert response.status_code == 200, response.json
    token_reads = [s for s in seen if s.lstrip().startswith("SELECT") and "FROM api_token" in s]
    assert len(token_reads) == 1, token_reads
    again = client.post(f"{API}/tasks/{task_id}/complete", json=body, headers=headers)
    assert again.status_code == 200 and again.json == response.json  # the kept answer


def test_an_inbox_read_takes_at_most_three_statements(
    app: Flask, client: FlaskClient, runner
) -> None:
    """GET /api/v1/tasks: the token with its user (one SELECT), then the page's total and its
    rows with their assignees (two): the rows carry the complaint columns listed, so however
    many tasks the page holds, no complaint and no assignee is loaded one by one."""
    with app.app_context():
        for _ in range(3):
            j.to_classification()
        j.to_classification(anonymous=True, preferred_contact="none")
    token = issue_token(runner, "supervisor")
    headers = bearer(token)
    assert client.get(f"{API}/me", headers=headers).status_code == 200  # first use recorded
    with _statements(app) as seen:
        response = client.get(f"{API}/tasks?per_page=50", headers=headers)
    assert response.status_code == 200, response.json
    listed = response.json["tasks"]
    assert len(listed) >= 4
    assert all(item["complaint"]["reference"].startswith("C-") for item in listed)
    assert len(seen) <= 3, [s[:80] for s in seen]
