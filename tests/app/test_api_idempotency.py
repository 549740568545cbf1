"""Idempotency-Key on the API's POSTs: a retry gets the first answer, and the work is done once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.clock import utcnow
from services.db import db
from services.models import AuditEvent, Complaint, IdempotencyRecord, Task
from tests import journeys
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem
from tests.app.test_api import VALID_COMPLAINT
from tests.app.test_api_complainant import bring_to_survey, filed, header
from tests.app.test_engine_errors import COUNT_SCRIPT, INCOMPLETE, deploy_with, registration_task

KEY = "5f0c8f7e-3b2a-4c47-9a51-1f6d2b9e8a10"


def complaints_filed(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Complaint.id)))


def records(app) -> list[IdempotencyRecord]:
    with app.app_context():
        rows = db.session.scalars(db.select(IdempotencyRecord)).all()
        db.session.expunge_all()
        return list(rows)


def test_filing_twice_with_the_same_key_files_one_complaint(app, client):
    headers = {"Idempotency-Key": KEY}
    first = client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    # The same body, its keys in another order: the same request.
    again = client.post(
        f"{API}/complaints", json=dict(reversed(VALID_COMPLAINT.items())), headers=headers
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.mimetype == "application/json"
    assert complaints_filed(app) == 1
    [record] = records(app)
    assert record.work_committed and record.status == 201
    # The kept answer holds the tracking token shown once: it is stored sealed, not in clear.
    assert first.json["tracking_token"].encode() not in record.body
    assert record.body.startswith(b"sealed:")
    # Without a key, or with another one, it is another complaint.
    assert client.post(f"{API}/complaints", json=VALID_COMPLAINT).status_code == 201
    other = client.post(
        f"{API}/complaints", json=VALID_COMPLAINT, headers={"Idempotency-Key": "k2"}
    )
    assert other.status_code == 201 and other.json["reference"] != first.json["reference"]
    assert complaints_filed(app) == 3


def test_the_same_key_with_another_body_is_refused(app, client):
    headers = {"Idempotency-Key": KEY}
    assert (
        client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers=headers).status_code == 201
    )
    changed = {**VALID_COMPLAINT, "product_service": "Dryer D-10"}
    refused = client.post(f"{API}/complaints", json=changed, headers=headers)
    body = problem(refused, 422, "idempotency_key_reused")
    assert "another request" in body["detail"]
    assert complaints_filed(app) == 1


def test_keys_belong_to_their_sender(app, client):
    headers = {"Idempotency-Key": KEY}
    first = client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers=headers)
    elsewhere = client.post(
        f"{API}/complaints",
        json=VALID_COMPLAINT,
        headers=headers,
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert elsewhere.status_code == 201 and "Idempotent-Replayed" not in elsewhere.headers
    assert elsewhere.json["reference"] != first.json["reference"]
    assert sorted(r.principal for r in records(app)) == [
        "address:127.0.0.1",
        "address:192.0.2.7",
    ]


def test_a_weaker_token_of_the_same_person_is_not_given_a_stronger_ones_answer(app, client):
    """Keys are the token's, not its owner's: a read-and-tasks token that sent the key and
    body an admin token sent was replayed the admin-scoped token that one minted, secret
    included, although it may not mint one itself."""
    runner = app.test_cli_runner()
    strong = issue_token(runner, "admin")
    result = runner.invoke(
        args=["issue-token", "admin", "--name", "weak", "--scopes", "read,tasks"]
    )
    weak = result.output.strip().splitlines()[-1]
    body = {"name": "minted", "scopes": ["read", "tasks", "admin"]}
    headers = {"Idempotency-Key": KEY}
    first = client.post(f"{API}/tokens", json=body, headers={**headers, **bearer(strong)})
    assert first.status_code == 201 and first.json["scopes"] == ["read", "tasks", "admin"]
    again = client.post(f"{API}/tokens", json=body, headers={**headers, **bearer(weak)})
    assert "Idempotent-Replayed" not in again.headers
    assert first.json["secret"] not in again.get_data(as_text=True)
    problem(again, 422, "validation_failed")
    # The stronger token's own retry is still its first answer.
    retry = client.post(f"{API}/tokens", json=body, headers={**headers, **bearer(strong)})
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json == first.json


def test_a_complainants_keys_are_their_complaints_not_their_address(app, client):
    """Two complainants behind one address (a shared office, an advice centre) who send the
    same key and the same answer each get their own: the second is not given the first's
    status and timeline, and the second's survey is recorded."""
    (first_reference, first_token), (second_reference, second_token) = filed(client), filed(client)
    for reference in (first_reference, second_reference):
        bring_to_survey(app, reference)
    answers = [
        client.post(
            f"{API}/tracking/survey",
            json={"score": 4},
            headers={**header(token), "Idempotency-Key": "survey"},
        )
        for token in (first_token, second_token)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert "Idempotent-Replayed" not in answers[1].headers
    assert [a.json["reference"] for a in answers] == [first_reference, second_reference]
    with app.app_context():
        scores = db.session.scalars(
            db.select(Complaint.satisfaction_score).where(
                Complaint.reference.in_([first_reference, second_reference])
            )
        ).all()
    assert scores == [4, 4]


@pytest.mark.parametrize("key", ["", "with space", "é", "x" * 256])
def test_a_malformed_key_is_a_bad_request(app, client, key):
    response = client.post(
        f"{API}/complaints", json=VALID_COMPLAINT, headers={"Idempotency-Key": key}
    )
    problem(response, 400, "invalid_idempotency_key")
    assert complaints_filed(app) == 0


def test_a_refused_request_is_replayed(app, client):
    headers = {"Idempotency-Key": KEY}
    bad = {**VALID_COMPLAINT, "email": "x"}
    refused = client.post(f"{API}/complaints", json=bad, headers=headers)
    problem(refused, 422, "validation_failed")
    replayed = client.post(f"{API}/complaints", json=bad, headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.mimetype == "application/problem+json" and replayed.json == refused.json
    [record] = records(app)
    assert not record.work_committed  # nothing was saved with it


def test_a_server_error_is_not_kept_a_retry_runs_again(app, client, runner):
    # A diagram whose step runs away: completing the task is a 500, and nothing is saved.
    deploy_with(app, COUNT_SCRIPT, "while True:\n        pass")
    _, task_id = registration_task(app)
    headers = {**bearer(issue_token(runner, "agent")), "Idempotency-Key": KEY}
    url = f"{API}/tasks/{task_id}/complete"
    assert client.post(url, json=INCOMPLETE, headers=headers).status_code == 500
    assert records(app) == []  # the key is free again
    retried = client.post(url, json=INCOMPLETE, headers=headers)
    assert retried.status_code == 500 and "Idempotent-Replayed" not in retried.headers
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"


def test_a_request_in_flight_holds_its_key_until_its_lease_ends(app, client):
    with app.app_context():
        now = utcnow()
        db.session.add(
            IdempotencyRecord(
                principal="address:127.0.0.1",
                key=KEY,
                method="POST",
                path=f"{API}/complaints",
                fingerprint=fingerprint_of(VALID_COMPLAINT),
                locked_until=now + timedelta(seconds=30),
                expires_at=now + timedelta(hours=24),
            )
        )
        db.session.commit()
    headers = {"Idempotency-Key": KEY}
    busy = client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers=headers)
    problem(busy, 409, "idempotency_in_progress")
    assert complaints_filed(app) == 0
    with app.app_context():
        record = db.session.scalar(db.select(IdempotencyRecord))
        record.locked_until = utcnow() - timedelta(seconds=1)  # the first request died
        db.session.commit()
    taken_over = client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers=headers)
    assert taken_over.status_code == 201
    assert complaints_filed(app) == 1
    [record] = records(app)
    assert record.status == 201 and record.locked_until is None


