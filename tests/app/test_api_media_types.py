"""The bodies the API reads: each operation with a request body reads the media types its
document lists, and a body of another type is a 415 naming them (app/api/media.py decides
for every operation), never a 422 about the fields."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from app.api import media
from services.db import db
from services.models import (
    ApiToken,
    Complaint,
    IdempotencyRecord,
    ProcessVersion,
    TaskDraft,
    WebhookSubscription,
)
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem
from tests.app.test_api import VALID_COMPLAINT

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def complaints(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Complaint))


def operations_with_a_body(document: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(method, path) → the media types of its request body, as the document lists them."""
    return {
        (method, path): list(operation["requestBody"]["content"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }


def test_every_operation_reads_exactly_the_media_types_its_document_lists(app, client):
    document = client.get(f"{API}/openapi.json").json
    documented = operations_with_a_body(document)
    declared = {}
    for rule in app.url_map.iter_rules():
        types = getattr(app.view_functions[rule.endpoint], media.ATTRIBUTE, None)
        if rule.endpoint.startswith("api.") and types:
            path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(API))
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                declared[(method.lower(), path)] = list(types)
    assert len(documented) >= 15
    assert {key: sorted(types) for key, types in declared.items()} == {
        key: sorted(types) for key, types in documented.items()
    }
    for method, path in documented:
        response = document["paths"][path][method]["responses"]["415"]
        assert response == {"$ref": "#/components/responses/UnsupportedMediaType"}, path
    described = document["components"]["responses"]["UnsupportedMediaType"]
    assert "Accept" in described["headers"]
    assert document["paths"]["/tasks/{task_id}/claim"]["post"]["responses"].get("415") is None


def test_a_form_encoded_filing_is_a_415_naming_json(app, client):
    # The outside client's case: the public form's fields, urlencoded, were a 422.
    response = client.post(f"{API}/complaints", data={**VALID_COMPLAINT, "attestation": "y"})
    body = problem(response, 415, "unsupported_media_type")
    assert body["title"] == "Unsupported Media Type"
    assert body["detail"] == (
        "Send the body as one of: application/json (the Content-Type header says which)."
    )
    assert body["accepted_types"] == ["application/json"]
    assert response.headers["Accept"] == "application/json"
    assert complaints(app) == 0
    # The same fields as JSON are filed.
    assert client.post(f"{API}/complaints", json=VALID_COMPLAINT).status_code == 201
    assert complaints(app) == 1


def test_the_415_speaks_french_to_a_french_client(client):
    response = client.post(
        f"{API}/complaints", data="description=fuite", headers={"Accept-Language": "fr"}
    )
    body = problem(response, 415, "unsupported_media_type")
    assert body["detail"] == (
        "Envoyez le corps dans l'un de ces types\u00a0: application/json (l'en-tête "
        "Content-Type indique lequel)."
    )
    assert response.headers["Content-Language"] == "fr"


def test_every_operation_with_a_body_refuses_another_type_with_a_415(app, client, runner):
    # Authenticated for every scope, so that each operation reaches its body; the roles and
    # the ids (1) do not matter, as the body's type is refused first.
    app.config["PUBLIC_POST_RATE_LIMIT"] = app.config["API_FILING_RATE_LIMIT"] = "1000/minute"
    headers = bearer(issue_token(runner, "admin"))
    document = client.get(f"{API}/openapi.json").json
    for (method, path), types in operations_with_a_body(document).items():
        url = API + re.sub(r"\{[^}]+\}", "1", path)
        for content_type, data in (
            (FORM, "name=x&comment=y"),
            ("text/plain", '{"name": "x"}'),
            (None, '{"name": "x"}'),  # a body without a Content-Type is no JSON either
        ):
            response = client.open(
                url,
                method=method.upper(),
                data=data,
                headers={**headers, **({"Content-Type": content_type} if content_type else {})},
            )
            body = problem(response, 415, "unsupported_media_type")
            assert body["accepted_types"] == types, (method, path)
            assert response.headers["Accept"] == ", ".join(types), (method, path)


def test_json_only_where_files_are_not_taken_and_multipart_where_they_are(app, client, runner):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    agent = bearer(issue_token(runner, "agent"))
    # Files go in multipart: a JSON body to the task's files was a 422 about the field.
    refused = client.post(f"{API}/tasks/{task_id}/attachments", json={}, headers=agent)
    assert problem(refused, 415, "unsupported_media_type")["accepted_types"] == [
        "multipart/form-data"
    ]
    # Intake takes both; multipart is read as the form it is (here, refused field by field).
    intake = client.post(
        f"{API}/complaints/intake",
        data={"channel": "phone"},
        content_type="multipart/form-data",
        headers=agent,
    )
    assert problem(intake, 422, "validation_failed")["errors"]
    # application/json with a charset is JSON.
    charset = client.post(
        f"{API}/complaints",
        data='{"description": "x"}',
        content_type="application/json; charset=utf-8",
    )
    assert problem(charset, 422, "validation_failed")["errors"]


def test_no_body_at_all_is_still_the_views_422(client, runner):
    response = client.post(f"{API}/complaints")
    body = problem(response, 422, "validation_failed")
    assert body["errors"] == {"body": ["The input must be a JSON object."]}


def test_a_refused_type_is_replayed_like_any_client_error(app, client, runner):
    headers = {**bearer(issue_token(runner, "admin")), "Idempotency-Key": "media-type-1"}
    first = client.post(f"{API}/tokens", data="name=x", content_type=FORM, headers=headers)
    again = client.post(f"{API}/tokens", data="name=x", content_type=FORM, headers=headers)
    problem(first, 415, "unsupported_media_type")
    assert again.status_code == 415 and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Accept"] == "application/json"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(IdempotencyRecord)) == 1


@pytest.mark.parametrize("path", ["/tracking/survey", "/tracking/information"])
def test_the_complainants_actions_name_their_types_before_the_token(client, path):
    response = client.post(API + path, data="score=5", content_type=FORM)
    expected = (
        ["application/json"]
        if path.endswith("survey")
        else [
            "application/json",
            "multipart/form-data",
        ]
    )
    assert problem(response, 415, "unsupported_media_type")["accepted_types"] == expected


# --- JSON that does not parse: 400, not the 422 of input that fails validation ----------------

MALFORMED = (
    '{"a":',
    '{"name": "x",}',
    "{'name': 'x'}",
    b'{"name": "\xff"}',
    # Python's reader takes these three; JSON (RFC 8259) has no such values.
    "NaN",
    '{"description": Infinity}',
    '{"amount": -Infinity}',
    # Half of a surrogate pair, in a value or a key, or the halves the wrong way round: JSON's
    # reader takes them, no database can store them (a draft or a step's data holding one
    # was taken with a 200, then the complaint's page failed for everyone).
    r'{"name": "sur\ud800"}',
    r'{"\udfff": 1}',
    r'{"notes": ["a\udc00\ud800"]}',
)


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (Complaint, ApiToken, WebhookSubscription, ProcessVersion, TaskDraft)
        }


