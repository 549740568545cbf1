"""The JSON API's task inbox and complaint detail: claim, complete, confidentiality."""

from __future__ import annotations

import importlib
from urllib.parse import quote

import pytest

from forms import FORMS
from services import users
from services.db import db
from services.models import AuditEvent, Complaint, Task
from tests import journeys
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem


@pytest.fixture
def as_user(runner):
    """Headers carrying a demo user's API token."""
    return lambda username: bearer(issue_token(runner, username))


def test_each_role_lists_only_the_tasks_of_its_lane(app, client, as_user):
    _, reference = file_complaint(app)
    agent = client.get(f"{API}/tasks", headers=as_user("agent")).json
    assert agent["total"] == 1
    task = agent["tasks"][0]
    assert (task["name"], task["form_key"], task["role"]) == (
        "register_complaint",
        "register_complaint",
        "intake_agent",
    )
    assert task["complaint"]["reference"] == reference
    assert task["assignee"] is None
    assert task["due_at"] is not None
    assert task["links"]["complete"] == f"{API}/tasks/{task['id']}/complete"
    for username in ("supervisor", "investigator", "manager", "focal"):
        assert client.get(f"{API}/tasks", headers=as_user(username)).json["total"] == 0


def test_task_list_pages_and_filters_like_the_inbox(app, client, as_user):
    for _ in range(3):
        file_complaint(app)
    _, reference = file_complaint(app, complainant_name="Jean Dupont")
    headers = as_user("agent")
    first = client.get(f"{API}/tasks?per_page=3", headers=headers).json
    assert (first["total"], first["pages"], len(first["tasks"])) == (4, 2, 3)
    assert first["links"]["next"] == f"{API}/tasks?per_page=3&page=2"
    unknown = client.get(f"{API}/tasks?per_page=3&_external=1", headers=headers).json
    assert unknown["links"]["next"] == first["links"]["next"]
    second = client.get(first["links"]["next"], headers=headers).json
    assert len(second["tasks"]) == 1 and second["links"]["next"] is None
    # Past the end, prev leads back to the last page (it led to page 98 of 2, empty too).
    beyond = client.get(f"{API}/tasks?per_page=3&page=99", headers=headers).json
    assert beyond["tasks"] == [] and beyond["links"]["prev"] == f"{API}/tasks?per_page=3&page=2"
    found = client.get(f"{API}/tasks?search=dupont", headers=headers).json
    assert [t["complaint"]["reference"] for t in found["tasks"]] == [reference]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("scope=everything", "scope"),
        ("sort=random", "sort"),
        ("page=0", "page"),
        ("page=%C2%B2", "page"),
        ("per_page=500", "per_page"),
    ],
)
def test_bad_task_list_parameters_are_refused(client, as_user, query, field):
    response = client.get(f"{API}/tasks?{query}", headers=as_user("agent"))
    assert list(problem(response, 422, "validation_failed")["errors"]) == [field]


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("/tasks", "search", 200),
        ("/tasks", "department", 100),
        ("/service-levels", "clock", 100),
        ("/service-levels", "department", 100),
        ("/complaints", "reference", 20),
        ("/complaints", "name", 200),
    ],
)
def test_a_text_filter_past_its_length_is_refused_in_the_readers_language(
    client, as_user, path, field, limit
):
    # They were read whatever their length: a long one, percent-encoded, met gunicorn's HTML
    # 414 though the document allowed it.
    headers = as_user("manager")
    assert client.get(f"{API}{path}?{field}={'é' * limit}", headers=headers).status_code == 200
    too_long = client.get(f"{API}{path}?{field}={'é' * (limit + 1)}", headers=headers)
    assert problem(too_long, 422, "validation_failed")["errors"] == {
        field: [f"At most {limit} characters."]
    }
    french = client.get(
        f"{API}{path}?{field}={'é' * (limit + 1)}",
        headers={**headers, "Accept-Language": "fr"},
    )
    assert french.json["errors"] == {field: [f"Au plus {limit} caractères."]}


