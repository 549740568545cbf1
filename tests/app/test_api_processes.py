"""Process versions through the API: list, read a file, deploy (as CI would), reactivate."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from services import processes
from services.db import db
from services.models import ProcessVersion
from tests import diagrams
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, problem

CHANGED_THRESHOLD = diagrams.routing_threshold("2500")


def owner_token(runner: FlaskCliRunner) -> str:
    return issue_token(runner, "owner")


def multipart(files: dict[str, bytes], comment: str) -> dict[str, object]:
    """A deploy as `curl -F files=@... -F comment=...` sends it."""
    return {
        "files": [(io.BytesIO(content), name) for name, content in sorted(files.items())],
        "comment": comment,
    }


def active(app: Flask) -> ProcessVersion:
    with app.app_context():
        version = processes.active_version()
        version.files  # noqa: B018 (deferred: read while the version is in a session)
        db.session.expunge(version)
        return version


def test_process_owner_lists_versions_with_running_complaints(app, client, runner):
    file_complaint(app)
    body = client.get(f"{API}/processes/versions", headers=bearer(owner_token(runner))).json
    (version,) = body["versions"]
    assert version["active"] is True and version["version"] == active(app).version
    assert version["files"][:2] == ["complaint_handling.bpmn", "complaint_routing.dmn"]
    assert "forms/sign_off.toml" in version["files"]  # the forms are deployed with them
    assert version["running_complaints"] == 1
    assert version["deployed_by"] is None  # deployed by the CLI at setup


def test_a_versions_file_is_the_xml_as_stored(app, client, runner):
    version = active(app)
    response = client.get(
        f"{API}/processes/versions/{version.id}/files/complaint_routing.dmn",
        headers=bearer(owner_token(runner)),
    )
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.get_data(as_text=True) == version.files["complaint_routing.dmn"]
    missing = client.get(
        f"{API}/processes/versions/{version.id}/files/nothing.bpmn",
        headers=bearer(owner_token(runner)),
    )
    assert missing.status_code == 404


def test_ci_deploys_a_changed_diagram_as_the_new_active_version(app, client, runner):
    before = active(app)
    files = diagrams.variant(dmn_text=CHANGED_THRESHOLD)
    response = client.post(
        f"{API}/processes/deploy",
        data=multipart(files, "CI: merge of a1b2c3d"),
        content_type="multipart/form-data",
        headers=bearer(owner_token(runner)),
    )
    assert response.status_code == 201, response.json
    assert response.json["created"] is True
    now = active(app)
    assert now.version == before.version + 1 and response.json["id"] == now.id
    assert "? &gt; 2500" in now.files["complaint_routing.dmn"]
    assert now.comment == "CI: merge of a1b2c3d"
    # The same files again change nothing.
    again = client.post(
        f"{API}/processes/deploy",
        json={"files": {n: c.decode() for n, c in files.items()}, "comment": "again"},
        headers=bearer(owner_token(runner)),
    )
    assert again.status_code == 200 and again.json["created"] is False
    assert active(app).id == now.id


def test_invalid_xml_is_refused_with_its_problems(app, client, runner):
    before = active(app)
    files = {
        "complaint_handling.bpmn": "<bpmn:definitions oops",
        "complaint_routing.dmn": diagrams.dmn(),
    }
    response = client.post(
        f"{API}/processes/deploy",
        json={"files": files, "comment": "broken"},
        headers=bearer(owner_token(runner)),
    )
    assert response.status_code == 422
    problems = response.json["problems"]
    assert problems and any("complaint_handling.bpmn" in p for p in problems)
    assert active(app).id == before.id
    # The document names the members the refusal has: `problems` and `items` beside `detail`,
    # not "details.problems" and "details.items", which no answer carries.
    assert "details" not in response.json
    assert {"file", "element_id", "message"} <= set(response.json["items"][0])
    document = client.get(f"{API}/openapi.json").json
    description = document["paths"]["/processes/deploy"]["post"]["description"]
    assert "details." not in description
    assert "`problems`" in description and "`items`" in description


def test_a_deploy_without_comment_or_files_is_refused(client, runner):
    token = owner_token(runner)
    no_comment = client.post(
        f"{API}/processes/deploy",
        data=multipart(diagrams.files(), ""),
        content_type="multipart/form-data",
        headers=bearer(token),
    )
    assert no_comment.status_code == 422 and "comment" in no_comment.json["errors"]
    bad_name = client.post(
        f"{API}/processes/deploy",
        json={"files": {"../evil.bpmn": "<x/>"}, "comment": "x"},
        headers=bearer(token),
    )
    assert bad_name.status_code == 422
    # Said as a multipart deploy says it: the JSON one named the schema's keyword
    # ("Not accepted by the published schema (pattern)", "(minProperties)").
    files_message = (
        "Only .bpmn and .dmn files, choices.toml and forms/*.toml definitions, as text, are taken."
    )
    assert bad_name.json["errors"] == {"files": [files_message]}
    none = client.post(
        f"{API}/processes/deploy", json={"files": {}, "comment": "x"}, headers=bearer(token)
    )
    assert problem(none, 422, "validation_failed")["errors"] == {"files": [files_message]}
    french = client.post(
        f"{API}/processes/deploy",
        json={"files": {}, "comment": "x"},
        headers={**bearer(token), "Accept-Language": "fr"},
    )
    assert french.json["errors"]["files"] == [
        "Seuls les fichiers .bpmn et .dmn, choices.toml et les définitions forms/*.toml, en texte, "
        "sont acceptés."
    ]


def test_only_process_owners_deploy_and_only_with_the_admin_scope(app, client, runner):
    before = active(app)
    files = diagrams.variant(dmn_text=CHANGED_THRESHOLD)
    body = {"files": {n: c.decode() for n, c in files.items()}, "comment": "not mine"}
    # An administrator may hold the admin scope but does not own the procedure.
    admin = client.post(
        f"{API}/processes/deploy", json=body, headers=bearer(issue_token(runner, "admin"))
    )
    assert admin.status_code == 403
    # A process owner's token without the admin scope.
    result = runner.invoke(args=["issue-token", "owner", "--name", "ro", "--scopes", "read"])
    reader = result.output.strip().splitlines()[-1]
    scoped = client.post(f"{API}/processes/deploy", json=body, headers=bearer(reader))
    assert scoped.status_code == 403
    assert 'scope="admin"' in scoped.headers["WWW-Authenticate"]
    # Others do not even read the versions.
    agent = issue_token(runner, "agent")
    assert client.get(f"{API}/processes/versions", headers=bearer(agent)).status_code == 403
    assert active(app).id == before.id


def test_a_refused_reader_of_the_versions_is_told_the_role_it_lacks(app, client, runner):
    agent = bearer(issue_token(runner, "agent"))
    version = active(app).id
    for path in (
        "/processes/versions",
        f"/processes/versions/{version}",
        f"/processes/versions/{version}/files/complaint_handling.bpmn",
    ):
        body = problem(client.get(f"{API}{path}", headers=agent), 403, "forbidden")
        assert body["detail"] == (
            "Only process owners read the procedure's versions: your account lacks the "
            "“Process owner” role."
        ), path


def test_an_earlier_version_is_made_active_again(app, client: FlaskClient, runner):
    first = active(app)
    token = owner_token(runner)
    files = diagrams.variant(dmn_text=CHANGED_THRESHOLD)
    client.post(
        f"{API}/processes/deploy",
        json={"files": {n: c.decode() for n, c in files.items()}, "comment": "raise threshold"},
        headers=bearer(token),
    )
    assert active(app).id != first.id
    response = client.post(
        f"{API}/processes/versions/{first.id}/activate",
        json={"comment": "back: too much goes to legal"},
        headers=bearer(token),
    )
    assert response.status_code == 200 and response.json["active"] is True
    assert active(app).id == first.id
    again = client.post(
        f"{API}/processes/versions/{first.id}/activate",
        json={"comment": "twice"},
        headers=bearer(token),
    )
    assert again.status_code == 409
    assert again.json["detail"] == f"Version {first.version} is already the active version."


def test_activating_the_active_version_is_refused_in_the_readers_language(app, client, runner):
    # The 409's detail was an English f-string whatever the Accept-Language.
    # French text: passes once the catalogue has "Version %(version)s is already the active
    # version." (La version %(version)s est déjà la version active.)
    version = active(app)
    again = client.post(
        f"{API}/processes/versions/{version.id}/activate",
        json={"comment": "twice"},
        headers={**bearer(owner_token(runner)), "Accept-Language": "fr"},
    )
    assert again.status_code == 409
    assert again.json["detail"] == f"La version {version.version} est déjà la version active."


def test_a_refused_deploy_names_the_problems_of_a_form_in_the_readers_language(app, client, runner):
    before = active(app)
    broken = diagrams.CALL_BACK_FORM.replace('name = "call_notes"', 'name = "Call_Notes"')
    files = {
        "complaint_handling.bpmn": diagrams.with_call_back(),
        "complaint_routing.dmn": diagrams.dmn(),
        "forms/call_back.toml": broken,
    }
    answers = {
        language: client.post(
            f"{API}/processes/deploy",
            json={"files": files, "comment": "broken"},
            headers={**bearer(owner_token(runner)), "Accept-Language": language},
        )
        for language in ("fr", "en")
    }
    assert {answer.status_code for answer in answers.values()} == {422}
    french, english = answers["fr"].json, answers["en"].json
    assert {
        "file": "forms/call_back.toml",
        "element": "formulaire call_back",
        "message": "champ 3\xa0: le nom 'Call_Notes' doit se composer de lettres minuscules, "
        "de chiffres et de _",
    }.items() <= next(i for i in french["items"] if "Call_Notes" in i["message"]).items()
    assert (
        "forms/call_back.toml, élément «\xa0formulaire call_back\xa0»\xa0: champ 3\xa0: le nom "
        "'Call_Notes' doit se composer de lettres minuscules, de chiffres et de _"
    ) in french["problems"]
    assert (
        "forms/call_back.toml, element 'form call_back': field 3: name 'Call_Notes' must be "
        "lower case letters, digits and _"
    ) in english["problems"]
    # The detail joins the same problems, in the same language (it was English for all).
    assert french["detail"].startswith("Les diagrammes ont été refusés\xa0: ")
    assert "doit se composer de lettres minuscules" in french["detail"]
    assert english["detail"].startswith("The diagrams were refused: ")
    assert "must be lower case letters" in english["detail"]
    assert active(app).id == before.id


def test_a_deploy_of_no_diagram_is_refused_in_the_readers_language(client, runner):
    response = client.post(
        f"{API}/processes/deploy",
        json={"files": {"choices.toml": "[categories]\n"}, "comment": "lists only"},
        headers={**bearer(owner_token(runner)), "Accept-Language": "fr"},
    )
    assert problem(response, 422, "deploy_refused")["detail"] == (
        "Aucun fichier BPMN ou DMN à déployer."
    )
