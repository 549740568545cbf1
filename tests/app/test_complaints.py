"""The staff complaint list and case file: search, filters, audit trail, documents, secrecy."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from services import attachments, saved_filters
from services.db import db
from tests import journeys as j
from tests.app.helpers import csrf_token, login, post_form

ROW_REFERENCE = re.compile(r'/complaints/\d+">(C-\d{4}-\d{6})</a>')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def listed(response) -> list[str]:
    """The complaint references in the page's table rows."""
    return ROW_REFERENCE.findall(response.get_data(as_text=True))


def attach(app: Flask, complaint, filename: str, content: bytes, declared: str) -> int:
    """Attach a file to a complaint as the public form does; returns its id."""
    stored = attachments.add(
        complaint, filename, content, declared, upload_dir=app.config["UPLOAD_DIR"]
    )
    db.session.commit()
    return stored.id


def make_confidential(**intake):
    """A complaint classified as gender-based violence: routed to the focal point."""
    complaint = j.to_classification(**intake)
    j.complete(complaint, "classify_complaint", category="gender_based_violence")
    return j.refreshed(complaint)


def test_complaint_list_shows_what_the_user_may_see_newest_first(app, client):
    with app.app_context():
        older = j.file(complainant_name="Omar Ba").reference
        newer = j.file(complainant_name="Zoé Martin").reference
    login(client, "analyst")
    page = client.get("/complaints")
    assert page.status_code == 200
    assert listed(page) == [newer, older]
    assert "2 complaints" in page.get_data(as_text=True)
    assert listed(client.get("/complaints?sort=oldest")) == [older, newer]


def test_complaint_list_searches_by_reference_and_name(app, client):
    with app.app_context():
        zoe = j.file(complainant_name="Zoé Martin").reference
        omar = j.file(complainant_name="Omar Ba").reference
    login(client, "supervisor")
    assert listed(client.get(f"/complaints?search={omar.lower()}")) == [omar]
    assert listed(client.get("/complaints?search=MARTIN")) == [zoe]
    assert "No complaints match these filters." in client.get("/complaints?search=xyz").text


def test_complaint_list_filters_by_category_status_channel_and_department(app, client):
    with app.app_context():
        billing = j.to_classification(department="Billing office")
        j.complete(billing, "classify_complaint", category="billing")
        fresh = j.file()
        billing, fresh = billing.reference, fresh.reference
    login(client, "manager")
    assert listed(client.get("/complaints?category=billing")) == [billing]
    assert listed(client.get("/complaints?status=registration")) == [fresh]
    assert listed(client.get("/complaints?channel=web")) == [fresh, billing]
    assert listed(client.get("/complaints?channel=phone")) == []
    assert listed(client.get("/complaints?department=Billing+office")) == [billing]


def test_complaint_list_pages_through_many_complaints(app, client):
    with app.app_context():
        for _ in range(27):
            j.file()
    login(client, "analyst")
    first = client.get("/complaints")
    assert len(listed(first)) == 25 and "27 complaints" in first.text
    second = client.get("/complaints?page=2")
    assert len(listed(second)) == 2


def test_reference_lookup_goes_to_the_complaint(app, client):
    with app.app_context():
        complaint = j.file()
        reference, complaint_id = complaint.reference, complaint.id
    login(client, "agent")
    response = client.get(f"/complaints/lookup?reference=+{reference.lower()}+")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/complaints/{complaint_id}"
    assert client.get("/complaints/lookup?reference=C-1999-000001").status_code == 404
    assert client.get("/complaints/lookup").status_code == 404


def test_complaint_detail_shows_intake_status_and_open_tasks(app, client):
    with app.app_context():
        complaint = j.to_minor_resolution()
        task_id = j.open_task(complaint, "resolve_minor").id
        complaint_id, reference = complaint.id, complaint.reference
    login(client, "supervisor")
    html = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert f"Complaint {reference}" in html
    assert "Being resolved" in html and "Product quality" in html and "Minor" in html
    assert f'href="/tasks/{task_id}"' in html and "Resolve minor complaint" in html
    assert "Washing machine WM-300" in html and "Aminata Diallo" in html
    assert "How it was bought" in html and "In a shop or office" in html
    assert "/reassign" not in html  # only managers reassign