def test_every_operation_reading_json_refuses_json_that_does_not_parse_with_a_400(
    app, client, runner
):
    # Each answered 422 validation_failed ("Send a JSON object…"), as for a body of the wrong
    # fields: the client could not tell a broken body from a refused one.
    app.config["PUBLIC_POST_RATE_LIMIT"] = app.config["API_FILING_RATE_LIMIT"] = "1000/minute"
    app.config["RESEND_LINK_RATE_LIMIT"] = "1000/minute"
    headers = bearer(issue_token(runner, "admin"))
    document = client.get(f"{API}/openapi.json").json
    before = counts(app)
    reading_json = {
        key: types for key, types in operations_with_a_body(document).items() if JSON in types
    }
    assert len(reading_json) >= 14
    for method, path in reading_json:
        url = API + re.sub(r"\{[^}]+\}", "1", path)
        for data in MALFORMED:
            response = client.open(
                url, method=method.upper(), data=data, content_type=JSON, headers=headers
            )
            body = problem(response, 400, "invalid_json")
            assert body["detail"].startswith("The body is not well-formed JSON: "), body
            assert body["detail"].endswith(" Nothing was done."), body
            assert response.headers["Content-Language"] == "en"
        # The document says so: its 400 names invalid_json.
        responses = document["paths"][path][method]["responses"]
        assert responses["400"] == {"$ref": "#/components/responses/BadJsonRequest"}, path
    assert counts(app) == before


