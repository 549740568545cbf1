"""The JSON API under /api/v1: tokens, filing and tracking, the OpenAPI document, JSON errors."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from forms import FORMS, ComplaintForm
from forms.base import json_validator
from services import users
from services.db import db
from services.models import AuditEvent, Complaint
from tests import journeys
from tests.app.api_helpers import API, bearer, issue_token, problem
from tests.app.helpers import login

VALID_COMPLAINT = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "preferred_contact": "email",
    "product_service": "Washing machine WM-300",
    "purchase_date": "2026-01-10",
    "description": "The machine leaks water from the first wash and nobody answers.",
    "attestation": True,
}


# --- authentication -------------------------------------------------------------------------


def test_task_list_without_token_is_refused_with_a_bearer_challenge(client):
    response = client.get(f"{API}/tasks")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="complaintflow"'
    assert "Authorization: Bearer" in problem(response, 401, "unauthorized")["detail"]


def test_unknown_token_is_refused_as_invalid(client, runner):
    issue_token(runner, "agent")
    response = client.get(f"{API}/tasks", headers=bearer("not-a-real-token"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert problem(response, 401, "unauthorized")["detail"] == "The API token is not valid."


def test_signed_in_session_cookie_alone_does_not_open_the_api(client):
    login(client, "agent")
    assert "Awa Intake" in client.get("/", follow_redirects=True).get_data(as_text=True)
    response = client.get(f"{API}/tasks")
    assert response.status_code == 401
    assert response.is_json


def test_a_new_token_replaces_the_previous_one(client, runner):
    first = issue_token(runner, "agent")
    second = issue_token(runner, "agent")
    assert client.get(f"{API}/tasks", headers=bearer(first)).status_code == 401
    assert client.get(f"{API}/tasks", headers=bearer(second)).status_code == 200


def test_token_of_a_deactivated_user_is_refused(app, client, runner):
    token = issue_token(runner, "agent")
    with app.app_context():
        users.by_username("agent").active = False
        db.session.commit()
    assert client.get(f"{API}/tasks", headers=bearer(token)).status_code == 401


def test_issuing_a_token_for_an_unknown_user_fails(runner):
    result = runner.invoke(args=["issue-token", "nobody"])
    assert result.exit_code != 0
    assert "No active user 'nobody'" in result.output


# --- filing and tracking (public) -----------------------------------------------------------


def test_complaint_filed_through_the_api_is_registered_from_the_web(app, client):
    response = client.post(f"{API}/complaints", json=VALID_COMPLAINT)
    assert response.status_code == 201, response.json
    body = response.json
    assert re.fullmatch(r"C-\d{4}-\d{6}", body["reference"])
    assert body["status"] == "registration"
    assert body["status_label"] == "Being registered"
    assert body["tracking_url"].startswith("http://localhost/")
    assert body["tracking_url"].endswith(body["tracking_token"])
    assert (
        response.headers["Location"]
        == body["links"]["tracking"]
        == "http://localhost/api/v1/tracking"
    )
    # The link is followed with the token in its header, never in the URL (access logs keep it).
    assert body["tracking_token"] not in response.headers["Location"]
    followed = client.get(
        response.headers["Location"], headers={"X-Tracking-Token": body["tracking_token"]}
    )
    assert followed.status_code == 200 and followed.json["reference"] == body["reference"]
    with app.app_context():
        complaint = db.session.scalar(
            db.select(Complaint).where(Complaint.reference == body["reference"])
        )
        assert complaint.channel == "web"
        assert complaint.received_by is None
        assert complaint.complainant_name == "Aminata Diallo"
        assert complaint.consent is True
        assert journeys.open_names(complaint) == ["register_complaint"]


def test_invalid_complaint_is_refused_with_field_errors_and_nothing_is_written(app, client):
    payload = {**VALID_COMPLAINT, "description": "short", "attestation": False, "email": "x"}
    response = client.post(f"{API}/complaints", json=payload)
    body = problem(response, 422, "validation_failed")
    assert set(body["errors"]) == {"description", "attestation", "email"}
    assert body["errors"]["attestation"] == ["Confirm that the information is accurate."]
    assert body["instance"] == f"{API}/complaints"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 0
        events = db.select(db.func.count(AuditEvent.id)).where(AuditEvent.complaint_id.is_not(None))
        assert db.session.scalar(events) == 0


@pytest.mark.parametrize("body", [[VALID_COMPLAINT], "complaint", None])
def test_complaint_body_that_is_not_a_json_object_is_refused(app, client, body):
    response = client.post(f"{API}/complaints", json=body)
    body = problem(response, 422, "validation_failed")
    assert body["detail"] == "Send a JSON object with the form's fields."
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 0


def test_filing_through_the_api_is_rate_limited(client):
    statuses = [client.post(f"{API}/complaints", json={}).status_code for _ in range(11)]
    assert statuses == [422] * 10 + [429]
    response = client.post(f"{API}/complaints", json=VALID_COMPLAINT)
    body = problem(response, 429, "rate_limited")
    assert body["detail"] == "Too many requests; wait a moment and try again."
    assert int(response.headers["Retry-After"]) > 0
    french = client.post(
        f"{API}/complaints", json=VALID_COMPLAINT, headers={"Accept-Language": "fr"}
    )
    assert problem(french, 429, "rate_limited")["detail"].startswith("Trop de demandes")


def test_complainant_tracks_status_in_plain_words_with_public_timeline(client):
    filed = client.post(f"{API}/complaints", json=VALID_COMPLAINT).json
    response = client.get(f"{API}/tracking/{filed['tracking_token']}")
    assert response.status_code == 200
    body = response.json
    assert body["reference"] == filed["reference"]
    assert (body["status"], body["status_label"]) == ("registration", "Being registered")
    assert body["language"] == "en"
    assert [step["step"] for step in body["timeline"]] == ["received"]
    assert body["awaiting_information"] is False
    assert body["awaiting_survey"] is False
    assert "aminata@example.org" not in response.get_data(as_text=True)


def test_tracking_answers_in_the_language_the_client_prefers(client):
    filed = client.post(f"{API}/complaints", json=VALID_COMPLAINT).json
    response = client.get(
        f"{API}/tracking/{filed['tracking_token']}", headers={"Accept-Language": "fr-FR,fr"}
    )
    assert response.json["language"] == "fr"
    assert response.json["status_label"] == "En cours d'enregistrement"
    # The answer names its language, as errors and pages do.
    assert response.headers["Content-Language"] == "fr"
    english = client.get(f"{API}/tracking/{filed['tracking_token']}")
    assert english.headers["Content-Language"] == "en"


def test_tracking_says_which_information_the_complainant_must_send(app, client):
    filed = client.post(f"{API}/complaints", json=VALID_COMPLAINT).json
    with app.app_context():
        complaint = db.session.scalar(
            db.select(Complaint).where(Complaint.reference == filed["reference"])
        )
        journeys.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            missing_information="A photo of the leak.",
        )
        journeys.write_messages()  # as the delivery worker does when it sends the request
    body = client.get(f"{API}/tracking/{filed['tracking_token']}").json
    assert body["status"] == "awaiting_information"
    assert body["awaiting_information"] is True
    assert body["information_requested"] == "A photo of the leak."
    assert "information_request" in [step["step"] for step in body["timeline"]]
    assert [message["kind"] for message in body["messages"]] == ["information_request"]


def test_tracking_says_the_survey_is_awaited_after_closure(app, client):
    filed = client.post(f"{API}/complaints", json=VALID_COMPLAINT).json
    with app.app_context():
        complaint = db.session.scalar(
            db.select(Complaint).where(Complaint.reference == filed["reference"])
        )
        journeys.complete(complaint, "register_complaint")
        journeys.complete(complaint, "classify_complaint")
        journeys.complete(complaint, "resolve_minor")
        journeys.complete(complaint, "sign_off_minor")
    body = client.get(f"{API}/tracking/{filed['tracking_token']}").json
    assert body["awaiting_survey"] is True
    assert body["awaiting_information"] is False
    assert body["status_label"] == "Waiting for the complainant's opinion on how we handled it"


def test_unknown_tracking_token_is_a_json_404(client):
    response = client.get(f"{API}/tracking/no-such-token")
    assert response.status_code == 404
    assert problem(response, 404, "not_found")["detail"] == "This tracking link is not valid."


def test_every_status_of_the_procedure_has_plain_words():
    from forms.choices import STATUSES
    from services.workflows import BACKGROUND_PHASES, WAITING_STATUS

    bpmn = (Path(__file__).parents[2] / "processes" / "complaint_handling.bpmn").read_text()
    phases = set(re.findall(r'name="phase" value="([a-z_]+)"', bpmn)) - BACKGROUND_PHASES
    statuses = phases | set(WAITING_STATUS.values()) | {"received", "in_progress", "closed"}
    assert statuses <= {value for value, _ in STATUSES}


# --- the OpenAPI document and errors --------------------------------------------------------


def test_openapi_document_is_valid_and_describes_every_form(app, client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    schemas = document["components"]["schemas"]
    with app.test_request_context():
        assert schemas["ComplaintForm"] == ComplaintForm.json_schema()
        for form_cls in FORMS.values():
            assert schemas[form_cls.__name__] == form_cls.json_schema()
    completion = document["paths"]["/tasks/{task_id}/complete"]["post"]
    assert set(completion["x-form-keys"]) == set(FORMS)
    assert schemas["Task"]["properties"]["form_key"]["type"] == "string"
    options = {entry["$ref"] for entry in schemas["TaskCompletion"]["oneOf"]}
    assert options == {f"#/components/schemas/{cls.__name__}" for cls in FORMS.values()}
    required = ["type", "title", "status", "detail", "code", "instance"]
    assert schemas["Problem"]["required"] == required


def as_json(name: str, value: Any) -> Any:
    """A journey answer as a JSON client sends it: amounts as numbers, dates as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    return float(value) if name.endswith(("_impact", "_amount")) else value


