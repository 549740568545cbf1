"""The what-if replay names the inputs no past complaint has, in the reader's language, and
types values by the classification form of the edited files when it is sent."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests import diagrams as d
from tests import journeys as j
from tests.app.helpers import csrf_token, login

CLASSIFY = (d.PROCESSES / "forms" / "classify_complaint.toml").read_text()
URGENT = """
[[fields]]
name = "urgent"
type = "checkbox"
label = { en = "Urgent", fr = "Urgent" }
"""
READS_URGENT = d.edited(d.dmn(), "<text>safety_issue</text>", "<text>urgent or safety_issue</text>")


def replay(client: FlaskClient, payload: dict[str, Any], language: str = "en") -> Any:
    token = csrf_token(client, "/processes/editor")
    return client.post(
        "/processes/replay",
        json={"last_n": 10, **payload},
        headers={"X-CSRFToken": token, "Accept-Language": language},
    )


def classified(app: Flask) -> str:
    with app.app_context():
        complaint = j.to_classification()
        j.complete(complaint, "classify_complaint")
        return complaint.reference


def test_a_name_no_past_complaint_has_is_said_in_english_and_french(
    app: Flask, client: FlaskClient
) -> None:
    reference = classified(app)
    login(client, "owner")
    response = replay(client, {"dmn": READS_URGENT})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    [missing] = body["missing"]
    assert missing["name"] == "urgent" and missing["in_form"] is False
    assert missing["message"].startswith("No past complaint has urgent (column Safety issue)")
    assert "misspelt" in missing["message"]
    [row] = body["rows"]
    assert row["reference"] == reference and row["error"] is None
    french = replay(client, {"dmn": READS_URGENT}, "fr-FR,fr;q=0.9").get_json()
    assert french["missing"][0]["message"].startswith("Aucune réclamation passée n’a urgent")


def test_the_edited_classification_form_says_the_name_is_a_new_field(
    app: Flask, client: FlaskClient
) -> None:
    classified(app)
    login(client, "owner")
    files = {"forms/classify_complaint.toml": CLASSIFY + URGENT}
    body = replay(client, {"dmn": READS_URGENT, "files": files}).get_json()
    [missing] = body["missing"]
    assert missing["in_form"] is True
    assert "a new field of the classification form?" in missing["message"]
    broken = {"forms/classify_complaint.toml": CLASSIFY + URGENT.replace(', fr = "Urgent"', "")}
    response = replay(client, {"dmn": READS_URGENT, "files": broken})
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert problem["file"] == "forms/classify_complaint.toml" and "fr" in problem["message"]
