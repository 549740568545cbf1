"""Schema fuzzing: schemathesis generates requests from /api/v1/openapi.json and sends them to
the WSGI app, bounded in examples (derandomized, so a run is repeatable).

It checks that no request gets a 5xx, and, for the public filing and the completion of each
of each task form, that the published schema is the contract both ways: a body valid
against it is accepted (201/200) and a body it refuses is refused (422, or 400 for a NUL
character, which the schemas exclude too, and for bytes that are not JSON at all). "Valid" is
decided by forms.base.json_validator, the validator the server uses (draft 2020-12, formats
checked, multipleOf over the decimal the JSON writes, formatMaximum on dates). The one rule no
schema can state, that a duplicate names an existing complaint, is allowed its own 422.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from forms import FORMS, ComplaintForm
from forms.base import json_validator
from services import tracking
from services.db import db
from services.models import Complaint, Task
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token

EXAMPLES = 10  # per generation mode and operation (or form)
COMPLETE = "/tasks/{task_id}/complete"
# Fuzzed below against their forms' schemas, server errors included.
CONTRACT_TESTED = {"POST /complaints"}


def _escalated(target: str = "legal_counsel") -> Complaint:
    complaint = j.to_investigation()
    j.complete(
        complaint,
        "investigate_complaint",
        escalation_requested=True,
        escalation_target=target,
        escalation_reason="A contract clause is disputed.",
    )
    return complaint


def _approved(target: str) -> Callable[[], Complaint]:
    def reach() -> Complaint:
        complaint = _escalated(target)
        j.complete(complaint, "approve_escalation")
        return complaint

    return reach


def _police_outcome() -> Complaint:
    complaint = _approved("police")()
    j.complete(complaint, "refer_to_police")
    return complaint


def _resolving() -> Complaint:
    complaint = j.to_investigation()
    j.complete(complaint, "investigate_complaint")
    return complaint


def _consent() -> Complaint:
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", sensitive=True)
    return complaint


def _referral() -> Complaint:
    complaint = _consent()
    j.complete(complaint, "record_consent")
    return complaint


def _confidential() -> Complaint:
    complaint = _referral()
    j.complete(complaint, "refer_support")
    return complaint


def _signing_off() -> Complaint:
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor")
    return complaint


def _overdue() -> Complaint:
    return j.overdue(j.file(), "acknowledge")


def _escalated_delay() -> Complaint:
    complaint = _overdue()
    j.complete(
        complaint,
        "review_overdue_acknowledgement",
        overdue_action="escalated",
        escalate_to=j.user(j.ACTORS["handle_escalated_delay"]).id,
    )
    return complaint


def _closed(score: int) -> Complaint:
    complaint = j.to_survey()
    tracking.answer_survey(j.refreshed(complaint), score, "")
    db.session.commit()
    return complaint


def _low_score() -> Complaint:
    return _closed(1)


def _appealed() -> Complaint:
    complaint = _closed(4)
    tracking.request_review(j.refreshed(complaint), "The refund never arrived.")
    db.session.commit()
    return complaint


# Each form key: how to reach a complaint waiting at one of its tasks, and the task's name.
# The token is of j.ACTORS[form_key], who may do that task (none of them did an earlier task
# the diagram's notBy excludes: the supervisor resolves, the manager signs off and reviews).
AT_TASK: dict[str, tuple[Callable[[], Complaint], str]] = {
    "register_complaint": (j.file, "register_complaint"),
    "classify_complaint": (j.to_classification, "classify_complaint"),
    "resolve_minor": (j.to_minor_resolution, "resolve_minor"),
    "investigate_complaint": (j.to_investigation, "investigate_complaint"),
    "approve_escalation": (_escalated, "approve_escalation"),
    "legal_review": (_approved("legal_counsel"), "legal_review"),
    "senior_management_decision": (
        _approved("senior_management"),
        "senior_management_decision",
    ),
    "police_referral": (_approved("police"), "refer_to_police"),
    "police_outcome": (_police_outcome, "record_police_outcome"),
    "resolve_complaint": (_resolving, "resolve_major"),
    "record_consent": (_consent, "record_consent"),
    "refer_support": (_referral, "refer_support"),
    "handle_confidential": (_confidential, "handle_confidential"),
    "sign_off": (_signing_off, "sign_off_minor"),
    "review_overdue": (_overdue, "review_overdue_acknowledgement"),
    "handle_escalated_delay": (_escalated_delay, "handle_escalated_delay_acknowledgement"),
    "follow_up_satisfaction": (_low_score, "follow_up_low_satisfaction"),
    "review_case": (_appealed, "review_case"),
}


def complaint_at(app: Flask, form_key: str) -> str:
    """The id of an open task with `form_key`, on a complaint driven there by the services."""
    reach, name = AT_TASK[form_key]
    with app.app_context():
        task = j.open_task(reach(), name)
        assert task.form_key == form_key
        return task.id


def test_every_form_key_is_fuzzed_at_a_task_of_the_diagram():
    assert set(AT_TASK) == set(FORMS)


def bounded(strategy: st.SearchStrategy, check: Callable[[Any], None], examples: int) -> None:
    """Run `check` on `examples` cases drawn from `strategy`, repeatably, without shrinking."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        check(case)

    run()


