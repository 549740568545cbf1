"""Input no view should see: integers beyond 64 bits and NUL characters (app/input_guards.py),
and whole numbers beyond what the database holds in query strings and forms (forms/numbers.py)."""

from __future__ import annotations

import pytest

from tests import journeys as j
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem
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


# Whole numbers beyond what the database holds, in query strings and forms (forms/numbers.py):
# a 400-digit one is beyond a float (WTForms' NumberRange failed on it), a 23-digit one beyond
# SQLite's 64 bits and PostgreSQL's INTEGER. Each was a 500 (OverflowError).
HUGE = "9" * 400
BIG = "99999999999999999999999"
BEYOND = [HUGE, BIG]


def _open_tasks(app, count=1):
    with app.app_context():
        return [j.open_task(j.to_classification(), "classify_complaint").id for _ in range(count)]


@pytest.mark.parametrize("number", BEYOND)
@pytest.mark.parametrize(
    "url",
    [
        "/complaints?page=",
        "/inbox?page=",
        "/inbox/all?page=",
        "/inbox/all?assignee=",
        "/service-levels?page=",
        "/dashboard/complaints?page=",
    ],
)
def test_numbers_beyond_the_database_in_a_list_filter_are_a_bad_filter(client, url, number):
    # As for any filter that is wrong: the page with the defaults in its place, and a 422.
    login(client, "manager")
    response = client.get(url + number)
    assert response.status_code == 422, url
    assert "text/html" in response.content_type
    assert "error-page" not in response.get_data(as_text=True)


@pytest.mark.parametrize("number", BEYOND)
def test_all_open_tasks_of_an_assignee_beyond_the_database_lists_everyones(app, client, number):
    (task_id,) = _open_tasks(app)
    login(client, "manager")
    response = client.get(f"/inbox/all?assignee={number}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'value="{task_id}"' in html  # its tick box: everyone's tasks are listed
    assert "of one person" not in html and f'value="{number}"' not in html
    assert client.get("/inbox/all?assignee=none").status_code == 200
    assert client.get("/inbox/all?assignee=2147483647").status_code == 200


@pytest.mark.parametrize("number", BEYOND)
def test_a_complaint_export_with_a_page_beyond_the_database_is_refused(client, number):
    # The export refuses wrong filters rather than hand out everything.
    login(client, "manager")
    response = client.get(f"/complaints/export.csv?page={number}")
    assert response.status_code == 422
    assert "These filters are not valid: Page: Number must be between 1 and 100000." in (
        response.get_data(as_text=True)
    )


@pytest.mark.parametrize("number", BEYOND)
def test_a_bulk_assignment_to_an_id_beyond_the_database_changes_nothing(app, client, number):
    from services.db import db
    from services.models import AuditEvent, Task

    task_ids = _open_tasks(app, 2)
    with app.app_context():
        events = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    login(client, "manager")
    response = post_form(
        client,
        "/inbox/bulk",
        [*(("task_ids", task_id) for task_id in task_ids)]
        + [("action", "assign"), ("assignee", number), ("next", "/inbox/all")],
        form_url="/inbox/all",
    )
    assert response.status_code == 302
    assert "Choose who takes the ticked tasks." in client.get("/inbox/all").get_data(as_text=True)
    with app.app_context():
        assert [db.session.get(Task, task_id).assignee_id for task_id in task_ids] == [None, None]
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize("number", BEYOND)
def test_a_breach_view_reassignment_to_an_id_beyond_the_database_is_refused(app, client, number):
    from services.db import db
    from services.models import Task

    (task_id,) = _open_tasks(app)
    login(client, "manager")
    response = post_form(
        client,
        f"/service-levels/tasks/{task_id}/reassign",
        {"assignee": number},
        form_url="/service-levels",
    )
    assert response.status_code == 302
    assert "from the list." in client.get("/service-levels").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Task, task_id).assignee_id is None


@pytest.mark.parametrize("number", ["²", "9" * 5000, HUGE, BIG])
def test_ids_in_page_queries_beyond_the_database_or_in_other_digits_are_none(client, number):
    # "²" is a digit to str.isdigit, not to int(); 5,000 digits are more than int() reads.
    login(client, "manager")
    for url in ("/improvement/actions/new?issue=", "/improvement/actions/new?complaint="):
        response = client.get(url + number)
        assert response.status_code == 404, url
        assert "text/html" in response.content_type
    login(client, "admin")
    # A template version that is no number shows the template without a version's preview.
    assert client.get(f"/admin/templates/acknowledgement/fr?version={number}").status_code == 200


@pytest.mark.parametrize("number", ["²", "9" * 5000, HUGE, BIG])
def test_api_query_numbers_beyond_their_range_or_in_other_digits_are_a_422(client, runner, number):
    headers = bearer(issue_token(runner, "admin"))
    for name, url in (
        ("after", f"{API}/events?after="),
        ("limit", f"{API}/events?limit="),
        ("user_id", f"{API}/tokens?user_id="),
    ):
        body = problem(client.get(url + number, headers=headers), 422, "validation_failed")
        assert list(body["errors"]) == [name], url
