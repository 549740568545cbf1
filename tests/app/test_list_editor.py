"""The editor's choice lists, server side: the version's lists served as JSON with what each
is for, posted back with Validate and Deploy and written into the version's choices.toml (its
comments kept), checked by the deploy's own checks (problems placed on the list or value they
concern, in the reader's language), what a deploy would refuse once a value goes, and the
refusals (CSRF, process owners only, malformed lists, nothing deployed)."""

from __future__ import annotations

import copy
import html
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.editor_text import LIST_DESCRIPTIONS
from forms import lists as choice_lists
from services import processes
from tests import diagrams as d
from tests import journeys as j
from tests.app.helpers import csrf_token, login
from tests.app.test_form_designer import CONFIG, diagrams, editor_config, version_count
from tests.app.test_process_pages import NOT_OWNERS

FRENCH = "fr-FR,fr;q=0.9"
WATER = {"value": "drinking_water", "label": {"en": "Drinking water", "fr": "Eau potable"}}


@pytest.fixture
def owner(client: FlaskClient) -> FlaskClient:
    login(client, "owner")
    return client


def post(client: FlaskClient, url: str, body: Any, language: str = "en") -> Any:
    token = csrf_token(client, "/")
    return client.post(
        url,
        json=body,
        headers={"X-CSRFToken": token, "Accept": "application/json", "Accept-Language": language},
    )


