"""What a client sees at the edges of the API: JSON nested too deeply, the Idempotency-Key of a
request without credentials, a page for every problem code, ids beyond the database's
integers, drafts within the form's limits, the scope of each operation as documented, and the
smaller promises of the document (instance, Allow, 400 and 413, 204 without a type, filters)."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from app import input_guards
from app.api import complainant
from app.errors import STATUS_CODES
from services import permissions, users
from services.db import db
from services.models import ApiToken, Complaint, IdempotencyRecord, TaskDraft, WebhookSubscription
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem

ROOT = Path(__file__).resolve().parents[2]
KEY = "0b6f3a52-5c1e-4f0e-9d55-7d1f3b2a9c01"
BIG_ID = 2**31  # one past PostgreSQL's INTEGER
MAX_JSON_DEPTH = getattr(input_guards, "MAX_JSON_DEPTH", 32)


def scoped_token(runner: FlaskCliRunner, username: str, scopes: str, name: str) -> str:
    result = runner.invoke(args=["issue-token", username, "--name", name, "--scopes", scopes])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def nested(levels: int) -> str:
    """A complaint body whose description is `levels` arrays deep."""
    return '{"description":' + "[" * levels + "]" * levels + "}"


# --- JSON nested too deeply ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/complaints", "/tracking/resend-link", "/tokens", "/complaints/intake", "/tasks/x/complete"],
)
@pytest.mark.parametrize("levels", [1000, 200])
def test_json_nested_too_deeply_is_a_400_before_anything_else(app, client, caplog, path, levels):
    before = {model: count(app, model) for model in (Complaint, ApiToken, IdempotencyRecord)}
    for headers in ({}, bearer("cf_not-a-token")):
        with caplog.at_level(logging.WARNING):
            response = client.post(
                API + path,
                data=nested(levels),
                content_type="application/json",
                headers={**headers, "Idempotency-Key": KEY},
            )
        body = problem(response, 400, "bad_request")
        assert body["detail"] == (
            f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of objects "
            "and arrays."
        )
        assert "WWW-Authenticate" not in response.headers
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert {model: count(app, model) for model in before} == before


def test_json_within_the_depth_is_read_as_before(client):
    # Nested, but not too deeply: the form refuses the list for a text field (422).
    inner = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
    response = client.post(
        f"{API}/complaints",
        data='{"description":[' + inner + "]}",
        content_type="application/json",
    )
    assert problem(response, 422, "validation_failed")["errors"]["description"]


# --- Idempotency-Key after authentication ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [
        (
            "/webhooks",
            {"url": "https://hooks.example.org/a", "events": ["complaint.filed"]},
            {"url": "https://hooks.example.org/b", "events": ["task.created"]},
        ),
        ("/tokens", {"name": "first", "scopes": ["read"]}, {"name": "second", "scopes": ["read"]}),
    ],
)
def test_a_request_without_valid_credentials_is_refused_whatever_its_key(
    app, client, runner, path, first, second
):
    read_only = scoped_token(runner, "admin", "read", "read-only")
    refusals = [({}, 401, "unauthorized"), (bearer("cf_not-a-token"), 401, "unauthorized")]
    # Webhooks need the admin scope, tokens the tasks scope: a read-only token has neither.
    refusals.append((bearer(read_only), 403, "insufficient_scope"))
    tokens_before = count(app, ApiToken)
    for credentials, status, code in refusals:
        headers = {**credentials, "Idempotency-Key": KEY}
        for body in (first, first, second):  # a retry, then another request with the key
            response = client.post(API + path, json=body, headers=headers)
            problem(response, status, code)
            assert "Idempotent-Replayed" not in response.headers
        assert count(app, IdempotencyRecord) == 0
    assert count(app, ApiToken) == tokens_before
    assert count(app, WebhookSubscription) == 0
    # The key was never taken: the authenticated request with it is carried out.
    if path == "/tokens":
        working = scoped_token(runner, "admin", "read,tasks", "working")
        made = client.post(
            API + path, json=first, headers={**bearer(working), "Idempotency-Key": KEY}
        )
        assert made.status_code == 201 and "Idempotent-Replayed" not in made.headers
        assert count(app, IdempotencyRecord) == 1


def test_a_refusal_by_the_view_is_not_kept_for_the_key(app, client, runner):
    # A valid token with the scope, refused by the operation itself (another user's tokens
    # need an administrator): answered each time, never replayed.
    token = issue_token(runner, "agent")
    with app.app_context():
        admin_id = users.by_username("admin").id
    headers = {**bearer(token), "Idempotency-Key": KEY}
    body = {"name": "theirs", "scopes": ["read"], "user_id": admin_id}
    for _ in range(2):
        response = client.post(f"{API}/tokens", json=body, headers=headers)
        assert response.status_code == 403, response.json
        assert "Idempotent-Replayed" not in response.headers
    assert count(app, IdempotencyRecord) == 0


def test_a_complainant_action_without_its_token_is_refused_whatever_its_key(app, client):
    headers = {"Idempotency-Key": KEY}
    for body in ({"score": 4}, {"score": 4}, {"score": 2}):
        response = client.post(f"{API}/tracking/survey", json=body, headers=headers)
        problem(response, 401, "tracking_token_required")
        assert "Idempotent-Replayed" not in response.headers
    wrong = {**headers, complainant.HEADER: "not-a-token"}
    for body in ({"score": 4}, {"score": 2}):
        response = client.post(f"{API}/tracking/survey", json=body, headers=wrong)
        problem(response, 404, "tracking_token_invalid")
    assert count(app, IdempotencyRecord) == 0


# --- a page for every problem code -------------------------------------------------------------


def raised_codes() -> set[str]:
    """Every problem code the code base names: `code=` arguments, `code = …` on classes, the
    argument of a helper's `code` parameter, the complainant's refusals and Werkzeug's."""
    codes = set(STATUS_CODES.values())
    codes |= {code for code, _ in complainant.NOT_WAITING.values()}
    codes |= set(permissions.ASSIGNMENT_PROBLEMS)  # services.assignment refuses with these
    for folder in ("app", "services", "forms"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            takes_code = {
                node.name: [a.arg for a in node.args.args].index("code")
                for node in ast.walk(tree)
                if isinstance(node, ast.FunctionDef) and "code" in [a.arg for a in node.args.args]
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                            codes.add(keyword.value.value)
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    index = takes_code.get(name)
                    if index is not None and index < len(node.args):
                        argument = node.args[index]
                        if isinstance(argument, ast.Constant):
                            codes.add(argument.value)
                elif isinstance(node, ast.ClassDef):
                    for statement in node.body:
                        if (
                            isinstance(statement, ast.Assign)
                            and [getattr(t, "id", None) for t in statement.targets] == ["code"]
                            and isinstance(statement.value, ast.Constant)
                        ):
                            codes.add(statement.value.value)
    return {code for code in codes if isinstance(code, str)}


# Codes never answered under /api/ (the API is exempt from CSRF).
PAGES_ONLY = {"csrf_failed"}


def test_every_problem_code_has_its_page(client):
    codes = raised_codes() - PAGES_ONLY
    assert {"four_eyes", "tracking_token_invalid", "method_not_allowed", "task_not_open"} <= codes
    missing = []
    for code in sorted(codes):
        response = client.get(f"{API}/problems/{code}")
        if response.status_code != 200:
            missing.append(code)
            continue
        assert response.json["code"] == code
        assert 400 <= response.json["status"] <= 599 and response.json["description"]
    assert not missing, missing
    # A problem's type is its page, whichever way it was answered.
    refused = client.put(f"{API}/openapi.json")
    assert client.get(problem(refused, 405, "method_not_allowed")["type"]).status_code == 200


def test_the_problem_pages_give_each_code_its_status(client):
    for code, status in (
        ("tracking_token_required", 401),
        ("tracking_token_invalid", 404),
        ("not_waiting_for_information", 409),
        ("survey_not_open", 409),
        ("review_not_available", 409),
        ("unknown_assignee", 422),
        ("assignee_lacks_role", 422),
        ("assignee_not_cleared", 422),
        ("four_eyes", 422),
        ("method_not_allowed", 405),
        ("task_not_open", 409),
        ("deploy_refused", 422),
    ):
        described = client.get(f"{API}/problems/{code}").json
        assert (described["code"], described["status"]) == (code, status)


# --- ids beyond the database's integers ------------------------------------------------------


def test_every_id_beyond_the_column_is_a_404_whatever_the_method(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or "<int:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for big in (str(BIG_ID), "9" * 30, "9" * 5000):
                path = re.sub(r"<int:[^>]+>", big, rule.rule)
                path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "x", path)
                response = client.open(path, method=method)
                body = problem(response, 404, "not_found")
                assert "Allow" not in response.headers, (method, path)
                assert body["instance"] == path
                checked += 1
    assert checked >= 27
    # At the edge, the route is reached (401: it wants a token).
    assert client.delete(f"{API}/webhooks/{BIG_ID - 1}").status_code == 401


# --- drafts within the form's limits --------------------------------------------------------


@pytest.fixture
def draft_url(app):
    complaint_id, _ = file_complaint(app)
    return f"{API}/tasks/{open_task_id(app, complaint_id, 'register_complaint')}/draft"


def test_a_draft_may_be_unfinished_but_not_past_the_forms_limits(app, client, runner, draft_url):
    headers = bearer(issue_token(runner, "agent"))
    for values, field in (
        ({"registration_notes": "x" * 5001}, "registration_notes"),
        ({"missing_information": "x" * 10_000_000}, "missing_information"),
        ({"registration_outcome": "no-such-outcome"}, "registration_outcome"),
    ):
        response = client.put(draft_url, json=values, headers=headers)
        body = problem(response, 422, "validation_failed")
        assert list(body["errors"]) == [field], body
        assert count(app, TaskDraft) == 0
    assert body["errors"] == {"registration_outcome": [body["errors"][field][0]]}
    long = client.put(draft_url, json={"registration_notes": "x" * 5001}, headers=headers)
    assert long.json["errors"] == {"registration_notes": ["At most 5000 characters."]}
    # The choices a draft takes include leaving it empty, named as JSON writes it (the list
    # ended "duplicate, ." with nothing to read where the empty choice was).
    assert body["errors"]["registration_outcome"] == [
        'Choose one of: complete, incomplete, not_a_complaint, duplicate, "".'
    ]
    # Unfinished: required fields left out or empty, half-typed values, unticked boxes.
    unfinished = {
        "registration_notes": "x" * 5000,
        "registration_outcome": "",
        "duplicate_of": "C-20",
        "form_complete": False,
    }
    kept = client.put(draft_url, json=unfinished, headers=headers)
    assert kept.status_code == 200, kept.json
    assert count(app, TaskDraft) == 1


# --- the scope each operation names is the one enforced ----------------------------------------


def test_every_operation_names_the_scope_the_server_enforces(app, client, runner):
    document = client.get(f"{API}/openapi.json").json
    scopes = ["read", "tasks", "intake", "admin"]
    tokens = {scope: scoped_token(runner, "admin", scope, f"only-{scope}") for scope in scopes}
    without = {
        scope: scoped_token(
            runner, "admin", ",".join(s for s in scopes if s != scope), f"all-but-{scope}"
        )
        for scope in scopes
    }
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            named = sorted(
                {
                    s
                    for requirement in operation["security"]
                    for s in requirement.get("bearerAuth", [])
                }
            )
            if not any("bearerAuth" in r for r in operation["security"]):
                continue
            assert named, f"{where} names no scope"
            url = API + re.sub(r"\{[^}]+\}", "1", path)
            body = {} if method in ("post", "put", "patch") else None

            def call(token: str, url: str = url, method: str = method, body: Any = body) -> Any:
                return client.open(url, method=method.upper(), json=body, headers=bearer(token))

            if len(named) == 1:
                [scope] = named
                refused = call(without[scope])
                assert problem(refused, 403, "insufficient_scope"), where
                assert "403" in operation["responses"], f"{where}: its 403 is not documented"
                assert f'scope="{scope}"' in refused.headers["WWW-Authenticate"], where
                allowed = [call(tokens[scope])]
            else:
                assert named == sorted(scopes), where  # any one of them
                allowed = [call(tokens[scope]) for scope in scopes]
            for response in allowed:
                assert response.status_code != 401, where
                assert (response.json or {}).get("code") != "insufficient_scope", where
            checked += 1
    assert checked >= 30


# --- the smaller promises of the document --------------------------------------------------------


def test_a_problems_instance_is_a_uri_reference(client, runner):
    response = client.get(f"{API}/complaints/%C3%86", headers=bearer(issue_token(runner, "agent")))
    assert problem(response, 404, "not_found")["instance"] == f"{API}/complaints/%C3%86"
    spaced = client.get(f"{API}/no where/%25")
    assert problem(spaced, 404, "not_found")["instance"] == f"{API}/no%20where/%25"


@pytest.mark.parametrize("action", ["survey", "review", "information", "resend-link"])
def test_the_complainants_actions_allow_post_only(client, action):
    for method in ("GET", "PUT", "DELETE"):
        response = client.open(f"{API}/tracking/{action}", method=method)
        problem(response, 405, "method_not_allowed")
        assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}, method


def test_the_deprecated_tracking_path_still_reads_a_token(app, client):
    refused = client.get(f"{API}/tracking/not-a-token")
    problem(refused, 404, "not_found")


def test_every_operation_documents_400_and_those_with_a_body_413(client):
    paths = client.get(f"{API}/openapi.json").json["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            assert "400" in operation["responses"], f"{method} {path}"
            if method in ("post", "put", "patch", "delete"):
                assert "413" in operation["responses"], f"{method} {path}"


def test_a_large_body_is_a_413_where_documented(app, client, runner):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    token = issue_token(runner, "agent")
    for path in ("/tokens", "/tracking/resend-link"):
        response = client.post(
            API + path, json={"name": "x" * 2000, "reference": "x" * 2000}, headers=bearer(token)
        )
        problem(response, 413, "payload_too_large")
        assert "413" in client.get(f"{API}/openapi.json").json["paths"][path]["post"]["responses"]


def test_a_nul_character_is_a_documented_400(app, client, runner, draft_url):
    headers = bearer(issue_token(runner, "agent"))
    for response in (
        client.get(f"{API}/tasks?search=a%00b", headers=headers),
        client.get(f"{API}/service-levels?task=a%00b", headers=headers),
        client.put(draft_url, json={"registration_notes": "a\x00b"}, headers=headers),
    ):
        assert problem(response, 400, "bad_request")["detail"] == (
            "The request contains a NUL character."
        )
    assert count(app, TaskDraft) == 0
    paths = client.get(f"{API}/openapi.json").json["paths"]
    for path, method in (
        ("/tasks", "get"),
        ("/service-levels", "get"),
        ("/tasks/{task_id}/draft", "put"),
    ):
        assert "400" in paths[path][method]["responses"], path


def test_a_204_has_no_content_type(app, client, runner, draft_url):
    headers = bearer(issue_token(runner, "agent"))
    assert (
        client.put(draft_url, json={"registration_notes": "n"}, headers=headers).status_code == 200
    )
    for response in (
        client.delete(draft_url, headers=headers),
        client.delete(draft_url, headers=headers),  # nothing left: 204 all the same
    ):
        assert response.status_code == 204
        assert "Content-Type" not in response.headers and response.data == b""
    made = client.post(f"{API}/tokens", json={"name": "gone", "scopes": ["read"]}, headers=headers)
    revoked = client.delete(f"{API}/tokens/{made.json['id']}", headers=headers)
    assert revoked.status_code == 204 and "Content-Type" not in revoked.headers


def test_the_task_list_refuses_unknown_filter_values_as_the_complaint_list_does(client, runner):
    headers = bearer(issue_token(runner, "manager"))
    for parameter in ("status", "category", "severity", "channel"):
        tasks = client.get(f"{API}/tasks?{parameter}=bogus", headers=headers)
        assert list(problem(tasks, 422, "validation_failed")["errors"]) == [parameter]
    complaints = client.get(f"{API}/complaints?status=bogus", headers=headers)
    assert list(problem(complaints, 422, "validation_failed")["errors"]) == ["status"]
    for parameter in ("status=closed", "category=", "severity=high", "channel=web"):
        assert client.get(f"{API}/tasks?{parameter}", headers=headers).status_code == 200
    document = client.get(f"{API}/openapi.json").json
    listed = {p["name"]: p["schema"] for p in document["paths"]["/tasks"]["get"]["parameters"]}
    assert "bogus" not in listed["status"]["enum"] and "closed" in listed["status"]["enum"]


def test_every_query_parameter_takes_an_empty_value_as_the_document_says(client, runner):
    # An empty filter or order is read as leaving it out; an empty number is refused. The
    # schemas said neither: `?status=` was a 200 that each enum refused, `/events?limit=` a
    # 200 where `/complaints?limit=` is a 422.
    from forms.base import json_validator

    readers = [bearer(issue_token(runner, name)) for name in ("manager", "admin")]
    document = client.get(f"{API}/openapi.json").json
    checked = 0
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None or "{" in path:
            continue
        allowed = [h for h in readers if client.get(API + path, headers=h).status_code == 200]
        if not allowed:
            continue
        headers = allowed[0]
        for parameter in operation.get("parameters", []):
            if parameter.get("in") != "query":
                continue
            answer = client.get(f"{API}{path}?{parameter['name']}=", headers=headers)
            documented = json_validator(parameter["schema"]).is_valid("")
            where = f"GET {path}?{parameter['name']}="
            assert answer.status_code == (200 if documented else 422), where
            checked += 1
    assert checked >= 30


def test_an_empty_filter_is_no_filter_and_the_document_says_so(client, runner):
    from forms.base import json_validator

    headers = bearer(issue_token(runner, "manager"))
    document = client.get(f"{API}/openapi.json").json
    for path, name in (("/service-levels", "assignee"), ("/tokens", "user_id")):
        assert client.get(f"{API}{path}?{name}=", headers=headers).status_code == 200
        [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
        assert json_validator(parameter["schema"]).is_valid(""), path
        assert not json_validator(parameter["schema"]).is_valid("x"), path


@pytest.mark.parametrize(
    "value",
    [
        "1",
        "0001000000",
        "999999999",
        "1000000000",
        "2147483647",
        "0",
        "000",
        "2147483648",
        "1e3",
        "-1",
    ],
)
def test_an_id_in_a_query_is_read_as_the_document_says(client, runner, value):
    """The service levels' assignee and the tokens' user_id are read as any id (leading zeros,
    up to the database's 2147483647, from 1), not by the document's old [0-9]{1,9}: it refused
    1000000000 to 2147483647 and 0001000000, which the server reads, and allowed 0, which the
    server refuses."""
    from forms.base import json_validator

    document = client.get(f"{API}/openapi.json").json
    for path, name, reader in (
        ("/service-levels", "assignee", "manager"),
        ("/tokens", "user_id", "admin"),
    ):
        headers = bearer(issue_token(runner, reader))
        [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
        answer = client.get(f"{API}{path}?{name}={value}", headers=headers)
        assert answer.status_code in (200, 404, 422), (path, answer.status_code)
        documented = json_validator(parameter["schema"]).is_valid(value)
        assert (answer.status_code != 422) == documented, (path, value, answer.json)


def test_the_links_lead_from_what_was_made_to_what_may_be_done_with_it(app, client, runner):
    # The document had no links: a client (or a fuzzer's stateful run) had to guess that a
    # new webhook's id is the subscription_id of GET/PATCH/DELETE /webhooks/{id}.
    from openapi_spec_validator import validate

    document = client.get(f"{API}/openapi.json").json
    validate(document)
    operations = {o["operationId"]: o for item in document["paths"].values() for o in item.values()}
    linked = 0
    for item in document["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    target = operations[link["operationId"]]
                    names = {
                        p["name"] if p["in"] != "header" else f"header.{p['name']}"
                        for p in target.get("parameters", [])
                        if "name" in p
                    }
                    # The tracking token is the target's security scheme, not a parameter;
                    # If-Match only where the target declares (and honours) it: saveDraft
                    # was sent one it ignored.
                    if any("trackingToken" in s for s in target.get("security", [])):
                        names.add("header.X-Tracking-Token")
                    assert set(link["parameters"]) <= names, (link, sorted(names))
                    linked += 1
    assert linked >= 10
    # Followed as written: a new subscription is read, changed and removed at its id.
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    headers = bearer(issue_token(runner, "admin"))
    made = client.post(
        f"{API}/webhooks",
        json={"url": "http://127.0.0.1:9/h", "events": ["task.created"]},
        headers=headers,
    ).json
    links = document["paths"]["/webhooks"]["post"]["responses"]["201"]["links"]
    assert links["ShowWebhook"]["parameters"] == {"subscription_id": "$response.body#/id"}
    assert client.get(f"{API}/webhooks/{made['id']}", headers=headers).status_code == 200


# --- secrets shown once are kept out of caches -----------------------------------------------


def test_every_answer_showing_a_secret_once_is_no_store(app, client, runner):
    # POST /tokens answered its secret with Cache-Control: no-store, and GET /tracking is
    # no-store; but filing and intake (the tracking token) and a webhook's new or rotated
    # secret were answered without it, for any cache on the way to keep.
    from tests.app.test_api import VALID_COMPLAINT
    from tests.app.test_api_intake import PHONE_CALL

    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    admin = bearer(issue_token(runner, "admin"))
    filed = client.post(f"{API}/complaints", json=VALID_COMPLAINT)
    taken = client.post(
        f"{API}/complaints/intake", json=PHONE_CALL, headers=bearer(issue_token(runner, "agent"))
    )
    hook = {"url": "http://127.0.0.1:9/h", "events": ["task.created"]}
    made = client.post(f"{API}/webhooks", json=hook, headers=admin)
    rotated = client.patch(made.headers["Location"], json={"rotate_secret": True}, headers=admin)
    for answer, secret in (
        (filed, "tracking_token"),
        (taken, "tracking_token"),
        (made, "secret"),
        (rotated, "secret"),
    ):
        assert answer.status_code in (200, 201) and answer.json[secret], answer.json
        assert answer.headers["Cache-Control"] == "no-store", answer.request.path
    # A change without a new secret shows none, and may be cached as any admin read.
    changed = client.patch(made.headers["Location"], json={"active": False}, headers=admin)
    assert changed.status_code == 200 and "secret" not in changed.json


# What bounds a text already (a file's content, contentMediaType, may hold any byte). A
# pattern bounds it only when no text with a NUL in it matches (r"\S", "not blank", does not).
FREE_TEXT_BOUNDS = {"enum", "const", "not", "format", "contentMediaType"}
WITH_NUL = ("\x00", "x\x00", "\x00x", "x\x00x", "0\x00", "[\x00]")


def refuses_nul(pattern: Any) -> bool:
    return isinstance(pattern, str) and not any(re.search(pattern, text) for text in WITH_NUL)


def test_the_document_says_every_text_a_request_carries_refuses_nul(client):
    """The server refuses a NUL anywhere in a request (400): the document says so of every
    text of a query or a body, not only of the task forms' (a fuzzer counted 43 requests the
    document allowed and the server refused: a webhook's description, a deploy's comment,
    the lists' name, department, search, clock, task and role)."""
    document = client.get(f"{API}/openapi.json").json
    components = document["components"]
    free: list[str] = []

    def walk(schema, where, seen):
        if isinstance(schema, list):
            for item in schema:
                walk(item, where, seen)
            return
        if not isinstance(schema, dict):
            return
        reference = schema.get("$ref")
        if reference:
            name = reference.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(components["schemas"][name], name, seen)
            return
        kind = schema.get("type")
        text = kind == "string" or (isinstance(kind, list) and "string" in kind)
        ruled = any("not" in rule for rule in schema.get("allOf", []))  # the forms' way
        bounded = FREE_TEXT_BOUNDS & set(schema) or refuses_nul(schema.get("pattern"))
        if text and not bounded and not ruled:
            free.append(where)
        # A cross-field rule's if/then only narrows a field its properties define.
        skipped = ("not", "enum", "example", "examples", "default", "description", "if", "then")
        for key, value in schema.items():
            if key not in skipped and key != "else":
                walk(value, f"{where}.{key}", seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "$ref" not in parameter and parameter["in"] == "query":
                    walk(parameter.get("schema"), f"{method} {path} {parameter['name']}", set())
            for item in operation.get("requestBody", {}).get("content", {}).values():
                walk(item.get("schema"), f"{method} {path} body", set())
    assert free == [], "\n".join(free)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/tokens", {"name": "ci\x00", "scopes": ["read"]}),
        ("post", "/processes/deploy", {"files": {"a.bpmn": "<x/>"}, "comment": "why\x00"}),
        ("post", "/processes/versions/1/activate", {"comment": "back\x00"}),
    ],
)
def test_a_nul_in_a_name_or_a_comment_is_refused_by_the_document_as_by_the_server(
    client, runner, method, path, body
):
    r"""A token's name and a deploy's or an activation's comment were bound only by r"\S"
    (not blank), which a text with a NUL in it matches: the document took the body the server
    refuses with a 400 (a fuzzer's activation comment)."""
    from jsonschema import Draft202012Validator

    token = issue_token(runner, "admin")
    document = client.get(f"{API}/openapi.json").json
    operation = document["paths"][re.sub(r"/versions/1/", "/versions/{version_id}/", path)]
    schema = operation[method]["requestBody"]["content"]["application/json"]["schema"]
    resolver = {"$ref": schema["$ref"], "components": document["components"]}
    assert not Draft202012Validator(resolver).is_valid(body)
    assert Draft202012Validator(resolver).is_valid(
        {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in body.items()}
    )
    response = getattr(client, method)(f"{API}{path}", json=body, headers=bearer(token))
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"


def test_a_part_named_with_a_nul_is_refused_by_the_document_as_by_the_server(client, runner):
    """A multipart deploy takes other parts than its files and comment (they are left unread),
    and its schema said nothing of their names: a fuzzer's part named "\\x00" was a 400 the
    document allowed."""
    from forms.base import json_validator

    document = client.get(f"{API}/openapi.json").json
    content = document["paths"]["/processes/deploy"]["post"]["requestBody"]["content"]
    schema = content["multipart/form-data"]["schema"]
    body = {"files": [], "comment": "why"}
    assert json_validator(schema).is_valid({**body, "note": "x"})
    assert not json_validator(schema).is_valid({**body, "no\x00te": "x"})
    response = client.post(
        f"{API}/processes/deploy",
        data={"comment": "why", "no\x00te": "x"},
        headers=bearer(issue_token(runner, "owner")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"
