"""Drafts through the API (PUT /tasks/{task_id}/draft), on the response letter of a major
complaint's resolution: the document publishes the exact schema of a draft, and a draft
that breaks it is refused with every field's problem at once, as the other 422s name them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from forms.base import json_validator
from services.db import db
from services.models import TaskDraft
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token, problem

LETTER = "We have replaced the machine and refunded the delivery; thank you for telling us."


@pytest.fixture
def resolving(app: Flask) -> str:
    """The id of an open resolution of a major complaint (its form writes the letter)."""
    with app.app_context():
        complaint = j.to_investigation()
        j.complete(complaint, "investigate_complaint")
        return j.open_task(complaint, "resolve_major").id


@pytest.fixture
def headers(runner) -> dict[str, str]:
    return bearer(issue_token(runner, j.ACTORS["resolve_complaint"]))


def drafts(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return [d.values for d in db.session.scalars(db.select(TaskDraft))]


def test_the_document_publishes_the_exact_schema_of_a_draft(app, client, resolving, headers):
    document = client.get(f"{API}/openapi.json").json
    operation = document["paths"]["/tasks/{task_id}/draft"]["put"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/TaskDraftValues"}
    schemas = document["components"]["schemas"]
    # It was {"type": "object"}: any key, any type.
    reference = operation["x-form-keys"]["resolve_complaint"]
    assert reference in [s["$ref"] for s in schemas["TaskDraftValues"]["anyOf"]]
    published = schemas[reference.rsplit("/", 1)[1]]
    assert published["additionalProperties"] is False
    letter = published["properties"]["response_letter"]
    assert letter["type"] == ["string", "null"] and letter["maxLength"] == 10000
    assert "minLength" not in letter  # unfinished: shorter than the letter's least is kept
    assert published["properties"]["remedies"]["type"] == ["array", "null"]
    assert published["properties"]["compensation_amount"]["type"] == ["number", "null"]
    assert "required" not in published and "allOf" not in published
    # The task gives the same schema as its own draft_schema.
    task = client.get(f"{API}/tasks/{resolving}", headers=headers).json
    assert task["draft_schema"]["properties"] == published["properties"]
    assert task["draft_schema"]["additionalProperties"] is False
    validator = json_validator(task["draft_schema"])
    assert validator.is_valid({"response_letter": "Dear", "remedies": None})
    assert not validator.is_valid({"response_letter": 5})
    assert not validator.is_valid({"letter": "Dear"})


def test_a_draft_that_breaks_its_schema_names_every_field_at_once(app, client, resolving, headers):
    url = f"{API}/tasks/{resolving}/draft"
    body = {
        "letter": LETTER,  # not a field of the form
        "response_letter": "x" * 10_001,
        "remedies": "refund",  # a checklist takes a list
        "compensation_amount": "12.50",  # an amount is a number
        "remedy_details": ["a", "b"],
    }
    response = client.put(url, json=body, headers=headers)
    refused = problem(response, 422, "validation_failed")
    # Every field at once: the unknown and mistyped ones were named first, alone, and the
    # limits only once they were put right, under another detail.
    assert refused["detail"] == "Please correct the highlighted fields."
    assert refused["errors"] == {
        "letter": ["This field is not part of the form."],
        "response_letter": ["At most 10000 characters."],
        "remedies": ["Send a list."],
        "compensation_amount": ["Send a number."],
        "remedy_details": ["Send a single value, not a list."],
    }
    assert drafts(app) == []
    french = client.put(url, json=body, headers={**headers, "Accept-Language": "fr"})
    assert french.json["detail"] == "Veuillez corriger les champs signalés."
    assert french.json["errors"]["letter"] == ["Ce champ ne fait pas partie du formulaire."]
    for not_an_object in ([LETTER], LETTER):
        wrong = client.put(url, json=not_an_object, headers=headers)
        assert problem(wrong, 422, "validation_failed")["errors"] == {
            "body": ["The input must be a JSON object."]
        }
    assert drafts(app) == []


def test_an_unfinished_letter_is_kept_and_null_leaves_a_field_out(app, client, resolving, headers):
    url = f"{API}/tasks/{resolving}/draft"
    unfinished = {
        "response_letter": "Dear",  # shorter than a finished letter may be
        "remedies": ["refund"],
        "compensation_amount": None,
        "remedy_details": None,  # null text: left out, as the schema says (it refused it)
        "resolution_summary": "",
    }
    published = client.get(f"{API}/tasks/{resolving}", headers=headers).json["draft_schema"]
    assert json_validator(published).is_valid(unfinished)
    kept = client.put(url, json=unfinished, headers=headers)
    assert kept.status_code == 200, kept.json
    assert kept.json["values"] == {
        "response_letter": ["Dear"],
        "remedies": ["refund"],
        "resolution_summary": [""],
    }
    assert drafts(app) == [kept.json["values"]]
    assert client.get(url, headers=headers).json["values"]["response_letter"] == ["Dear"]


def test_an_amount_with_too_many_decimals_is_refused_in_words(app, client, resolving, headers):
    """A draft's amount in thousandths was refused with "Not accepted by the published schema
    (multipleOf).", the schema's keyword; it now says what completing the form says."""
    url = f"{API}/tasks/{resolving}/draft"
    response = client.put(url, json={"compensation_amount": 12.505}, headers=headers)
    assert problem(response, 422, "validation_failed")["errors"] == {
        "compensation_amount": ["Use at most 2 decimals."]
    }
    french = client.put(
        url, json={"compensation_amount": 12.505}, headers={**headers, "Accept-Language": "fr"}
    )
    assert french.json["errors"] == {"compensation_amount": ["Utilisez au plus 2 décimales."]}
    assert drafts(app) == []
    kept = client.put(url, json={"compensation_amount": 12.5}, headers=headers)
    assert kept.status_code == 200
    assert drafts(app) == [{"compensation_amount": ["12.5"]}]
