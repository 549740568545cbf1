"""Input no view should see: integers beyond 64 bits and NUL characters (app/input_guards.py)."""

from __future__ import annotations

import pytest

from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id
from tests.app.helpers import csrf_token, login, post_form

TOO_BIG = "9223372036854775808"  # 2**63: OverflowError on SQLite, out of range on PostgreSQL
# 2**31 and up are out of range of PostgreSQL's INTEGER ids.


@pytest.mark.parametrize(
    "complaint_id",
    [
        TOO_BIG,
        "99999999999999999999999999",
        "-1",
        "2147483648",
        "2147483647",
        "9223372036854775807",
    ],
)
def test_api_complaint_ids_beyond_the_database_are_not_found(client, runner, complaint_id):
    headers = bearer(issue_token(runner, "admin"))
    response = client.get(f"{API}/complaints/{complaint_id}", headers=headers)
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


@pytest.mark.parametrize("path", [f"/complaints/{TOO_BIG}", f"/complaints/1/attachments/{TOO_BIG}"])
def test_html_complaint_ids_beyond_the_database_are_not_found(app, client, path):
    file_complaint(app)
    login(client, "admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "text/html" in response.content_type


def test_integer_query_parameters_beyond_the_database_count_as_absent(client):
    login(client, "owner")
    assert client.get(f"/processes/editor?version={TOO_BIG}").status_code == 200


def test_nul_in_api_search_filters_and_task_ids_is_a_bad_request(app, client, runner):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    headers = bearer(issue_token(runner, "agent"))
    for url in (
        f"{API}/tasks?search=C-2026%00",
        f"{API}/tasks?category=billing%00",
        f"{API}/tasks?sc%00ope=roles",
        f"{API}/tasks/{task_id}%00",
        f"{API}/tracking/abc%00def",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 400, url
        assert response.mimetype == "application/problem+json"
        assert (response.json["code"], response.json["detail"]) == (
            "bad_request",
            "The request contains a NUL character.",
        )
    response = client.post(
        f"{API}/tasks/{task_id}/complete",
        json={"registration_outcome": "not_a_complaint", "registration_notes": "a\u0000b"},
        headers=headers,
    )
    assert response.status_code == 400
    with app.app_context():
        from services.db import db
        from services.models import Task

        assert db.session.get(Task, task_id).status == "open"


def test_nul_in_public_filing_is_a_bad_request(client):
    response = client.post(
        f"{API}/complaints",
        json={"anonymous": True, "attestation": True, "description": "Leaks\u0000 everywhere."},
    )
    assert response.status_code == 400
    assert response.json["detail"] == "The request contains a NUL character."


def test_a_raw_nul_in_a_body_is_a_bad_request_before_authentication(client):
    # The document: a NUL anywhere in a request (path, query, body) is a 400 before anything
    # else. A raw NUL byte in a JSON body (JSON that does not parse) was answered 401 without
    # a token, and 422 "Send a JSON object" on public filing.
    for path in ("/tokens", "/webhooks", "/complaints", "/tracking/survey"):
        for body in (b'{"name": "a\x00b"}', b'{"name": "ab"}\x00'):
            response = client.post(f"{API}{path}", data=body, content_type="application/json")
            assert response.status_code == 400, (path, body, response.json)
            assert response.json["detail"] == "The request contains a NUL character."
    plain = client.post(f"{API}/tokens", data=b"a\x00b", content_type="text/plain")
    assert plain.status_code == 400


def test_nul_in_pages_is_a_bad_request_with_the_html_error_page(app, client):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    login(client, "agent")
    for url in ("/inbox?search=%00", f"/tasks/{task_id}%00", "/complaints?search=x%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "text/html" in response.content_type
        assert "NUL character" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/intake",
        {
            "channel": "phone",
            "anonymous": "y",
            "description": "Rang about \x00 a leak.",
        },
    )
    assert response.status_code == 400
    assert csrf_token(client, "/intake")  # the page still works afterwards


def test_a_json_value_of_the_wrong_type_for_any_form_is_a_422(client):
    # formdata_from_json refuses it with JsonInputError; the editor's replay reads its count so.
    login(client, "owner")
    token = csrf_token(client, "/processes/editor")
    response = client.post(
        "/processes/replay",
        json={"dmn": "<definitions/>", "last_n": "50"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json["details"] == {"last_n": ["Send a whole number."]}
