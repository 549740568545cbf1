"""Conditional fields, declared once (TaskForm.shown_when): the form, the page, the schema, the API.

A field that does not apply (the escalation target when no escalation is requested, the amount
when no paid remedy is chosen) is not required, its value is dropped, the page marks it for the
script that hides it, and the published schema says when it applies.
"""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from forms import InvestigationForm, ResolutionForm
from forms.base import json_validator
from services.db import db
from services.models import Task
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login, post_form

INVESTIGATION = {
    "findings": "The unit was damaged in transport.",
    "root_cause_category": "process",
    "root_cause": "Loading procedure at the depot.",
    "investigation_report": "Detailed report: the unit was dropped during loading at the depot.",
}
RESOLUTION = {
    "remedies": ["apology"],
    "resolution_summary": "We apologised.",
    "response_letter": "Dear Ms Diallo, we are sorry for the trouble you had with the delivery.",
}


def test_a_hidden_escalation_target_is_dropped_not_kept(post) -> None:
    posted = post(
        InvestigationForm,
        {**INVESTIGATION, "escalation_target": "legal_counsel", "escalation_reason": "stale"},
    )
    assert posted.valid, posted.errors
    data = posted.form.task_data()
    assert data["escalation_requested"] is False
    assert data["escalation_target"] == "" and data["escalation_reason"] == ""


def test_a_shown_escalation_target_is_required_and_kept(post) -> None:
    posted = post(InvestigationForm, {**INVESTIGATION, "escalation_requested": "y"})
    assert set(posted.errors) == {"escalation_target", "escalation_reason"}
    posted = post(
        InvestigationForm,
        {
            **INVESTIGATION,
            "escalation_requested": "y",
            "escalation_target": "legal_counsel",
            "escalation_reason": "Possible breach of law.",
        },
    )
    assert posted.valid, posted.errors
    assert posted.form.task_data()["escalation_target"] == "legal_counsel"


def test_the_amount_applies_only_to_a_paid_remedy(post) -> None:
    # Not paid: a bad amount is no error, and the amount is dropped.
    posted = post(ResolutionForm, {**RESOLUTION, "compensation_amount": "abc"})
    assert posted.valid, posted.errors
    assert posted.form.task_data()["compensation_amount"] is None
    # Paid: required.
    posted = post(ResolutionForm, {**RESOLUTION, "remedies": ["refund"]})
    assert posted.errors == {
        "compensation_amount": ["Give the amount of the refund or compensation."]
    }
    posted = post(
        ResolutionForm, {**RESOLUTION, "remedies": ["refund"], "compensation_amount": "49.90"}
    )
    assert posted.valid, posted.errors
    assert str(posted.form.task_data()["compensation_amount"]) == "49.90"


def test_the_schema_publishes_when_a_field_applies() -> None:
    schema = InvestigationForm.json_schema()
    assert schema["properties"]["escalation_target"]["x-shown-when"] == {
        "field": "escalation_requested",
        "filled": True,
    }
    assert "x-shown-when" not in schema["properties"]["findings"]
    amount = ResolutionForm.json_schema()["properties"]["compensation_amount"]
    assert amount["x-shown-when"] == {
        "any": [
            {"field": "remedies", "contains": "compensation"},
            {"field": "remedies", "contains": "refund"},
        ]
    }
    validator = json_validator(ResolutionForm.json_schema())
    body = {**RESOLUTION, "remedies": ["refund"]}
    assert list(validator.iter_errors(body))  # the if/then: a refund needs its amount
    assert not list(validator.iter_errors({**body, "compensation_amount": 10}))


def test_a_required_field_is_required_in_the_schema_only_where_it_applies() -> None:
    from wtforms.fields import BooleanField, StringField
    from wtforms.validators import DataRequired

    from forms.base import TaskForm

    class Example(TaskForm):
        """An example."""

        paid = BooleanField("Paid")
        amount = StringField("Amount", validators=[DataRequired()])
        shown_when = {"amount": ("paid", True)}

    schema = Example.json_schema()
    assert "amount" not in schema.get("required", [])
    validator = json_validator(schema)
    assert not list(validator.iter_errors({}))
    assert list(validator.iter_errors({"paid": True}))
    assert not list(validator.iter_errors({"paid": True, "amount": "3"}))
    assert Example(data={"paid": False}).validate()
    assert not Example(data={"paid": True}).validate()


def _investigation(app: Flask) -> tuple[int, str]:
    with app.app_context():
        complaint = j.to_investigation()
        return complaint.id, j.open_task(complaint, "investigate_complaint").id


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_task_page_marks_conditional_fields_for_the_script(
    app: Flask, client: FlaskClient, language: str
) -> None:
    _, task_id = _investigation(app)
    login(client, "investigator")
    if language == "fr":
        post_form(client, "/lang/fr", {"next": "/inbox"}, form_url="/inbox")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    rule = escape(json.dumps({"field": "escalation_requested", "filled": True}))
    assert f'data-shown-when="{rule}"' in html
    assert html.count("data-shown-when=") == 2
    assert "js/conditional.js" in html


def test_the_page_drops_a_hidden_value_on_completion(app: Flask, client: FlaskClient) -> None:
    _, task_id = _investigation(app)
    login(client, "investigator")
    response = post_form(
        client,
        f"/tasks/{task_id}",
        {**INVESTIGATION, "escalation_target": "police", "escalation_reason": "left over"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None and task.data is not None
        assert task.data["escalation_target"] == "" and task.data["escalation_reason"] == ""


def test_the_api_publishes_and_applies_the_same_condition(
    app: Flask, client: FlaskClient, runner
) -> None:
    _, task_id = _investigation(app)
    headers = bearer(issue_token(runner, "investigator"))
    detail = client.get(f"{API}/tasks/{task_id}", headers=headers).json
    target = detail["payload_schema"]["properties"]["escalation_target"]
    assert target["x-shown-when"] == {"field": "escalation_requested", "filled": True}
    openapi = client.get(f"{API}/openapi.json").json
    assert "x-shown-when" in openapi["components"]["schemas"]["TaskCompletion"]["description"]
    body = {**INVESTIGATION, "escalation_requested": False, "escalation_target": "police"}
    response = client.post(f"{API}/tasks/{task_id}/complete", json=body, headers=headers)
    assert response.status_code == 200, response.json
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None and task.data is not None
        assert task.data["escalation_target"] == ""