def payload(config: dict[str, Any], lists: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """What the editor sends: the diagrams, every form, the lists as edited."""
    return {
        "files": diagrams(),
        "forms": config["forms"],
        "lists": lists,
        "version_id": config["version_id"],
        **extra,
    }


def values(lists: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return next(entry["values"] for entry in lists if entry["name"] == name)


def problems_of(response: Any) -> dict[str, list[str]]:
    """The problems about the lists, by the list or "list/value" they concern."""
    found: dict[str, list[str]] = {}
    for problem in response.get_json()["problems"]:
        if problem["file"] == "choices.toml":
            found.setdefault(problem["element_id"], []).append(problem["message"])
    return found


def test_the_editor_serves_the_lists_of_the_version_and_what_each_is_for(
    owner: FlaskClient,
) -> None:
    config = editor_config(owner)
    lists = config["choice_lists"]
    assert [entry["name"] for entry in lists][:2] == ["channels", "categories"]
    assert values(lists, "channels")[0] == {
        "value": "web",
        "label": {"en": "Web form", "fr": "Formulaire web"},
    }
    info = config["list_info"]
    assert info["registration_outcomes"]["required"] == ["duplicate"]
    assert info["categories"]["app_reads"] and not info["legal_actions"]["app_reads"]
    assert info["categories"]["description"].startswith("What a complaint is about")
    assert info["legal_actions"]["description"] == ""
    assert info["categories"]["forms"] == [
        "The supervisor's classification of a registered complaint"
    ]
    assert config["patterns"]["value"] == choice_lists.VALUE.pattern
    assert config["urls"]["list_uses"] == "/processes/lists/uses"
    # The forms offering a list are named in the reader's language.
    page = owner.get("/processes/editor", headers={"Accept-Language": FRENCH}).text
    french = json.loads(html.unescape(CONFIG.search(page).group(1)))["list_info"]
    assert french["categories"]["forms"] == [
        "La classification d'une réclamation enregistrée par le superviseur"
    ]
    assert "Choice lists" in owner.get("/processes/editor").text


def test_every_list_the_application_reads_says_what_for() -> None:
    assert set(LIST_DESCRIPTIONS) == set(choice_lists.REQUIRED)


def test_a_category_added_in_the_editor_is_offered_to_new_complaints_only(
    app: Flask, owner: FlaskClient
) -> None:
    with app.app_context():
        running = j.to_classification()
        running_task = j.open_task(running, "classify_complaint").id
    config = editor_config(owner)
    lists = copy.deepcopy(config["choice_lists"])
    categories = values(lists, "categories")
    delivery = next(entry for entry in categories if entry["value"] == "delivery")
    delivery["label"]["en"] = "Shipping"
    categories.insert(categories.index(delivery) + 1, WATER)
    other = categories.pop(next(i for i, e in enumerate(categories) if e["value"] == "other"))
    categories.insert(0, other)  # moved first
    channels = values(lists, "channels")
    channels[:] = [entry for entry in channels if entry["value"] != "social_media"]
    response = post(owner, "/processes/deploy", payload(config, lists, comment="Water"))
    assert response.status_code == 201, response.get_json()

    with app.app_context():
        text = processes.active_version().files["choices.toml"]
    shipped = (d.PROCESSES / "choices.toml").read_text("utf-8")
    other_line = 'other = { en = "Other", fr = "Autre" }\n'
    expected = (
        shipped.replace(
            'delivery = { en = "Delivery", fr = "Livraison" }\n',
            'delivery = { en = "Shipping", fr = "Livraison" }\n'
            'drinking_water = { en = "Drinking water", fr = "Eau potable" }\n',
        )
        .replace(
            'gender_based_violence = { en = "Gender-based violence", fr = "Violences '
            'basées sur le genre" }\n' + other_line,
            "gender_based_violence = { en = "
            '"Gender-based violence", fr = "Violences basées sur le genre" }\n',
        )
        .replace("[categories]\n", "[categories]\n" + other_line)
        .replace('social_media = { en = "Social media", fr = "Réseaux sociaux" }\n', "")
    )
    assert text == expected  # only the lines changed: the comments stay

    with app.app_context():
        new = j.to_classification()
        new_task = j.open_task(new, "classify_complaint").id
    login(owner, "supervisor")
    page = owner.get(f"/tasks/{new_task}").text
    assert '<option value="drinking_water">Drinking water</option>' in page
    assert '<option value="delivery">Shipping</option>' in page
    assert page.index('value="other"') < page.index('value="product_quality"')
    french = owner.get(f"/tasks/{new_task}", headers={"Accept-Language": FRENCH}).text
    assert '<option value="drinking_water">Eau potable</option>' in french
    # The complaint that was running keeps its version's choices and words.
    before = owner.get(f"/tasks/{running_task}").text
    assert "drinking_water" not in before
    assert '<option value="delivery">Delivery</option>' in before


def test_unchanged_lists_keep_the_text_and_deploy_nothing_new(
    app: Flask, owner: FlaskClient
) -> None:
    config = editor_config(owner)
    body = payload(config, config["choice_lists"], comment="Nothing")
    response = post(owner, "/processes/deploy", body)
    assert response.status_code == 200 and response.get_json()["created"] is False
    assert version_count(app) == 1


def test_refused_lists_say_what_is_wrong_beside_the_value_and_deploy_nothing(
    app: Flask, owner: FlaskClient
) -> None:
    config = editor_config(owner)
    lists = copy.deepcopy(config["choice_lists"])
    categories = values(lists, "categories")
    categories.append({"value": "Drinking Water", "label": {"en": "Water", "fr": "Eau"}})
    categories.append({"value": "water", "label": {"en": "Water", "fr": ""}})
    categories[:] = [e for e in categories if e["value"] != "gender_based_violence"]
    outcomes = values(lists, "registration_outcomes")
    outcomes[:] = [e for e in outcomes if e["value"] != "duplicate"]
    body = payload(config, lists, comment="Broken")
    for url in ("/processes/validate", "/processes/deploy"):
        response = post(owner, url, body)
        found = problems_of(response)
        assert found["categories/Drinking Water"] == [
            "list categories: the value 'Drinking Water' must be lower case letters, digits and _"
        ], url
        assert found["categories/water"] == ["list categories: value 'water' has no text in fr"]
        assert found["registration_outcomes"] == [
            "list registration_outcomes: the value 'duplicate' is missing: the application "
            "acts on it"
        ]
    # The routing table still routes on the category taken out: said on its cell.
    body["lists"] = copy.deepcopy(config["choice_lists"])
    values(body["lists"], "categories")[:] = [
        e for e in values(body["lists"], "categories") if e["value"] != "gender_based_violence"
    ]
    response = post(owner, "/processes/deploy", body)
    assert response.status_code == 422
    cell = [p for p in response.get_json()["problems"] if p["file"] == d.DMN_FILE]
    assert [p["message"] for p in cell] == [
        "compares category with 'gender_based_violence', which the list categories does not have"
    ]
    assert cell[0]["element_id"]
    french = problems_of(post(owner, "/processes/validate", payload(config, lists), FRENCH))
    assert french["categories/water"] == [
        "liste categories\xa0: valeur 'water'\xa0: aucun texte en fr"
    ]
    assert version_count(app) == 1


@pytest.mark.parametrize(
    ("lists", "error"),
    [
        ({"categories": {}}, "The choice lists cannot be written: the lists are not"),
        ([{"name": "categories", "values": [{"value": 3, "label": {}}]}], "The choice lists"),
        (
            [{"name": "categories", "values": [WATER, WATER]}],
            "The choice lists cannot be written: list categories: the value 'drinking_water' "
            "is there twice",
        ),
        (
            [{"name": "remedies", "values": [WATER]}, {"name": "remedies", "values": [WATER]}],
            "The choice lists cannot be written: the list remedies is there twice",
        ),
    ],
)
def test_malformed_lists_are_refused_with_a_clear_error(
    app: Flask, owner: FlaskClient, lists: Any, error: str
) -> None:
    config = editor_config(owner)
    response = post(owner, "/processes/deploy", payload(config, lists, comment="x"))
    assert response.status_code == 422
    assert response.get_json()["error"].startswith(error), response.get_json()
    assert version_count(app) == 1


def test_lists_sent_both_as_a_file_and_as_lists_are_refused(owner: FlaskClient) -> None:
    config = editor_config(owner)
    body = payload(config, config["choice_lists"])
    body["files"]["choices.toml"] = (d.PROCESSES / "choices.toml").read_text("utf-8")
    response = post(owner, "/processes/validate", body)
    assert response.status_code == 422
    assert "sent twice" in response.get_json()["error"]


def test_the_editor_is_told_what_a_value_or_a_list_taken_out_would_break(
    owner: FlaskClient,
) -> None:
    config = editor_config(owner)
    lists = config["choice_lists"]

    def uses(name: str, value: str | None, edited: list[dict[str, Any]] = lists) -> Any:
        body = payload(config, edited, list=name, value=value)
        return post(owner, "/processes/lists/uses", body)

    routed = uses("categories", "gender_based_violence").get_json()["uses"]
    assert [(p["file"], p["message"]) for p in routed] == [
        (
            d.DMN_FILE,
            "compares category with 'gender_based_violence', which the list categories does "
            "not have",
        )
    ]
    assert uses("categories", "billing").get_json()["uses"] == []
    acted_on = uses("overdue_actions", "deadline_extended").get_json()["uses"]
    assert acted_on[0]["element_id"] == "overdue_actions"  # the application acts on it
    assert "the application acts on it" in acted_on[0]["message"]
    assert any(p["file"] == d.BPMN_FILE for p in acted_on[1:])  # and the diagram compares
    offered = uses("legal_actions", None).get_json()["uses"]
    assert any("unknown list 'legal_actions'" in p["message"] for p in offered), offered
    # A value half written elsewhere does not hide the answer, nor count as a use.
    half = copy.deepcopy(lists)
    values(half, "remedies")[0]["label"]["fr"] = ""
    values(half, "categories").append({"value": "Water", "label": {"en": "Water"}})
    assert [
        p["message"] for p in uses("categories", "gender_based_violence", half).get_json()["uses"]
    ] == [p["message"] for p in routed]
    assert uses("categories", "billing", half).get_json()["uses"] == []


@pytest.mark.parametrize("username", NOT_OWNERS[:3])
def test_only_process_owners_check_the_lists(client: FlaskClient, username: str) -> None:
    login(client, username)
    body = {"files": diagrams(), "list": "categories", "value": "billing"}
    assert post(client, "/processes/lists/uses", body).status_code == 403


def test_list_posts_need_the_csrf_token(app: Flask, owner: FlaskClient) -> None:
    config = editor_config(owner)
    lists = copy.deepcopy(config["choice_lists"])
    values(lists, "categories").append(WATER)
    for url in ("/processes/deploy", "/processes/lists/uses"):
        body = payload(config, lists, comment="x", list="categories", value="billing")
        response = owner.post(url, json=body, headers={"Accept": "application/json"})
        assert response.status_code == 400, url
    assert version_count(app) == 1