def has_nul(value: Any) -> bool:
    """Whether a NUL character is anywhere in a JSON value (or a raw body's bytes)."""
    if isinstance(value, bytes):
        return b"\x00" in value
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def parses(data: bytes) -> bool:
    """Whether `data` is well-formed JSON (RFC 8259: UTF-8 text)."""
    try:
        json.loads(data.decode("utf-8"))
    except ValueError:
        return False
    return True


def body_only(headers: dict[str, Any] | None) -> dict[str, Any]:
    """The generated headers without those that may refuse a valid body on their own: here
    only the body is under test (Idempotency-Key and If-Match have tests of their own)."""
    return {
        name: value
        for name, value in (headers or {}).items()
        if name.lower() not in ("idempotency-key", "if-match")
    }


def assert_contract(
    response: Any, body: Any, schema: dict[str, Any], success: int, case: Any
) -> None:
    """Valid against `schema` → `success`; otherwise a 422 (400 for a NUL character, and for
    bytes that are no JSON at all)."""
    shown = f"{case.method} {case.formatted_path} {body!r} → {response.status_code} {response.text}"
    assert response.status_code < 500, shown
    if isinstance(body, bytes) and has_nul(body):  # a raw NUL byte: 400 before anything else
        assert response.status_code == 400, shown
        return
    if isinstance(body, bytes) and body and not parses(body):  # empty: no body, the view's 422
        assert response.status_code == 400, shown
        assert response.json()["code"] == "invalid_json", shown
        return
    if not isinstance(body, dict | list | str | int | float | bool | type(None)):
        body = None  # no body sent
    if json_validator(schema).is_valid(body):
        details = response.json().get("errors", {}) if response.status_code == 422 else {}
        if list(details) == ["duplicate_of"] and details["duplicate_of"][0].startswith(
            ("No complaint has the reference", "A complaint cannot duplicate itself")
        ):
            return  # the database rule (the schema cannot know which complaints exist)
        assert response.status_code == success, shown
    elif has_nul(body):
        assert response.status_code in (400, 422), shown
    else:
        assert response.status_code == 422, shown


@pytest.fixture
def document(client) -> dict[str, Any]:
    """The published OpenAPI document."""
    return client.get(f"{API}/openapi.json").json


@pytest.fixture
def fuzz_app(app: Flask) -> Flask:
    """The app with a filing rate limit that a fuzzer does not reach."""
    app.config["API_FILING_RATE_LIMIT"] = "100000 per minute"
    return app


# schemathesis mines the application's modules for literals to try (about 0.25 s of parsing
# for each schema object it is given, cached on that object): one pool for the whole session.
_CONSTANTS: list[Any] = []


def served_by(schema: Any, app: Flask) -> Any:
    """`schema` sending its requests to `app`, with the session's constants pool."""
    from schemathesis.python._constants.orchestrator import build_constants_pool
    from schemathesis.python._constants.registry import default_registry

    schema.app = app
    if _CONSTANTS:
        schema._constants_pool_cache = (app, default_registry().version, _CONSTANTS[0])
    else:
        _CONSTANTS.append(build_constants_pool(schema))
    return schema