def test_the_longest_list_request_the_document_allows_fits_gunicorns_request_line(app, client):
    # Every text filter at its maxLength in four-byte characters, percent-encoded (12 bytes
    # each), with every other parameter at its longest: within limit_request_line.
    gunicorn_conf = importlib.import_module("app.gunicorn_conf")
    document = client.get(f"{API}/openapi.json").json
    for path in ("/tasks", "/service-levels"):
        query = []
        for parameter in document["paths"][path]["get"]["parameters"]:
            if parameter.get("in") != "query":
                continue
            schema = parameter["schema"]
            longest = max((str(v) for v in schema.get("enum", ())), key=len, default="")
            if "maxLength" in schema:
                longest = quote("😀" * schema["maxLength"])
            elif schema.get("type") == "integer":
                longest = str(schema["maximum"])
            elif not longest:
                longest = "none" if parameter["name"] == "assignee" else "x" * 10
            query.append(f"{parameter['name']}={longest}")
        line = f"GET {API}{path}?{'&'.join(query)} HTTP/1.1"
        assert len(line) <= gunicorn_conf.limit_request_line, (path, len(line))


def test_claimed_task_moves_to_my_list_and_back(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    headers = as_user("agent")
    assert client.get(f"{API}/tasks?scope=mine", headers=headers).json["total"] == 0
    claimed = client.post(f"{API}/tasks/{task_id}/claim", headers=headers)
    assert claimed.status_code == 200
    assert claimed.json["assignee"]["username"] == "agent"
    mine = client.get(f"{API}/tasks?scope=mine", headers=headers).json
    assert [t["id"] for t in mine["tasks"]] == [task_id]
    assert client.get(f"{API}/tasks?scope=unassigned", headers=headers).json["total"] == 0
    with app.app_context():
        assert db.session.get(Task, task_id).assignee.username == "agent"
    released = client.post(f"{API}/tasks/{task_id}/unclaim", headers=headers)
    assert released.status_code == 200 and released.json["assignee"] is None
    with app.app_context():
        assert db.session.get(Task, task_id).assignee is None


def test_claiming_a_task_someone_else_holds_is_a_conflict(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    with app.app_context():
        users.create_user("agent2", "Abdou Intake", "demo-password", ["intake_agent"])
        db.session.commit()
    client.post(f"{API}/tasks/{task_id}/claim", headers=as_user("agent"))
    response = client.post(f"{API}/tasks/{task_id}/claim", headers=as_user("agent2"))
    assert problem(response, 409, "conflict")["detail"] == "Awa Intake has claimed it."


def test_task_detail_gives_the_form_key_and_the_json_schema(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    response = client.get(f"{API}/tasks/{task_id}", headers=as_user("agent"))
    assert response.status_code == 200
    assert response.json["form_key"] == "register_complaint"
    with app.test_request_context():
        expected = FORMS["register_complaint"].json_schema()
    assert response.json["payload_schema"] == expected
    assert response.json["data"] is None


def test_completing_a_task_with_valid_json_moves_the_complaint_on(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json=journeys.ANSWERS["register_complaint"],
        headers=as_user("agent"),
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "completed"
    assert response.json["completed_by"]["username"] == "agent"
    assert response.json["complaint"]["status"] == "classification"
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.status == "classification"
        assert journeys.open_names(complaint) == ["classify_complaint"]
        task = db.session.get(Task, task_id)
        assert task.status == "completed"
        assert task.data["registration_outcome"] == "complete"
    supervisor = client.get(f"{API}/tasks", headers=as_user("supervisor")).json
    assert [t["name"] for t in supervisor["tasks"]] == ["classify_complaint"]


def test_invalid_task_data_is_refused_with_field_errors_and_nothing_written(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"registration_outcome": "incomplete", "form_complete": True},
        headers=as_user("agent"),
    )
    assert problem(response, 422, "validation_failed")["errors"] == {
        "missing_information": ["Say what information the complainant must supply."]
    }
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"
        assert db.session.get(Complaint, complaint_id).status == "registration"
        kinds = db.session.scalars(
            db.select(AuditEvent.kind).where(AuditEvent.complaint_id == complaint_id)
        ).all()
        assert "task_completed" not in kinds


@pytest.mark.parametrize("body", [["complete"], 42])
def test_task_data_that_is_not_a_json_object_is_refused(app, client, as_user, body):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    response = client.post(f"{API}/tasks/{task_id}/complete", json=body, headers=as_user("agent"))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"


def test_completing_a_task_twice_is_a_conflict(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    url = f"{API}/tasks/{task_id}/complete"
    answers = journeys.ANSWERS["register_complaint"]
    headers = as_user("agent")
    assert client.post(url, json=answers, headers=headers).status_code == 200
    again = client.post(url, json=answers, headers=headers)
    body = problem(again, 409, "task_already_completed")
    assert body["detail"] == "This task was already completed by Awa Intake."
    # In the reader's language, the name filled in.
    in_french = client.post(url, json=answers, headers={**headers, "Accept-Language": "fr"})
    body = problem(in_french, 409, "task_already_completed")
    assert body["detail"] == "Cette tâche a déjà été terminée par Awa Intake."
    with app.app_context():
        completions = db.session.scalar(
            db.select(db.func.count(AuditEvent.id)).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "task_completed"
            )
        )
        assert completions == 1


def test_task_of_another_role_does_not_exist_for_me(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    headers = as_user("supervisor")
    assert client.get(f"{API}/tasks/{task_id}", headers=headers).status_code == 404
    assert client.post(f"{API}/tasks/{task_id}/claim", headers=headers).status_code == 404
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json=journeys.ANSWERS["register_complaint"],
        headers=headers,
    )
    assert problem(response, 404, "not_found")["detail"] == "No such task."
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"


def test_task_claimed_by_a_colleague_cannot_be_completed(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    with app.app_context():
        users.create_user("agent2", "Abdou Intake", "demo-password", ["intake_agent"])
        db.session.commit()
    client.post(f"{API}/tasks/{task_id}/claim", headers=as_user("agent"))
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json=journeys.ANSWERS["register_complaint"],
        headers=as_user("agent2"),
    )
    assert problem(response, 403, "forbidden")["detail"] == "This task is assigned to Awa Intake."


# --- complaint detail and confidentiality ---------------------------------------------------


def test_complaint_detail_shows_intake_tasks_timelines_and_notifications(app, client, as_user):
    with app.app_context():
        complaint = journeys.to_minor_resolution()
        complaint_id, reference = complaint.id, complaint.reference
    response = client.get(f"{API}/complaints/{complaint_id}", headers=as_user("supervisor"))
    assert response.status_code == 200
    body = response.json
    assert body["reference"] == reference
    assert (body["category"], body["severity"], body["route"]) == (
        "product_quality",
        "low",
        "minor",
    )
    assert body["category_label"] == "Product quality"
    assert body["intake"]["complainant_name"] == "Aminata Diallo"
    assert body["intake"]["event_date"] == "2026-11-02"
    assert body["financial_impact"] == "120.00"
    assert [t["name"] for t in body["tasks"]] == [
        "register_complaint",
        "classify_complaint",
        "resolve_minor",
    ]
    assert body["tasks"][1]["data"]["severity"] == "low"
    staff_kinds = [event["kind"] for event in body["timeline"]["staff"]]
    assert staff_kinds.count("task_completed") == 2
    assert all(event["kind"] != "task_completed" for event in body["timeline"]["public"])
    assert [n["kind"] for n in body["notifications"]] == ["acknowledgement"]


def test_confidential_complaint_is_invisible_to_everyone_but_the_focal_point(app, client, as_user):
    with app.app_context():
        complaint = journeys.to_classification()
        journeys.complete(complaint, "classify_complaint", sensitive=True)
        complaint_id, reference = complaint.id, complaint.reference
        task_id = journeys.open_task(complaint, "record_consent").id
    for username in ("supervisor", "manager", "investigator", "analyst", "admin"):
        headers = as_user(username)
        response = client.get(f"{API}/complaints/{complaint_id}", headers=headers)
        assert problem(response, 404, "not_found")["detail"] == "No such complaint."
        assert client.get(f"{API}/tasks/{task_id}", headers=headers).status_code == 404
        listed = client.get(f"{API}/tasks?search={reference}", headers=headers).json
        assert listed["total"] == 0
    focal = as_user("focal")
    assert client.get(f"{API}/complaints/{complaint_id}", headers=focal).json["confidential"]
    listed = client.get(f"{API}/tasks?search={reference}", headers=focal).json
    assert [t["name"] for t in listed["tasks"]] == ["record_consent"]


# --- JSON input read strictly, and the duplicate link ------------------------------------------


def _at_classification(app) -> tuple[int, str]:
    with app.app_context():
        complaint = journeys.to_classification()
        return complaint.id, journeys.open_task(complaint, "classify_complaint").id


@pytest.mark.parametrize("value", [0, "0", "no", "off", "False", 1, "true"])
@pytest.mark.parametrize("name", ["breach_of_law", "sensitive"])
def test_classification_flags_are_only_json_booleans(app, client, as_user, name, value):
    complaint_id, task_id = _at_classification(app)
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"category": "billing", "severity": "low", name: value},
        headers=as_user("supervisor"),
    )
    assert problem(response, 422, "validation_failed")["errors"] == {name: ["Send true or false."]}
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert (complaint.route, complaint.confidential) == (None, False)
        assert db.session.get(Task, task_id).status == "open"


def test_json_false_flags_route_a_complaint_minor(app, client, as_user):
    complaint_id, task_id = _at_classification(app)
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"category": "billing", "severity": "low", "breach_of_law": False, "sensitive": False},
        headers=as_user("supervisor"),
    )
    assert response.status_code == 200, response.json
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert (complaint.route, complaint.confidential) == ("minor", False)


