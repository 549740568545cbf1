"""The editor's form designer, server side: the version's forms served as JSON, posted back
as JSON and written as TOML (into the form's own text, its comments kept) before validate and
deploy, the preview of one form, and the refusals (CSRF, process owners only, malformed JSON,
nothing deployed)."""

from __future__ import annotations

import html
import json
import re
import tomllib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services import form_definitions, processes
from tests import diagrams as d
from tests.app.helpers import csrf_token, login
from tests.app.test_process_pages import NOT_OWNERS, post_json

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

CALL_BACK = tomllib.loads(d.CALL_BACK_FORM)
CONFIG = re.compile(r'<script type="application/json" id="editor-config">(.*?)</script>', re.S)


@pytest.fixture
def owner(client: FlaskClient) -> FlaskClient:
    login(client, "owner")
    return client


def editor_config(client: FlaskClient, query: str = "") -> dict[str, Any]:
    page = client.get(f"/processes/editor{query}").get_data(as_text=True)
    match = CONFIG.search(page)
    assert match, "no editor config on the page"
    return json.loads(html.unescape(match.group(1)))


def diagrams(text: str | None = None) -> dict[str, str]:
    """The shipped diagram and table as text (what the editor's modelers send)."""
    return {
        name: content.decode()
        for name, content in d.variant(text).items()
        if name.endswith((".bpmn", ".dmn"))
    }


