"""The procedure's choice lists are data (processes/choices.toml): a process owner adds a
category or a channel, deploys, and every page and the API offer, accept and name it in both
languages; a running complaint keeps its version's words."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from services.db import db
from services.models import Complaint
from tests import diagrams
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
LISTS_FILE = "choices.toml"
DRINKING_WATER = 'drinking_water = { en = "Drinking water", fr = "Eau potable" }'
RADIO = 'radio = { en = "Radio call-in", fr = "Appel en direct à la radio" }'


def shipped_lists() -> str:
    return (diagrams.PROCESSES / LISTS_FILE).read_text("utf-8")


def with_additions(text: str | None = None) -> bytes:
    """The shipped lists plus a category and a channel."""
    text = diagrams.edited(
        text or shipped_lists(), "[categories]\n", f"[categories]\n{DRINKING_WATER}\n"
    )
    return diagrams.edited(text, "[channels]\n", f"[channels]\n{RADIO}\n").encode()


def deploy_through_the_api(client: FlaskClient, runner: FlaskCliRunner, lists: bytes, comment: str):
    """Deploy the shipped diagrams and forms with `lists` as CI does (multipart files)."""
    files = {**diagrams.files(), LISTS_FILE: lists}
    upload = [(io.BytesIO(content), name.rsplit("/", 1)[-1]) for name, content in files.items()]
    return client.post(
        f"{API}/processes/deploy",
        data={"files": upload, "comment": comment},
        content_type="multipart/form-data",
        headers=bearer(issue_token(runner, "owner")),
    )


def test_a_category_and_a_channel_the_process_owner_adds_are_offered_accepted_and_named(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
):
    agent = bearer(issue_token(runner, "agent"))
    received = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT10:30")
    call = {
        "channel": "radio",
        "received_at": received,
        "complainant_name": "Awa Ndiaye",
        "phone": "+221 77 000 11 22",
        "preferred_contact": "phone",
        "description": "The tap water smelled of fuel for three days.",
        "consent_recorded": "y",
    }
    as_json = {**call, "consent_recorded": True}
    before = client.post(f"{API}/complaints/intake", json=as_json, headers=agent)
    assert before.status_code == 422 and "channel" in before.json["errors"]
    by_phone = {**as_json, "channel": "phone"}  # the intake's schema is checked, and kept
    assert client.post(f"{API}/complaints/intake", json=by_phone, headers=agent).status_code == 201
    deployed = deploy_through_the_api(client, runner, with_additions(), "Drinking water, radio")
    assert deployed.status_code == 201, deployed.json

    # The staff intake page offers the new channel in the reader's language and records it.
    login(client, "agent")
    assert '<option value="radio">Radio call-in</option>' in client.get("/intake").text
    french = client.get("/intake", headers=FRENCH).text
    assert '<option value="radio">Appel en direct à la radio</option>' in french
    assert post_form(client, "/intake", call).status_code == 302
    # The API takes it too, and publishes it among the intake's channels.
    by_api = client.post(f"{API}/complaints/intake", json=as_json, headers=agent)
    assert by_api.status_code == 201, by_api.json
    with app.app_context():
        channels = db.session.scalars(db.select(Complaint.channel)).all()
        assert channels.count("radio") == 2
        classified = j.to_classification()
        task_id = j.open_task(classified, "classify_complaint").id
        reference = classified.reference
    document = client.get(f"{API}/openapi.json").json
    intake_schema = document["components"]["schemas"]
    assert any(
        "radio" in (schema.get("properties", {}).get("channel", {}).get("enum") or [])
        for schema in intake_schema.values()
    )

    # The classification form offers the new category in both languages and takes it.
    login(client, "supervisor")
    assert (
        '<option value="drinking_water">Drinking water</option>'
        in client.get(f"/tasks/{task_id}").text
    )
    assert (
        '<option value="drinking_water">Eau potable</option>'
        in client.get(f"/tasks/{task_id}", headers=FRENCH).text
    )
    answers = {"category": "drinking_water", "severity": "low"}
    assert post_form(client, f"/tasks/{task_id}", answers).status_code == 302
    with app.app_context():
        assert j.refreshed(classified).category == "drinking_water"

    # The inbox filter offers it, filters by it and names it in each row.
    inbox = client.get("/inbox?category=drinking_water")
    assert inbox.status_code == 200
    assert '<option selected value="drinking_water">Drinking water</option>' in inbox.text
    assert reference in inbox.text and "<td>Drinking water</td>" in inbox.text
    french_inbox = client.get("/inbox?category=drinking_water", headers=FRENCH).text
    assert '<option selected value="drinking_water">Eau potable</option>' in french_inbox
    assert "<td>Eau potable</td>" in french_inbox

    # The API filters by it, names it in the reader's language and documents it.
    analyst = bearer(issue_token(runner, "manager"))
    found = client.get(f"{API}/complaints?category=drinking_water", headers=analyst)
    assert found.status_code == 200, found.json
    assert [c["reference"] for c in found.json["complaints"]] == [reference]
    detail = f"{API}/complaints/{found.json['complaints'][0]['id']}"
    assert client.get(detail, headers=analyst).json["category_label"] == "Drinking water"
    in_french = client.get(detail, headers={**analyst, **FRENCH}).json
    assert in_french["category_label"] == "Eau potable"
    tasks = client.get(f"{API}/tasks?category=drinking_water", headers=analyst)
    assert tasks.status_code == 200, tasks.json
    parameters = document["paths"]["/complaints"]["get"]["parameters"]
    category = next(p for p in parameters if p["name"] == "category")
    assert "drinking_water" in str(category["schema"])


def test_a_value_the_active_lists_do_not_have_is_refused_by_the_filters(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
):
    manager = bearer(issue_token(runner, "manager"))
    refused = client.get(f"{API}/complaints?category=drinking_water", headers=manager)
    assert refused.status_code == 422
    login(client, "supervisor")
    assert client.get("/inbox?category=drinking_water").status_code == 422


def test_a_running_complaint_keeps_the_words_of_its_version(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
):
    first = deploy_through_the_api(client, runner, with_additions(), "Drinking water")
    assert first.status_code == 201, first.json
    with app.app_context():
        complaint = j.to_classification()
        j.complete(complaint, "classify_complaint", category="drinking_water")
        complaint_id = complaint.id
    renamed = with_additions().decode().replace('"Drinking water"', '"Tap water"')
    second = deploy_through_the_api(client, runner, renamed.encode(), "Tap water")
    assert second.status_code == 201, second.json
    manager = bearer(issue_token(runner, "manager"))
    detail = client.get(f"{API}/complaints/{complaint_id}", headers=manager).json
    assert detail["category_label"] == "Drinking water"  # its version's words
    login(client, "manager")
    page = client.get(f"/complaints/{complaint_id}").text
    assert "Drinking water" in page and "Tap water" not in page
    with app.app_context():
        newer = j.to_classification()
        j.complete(newer, "classify_complaint", category="drinking_water")
        newer_id = newer.id
    detail = client.get(f"{API}/complaints/{newer_id}", headers=manager).json
    assert detail["category_label"] == "Tap water"
    # The list names each in its own version's words, as the detail does.
    listed = client.get(f"{API}/complaints?category=drinking_water", headers=manager).json
    assert {c["id"]: c["category_label"] for c in listed["complaints"]} == {
        complaint_id: "Drinking water",
        newer_id: "Tap water",
    }
    # And so does the staff list of complaints (it named both in the active version's words).
    rows = client.get("/complaints?category=drinking_water").text.split("<tr")[1:]
    cells = {row.split("</a>")[0].rsplit(">", 1)[-1].strip(): row for row in rows}
    with app.app_context():
        references = {
            cid: db.session.get(Complaint, cid).reference for cid in (complaint_id, newer_id)
        }
    assert "Drinking water" in cells[references[complaint_id]]
    assert "Tap water" not in cells[references[complaint_id]]
    assert "Tap water" in cells[references[newer_id]]


def test_a_deploy_naming_an_unknown_list_or_a_value_no_list_has_is_refused(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
):
    owner = bearer(issue_token(runner, "owner"))
    files = {name: content.decode() for name, content in diagrams.files().items()}
    files["forms/classify_complaint.toml"] = files["forms/classify_complaint.toml"].replace(
        'choices = "categories"', 'choices = "kinds_of_complaint"'
    )
    response = client.post(
        f"{API}/processes/deploy", json={"files": files, "comment": "typo"}, headers=owner
    )
    assert response.status_code == 422
    problems = " ".join(response.json["problems"])
    assert "forms/classify_complaint.toml" in problems
    assert "field 'category': unknown list 'kinds_of_complaint' (one of " in problems
    # The routing table routes on a category the lists no longer have.
    files = {name: content.decode() for name, content in diagrams.files().items()}
    files[LISTS_FILE] = files[LISTS_FILE].replace("gender_based_violence = {", "gbv = {")
    response = client.post(
        f"{API}/processes/deploy", json={"files": files, "comment": "renamed"}, headers=owner
    )
    assert response.status_code == 422
    assert (
        "compares category with 'gender_based_violence', which the list categories does not "
        "have" in " ".join(response.json["problems"])
    )
    versions = client.get(f"{API}/processes/versions", headers=owner).json["versions"]
    assert len(versions) == 1  # the active version stays as it was


def test_public_filing_takes_a_way_of_buying_added_after_its_schema_was_first_checked(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
):
    filing = {
        "complainant_name": "Aminata Diallo",
        "email": "aminata@example.org",
        "description": "The stall sold me a radio that never worked.",
        "attestation": True,
        "purchase_mode": "in_store",
    }
    assert client.post(f"{API}/complaints", json=filing).status_code == 201
    stall = 'market_stall = { en = "At a market stall", fr = "Sur un étal de marché" }'
    lists = diagrams.edited(shipped_lists(), "[purchase_modes]\n", f"[purchase_modes]\n{stall}\n")
    assert deploy_through_the_api(client, runner, lists.encode(), "Stalls").status_code == 201
    filed = client.post(f"{API}/complaints", json={**filing, "purchase_mode": "market_stall"})
    assert filed.status_code == 201, filed.json
    with app.app_context():
        complaint = db.session.get(Complaint, filed.json["id"])
        assert complaint.purchase_mode == "market_stall"
    public = client.get("/complaints/new", headers=FRENCH).text
    assert '<option value="market_stall">Sur un étal de marché</option>' in public


def test_a_page_asks_for_the_active_lists_once_however_many_labels_it_names(
    app: Flask, client: FlaskClient
):
    """A page names a label per row (the inbox's categories, a history's channels): the
    active version is asked for once per request, not once per label."""
    from sqlalchemy import event

    with app.app_context():
        for _ in range(3):
            j.to_minor_resolution()
    login(client, "supervisor")
    client.get("/inbox")  # the lists of the active version read once in this process
    asked: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202
        if "content_hash" in statement:
            asked.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/inbox")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200 and "Delivery" in page.get_data(as_text=True)
    assert len(asked) == 1


def test_a_value_a_later_version_removed_still_finds_the_complaints_that_hold_it(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
):
    added = deploy_through_the_api(client, runner, with_additions(), "Drinking water")
    assert added.status_code == 201, added.json
    with app.app_context():
        complaint = j.to_classification()
        j.complete(complaint, "classify_complaint", category="drinking_water")
        reference = complaint.reference
    call = {
        "channel": "radio",
        "received_at": (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT10:30"),
        "complainant_name": "Awa Ndiaye",
        "phone": "+221 77 000 11 22",
        "preferred_contact": "phone",
        "description": "The tap water smelled of fuel for three days.",
        "consent_recorded": True,
    }
    taken = client.post(
        f"{API}/complaints/intake", json=call, headers=bearer(issue_token(runner, "agent"))
    )
    assert taken.status_code == 201, taken.json
    # The shipped lists again: the first version, active once more.
    removed = deploy_through_the_api(client, runner, shipped_lists().encode(), "back")
    assert removed.status_code == 200 and removed.json["active"], removed.json
    # New complaints are no longer offered it...
    with app.app_context():
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
    login(client, "supervisor")
    assert 'value="drinking_water"' not in client.get(f"/tasks/{task_id}").text
    # ...but the filters still take it (they refused it: 422) and find the complaint.
    inbox = client.get("/inbox?category=drinking_water")
    assert inbox.status_code == 200, inbox.text[:500]
    assert '<option selected value="drinking_water">Drinking water</option>' in inbox.text
    assert "<td>Drinking water</td>" in inbox.text  # its row reads words, not the value
    login(client, "manager")
    listed = client.get("/complaints?category=drinking_water")
    assert listed.status_code == 200 and reference in listed.text
    manager = bearer(issue_token(runner, "manager"))
    found = client.get(f"{API}/complaints?category=drinking_water", headers=manager)
    assert found.status_code == 200, found.json
    assert [c["reference"] for c in found.json["complaints"]] == [reference]
    assert found.json["complaints"][0]["category_label"] == "Drinking water"
    tasks = client.get(f"{API}/tasks?category=drinking_water", headers=manager)
    assert tasks.status_code == 200, tasks.json
    # The history names a channel since removed in its words, in the reader's language.
    for headers, words in (({}, "Radio call-in"), (FRENCH, "Appel en direct à la radio")):
        page = client.get(f"/complaints/{taken.json['id']}", headers=headers).text
        history = page[page.index('id="history"') :]
        assert f"· {words}" in history and "· radio" not in history, history
    document = client.get(f"{API}/openapi.json").json
    parameters = document["paths"]["/complaints"]["get"]["parameters"]
    category = next(p for p in parameters if p["name"] == "category")
    assert "drinking_water" in str(category["schema"])