def test_wrong_types_and_unknown_fields_are_each_named(app, client, as_user):
    complaint_id, task_id = _at_classification(app)
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={
            "category": ["billing", "safety"],
            "severity": 3,
            "financial_impact": "12.50",
            "classification_notes": {"text": "x"},
            "route": "minor",
        },
        headers=as_user("supervisor"),
    )
    assert problem(response, 422, "validation_failed")["errors"] == {
        "category": ["Send a single value, not a list."],
        "severity": ["Send text."],
        "financial_impact": ["Send a number."],
        "classification_notes": ["Send text."],
        "route": ["This field is not part of the form."],
    }
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"


def test_what_the_schema_refuses_is_refused_even_where_the_page_is_lenient(app, client, as_user):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"registration_outcome": "not_a_complaint", "duplicate_of": "c-2026-000001"},
        headers=as_user("agent"),
    )
    # The field's own message for its pattern, not "Not accepted by the published schema
    # (pattern).", the schema's keyword.
    assert problem(response, 422, "validation_failed")["errors"] == {
        "duplicate_of": ["Enter a reference such as C-2025-000042."]
    }
    french = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"registration_outcome": "not_a_complaint", "duplicate_of": "c-2026-000001"},
        headers={**as_user("agent"), "Accept-Language": "fr"},
    )
    assert problem(french, 422, "validation_failed")["errors"] == {
        "duplicate_of": ["Saisissez une référence comme C-2025-000042."]
    }