def call_back_payload(config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What the editor sends: the diagrams with the call-back step, and every form."""
    forms = {**config["forms"], "call_back": CALL_BACK}
    return {
        "files": diagrams(d.with_call_back()),
        "forms": forms,
        "version_id": config["version_id"],
        **extra,
    }


def version_count(app: Flask) -> int:
    with app.app_context():
        return len(processes.versions())


def test_the_editor_serves_every_form_of_the_version_as_json(owner: FlaskClient) -> None:
    config = editor_config(owner)
    assert set(config["forms"]) == set(form_definitions.shipped())
    minor = config["forms"]["resolve_minor"]
    assert minor["fields"][0]["name"] and minor["fields"][0]["label"]["fr"]
    assert "remedies" in config["lists"] and "checklist" in config["field_types"]
    assert config["urls"]["preview"] == "/processes/forms/preview"
    assert config["messages"]["addField"] == "Add a field"


def test_forms_posted_as_json_are_validated_with_the_diagrams(owner: FlaskClient) -> None:
    config = editor_config(owner)
    body = post_json(owner, "/processes/validate", call_back_payload(config)).get_json()
    assert body["problems"] == []
    # Without its form the new step is refused; a broken definition is named by its file.
    payload = call_back_payload(config)
    del payload["forms"]["call_back"]
    body = post_json(owner, "/processes/validate", payload).get_json()
    assert any("call_back" in p["message"] for p in body["problems"])
    payload = call_back_payload(config)
    payload["forms"]["call_back"] = json.loads(json.dumps(CALL_BACK))
    del payload["forms"]["call_back"]["fields"][2]["label"]["fr"]
    body = post_json(owner, "/processes/validate", payload).get_json()
    mine = [p for p in body["problems"] if p["file"] == "forms/call_back.toml"]
    assert mine and "no text in fr" in mine[0]["message"], body["problems"]


def test_deploy_writes_each_form_as_toml_and_keeps_unchanged_ones_as_they_were(
    app: Flask, owner: FlaskClient
) -> None:
    config = editor_config(owner)
    payload = call_back_payload(config, comment="Call the complainant back")
    response = post_json(owner, "/processes/deploy", payload)
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        version = processes.active_version()
        written = version.files["forms/call_back.toml"]
        assert tomllib.loads(written) == CALL_BACK
        shipped = form_definitions.shipped_files()
        # Unchanged forms keep their text, comments included.
        assert (
            version.files["forms/resolve_minor.toml"].encode()
            == (shipped["forms/resolve_minor.toml"])
        )
        assert "call_back" in form_definitions.for_version(version)


def test_a_deploy_from_the_editor_keeps_the_custom_forms_of_the_version_edited(
    app: Flask, owner: FlaskClient
) -> None:
    first = post_json(
        owner,
        "/processes/deploy",
        call_back_payload(editor_config(owner), comment="Call the complainant back"),
    )
    assert first.status_code == 201
    # Version 2 changes the shipped resolve_minor form too.
    config = editor_config(owner)
    assert config["version_id"] == first.get_json()["version_id"]
    assert "call_back" in config["forms"]
    forms = config["forms"]
    forms["resolve_minor"]["fields"][0]["help"] = {"en": "Be brief.", "fr": "Soyez bref."}
    files = diagrams(d.with_call_back())
    second = post_json(
        owner,
        "/processes/deploy",
        {"files": files, "forms": forms, "version_id": config["version_id"], "comment": "Help"},
    )
    assert second.status_code == 201, second.get_json()
    diff = owner.get(f"/processes/versions/{second.get_json()['version_id']}/diff")
    assert "Help (optional): <em" in diff.get_data(as_text=True)  # a setting in words
    # The next deploy sends every form back unchanged, with a diagram change.
    config = editor_config(owner)
    files[d.BPMN_FILE] = files[d.BPMN_FILE].replace(
        'name="Call the complainant back"', 'name="Call the complainant"'
    )
    third = post_json(
        owner,
        "/processes/deploy",
        {
            "files": files,
            "forms": config["forms"],
            "version_id": config["version_id"],
            "comment": "Shorter name",
        },
    )
    assert third.status_code == 201, third.get_json()
    with app.app_context():
        versions = {v.version: v for v in processes.versions()}
        name = "forms/call_back.toml"
        assert versions[4].files[name] == versions[2].files[name]
        minor = tomllib.loads(versions[4].files["forms/resolve_minor.toml"])
        assert minor["fields"][0]["help"] == {"en": "Be brief.", "fr": "Soyez bref."}


def test_a_label_edited_in_the_designer_keeps_the_comments_and_layout_of_the_file(
    app: Flask, owner: FlaskClient
) -> None:
    commented = (
        "# Calling the complainant back: asked by the quality team.\n"
        + d.CALL_BACK_FORM.replace(
            '[[fields]]\nname = "call_outcome"',
            '# Only asked when the call got through.\n[[fields]]\nname = "call_outcome"',
        ).replace("max_length = 2000\n", "max_length = 2000  # a page of notes\n")
    )
    files = {**diagrams(d.with_call_back()), "forms/call_back.toml": commented}
    first = post_json(owner, "/processes/deploy", {"files": files, "comment": "Call back"})
    assert first.status_code == 201, first.get_json()
    # The designer shows the form as JSON; the owner renames one label and deploys.
    config = editor_config(owner)
    form = config["forms"]["call_back"]
    assert form["fields"][1]["label"]["en"] == "Outcome of the call"
    form["fields"][1]["label"]["en"] = "How the call went"
    second = post_json(
        owner,
        "/processes/deploy",
        {
            "files": diagrams(d.with_call_back()),
            "forms": config["forms"],
            "version_id": config["version_id"],
            "comment": "Clearer label",
        },
    )
    assert second.status_code == 201, second.get_json()
    with app.app_context():
        saved = processes.active_version().files["forms/call_back.toml"]
    # Only the label changed: the comments, the order and the inline tables are the file's.
    assert saved == commented.replace('en = "Outcome of the call"', 'en = "How the call went"')
    assert "# Only asked when the call got through.\n[[fields]]" in saved


def test_unchanged_forms_and_diagrams_deploy_nothing_new(owner: FlaskClient) -> None:
    config = editor_config(owner)
    payload = {
        "files": diagrams(),
        "forms": config["forms"],
        "version_id": config["version_id"],
        "comment": "Same again",
    }
    response = post_json(owner, "/processes/deploy", payload)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] is False


@pytest.mark.parametrize(
    ("forms", "error"),
    [
        ([1, 2], 'Send the form definitions as {"forms": {key: definition}}.'),
        ({"Call-Back": CALL_BACK}, "A form key is lower-case letters"),
        ({"call_back": "title = 1"}, "The definition of the form call_back is not an object."),
        (
            {"call_back": {**CALL_BACK, "context": ["action_taken", None]}},
            "A form cannot be written as a definition: call_back: definition.context lists an "
            "empty value (null)",
        ),
    ],
)
def test_malformed_forms_are_refused_with_a_clear_error_and_nothing_is_deployed(
    app: Flask, owner: FlaskClient, forms: Any, error: str
) -> None:
    config = editor_config(owner)
    payload = {**call_back_payload(config, comment="x"), "forms": forms}
    for url in ("/processes/validate", "/processes/deploy"):
        response = post_json(owner, url, payload)
        assert response.status_code == 422, url
        assert response.get_json()["error"].startswith(error), response.get_json()
    assert version_count(app) == 1


def test_a_body_that_is_not_json_is_refused_and_nothing_is_deployed(
    app: Flask, owner: FlaskClient
) -> None:
    token = csrf_token(owner, "/processes/editor")
    headers = {
        "X-CSRFToken": token,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    for url in ("/processes/deploy", "/processes/forms/preview"):
        # JSON that does not parse: a 400 saying where, as the API answers it.
        response = owner.post(url, data='{"files": {', headers=headers)
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["error"] == (
            "The body is not well-formed JSON: the error is at line 1, column 12. Nothing was done."
        )
        french = owner.post(url, data='{"files": {', headers={**headers, **FRENCH})
        assert french.status_code == 400
        assert french.get_json()["error"].startswith("Le corps n")
        # JSON, but not an object, no body, or a body not sent as JSON: the view's 422.
        for data, kind in (("[1, 2]", JSON), ("", JSON), ("files=x", FORM)):
            response = owner.post(url, data=data, headers={**headers, "Content-Type": kind})
            assert response.status_code == 422, (data, kind)
            assert response.get_json()["error"] == "Send a JSON object."
    assert version_count(app) == 1


def test_a_form_sent_both_as_a_file_and_as_json_is_refused(owner: FlaskClient) -> None:
    payload = call_back_payload(editor_config(owner))
    payload["files"]["forms/call_back.toml"] = d.CALL_BACK_FORM
    response = post_json(owner, "/processes/validate", payload)
    assert response.status_code == 422
    assert "sent twice" in response.get_json()["error"]


def test_designer_posts_need_the_csrf_token(app: Flask, owner: FlaskClient) -> None:
    payload = call_back_payload(editor_config(owner), comment="x")
    for url, body in (
        ("/processes/deploy", payload),
        ("/processes/forms/preview", {"key": "call_back", "form": CALL_BACK}),
    ):
        response = owner.post(url, json=body, headers={"Accept": "application/json"})
        assert response.status_code == 400, url
    assert version_count(app) == 1


@pytest.mark.parametrize("username", NOT_OWNERS)
def test_only_process_owners_preview_forms(client: FlaskClient, username: str) -> None:
    login(client, username)
    body = {"key": "call_back", "form": CALL_BACK}
    assert post_json(client, "/processes/forms/preview", body, page="/").status_code == 403


def test_the_preview_shows_the_form_as_staff_see_it_in_the_readers_language(
    owner: FlaskClient,
) -> None:
    body = {"key": "call_back", "form": CALL_BACK}
    response = post_json(owner, "/processes/forms/preview", body)
    assert response.status_code == 200, response.get_json()
    page = response.get_json()["html"]
    assert "The complainant was reached" in page and "Outcome of the call" in page
    assert "Stage: Call-back" in page and "What was done" in page
    assert 'name="preview-reached"' in page and 'data-field-prefix="preview-"' in page
    assert "data-shown-when" in page  # the outcome shows once the complainant was reached
    token = csrf_token(owner, "/processes/editor")
    french = owner.post(
        "/processes/forms/preview",
        json=body,
        headers={"X-CSRFToken": token, "Accept-Language": "fr-FR,fr;q=0.9"},
    ).get_json()["html"]
    assert "Le réclamant a été joint" in french and "Résultat de l&#39;appel" in french


def test_the_preview_lists_the_problems_of_a_broken_definition(owner: FlaskClient) -> None:
    broken = json.loads(json.dumps(CALL_BACK))
    broken["fields"][1]["shown_when"] = "reached and __import__"
    broken["fields"][0]["type"] = "slider"
    response = post_json(owner, "/processes/forms/preview", {"key": "call_back", "form": broken})
    assert response.status_code == 422
    messages = [p["message"] for p in response.get_json()["problems"]]
    assert any("unknown type 'slider'" in m for m in messages), messages
    assert {p["file"] for p in response.get_json()["problems"]} == {"forms/call_back.toml"}


def test_the_version_diff_names_form_changes_in_words(app: Flask, owner: FlaskClient) -> None:
    response = post_json(
        owner, "/processes/deploy", call_back_payload(editor_config(owner), comment="Call back")
    )
    version_id = response.get_json()["version_id"]
    page = owner.get(f"/processes/versions/{version_id}/diff").get_data(as_text=True)
    assert "Form field</strong> The complainant was reached" in page
    assert "Form rule</strong>" in page and "Form</strong> Calling the complainant back" in page
    french = owner.get(
        f"/processes/versions/{version_id}/diff", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert "Champ de formulaire</strong>" in french and "Règle de formulaire</strong>" in french


def test_a_deploy_with_a_broken_form_is_refused_naming_the_form_and_stores_nothing(
    app: Flask, owner: FlaskClient
) -> None:
    payload = call_back_payload(editor_config(owner), comment="Broken")
    payload["forms"]["call_back"] = {**CALL_BACK, "fields": []}
    response = post_json(owner, "/processes/deploy", payload)
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert any(
        p["file"] == "forms/call_back.toml" and "at least one field" in p["message"]
        for p in problems
    ), problems
    assert version_count(app) == 1


def broken_call_back() -> dict[str, Any]:
    """The call-back form with a field name in capitals and a list that does not exist."""
    broken = json.loads(json.dumps(CALL_BACK))
    broken["fields"][2]["name"] = "Call_Notes"
    broken["fields"][1]["choices"] = "colours"
    return broken


def problem_messages(client: FlaskClient, url: str, payload: Any, language: str) -> list[str]:
    token = csrf_token(client, "/processes/editor")
    response = client.post(
        url,
        json=payload,
        headers={"X-CSRFToken": token, "Accept": "application/json", "Accept-Language": language},
    )
    assert response.status_code in (200, 422), response.get_json()
    return [p["message"] for p in response.get_json()["problems"]]


def test_the_designer_tells_a_french_reader_the_problems_of_a_definition_in_french(
    app: Flask, owner: FlaskClient
) -> None:
    preview = {"key": "call_back", "form": broken_call_back()}
    payload = call_back_payload(editor_config(owner), comment="Broken")
    payload["forms"]["call_back"] = broken_call_back()
    for url, body in (
        ("/processes/forms/preview", preview),
        ("/processes/validate", payload),
        ("/processes/deploy", payload),
    ):
        french = problem_messages(owner, url, body, "fr-FR,fr;q=0.9")
        assert (
            "champ 3\xa0: le nom 'Call_Notes' doit se composer de lettres minuscules, "
            "de chiffres et de _" in french
        ), (url, french)
        assert any(
            m.startswith("champ 'call_outcome'\xa0: liste inconnue 'colours' (au choix\xa0: ")
            for m in french
        ), (url, french)
        assert "règle 2\xa0: 'call_notes' n'est pas un champ de ce formulaire" in french
        assert not any("must be" in m or "unknown" in m for m in french), (url, french)
        english = problem_messages(owner, url, body, "en")
        assert "field 3: name 'Call_Notes' must be lower case letters, digits and _" in english
        assert any(
            m.startswith("field 'call_outcome': unknown list 'colours' (one of ") for m in english
        ), (url, english)
        assert "rule 2: field 'call_notes' is not a field of this form" in english
    assert version_count(app) == 1