def fingerprint_of(body: dict) -> str:
    import json

    from services import idempotency

    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return idempotency.fingerprint("POST", f"{API}/complaints", canonical)


def test_answers_are_kept_a_day_then_purged(app, client):
    headers = {"Idempotency-Key": KEY}
    client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers=headers)
    [record] = records(app)
    # Kept 24 hours from the answer.
    kept = record.expires_at - record.created_at
    assert timedelta(hours=24) <= kept < timedelta(hours=24, minutes=1)
    with app.app_context():
        db.session.execute(
            db.update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    # The old answer is gone: the same key files anew, and the expired record is deleted.
    again = client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert complaints_filed(app) == 2
    assert [r.status for r in records(app)] == [201]


def test_a_retried_completion_is_done_once_and_answered_the_same(app, client, runner):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    headers = {**bearer(issue_token(runner, "agent")), "Idempotency-Key": KEY}
    url = f"{API}/tasks/{task_id}/complete"
    answers = journeys.ANSWERS["register_complaint"]
    first = client.post(url, json=answers, headers=headers)
    assert first.status_code == 200
    retry = client.post(url, json=answers, headers=headers)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json == first.json and retry.headers["ETag"] == first.headers["ETag"]
    # Without the key, the same completion is the conflict it is.
    problem(
        client.post(url, json=answers, headers=bearer(issue_token(runner, "agent"))),
        409,
        "task_already_completed",
    )
    with app.app_context():
        assert db.session.get(Task, task_id).status == "completed"
        done = db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "task_completed"
        )
        assert db.session.scalar(done) == 1
    [record] = records(app)
    assert record.principal.startswith("token:")