def _register_as_duplicate(client, headers, task_id, reference):
    return client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"registration_outcome": "duplicate", "duplicate_of": reference},
        headers=headers,
    )


def test_duplicate_must_name_another_existing_complaint(app, client, as_user):
    complaint_id, reference = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    headers = as_user("agent")
    year = reference.split("-")[1]
    unknown = _register_as_duplicate(client, headers, task_id, f"C-{year}-999999")
    assert unknown.status_code == 422
    assert unknown.json["errors"] == {
        "duplicate_of": [f"No complaint has the reference C-{year}-999999."]
    }
    itself = _register_as_duplicate(client, headers, task_id, reference)
    assert itself.status_code == 422
    assert itself.json["errors"] == {
        "duplicate_of": [
            "A complaint cannot duplicate itself: give the reference of the other one."
        ]
    }
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.duplicate_of_id is None
        assert db.session.get(Task, task_id).status == "open"


def test_duplicate_is_linked_both_ways_in_the_api(app, client, as_user):
    original_id, original_ref = file_complaint(app)
    copy_id, copy_ref = file_complaint(app)
    task_id = open_task_id(app, copy_id, "register_complaint")
    headers = as_user("agent")
    response = _register_as_duplicate(client, headers, task_id, original_ref)
    assert response.status_code == 200, response.json
    with app.app_context():
        assert db.session.get(Complaint, copy_id).duplicate_of_id == original_id
    admin = as_user("admin")
    copy = client.get(f"{API}/complaints/{copy_id}", headers=admin).json
    assert copy["duplicate_of"]["reference"] == original_ref
    assert copy["duplicates"] == []
    original = client.get(f"{API}/complaints/{original_id}", headers=admin).json
    assert original["duplicate_of"] is None
    assert [c["reference"] for c in original["duplicates"]] == [copy_ref]