def test_complaint_detail_shows_the_timeline_with_each_steps_form_data(app, client):
    with app.app_context():
        complaint = j.to_minor_resolution()
        j.complete(complaint, "resolve_minor")
        complaint_id, reference = complaint.id, complaint.reference
    login(client, "manager")
    html = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    history = html[html.index('<h2 id="history-title">History') :]
    steps = ["Complaint received", "Register complaint", "Classify complaint"]
    positions = [history.index(step) for step in steps]
    assert positions == sorted(positions)
    # Each step's data under the form's labels, with choices in words.
    assert "<dt>Outcome</dt><dd>Complete: register it</dd>" in history
    assert "<dt>Category</dt><dd>Product quality</dd>" in history
    assert "<dt>Severity</dt><dd>Low</dd>" in history
    assert "<dt>Remedies</dt><dd>Repair, Apology</dd>" in history
    assert "Awa Intake" in history and "Samuel Supervisor" in history
    # The messages to the complainant: queued with their kind until the worker writes them,
    # then exactly what was sent.
    messages = html[
        html.index("<h2>Messages to the complainant") : html.index('<h2 id="history-title">')
    ]
    assert "The complaint is registered" in messages and "Waiting to be sent" in messages
    assert "written from the template in use when it is sent" in messages
    with app.app_context():
        j.write_messages()
    html = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert f"Your complaint {reference} has been received" in html


def test_staff_download_a_complaints_document(app, client):
    with app.app_context():
        complaint = j.file()
        attachment_id = attach(app, complaint, "photo of the leak.png", PNG, "image/png")
        complaint_id = complaint.id
    login(client, "investigator")
    detail = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    url = f"/complaints/{complaint_id}/attachments/{attachment_id}"
    assert f'href="{url}"' in detail and "photo of the leak.png" in detail
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.data == PNG
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "image/png"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "photo of the leak.png" in disposition


def test_a_document_is_only_reachable_through_its_own_complaint(app, client):
    with app.app_context():
        first, second = j.file(), j.file()
        attachment_id = attach(app, first, "invoice.pdf", PDF, "application/pdf")
        second_id = second.id
    login(client, "supervisor")
    assert client.get(f"/complaints/{second_id}/attachments/{attachment_id}").status_code == 404
    assert client.get(f"/complaints/{second_id}/attachments/999999").status_code == 404


def test_confidential_complaint_does_not_exist_for_supervisor_and_manager(app, client):
    with app.app_context():
        secret = make_confidential(complainant_name="Secret Person")
        attachment_id = attach(app, secret, "statement.pdf", PDF, "application/pdf")
        normal = j.file().reference
        secret_id, secret_ref = secret.id, secret.reference
    for username in ("supervisor", "manager"):
        login(client, username)
        assert client.get(f"/complaints/{secret_id}").status_code == 404
        download = f"/complaints/{secret_id}/attachments/{attachment_id}"
        assert client.get(download).status_code == 404
        assert client.get(f"/complaints/lookup?reference={secret_ref}").status_code == 404
        listing = client.get("/complaints")
        assert listed(listing) == [normal]
        assert "1 complaint" in listing.text and "Secret Person" not in listing.text
        assert listed(client.get(f"/complaints?search={secret_ref}")) == []
        assert listed(client.get("/complaints?confidential=y")) == [normal]
        assert secret_ref not in client.get("/inbox").text


def test_focal_point_sees_confidential_complaints_everywhere(app, client):
    with app.app_context():
        secret = make_confidential()
        attachment_id = attach(app, secret, "statement.pdf", PDF, "application/pdf")
        normal = j.file().reference
        secret_id, secret_ref = secret.id, secret.reference
    login(client, "focal")
    detail = client.get(f"/complaints/{secret_id}")
    assert detail.status_code == 200 and "Confidential" in detail.text
    assert "Gender-based violence" in detail.text
    with client.get(f"/complaints/{secret_id}/attachments/{attachment_id}") as download:
        assert download.status_code == 200 and download.data == PDF
    listing = client.get("/complaints")
    assert listed(listing) == [normal, secret_ref] and "2 complaints" in listing.text
    assert listed(client.get("/complaints?confidential=y")) == [secret_ref]
    inbox = client.get("/inbox")
    assert listed(inbox) == [secret_ref]
    assert "Record informed consent" in inbox.text
    assert re.search(r'My roles\s*<span class="badge">1</span>', inbox.text)


def test_an_invalid_filter_is_reported(client):
    login(client, "analyst")
    response = client.get("/complaints?status=lost&page=zero")
    assert response.status_code == 422
    assert "Not a valid choice" in response.text


# The authorisation matrix: every demo user (and nobody signed in) against every route.
USERS = [None, "agent", "supervisor", "investigator", "manager", "counsel", "focal"] + [
    "owner",
    "analyst",
    "admin",
]
LANE = {"agent", "supervisor", "investigator", "manager", "counsel", "focal"}
READERS = LANE | {"analyst", "admin"}


