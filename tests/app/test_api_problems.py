"""API errors are RFC 9457 problem details with a stable code; pages keep their HTML errors."""

from __future__ import annotations

import pytest
from sqlalchemy.orm.exc import StaleDataError

from app.api import openapi
from services import users, workflows
from services.db import db
from services.models import Complaint, Task
from tests import journeys
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem
from tests.app.helpers import post_form
from tests.app.test_api import VALID_COMPLAINT


@pytest.fixture
def as_user(runner):
    return lambda username: bearer(issue_token(runner, username))


def test_a_validation_problem_names_its_fields_and_the_request(client):
    response = client.post(f"{API}/complaints", json={**VALID_COMPLAINT, "email": "x"})
    body = problem(response, 422, "validation_failed")
    assert body["title"] == "Unprocessable Entity"
    assert body["detail"] == "Please correct the highlighted fields."
    assert body["instance"] == f"{API}/complaints"
    assert list(body["errors"]) == ["email"]


def test_a_body_that_is_not_json_is_a_bad_request_not_a_validation_problem(client):
    # It was a 422 validation_failed "Send a JSON object", as for JSON with the wrong fields.
    response = client.post(f"{API}/complaints", data="{not json", content_type="application/json")
    body = problem(response, 400, "invalid_json")
    assert body["title"] == "Bad Request"
    assert body["detail"] == (
        "The body is not well-formed JSON: the error is at line 1, column 2. Nothing was done."
    )
    assert "errors" not in body