def test_duplicate_link_to_a_confidential_complaint_is_hidden_from_others(app, client, as_user):
    with app.app_context():
        original = journeys.to_classification()
        original_id, original_ref = original.id, original.reference
    copy_id, _ = file_complaint(app)
    task_id = open_task_id(app, copy_id, "register_complaint")
    assert (
        _register_as_duplicate(client, as_user("agent"), task_id, original_ref).status_code == 200
    )
    with app.app_context():
        journeys.complete(
            db.session.get(Complaint, original_id), "classify_complaint", sensitive=True
        )
        assert db.session.get(Complaint, original_id).confidential
    copy = client.get(f"{API}/complaints/{copy_id}", headers=as_user("admin")).json
    assert copy["duplicate_of"] is None
    focal = client.get(f"{API}/complaints/{original_id}", headers=as_user("focal")).json
    assert focal["confidential"] is True
    # Nor can a confidential reference be probed by naming it as the original.
    other_id, _ = file_complaint(app)
    other_task = open_task_id(app, other_id, "register_complaint")
    probe = _register_as_duplicate(client, as_user("agent"), other_task, original_ref)
    assert probe.json["errors"] == {
        "duplicate_of": [f"No complaint has the reference {original_ref}."]
    }


def test_a_process_owners_french_message_arrives_as_written(app, client, as_user):
    # The form's own texts (processes/forms/*.toml) were HTML-escaped in JSON: "l&#39;enregistrer".
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    answers = {**journeys.ANSWERS["register_complaint"], "form_complete": False}
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json=answers,
        headers={**as_user("agent"), "Accept-Language": "fr"},
    )
    errors = problem(response, 422, "validation_failed")["errors"]
    said = " ".join(message for messages in errors.values() for message in messages)
    assert "Vérifiez que le formulaire est complet avant de l'enregistrer." in said
    assert "&#39;" not in said


def test_errors_a_program_meets_speak_its_language(client, as_user):
    headers = {**as_user("agent"), "Accept-Language": "fr"}
    missing = client.get(f"{API}/no-such-thing", headers=headers)
    assert problem(missing, 404, "not_found")["detail"] == "Rien n'existe à cette adresse."
    assert "Accept-Language" in missing.headers["Vary"]
    wrong = client.delete(f"{API}/tasks", headers=headers)
    detail = problem(wrong, 405, "method_not_allowed")["detail"]
    assert detail.startswith("Cette adresse n'accepte pas cette méthode")
    events = client.get(f"{API}/events?types=zz", headers=headers)
    [said] = problem(events, 422, "validation_failed")["errors"]["types"]
    assert said.startswith("Types d'événements inconnus\u00a0: zz.")