def test_the_400_says_where_the_json_breaks_off_in_the_readers_language(client):
    broken = '{\n  "description": "It leaks",\n  "attestation": true,\n'
    english = client.post(f"{API}/complaints", data=broken, content_type=JSON)
    assert problem(english, 400, "invalid_json")["detail"] == (
        "The body is not well-formed JSON: the error is at line 4, column 1. Nothing was done."
    )
    french = client.post(
        f"{API}/complaints", data=broken, content_type=JSON, headers={"Accept-Language": "fr"}
    )
    assert problem(french, 400, "invalid_json")["detail"] == (
        "Le corps n'est pas du JSON bien formé\u00a0: l'erreur est à la ligne 4, colonne 1. "
        "Rien n'a été fait."
    )
    assert french.headers["Content-Language"] == "fr"
    latin1 = client.post(
        f"{API}/complaints",
        data='{"description": "Fuite d\'eau à la cuisine"}'.encode("latin-1"),
        content_type=JSON,
    )
    assert problem(latin1, 400, "invalid_json")["detail"] == (
        "The body is not well-formed JSON: it is not UTF-8 text. Nothing was done."
    )
    french_latin1 = client.post(
        f"{API}/complaints",
        data='{"description": "Fuite d\'eau à la cuisine"}'.encode("latin-1"),
        content_type=JSON,
        headers={"Accept-Language": "fr"},
    )
    assert problem(french_latin1, 400, "invalid_json")["detail"] == (
        "Le corps n'est pas du JSON bien formé\u00a0: ce n'est pas du texte UTF-8. "
        "Rien n'a été fait."
    )


def test_well_formed_json_that_fails_validation_is_still_a_422(client, runner):
    headers = bearer(issue_token(runner, "admin"))
    for path, body in (
        ("/complaints", {"description": "x"}),
        ("/complaints", []),
        ("/tokens", {"name": 3}),
        ("/webhooks", {"url": "not a url"}),
    ):
        response = client.post(f"{API}{path}", json=body, headers=headers)
        assert problem(response, 422, "validation_failed")["errors"], path
    # An empty body sent as JSON says what is missing, as no body at all does.
    empty = client.post(f"{API}/complaints", data="", content_type=JSON)
    assert problem(empty, 422, "validation_failed")["errors"] == {
        "body": ["The input must be a JSON object."]
    }


def test_the_400_of_json_that_does_not_parse_is_replayed_and_has_its_page(app, client, runner):
    headers = {**bearer(issue_token(runner, "admin")), "Idempotency-Key": "broken-json-1"}
    first = client.post(f"{API}/tokens", data='{"name":', content_type=JSON, headers=headers)
    again = client.post(f"{API}/tokens", data='{"name":', content_type=JSON, headers=headers)
    problem(first, 400, "invalid_json")
    assert again.status_code == 400 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    page = client.get(first.json["type"])
    assert page.status_code == 200
    assert (page.json["code"], page.json["status"]) == ("invalid_json", 400)
    assert "not well-formed JSON" in page.json["description"]
    # Operations that read no JSON keep the 400 every operation answers.
    document = client.get(f"{API}/openapi.json").json
    for path, method in (
        ("/tasks/{task_id}/claim", "post"),
        ("/tasks/{task_id}/attachments", "post"),
        ("/tasks", "get"),
    ):
        refused = document["paths"][path][method]["responses"]["400"]
        assert refused == {"$ref": "#/components/responses/BadRequest"}, path
    described = document["components"]["responses"]["BadJsonRequest"]
    assert "invalid_json" in described["description"]
    assert described["content"]["application/problem+json"]["example"]["code"] == "invalid_json"


def test_nan_and_infinity_are_not_json(client):
    """An outside client sent NaN and got a 422 "must be a JSON object", as for valid JSON."""
    response = client.post(f"{API}/complaints", data='{"description": NaN}', content_type=JSON)
    assert problem(response, 400, "invalid_json")["detail"] == (
        "The body is not well-formed JSON: NaN is not a JSON value (RFC 8259). Nothing was done."
    )
    french = client.post(
        f"{API}/complaints",
        data="Infinity",
        content_type=JSON,
        headers={"Accept-Language": "fr"},
    )
    assert problem(french, 400, "invalid_json")["detail"].startswith(
        "Le corps n'est pas du JSON bien formé\u00a0: Infinity n'est pas une valeur JSON"
    )


def test_half_a_surrogate_pair_is_not_a_character_and_a_whole_pair_is(app, client):
    response = client.post(
        f"{API}/complaints",
        data=r'{"complainant_name": "Aminata \ud800"}',
        content_type=JSON,
        headers={"Accept-Language": "fr"},
    )
    assert problem(response, 400, "invalid_json")["detail"].startswith(
        "Le corps n'est pas du JSON bien formé\u00a0: "
    )
    english = client.post(f"{API}/complaints", data=r'{"a": "\udc00"}', content_type=JSON)
    assert problem(english, 400, "invalid_json")["detail"] == (
        "The body is not well-formed JSON: a string holds half of a surrogate pair (such as "
        "\\ud800 alone), which is no character. Nothing was done."
    )
    # An emoji written as its escaped pair is one character: read, then judged as any value.
    whole = client.post(
        f"{API}/complaints", data=r'{"description": "\ud83d\ude00"}', content_type=JSON
    )
    assert whole.status_code == 422 and whole.json["code"] == "validation_failed"
