"""The API's complaint list (filters, cursor pages, confidentiality), look-up by reference, and
the id in the filing answer."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from openapi_spec_validator import validate

from forms.base import json_validator
from services import complaints, users
from services.db import db
from services.models import Complaint
from tests import journeys
from tests.app.api_helpers import API, bearer, file_complaint, issue_token


@pytest.fixture
def as_user(runner):
    """Headers carrying a demo user's API token."""
    return lambda username: bearer(issue_token(runner, username))


def recorded(app, received_at: datetime, **values) -> int:
    """A complaint recorded by the intake agent as received at `received_at` (UTC); its id."""
    channel = values.pop("channel", "phone")
    with app.app_context():
        filed = complaints.file_complaint(
            {**journeys.INTAKE, **values},
            channel=channel,
            received_by=journeys.user("agent"),
            received_at=received_at,
        )
        db.session.commit()
        return filed.complaint.id


def listed(client, headers, query: str = "") -> list[int]:
    """The ids of the first page of GET /complaints?query."""
    response = client.get(f"{API}/complaints?{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [c["id"] for c in response.json["complaints"]]


def every_page(client, headers, query: str) -> list[int]:
    """The ids of every page, following links.next."""
    ids: list[int] = []
    url = f"{API}/complaints?{query}"
    while url:
        body = client.get(url, headers=headers).json
        ids += [c["id"] for c in body["complaints"]]
        url = body["links"]["next"]
    return ids


# --- the list -------------------------------------------------------------------------------


def test_staff_list_complaints_newest_first_with_what_the_list_page_shows(app, client, as_user):
    older = recorded(app, datetime(2026, 11, 2, 9, 15, tzinfo=UTC), department="Billing")
    anonymous, _ = file_complaint(app, anonymous=True, preferred_contact="none")
    body = client.get(f"{API}/complaints", headers=as_user("analyst")).json
    assert [c["id"] for c in body["complaints"]] == [anonymous, older]
    assert body["next_cursor"] is None and body["links"]["next"] is None
    item = body["complaints"][1]
    assert item["received_at"] == "2026-11-02T09:15:00+00:00"
    assert (item["channel"], item["department"]) == ("phone", "Billing")
    assert item["complainant_name"] == "Aminata Diallo"
    assert item["confidential"] is False and item["closed_at"] is None
    assert item["links"]["self"] == f"{API}/complaints/{older}"
    assert body["complaints"][0]["complainant_name"] is None  # anonymous


def test_staff_whose_role_reads_no_complaints_are_refused(client, as_user):
    response = client.get(f"{API}/complaints", headers=as_user("owner"))
    assert response.status_code == 403


def test_list_without_a_token_is_refused(client):
    assert client.get(f"{API}/complaints").status_code == 401


def test_each_filter_keeps_only_the_matching_complaints(app, client, as_user):
    headers = as_user("manager")
    dupont, dupont_ref = file_complaint(app, complainant_name="Jean Dupont")
    phone = recorded(app, datetime(2026, 11, 2, 10, 0, tzinfo=UTC), department="Billing")
    letter = recorded(app, datetime(2026, 11, 3, 10, 0, tzinfo=UTC), channel="letter")
    with app.app_context():
        classified = journeys.to_minor_resolution().id
        closed = journeys.file()
        journeys.complete(closed, "register_complaint", registration_outcome="not_a_complaint")
        closed = closed.id
    with app.app_context():
        # Reached through the services: the statuses each complaint is in now.
        status = {c.id: c.status for c in db.session.scalars(db.select(Complaint))}
    assert status[closed] == "closed" and status[classified] == "resolution"

    assert listed(client, headers, f"reference={dupont_ref.lower()}") == [dupont]
    assert listed(client, headers, "name=DUPO") == [dupont]
    assert listed(client, headers, "name=%25") == []  # % is a plain character
    assert listed(client, headers, "status=resolution") == [classified]
    assert listed(client, headers, "category=product_quality") == [classified]
    assert listed(client, headers, "channel=letter") == [letter]
    assert listed(client, headers, "department=Billing") == [phone]
    assert listed(client, headers, "state=closed") == [closed]
    assert closed not in listed(client, headers, "state=open")
    assert set(listed(client, headers, "state=open")) == {dupont, phone, letter, classified}
    assert listed(client, headers, "received_from=2026-11-02&received_to=2026-11-02") == [phone]
    assert listed(client, headers, "channel=phone&department=Customer+service") == []


def test_received_dates_are_days_of_the_organisation_not_utc(app, client, as_user):
    # 23:30 UTC on 2 November is 00:30 on 3 November in Paris.
    late = recorded(app, datetime(2026, 11, 2, 23, 30, tzinfo=UTC))
    headers = as_user("manager")
    assert listed(client, headers, "received_from=2026-11-03&received_to=2026-11-03") == [late]
    assert listed(client, headers, "received_to=2026-11-02") == []


def test_the_first_and_last_days_of_the_calendar_bound_nothing(app, client, as_user):
    # 0001-01-01 begins in Paris before any UTC time datetime holds, and 9999-12-31 has no
    # next day: both were a 500.
    late = recorded(app, datetime(2026, 11, 2, 23, 30, tzinfo=UTC))
    headers = as_user("manager")
    assert listed(client, headers, "received_from=0001-01-01&received_to=9999-12-31") == [late]
    assert listed(client, headers, "received_from=9999-12-31") == []
    assert listed(client, headers, "received_to=0001-01-01") == []


def test_a_crafted_cursor_with_an_id_beyond_integer_is_refused(client, as_user):
    # A cursor is base64 JSON [order, time, id]; an id beyond INTEGER was a 500 on PostgreSQL.
    for number in (2**31, 2**63, -1):
        raw = json.dumps(["newest", "2026-11-02T10:00:00+00:00", number]).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get(f"{API}/complaints?cursor={cursor}", headers=as_user("manager"))
        assert response.status_code == 422, (number, response.json)
        assert list(response.json["errors"]) == ["cursor"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("category=nonsense", "category"),
        ("channel=pigeon", "channel"),
        ("state=ajar", "state"),
        ("sort=random", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("received_from=02/11/2026", "received_from"),
        ("received_from=2026-11-05&received_to=2026-11-01", "received_to"),
        ("cursor=not-a-cursor", "cursor"),
        ("reference=" + "C" * 21, "reference"),
    ],
)
def test_bad_list_parameters_are_refused_naming_each(client, as_user, query, field):
    response = client.get(f"{API}/complaints?{query}", headers=as_user("manager"))
    assert response.status_code == 422
    assert field in response.json["errors"]


# --- cursor pages ---------------------------------------------------------------------------


def test_cursor_pages_neither_repeat_nor_skip_while_complaints_arrive(app, client, as_user):
    headers = as_user("manager")
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    # Three share one receipt time: the id breaks the tie, across a page boundary too.
    existing = [recorded(app, start + timedelta(minutes=n // 3 * 10)) for n in range(8)]
    expected = sorted(existing, key=lambda i: (existing.index(i) // 3, i), reverse=True)
    first = client.get(f"{API}/complaints?limit=3&department=Customer+service", headers=headers)
    body = first.json
    seen = [c["id"] for c in body["complaints"]]
    assert len(seen) == 3 and body["next_cursor"]
    assert body["links"]["next"].startswith(f"{API}/complaints?")
    assert "department=Customer+service" in body["links"]["next"]
    # New complaints arrive between two requests: they are newer, so before the first page.
    arrivals = [file_complaint(app)[0] for _ in range(2)]
    url = body["links"]["next"]
    while url:
        body = client.get(url, headers=headers).json
        assert len(body["complaints"]) <= 3
        seen += [c["id"] for c in body["complaints"]]
        url = body["links"]["next"]
    assert seen == expected
    assert not set(arrivals) & set(seen)
    # The next walk starts with them.
    assert listed(client, headers, "limit=2") == sorted(arrivals, reverse=True)


def test_oldest_first_pages_in_the_other_order_and_a_cursor_keeps_its_order(app, client, as_user):
    headers = as_user("manager")
    ids = [recorded(app, datetime(2026, 11, 2, 8, n, tzinfo=UTC)) for n in range(5)]
    assert every_page(client, headers, "sort=oldest&limit=2") == ids
    cursor = client.get(f"{API}/complaints?limit=2", headers=headers).json["next_cursor"]
    response = client.get(f"{API}/complaints?sort=oldest&cursor={cursor}", headers=headers)
    assert response.status_code == 422 and "cursor" in response.json["errors"]


# --- confidentiality ------------------------------------------------------------------------


def test_confidential_complaints_are_listed_only_to_staff_cleared_for_them(app, client, as_user):
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    plain, secret = [], []
    for n in range(6):
        moment = start + timedelta(minutes=n)
        if n % 2:
            secret.append(recorded(app, moment, sensitive_at_intake=True))
        else:
            plain.append(recorded(app, moment))
    manager = as_user("manager")
    assert every_page(client, manager, "limit=2") == sorted(plain, reverse=True)
    assert listed(client, manager, "name=Aminata") == sorted(plain, reverse=True)
    with app.app_context():
        reference = db.session.get(Complaint, secret[0]).reference
    assert listed(client, manager, f"reference={reference}") == []
    # The focal point, and a manager an administrator cleared, see them all, in order.
    everything = sorted(plain + secret, reverse=True)
    assert every_page(client, as_user("focal"), "limit=2") == everything
    with app.app_context():
        users.by_username("manager").confidential_clearance = True
        db.session.commit()
    assert every_page(client, manager, "limit=4") == everything
    assert every_page(client, manager, "limit=4&sort=oldest") == sorted(everything)


# --- look-up by reference -------------------------------------------------------------------


def test_a_closed_complaint_is_found_by_its_reference(app, client, as_user):
    with app.app_context():
        complaint = journeys.file()
        journeys.complete(complaint, "register_complaint", registration_outcome="not_a_complaint")
        complaint_id, reference = complaint.id, complaint.reference
    headers = as_user("analyst")
    response = client.get(f"{API}/complaints/by-reference/{reference.lower()}", headers=headers)
    assert response.status_code == 200
    body = response.json
    assert (body["id"], body["reference"], body["status"]) == (complaint_id, reference, "closed")
    assert body["closed_at"] is not None
    assert body == client.get(f"{API}/complaints/{complaint_id}", headers=headers).json


def test_look_up_of_an_unknown_or_hidden_reference_is_not_found(app, client, as_user):
    secret = recorded(app, datetime(2026, 11, 2, 8, 0, tzinfo=UTC), sensitive_at_intake=True)
    with app.app_context():
        reference = db.session.get(Complaint, secret).reference
    manager = as_user("manager")
    assert (
        client.get(f"{API}/complaints/by-reference/{reference}", headers=manager).status_code == 404
    )
    assert (
        client.get(f"{API}/complaints/by-reference/C-2026-999999", headers=manager).status_code
        == 404
    )
    found = client.get(f"{API}/complaints/by-reference/{reference}", headers=as_user("focal"))
    assert found.status_code == 200 and found.json["confidential"] is True


# --- filing ---------------------------------------------------------------------------------


def test_the_filing_answer_carries_the_complaint_id(app, client):
    response = client.post(
        f"{API}/complaints",
        json={
            "complainant_name": "Aminata Diallo",
            "email": "aminata@example.org",
            "preferred_contact": "email",
            "description": "The machine leaks water from the first wash and nobody answers.",
            "attestation": True,
        },
    )
    assert response.status_code == 201
    with app.app_context():
        complaint = db.session.get(Complaint, response.json["id"])
        assert complaint is not None and complaint.reference == response.json["reference"]


# --- the document ---------------------------------------------------------------------------

OPERATIONS = (
    ("/complaints", "get"),
    ("/complaints", "post"),
    ("/complaints/by-reference/{reference}", "get"),
    ("/complaints/intake", "post"),
    ("/tasks/{task_id}/assign", "post"),
)


def test_the_document_describes_each_operation_with_examples_its_schemas_accept(client):
    document = client.get(f"{API}/openapi.json").json
    validate(document)
    components = document["components"]

    def accepts(schema, example) -> bool:
        return json_validator({**schema, "components": components}).is_valid(example)

    checked = 0
    for path, method in OPERATIONS:
        operation = document["paths"][path][method]
        bodies = [operation.get("requestBody", {}).get("content", {})]
        bodies += [answer.get("content", {}) for answer in operation["responses"].values()]
        for content in bodies:
            for media in content.values():
                if "example" in media:
                    assert accepts(media["schema"], media["example"]), (path, method)
                    checked += 1
    assert checked >= 7  # requests and answers of the four operations of this part
    intake = document["paths"]["/complaints/intake"]["post"]["requestBody"]["content"]
    assert intake["multipart/form-data"]["encoding"]["attachments"]["contentType"]
    assert "web" not in components["schemas"]["StaffIntakeForm"]["properties"]["channel"]["enum"]
    assert "id" in components["schemas"]["Filed"]["required"]
    for path, method in OPERATIONS:
        if path != "/complaints" or method != "post":
            assert "example" in str(document["paths"][path][method]), (path, method)


def test_the_list_example_is_a_page_its_own_query_could_give(client):
    # The example's links asked for status=closed while its one complaint was under
    # investigation: a reader took the filter for something else than it is.
    from urllib.parse import parse_qs, urlsplit

    document = client.get(f"{API}/openapi.json").json
    answer = document["paths"]["/complaints"]["get"]["responses"]["200"]
    example = answer["content"]["application/json"]["example"]
    query = parse_qs(urlsplit(example["links"]["self"]).query)
    assert query  # a filtered page, as the next link shows the filter kept
    for item in example["complaints"]:
        for name in ("status", "category", "channel"):
            assert query.get(name, [item[name]]) == [item[name]], name
        if "state" in query:
            assert (item["closed_at"] is None) == (query["state"] == ["open"])
    assert example["links"]["next"].startswith(example["links"]["self"] + "&cursor=")


def test_each_listed_complaint_names_its_category_in_the_readers_language(app, client, as_user):
    # The list gave the category's value only; the complaint's detail gave its label too.
    with app.app_context():
        classified = journeys.to_minor_resolution().id
    unclassified, _ = file_complaint(app)
    headers = as_user("manager")
    english = client.get(f"{API}/complaints", headers=headers)
    assert english.headers["Content-Language"] == "en"
    items = {c["id"]: c for c in english.json["complaints"]}
    assert (items[classified]["category"], items[classified]["category_label"]) == (
        "product_quality",
        "Product quality",
    )
    assert (items[unclassified]["category"], items[unclassified]["category_label"]) == (None, "")
    detail = client.get(f"{API}/complaints/{classified}", headers=headers).json
    assert detail["category_label"] == items[classified]["category_label"]
    french = client.get(f"{API}/complaints", headers={**headers, "Accept-Language": "fr"})
    assert french.headers["Content-Language"] == "fr"
    labels = {c["id"]: c["category_label"] for c in french.json["complaints"]}
    assert labels == {classified: "Qualité du produit", unclassified: ""}
    # The document lists it, and the answer fits the document.
    document = client.get(f"{API}/openapi.json").json
    schemas = document["components"]["schemas"]
    item = schemas["ComplaintListItem"]["allOf"][1]
    assert "category_label" in item["properties"] and "category_label" in item["required"]
    example = document["paths"]["/complaints"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    assert example["complaints"][0]["category_label"] == "Product quality"
    resolved = {**document, "$ref": "#/components/schemas/ComplaintList"}
    assert not list(json_validator(resolved).iter_errors(french.json))


def statements_of(app, client, url, headers) -> list[str]:
    """The SQL statements answering GET `url`."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.json
    return seen


def test_the_category_labels_cost_no_statement_per_listed_complaint(app, client, as_user):
    with app.app_context():
        journeys.to_minor_resolution()
    headers = as_user("manager")
    url = f"{API}/complaints?limit=1"
    client.get(url, headers=headers)  # the version's lists, read once in this process
    one = statements_of(app, client, url, headers)
    with app.app_context():
        for _ in range(3):
            journeys.to_minor_resolution()
    page = f"{API}/complaints?limit=10"
    body = client.get(page, headers=headers).json
    assert [c["category_label"] for c in body["complaints"]] == ["Product quality"] * 4
    assert len(statements_of(app, client, page, headers)) == len(one)