def test_saved_work_whose_answer_was_lost_is_never_done_again(app, client):
    # What a request leaves if it dies after its commit and before its answer is kept.
    with app.app_context():
        now = utcnow()
        db.session.add(
            IdempotencyRecord(
                principal="address:127.0.0.1",
                key=KEY,
                method="POST",
                path=f"{API}/complaints",
                fingerprint=fingerprint_of(VALID_COMPLAINT),
                work_committed=True,
                locked_until=now - timedelta(seconds=1),
                expires_at=now + timedelta(hours=24),
            )
        )
        db.session.commit()
    retry = client.post(f"{API}/complaints", json=VALID_COMPLAINT, headers={"Idempotency-Key": KEY})
    assert "answer was lost" in problem(retry, 409, "idempotency_answer_lost")["detail"]
    assert complaints_filed(app) == 0


def test_only_posts_document_the_replay_header(app, client, runner):
    # GET /tasks/{id}, GET /complaints/{id} and GET /processes/versions/{id} shared their
    # answer's headers with a POST's, so the document said a GET could be a replay
    # (Idempotent-Replayed), which no GET takes a key for nor ever answers.
    document = client.get(f"{API}/openapi.json").json
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                headers = response.get("headers", {})
                if method == "post" and status.startswith("2"):
                    assert "Idempotent-Replayed" in headers, (method, path, status)
                else:
                    assert "Idempotent-Replayed" not in headers, (method, path, status)
    # What the server does: a GET sent with a key is read afresh, never replayed.
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    headers = {**bearer(issue_token(runner, "agent")), "Idempotency-Key": KEY}
    for _ in range(2):
        read = client.get(f"{API}/tasks/{task_id}", headers=headers)
        assert read.status_code == 200 and "Idempotent-Replayed" not in read.headers


def test_a_replayed_secret_is_kept_out_of_caches_as_the_first_answer(app, client, runner):
    # The answer of POST /tokens (the token's secret) is no-store; its replay under the same
    # Idempotency-Key gave the same secret without Cache-Control, for any cache to keep.
    headers = {**bearer(issue_token(runner, "supervisor")), "Idempotency-Key": KEY}
    body = {"name": "retried", "scopes": ["read"], "expires_in_days": 1}
    first = client.post(f"{API}/tokens", json=body, headers=headers)
    assert first.status_code == 201 and first.headers["Cache-Control"] == "no-store"
    again = client.post(f"{API}/tokens", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["secret"] == first.json["secret"]
    assert again.headers["Cache-Control"] == "no-store"