def test_each_valid_task_body_matches_exactly_one_form_of_the_completion_schema(client):
    document = client.get(f"{API}/openapi.json").json
    completion = {
        "$ref": "#/components/schemas/TaskCompletion",
        "components": document["components"],
    }
    form_keys = document["paths"]["/tasks/{task_id}/complete"]["post"]["x-form-keys"]
    for key in FORMS:
        body = {name: as_json(name, value) for name, value in journeys.ANSWERS[key].items()}
        own = {"$ref": form_keys[key], "components": document["components"]}
        assert json_validator(own).is_valid(body), key
        assert json_validator(completion).is_valid(body), key  # oneOf: no other form matches
        for other in set(FORMS) - {key}:
            other_schema = {"$ref": form_keys[other], "components": document["components"]}
            assert not json_validator(other_schema).is_valid(body), (key, other)


def test_openapi_document_lists_every_api_route(app, client):
    paths = client.get(f"{API}/openapi.json").json["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix(API)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path} is not documented"


def test_unknown_api_path_is_a_json_404(client):
    response = client.get(f"{API}/no-such-thing")
    problem(response, 404, "not_found")


def test_wrong_method_on_the_api_is_a_json_405(client, runner):
    response = client.delete(f"{API}/tasks", headers=bearer(issue_token(runner, "agent")))
    problem(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.put(f"{API}/complaints").json["status"] == 405


def test_unexpected_failure_in_the_api_is_a_json_500(app, client):
    def broken() -> None:
        raise RuntimeError("boom")

    app.add_url_rule(f"{API}/broken", "broken", broken)
    response = client.get(f"{API}/broken")
    assert response.status_code == 500
    body = problem(response, 500, "internal_error")
    assert body["detail"] == "Something went wrong; nothing was saved."