# The document's operations are fuzzed in this many tests, so that the test workers share them.
SHARDS = 3


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_request_generated_from_the_document_is_a_server_error(fuzz_app, runner, shard):
    schema = served_by(schemathesis.openapi.from_wsgi(f"{API}/openapi.json", fuzz_app), fuzz_app)
    headers = bearer(issue_token(runner, "admin"))

    def check(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 2 * SHARDS  # every shard has operations to fuzz
    for operation in operations[shard::SHARDS]:
        if operation.label in CONTRACT_TESTED:
            continue
        bounded(operation.as_strategy(), check, EXAMPLES)
        if operation.path in ("/tracking/{token}", "/openapi.json"):
            continue  # any text is a token, and the document takes nothing: nothing to break
        negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
        bounded(negative, check, EXAMPLES)


def test_public_filing_accepts_exactly_what_its_schema_accepts(fuzz_app):
    schema = served_by(schemathesis.openapi.from_wsgi(f"{API}/openapi.json", fuzz_app), fuzz_app)
    operation = schema["/complaints"]["POST"]
    with fuzz_app.test_request_context():
        form_schema = ComplaintForm.json_schema()

    def check(case: Any) -> None:
        case.headers = body_only(case.headers)
        response = case.call()
        assert_contract(response, case.body, form_schema, 201, case)

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        bounded(operation.as_strategy(generation_mode=mode), check, 3 * EXAMPLES)


@pytest.mark.parametrize("form_key", sorted(FORMS))
def test_each_task_accepts_exactly_what_its_form_schema_accepts(
    fuzz_app, client, runner, document, form_key
):
    headers = bearer(issue_token(runner, j.ACTORS[form_key]))
    waiting = complaint_at(fuzz_app, form_key)  # stays open: only refused bodies reach it
    # The operation's body is the oneOf of all forms; the task's own form_key picks one
    # (x-form-keys), so each form is fuzzed with the document narrowed to its schema: the
    # one the task publishes (payload_schema), with the choices read from data (the support
    # services, the people an overdue step may go to).
    payload_schema = client.get(f"{API}/tasks/{waiting}", headers=headers).json["payload_schema"]
    narrowed = copy.deepcopy(document)
    operation_doc = narrowed["paths"][COMPLETE]["post"]
    operation_doc["requestBody"]["content"]["application/json"]["schema"] = {
        "$ref": operation_doc["x-form-keys"][form_key]
    }
    narrowed["components"]["schemas"][FORMS[form_key].__name__] = payload_schema
    schema = served_by(schemathesis.openapi.from_dict(narrowed), fuzz_app)
    operation = schema[COMPLETE]["POST"]
    form_schema = {**payload_schema, "components": narrowed["components"]}
    accepted, refused = [], []

    def check(case: Any) -> None:
        valid = json_validator(form_schema).is_valid(case.body)
        # A valid body completes the task, so it gets a task of its own.
        task_id = complaint_at(fuzz_app, form_key) if valid else waiting
        case.path_parameters = {"task_id": task_id}
        # Negative mode may also drop the token: here only the body is under test.
        case.headers = {**body_only(case.headers), **headers}
        response = case.call()
        assert_contract(response, case.body, form_schema, 200, case)
        if response.status_code == 200:
            accepted.append(task_id)
        else:
            refused.append(response.status_code)

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        bounded(operation.as_strategy(generation_mode=mode), check, EXAMPLES)
    # Both directions were tried: some bodies accepted, some refused.
    assert accepted and 422 in refused
    with fuzz_app.app_context():
        assert db.session.get(Task, waiting).status == "open"
        for task_id in accepted:
            assert db.session.get(Task, task_id).status == "completed"


@pytest.mark.parametrize(
    ("form_key", "body"),
    [
        (
            "refer_support",
            {
                "consent_confirmed": True,
                "referral_date": "2026-11-01",
                "referral_notes": None,
            },
        ),
        ("review_overdue", {"overdue_action": "escalated", "overdue_comment": None}),
    ],
)
def test_a_body_with_a_choice_filled_from_data_is_checked_against_the_task_schema(
    fuzz_app, client, runner, form_key, body
):
    headers = bearer(issue_token(runner, j.ACTORS[form_key]))
    task_id = complaint_at(fuzz_app, form_key)
    schema = client.get(f"{API}/tasks/{task_id}", headers=headers).json["payload_schema"]
    # The last choice the task offers (a support service, a person to escalate to).
    choice = "provider" if form_key == "refer_support" else "escalate_to"
    body = {**body, choice: schema["properties"][choice]["enum"][-1]}
    assert not json_validator(schema).is_valid(body)
    response = client.post(f"{API}/tasks/{task_id}/complete", json=body, headers=headers)
    assert response.status_code == 422, response.json


DRAFT = "/tasks/{task_id}/draft"
# Drafts of the response letter's form and of forms with choices filled from data (support
# services, people), and the registration.
DRAFTED = ("register_complaint", "resolve_complaint", "refer_support", "review_overdue")


@pytest.mark.parametrize("form_key", DRAFTED)
def test_a_draft_is_kept_exactly_when_its_draft_schema_accepts_it(
    fuzz_app, client, runner, document, form_key
):
    headers = bearer(issue_token(runner, j.ACTORS[form_key]))
    task_id = complaint_at(fuzz_app, form_key)  # a draft leaves the task open: one will do
    draft_schema = client.get(f"{API}/tasks/{task_id}", headers=headers).json["draft_schema"]
    # As for completions: the document narrowed to the task's own schema (x-form-keys).
    narrowed = copy.deepcopy(document)
    operation_doc = narrowed["paths"][DRAFT]["put"]
    reference = operation_doc["x-form-keys"][form_key]
    operation_doc["requestBody"]["content"]["application/json"]["schema"] = {"$ref": reference}
    narrowed["components"]["schemas"][reference.rsplit("/", 1)[1]] = draft_schema
    schema = served_by(schemathesis.openapi.from_dict(narrowed), fuzz_app)
    operation = schema[DRAFT]["PUT"]
    kept, refused = [], []

    def check(case: Any) -> None:
        case.path_parameters = {"task_id": task_id}
        case.headers = {**body_only(case.headers), **headers}
        response = case.call()
        assert_contract(response, case.body, draft_schema, 200, case)
        (kept if response.status_code == 200 else refused).append(response.status_code)

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        bounded(operation.as_strategy(generation_mode=mode), check, EXAMPLES)
    assert kept and 422 in refused
