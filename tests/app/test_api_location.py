"""The Location header of the API's answers: one form (an absolute URL) for every operation that
sends it, documented on each response that carries it."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from services import processes
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.test_api import VALID_COMPLAINT
from tests.app.test_api_intake import PHONE_CALL


def active_files(app: Flask) -> dict[str, str]:
    with app.app_context():
        return dict(processes.active_version().files)


def test_every_location_is_an_absolute_url_that_leads_to_what_was_made(app, client, runner):
    # Filing answered an absolute URL, intake, tokens, webhooks and deploys a path.
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    admin = bearer(issue_token(runner, "admin"))
    agent = bearer(issue_token(runner, "agent"))
    owner = bearer(issue_token(runner, "owner"))
    filed = client.post(f"{API}/complaints", json=VALID_COMPLAINT)
    answers = {
        ("/complaints", "201"): filed,
        ("/complaints/intake", "201"): client.post(
            f"{API}/complaints/intake", json=PHONE_CALL, headers=agent
        ),
        ("/tokens", "201"): client.post(
            f"{API}/tokens", json={"name": "ci", "scopes": ["read"]}, headers=admin
        ),
        ("/webhooks", "201"): client.post(
            f"{API}/webhooks",
            json={"url": "http://127.0.0.1:9/h", "events": ["task.created"]},
            headers=admin,
        ),
        # The files of the active version again: unchanged, 200 naming that version.
        ("/processes/deploy", "200"): client.post(
            f"{API}/processes/deploy",
            json={"files": active_files(app), "comment": "again"},
            headers=owner,
        ),
    }
    document = client.get(f"{API}/openapi.json").json
    for (path, status), answer in answers.items():
        assert str(answer.status_code) == status, (path, answer.json)
        location = answer.headers["Location"]
        parts = urlsplit(location)
        assert (parts.scheme, parts.netloc) == ("http", "localhost"), (path, location)
        assert parts.path.startswith(f"{API}/"), (path, location)
        header = document["paths"][path]["post"]["responses"][status]["headers"]["Location"]
        assert header["schema"] == {"type": "string", "format": "uri"}, path
        assert "absolute URL" in header["description"], path
    # Each leads where the document says: the tracking status, the complaint, the version.
    tracked = client.get(
        answers[("/complaints", "201")].headers["Location"],
        headers={"X-Tracking-Token": filed.json["tracking_token"]},
    )
    assert tracked.status_code == 200 and tracked.json["reference"] == filed.json["reference"]
    recorded = answers[("/complaints/intake", "201")]
    shown = client.get(recorded.headers["Location"], headers=agent)
    assert shown.status_code == 200 and shown.json["reference"] == recorded.json["reference"]
    made = answers[("/webhooks", "201")]
    read = client.get(made.headers["Location"], headers=admin)
    assert read.status_code == 200 and read.json["id"] == made.json["id"]
    deployed = answers[("/processes/deploy", "200")]
    version = client.get(deployed.headers["Location"], headers=owner)
    assert version.status_code == 200 and version.json["id"] == deployed.json["id"]
    token = answers[("/tokens", "201")]
    assert client.delete(token.headers["Location"], headers=admin).status_code == 204
    # A new deploy's 201 documents it too.
    created = document["paths"]["/processes/deploy"]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["schema"]["format"] == "uri"


def test_a_replayed_answer_keeps_its_absolute_location(app, client, runner):
    admin = bearer(issue_token(runner, "admin"))
    headers = {**admin, "Idempotency-Key": "location-replay-1"}
    body = {"name": "replayed", "scopes": ["read"]}
    first = client.post(f"{API}/tokens", json=body, headers=headers)
    again = client.post(f"{API}/tokens", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert first.headers["Location"] == f"http://localhost{API}/tokens/{first.json['id']}"