def test_werkzeug_errors_are_problems_too(app, client):
    assert problem(client.get(f"{API}/nowhere"), 404, "not_found")["instance"] == f"{API}/nowhere"
    refused = client.put(f"{API}/openapi.json")
    problem(refused, 405, "method_not_allowed")
    assert "GET" in refused.headers["Allow"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    large = client.post(f"{API}/complaints", json={**VALID_COMPLAINT, "description": "x" * 2000})
    problem(large, 413, "payload_too_large")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 0


def test_the_two_conflicts_have_two_codes(app, client, as_user):
    def racing() -> None:
        # What a save from a stale copy of the workflow raises at flush.
        with workflows._stale_state_is_a_conflict():
            raise StaleDataError("the version changed")

    app.add_url_rule(f"{API}/racing", "racing", racing)
    busy = problem(client.get(f"{API}/racing"), 409, "concurrent_change")
    assert busy["detail"].startswith("Someone else changed this complaint at the same time")

    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    url = f"{API}/tasks/{task_id}/complete"
    answers = journeys.ANSWERS["register_complaint"]
    assert client.post(url, json=answers, headers=as_user("agent")).status_code == 200
    again = client.post(url, json=answers, headers=as_user("agent"))
    assert problem(again, 409, "task_already_completed")["title"] == "Conflict"


def test_authorisation_problems(app, client, as_user):
    problem(client.get(f"{API}/tasks"), 401, "unauthorized")
    complaint_id, _ = file_complaint(app)
    with app.app_context():
        users.create_user("agent2", "Abdou Intake", "demo-password", ["intake_agent"])
        db.session.commit()
    task_id = open_task_id(app, complaint_id, "register_complaint")
    client.post(f"{API}/tasks/{task_id}/claim", headers=as_user("agent"))
    taken = client.post(
        f"{API}/tasks/{task_id}/complete",
        json=journeys.ANSWERS["register_complaint"],
        headers=as_user("agent2"),
    )
    problem(taken, 403, "forbidden")
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"


def test_an_unexpected_failure_is_a_problem_that_tells_nothing_inside(app, client):
    def broken() -> None:
        raise RuntimeError("boom")

    app.add_url_rule(f"{API}/broken", "broken", broken)
    body = problem(client.get(f"{API}/broken"), 500, "internal_error")
    assert "boom" not in body["detail"]


def test_pages_keep_their_html_errors_and_other_json_clients_their_shape(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "This page does not exist." in page.get_data(as_text=True)
    json_client = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert json_client.mimetype == "application/json"
    assert json_client.json["status"] == 404 and "code" not in json_client.json


def test_every_operation_has_examples_that_fit_its_schemas(client):
    from forms.base import json_validator

    document = client.get(f"{API}/openapi.json").json
    components = document["components"]
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert "security" in operation, where
            body = operation.get("requestBody")
            if body is not None:
                media = next(iter(body["content"].values()))
                assert "example" in media, f"{where}: no request example"
                validator = json_validator({**media["schema"], "components": components})
                assert validator.is_valid(media["example"]), where
                checked += 1
            successes = [r for s, r in operation["responses"].items() if s.startswith("2")]
            with_body = [r for r in successes if "content" in r]
            assert with_body or successes[0].get("description"), where
            for response in with_body:
                media = next(iter(response["content"].values()))
                assert "example" in media, f"{where}: no response example"
                validator = json_validator({**media["schema"], "components": components})
                errors = [e.message for e in validator.iter_errors(media["example"])]
                assert not errors, (where, errors[:3])
                checked += 1
            if method == "post":
                names = {p.get("name") or p.get("$ref") for p in operation["parameters"]}
                assert "#/components/parameters/IdempotencyKey" in names, where
    for name, response in components["responses"].items():
        media = response["content"]["application/problem+json"]
        validator = json_validator({**media["schema"], "components": components})
        assert validator.is_valid(media["example"]), name
    assert checked >= 14


def test_the_document_states_scopes_limits_and_problems(app, client):
    document = client.get(f"{API}/openapi.json").json
    paths = document["paths"]
    assert paths["/tasks"]["get"]["security"] == [{"bearerAuth": ["read"]}]
    for action in ("claim", "unclaim", "complete"):
        operation = paths[f"/tasks/{{task_id}}/{action}"]["post"]
        assert operation["security"] == [{"bearerAuth": ["tasks"]}]
        assert "412" in operation["responses"]
    assert paths["/tasks/{task_id}/draft"]["put"]["security"] == [{"bearerAuth": ["tasks"]}]
    filing = paths["/complaints"]["post"]
    assert "10 per minute and 100 per day" in filing["description"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
        filing["responses"]["201"]["headers"]
    )
    assert {"413", "429"} <= set(filing["responses"])
    responses = document["components"]["responses"]
    assert "Retry-After" in responses["TooManyRequests"]["headers"]
    assert str(app.config["MAX_CONTENT_LENGTH"]) in responses["PayloadTooLarge"]["description"]
    assert "task_already_completed" in responses["Conflict"]["description"]
    assert "concurrent_change" in responses["Conflict"]["description"]
    assert {"PreconditionFailed", "PreconditionRequired", "PayloadTooLarge"} <= set(responses)


def test_a_problem_type_says_what_its_code_means(client):
    refused = client.post(f"{API}/complaints", json={})
    body = problem(refused, 422, "validation_failed")
    described = client.get(body["type"])
    assert described.status_code == 200
    assert described.json["code"] == "validation_failed" and described.json["status"] == 422
    assert "`errors` maps each field" in described.json["description"]
    for code, status in (
        ("task_already_completed", 409),
        ("concurrent_change", 409),
        ("precondition_failed", 412),
        ("idempotency_key_reused", 422),
    ):
        described = client.get(f"{API}/problems/{code}").json
        assert (described["code"], described["status"]) == (code, status)
    # Each code says what it means, not every code of its status in turn.
    conflict = client.get(f"{API}/problems/concurrent_change").json["description"]
    assert conflict.startswith("The complaint was changed by another request")
    assert "task_already_completed" not in conflict
    scope = client.get(f"{API}/problems/insufficient_scope").json
    assert (scope["status"], scope["description"]) == (
        403,
        "The API token lacks the scope this operation needs (`read`, `tasks`, `intake` or "
        "`admin`); create a token with it.",
    )
    forbidden = client.get(f"{API}/problems/forbidden").json["description"]
    assert "scope" not in forbidden and "assigned to someone else" in forbidden
    unknown = problem(client.get(f"{API}/problems/no_such_code"), 404, "not_found")
    assert unknown["detail"] == "No problem has this code."


# --- the problem pages, in the reader's language ----------------------------------------------

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_a_problem_page_speaks_the_readers_language(client):
    # The pages a problem's `type` leads to were in English whatever the reader's language.
    english = client.get(f"{API}/problems/four_eyes")
    assert english.status_code == 200
    assert english.json == {
        "code": "four_eyes",
        "status": 422,
        "description": "The person handled an earlier step the task must be checked against: "
        "four-eyes rule (`errors.assignee_id`).",
    }
    assert english.headers["Content-Language"] == "en"
    assert "Accept-Language" in english.headers["Vary"]
    french = client.get(f"{API}/problems/four_eyes", headers=FRENCH)
    assert french.json == {
        "code": "four_eyes",
        "status": 422,
        "description": "La personne a traité une étape précédente que la tâche doit "
        "contrôler\u00a0: règle des quatre yeux (`errors.assignee_id`).",
    }
    assert french.headers["Content-Language"] == "fr"
    depth = client.get(f"{API}/problems/bad_request", headers=FRENCH).json["description"]
    assert depth.startswith("La requête n'a pas pu être lue\u00a0: un caractère NUL")
    assert "plus de 32 niveaux" in depth
    # The interface's language switch chooses it too, as for the pages.
    post_form(client, "/lang/fr", {"next": "/auth/login"}, form_url="/auth/login")
    chosen = client.get(f"{API}/problems/tracking_token_invalid")
    assert chosen.headers["Content-Language"] == "fr"
    assert chosen.json["description"] == "Aucune réclamation n'a ce jeton de suivi."


def test_every_problem_page_has_its_french(client):
    missing = []
    for code, described in openapi.problem_codes().items():
        english = client.get(f"{API}/problems/{code}").json["description"]
        french = client.get(f"{API}/problems/{code}", headers=FRENCH).json["description"]
        assert english == str(described["description"])  # the document's words
        if french == english:
            missing.append(code)
    assert not missing, missing


def test_a_problems_title_is_in_the_readers_language(client, as_user):
    # The title was HTTP's English reason phrase whatever the reader's language.
    sent = {**VALID_COMPLAINT, "email": "x"}
    french = client.post(f"{API}/complaints", json=sent, headers=FRENCH)
    body = problem(french, 422, "validation_failed")
    assert body["title"] == "Entité non traitable"
    assert body["detail"] == "Veuillez corriger les champs signalés."
    assert french.headers["Content-Language"] == "fr"
    missing = client.get(f"{API}/tasks/no-such-task", headers={**as_user("supervisor"), **FRENCH})
    assert problem(missing, 404, "not_found")["title"] == "Introuvable"
    # English keeps the reason phrase a program may have matched on.
    english = client.post(f"{API}/complaints", json=sent)
    assert problem(english, 422, "validation_failed")["title"] == "Unprocessable Entity"
