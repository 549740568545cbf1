"""ETag and If-Match on tasks and complaints; the RateLimit headers of rate-limited operations."""

from __future__ import annotations

import pytest

from services.db import db
from services.models import Task
from tests import journeys
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem
from tests.app.test_api import VALID_COMPLAINT


@pytest.fixture
def agent(runner) -> dict[str, str]:
    return bearer(issue_token(runner, "agent"))


def task_url(app) -> tuple[int, str]:
    complaint_id, _ = file_complaint(app)
    return complaint_id, f"{API}/tasks/{open_task_id(app, complaint_id, 'register_complaint')}"


def test_a_stale_if_match_completes_nothing(app, client, agent):
    _, url = task_url(app)
    read = client.get(url, headers=agent)
    etag = read.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert client.get(url, headers=agent).headers["ETag"] == etag  # nothing changed
    claimed = client.post(f"{url}/claim", headers={**agent, "If-Match": etag})
    assert claimed.status_code == 200
    assert claimed.headers["ETag"] != etag
    assert client.get(url, headers=agent).headers["ETag"] == claimed.headers["ETag"]
    answers = journeys.ANSWERS["register_complaint"]
    stale = client.post(f"{url}/complete", json=answers, headers={**agent, "If-Match": etag})
    body = problem(stale, 412, "precondition_failed")
    assert "changed since you read it" in body["detail"]
    with app.app_context():
        assert db.session.get(Task, url.rsplit("/", 1)[1]).status == "open"
    # A weak tag never matches (strong comparison); the current one does.
    weak = client.post(
        f"{url}/complete",
        json=answers,
        headers={**agent, "If-Match": "W/" + claimed.headers["ETag"]},
    )
    problem(weak, 412, "precondition_failed")
    done = client.post(
        f"{url}/complete",
        json=answers,
        headers={**agent, "If-Match": f'"other", {claimed.headers["ETag"]}'},
    )
    assert done.status_code == 200 and done.json["status"] == "completed"
    assert done.headers["ETag"] not in (etag, claimed.headers["ETag"])


def test_if_match_is_optional_and_star_matches_any_task(app, client, agent):
    _, url = task_url(app)
    assert client.post(f"{url}/claim", headers=agent).status_code == 200
    assert client.post(f"{url}/unclaim", headers={**agent, "If-Match": "*"}).status_code == 200
    problem(
        client.post(f"{url}/claim", headers={**agent, "If-Match": '"old"'}),
        412,
        "precondition_failed",
    )
    with app.app_context():
        assert db.session.get(Task, url.rsplit("/", 1)[1]).assignee_id is None


@pytest.mark.parametrize("sent", ["3", "W/3", "3f1d0c9a", '"a", b'])
def test_an_unquoted_if_match_is_refused_and_changes_nothing(app, client, agent, sent):
    _, url = task_url(app)
    current = client.get(url, headers=agent).headers["ETag"]
    for value in (sent, current.strip('"')):  # even the current ETag, unquoted
        body = problem(
            client.post(f"{url}/claim", headers={**agent, "If-Match": value}),
            400,
            "invalid_if_match",
        )
        assert "The ETag in If-Match must be quoted" in body["detail"]
    with app.app_context():
        assert db.session.get(Task, url.rsplit("/", 1)[1]).assignee_id is None
    described = client.get(f"{API}/problems/invalid_if_match").json
    assert described["status"] == 400 and "not quoted" in described["description"]


def test_a_complaint_has_an_etag_that_changes_with_it(app, client, agent, runner):
    complaint_id, url = task_url(app)
    manager = bearer(issue_token(runner, "manager"))
    complaint_url = f"{API}/complaints/{complaint_id}"
    before = client.get(complaint_url, headers=manager).headers["ETag"]
    assert client.get(complaint_url, headers=manager).headers["ETag"] == before
    answers = journeys.ANSWERS["register_complaint"]
    assert client.post(f"{url}/complete", json=answers, headers=agent).status_code == 200
    assert client.get(complaint_url, headers=manager).headers["ETag"] != before


def test_filing_answers_the_ratelimit_headers(app, client, agent):
    first = client.post(f"{API}/complaints", json=VALID_COMPLAINT)
    second = client.post(f"{API}/complaints", json={})  # refused requests count too
    assert first.headers["RateLimit-Limit"] == "10"  # the tightest: 10 per minute
    assert first.headers["RateLimit-Remaining"] == "9"
    assert second.headers["RateLimit-Remaining"] == "8"
    assert 0 <= int(first.headers["RateLimit-Reset"]) <= 60
    assert first.headers["X-RateLimit-Limit"] == "10"  # the older names, kept
    # An operation without a limit has none of them.
    listed = client.get(f"{API}/tasks", headers=agent)
    assert listed.status_code == 200 and "RateLimit-Limit" not in listed.headers


def test_every_rate_limited_operation_documents_its_ratelimit_headers(app, client):
    # The document says rate-limited operations say so and answer the RateLimit headers; the
    # complainant's POST /tracking/* answered them (and 429) but documented neither.
    from tests.app.test_api_complainant import filed, header

    paths = client.get(f"{API}/openapi.json").json["paths"]
    _, token = filed(client)
    for path, body in (
        ("/tracking/survey", {"score": 4}),
        ("/tracking/information", {"information_reply": "Invoice 4411."}),
        ("/tracking/review", {"review_reason": "The refund never came."}),
        ("/tracking/resend-link", {"reference": "C-2026-000001", "contact": "a@example.org"}),
        ("/complaints", {}),
    ):
        answer = client.post(f"{API}{path}", json=body, headers=header(token))
        assert "RateLimit-Limit" in answer.headers and answer.status_code != 429, path
        operation = paths[path]["post"]
        assert "RateLimit-Limit" in operation["description"], path
        [success] = [r for status, r in operation["responses"].items() if status < "300"]
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
            success["headers"]
        ), path
        # Only a refusal says when to retry: a client would wait after a success for nothing.
        assert "Retry-After" not in answer.headers, path
        assert "Retry-After" not in success["headers"], path


def test_a_request_past_the_limit_says_when_to_retry(app, client):
    for _ in range(10):
        client.post(f"{API}/complaints", json={})
    refused = client.post(f"{API}/complaints", json=VALID_COMPLAINT)
    problem(refused, 429, "rate_limited")
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