def expected(route: str, user: str | None) -> int:
    """The status `user` should get from `route`."""
    if user is None:
        return 302  # to the sign-in page
    if route == "inbox":
        return 200 if user in LANE else 403
    if route in ("claim", "delete_filter", "reassign") and user not in LANE:
        return 403
    if route == "reassign":
        return 200 if user == "manager" else 403
    if route == "claim" and user == "manager":
        return 403  # a manager reads every task they oversee, but works only on their roles'
    if route in ("claim", "delete_filter"):
        return 302 if user == "supervisor" else 404  # others cannot see it
    if user not in READERS:
        return 403
    if route.startswith("secret"):
        if user != "focal":
            return 404
        return 302 if route == "secret_lookup" else 200
    return 302 if route == "lookup" else 200


@pytest.fixture
def world(app: Flask) -> dict[str, str]:
    """A normal and a confidential complaint with a document each, a task, a saved filter."""
    with app.app_context():
        normal = j.to_classification()
        secret = make_confidential()
        normal_file = attach(app, normal, "photo.png", PNG, "image/png")
        secret_file = attach(app, secret, "statement.pdf", PDF, "application/pdf")
        task_id = j.open_task(normal, "classify_complaint").id
        saved = saved_filters.save(j.user("supervisor"), "Phone", {"channel": "phone"})
        db.session.commit()
        return {
            "inbox": "/inbox",
            "list": "/complaints",
            "detail": f"/complaints/{normal.id}",
            "download": f"/complaints/{normal.id}/attachments/{normal_file}",
            "lookup": f"/complaints/lookup?reference={normal.reference}",
            "secret_detail": f"/complaints/{secret.id}",
            "secret_download": f"/complaints/{secret.id}/attachments/{secret_file}",
            "secret_lookup": f"/complaints/lookup?reference={secret.reference}",
            "reassign": f"/inbox/tasks/{task_id}/reassign",
            "claim": f"POST /inbox/tasks/{task_id}/claim",
            "delete_filter": f"POST /inbox/filters/{saved.id}/delete",
            "mentions": "/mentions",
        }


@pytest.mark.parametrize("user", USERS)
def test_authorisation_matrix(client, world, user):
    if user is not None:
        login(client, user)
    got = {}
    for route, url in world.items():
        if url.startswith("POST "):
            response = post_form(client, url[5:], {}, form_url="/auth/login")
        else:
            response = client.get(url)
        response.close()  # a download holds its file open until then
        got[route] = response.status_code
        if user is None:
            assert response.headers["Location"].startswith("/auth/login"), route
    assert got == {route: expected(route, user) for route in world}


def test_both_case_files_show_the_duplicate_link(app, client):
    with app.app_context():
        original = j.file()
        copy = j.file()
        j.complete(
            copy,
            "register_complaint",
            registration_outcome="duplicate",
            duplicate_of=original.reference,
        )
        ids = {"original": original.id, "copy": copy.id}
        refs = {"original": original.reference, "copy": copy.reference}
    login(client, "admin")
    page = client.get(f"/complaints/{ids['copy']}").get_data(as_text=True)
    assert re.search(
        rf'<dt>Duplicate of</dt>\s*<dd id="duplicate-of"><a href="/complaints/{ids["original"]}">'
        rf"{refs['original']}</a></dd>",
        page,
    )
    assert "<dt>Duplicates</dt>" not in page
    page = client.get(f"/complaints/{ids['original']}").get_data(as_text=True)
    assert re.search(
        rf'<dt>Duplicates</dt>\s*<dd id="duplicates"><a href="/complaints/{ids["copy"]}">'
        rf"{refs['copy']}</a></dd>",
        page,
    )


def test_duplicate_link_to_a_confidential_complaint_shows_only_to_the_focal_point(app, client):
    with app.app_context():
        original = j.to_classification()
        copy = j.file()
        j.complete(
            copy,
            "register_complaint",
            registration_outcome="duplicate",
            duplicate_of=original.reference,
        )
        j.complete(original, "classify_complaint", sensitive=True)
        copy_id, original_id = copy.id, original.id
    login(client, "admin")
    page = client.get(f"/complaints/{copy_id}").get_data(as_text=True)
    assert 'id="duplicate-of"' not in page
    assert f'href="/complaints/{original_id}"' not in page
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "focal")
    page = client.get(f"/complaints/{original_id}").get_data(as_text=True)
    assert 'id="duplicates"' in page
