"""The process owner adds a category to the choice lists in the editor, in English and French:
a wrong value or a missing label is said beside the value, a value the application acts on or
the routing table compares with is not removed unawares, a refused deploy loses nothing, and
once deployed the classification form of a new complaint offers the category."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from services import processes
from tests import journeys as j
from tests.browser.conftest import assert_accessible, login, logout, screenshot
from tests.browser.test_editor import open_editor

pytestmark = pytest.mark.browser

SLOW = 30_000  # ms: Validate and Deploy run bpmnlint through Node


def in_list(page: Page, name: str, marker: str, kind: str = "input") -> str:
    return f'[data-list="{name}"] [data-designer-{kind}="{marker}"]'


def fill(page: Page, selector: str, value: str) -> None:
    """Type into an input and leave it (the editor saves on change)."""
    page.fill(selector, value)
    page.press(selector, "Tab")


def test_an_owner_adds_a_category_in_both_languages_and_new_complaints_offer_it(
    app: Flask, open_page, live_server: str
) -> None:
    page = open_page(axe=True)
    open_editor(page, live_server)
    categories = page.locator('[data-list="categories"]')
    expect(categories.locator("summary")).to_contain_text("What a complaint is about")
    categories.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the list from the keyboard
    expect(categories).to_contain_text("Offered by the forms: The supervisor's classification")

    page.click(in_list(page, "categories", "add-value", "button"))
    value = in_list(page, "categories", "7-value")
    expect(page.locator(value)).to_be_focused()
    fill(page, value, "Drinking water")
    row = categories.locator(".choice-list-values > li").nth(7)
    expect(row.locator("p.error")).to_contain_text("lower-case letters, digits and _")
    expect(page.locator(value)).to_have_attribute("aria-invalid", "true")
    fill(page, value, "drinking_water")
    fill(page, in_list(page, "categories", "7-label-en"), "Drinking water")
    expect(row.locator("p.error")).to_have_text("Give the label in English and in French.")

    # A value the application acts on is not removed; one the routing table compares
    # with is removed only once the owner says so.
    outcomes = page.locator('[data-list="registration_outcomes"]')
    outcomes.locator("summary").click()
    page.click(in_list(page, "registration_outcomes", "3-remove", "button"))
    expect(outcomes).to_contain_text("The application acts on duplicate")
    page.click(in_list(page, "categories", "5-remove", "button"))
    used = categories.locator(".notice")
    expect(used).to_contain_text("gender_based_violence is still used", timeout=SLOW)
    expect(used).to_contain_text("complaint_routing.dmn")
    used.get_by_role("button", name="Keep it").click()
    expect(page.locator(in_list(page, "categories", "5-value"))).to_have_value(
        "gender_based_violence"
    )
    assert_accessible(page)
    screenshot(categories, "editor-choice-lists")

    # Deployed without its French label: refused, said beside the value, nothing lost.
    page.fill("#comment", "Drinking water")
    page.click("#deploy-button")
    expect(row.locator("p.error")).to_contain_text("has no text in fr", timeout=SLOW)
    expect(page.locator(value)).to_have_value("drinking_water")
    draft = page.evaluate("localStorage.getItem(Object.keys(localStorage)[0])")
    assert '"drinking_water"' in draft  # the draft keeps the lists too
    fill(page, in_list(page, "categories", "7-label-fr"), "Eau potable")
    page.click("#deploy-button")
    expect(page.locator("#editor-status")).to_contain_text("Version 2 deployed", timeout=SLOW)
    # Deployed, the value is stored by complaints: its machine value is read-only now.
    expect(page.locator(value)).to_have_attribute("readonly", "")

    with app.app_context():
        text = processes.active_version().files["choices.toml"]
        assert (
            'other = { en = "Other", fr = "Autre" }\n'
            'drinking_water = { en = "Drinking water", fr = "Eau potable" }\n'
        ) in text
        assert "# What a complaint is about (classification;" in text
        task_id = j.open_task(j.to_classification(), "classify_complaint").id

    logout(page)
    login(page, live_server, "supervisor", then=None)
    page.goto(f"{live_server}/tasks/{task_id}")
    category = page.locator("form.work-form").get_by_label(re.compile("Category"))
    expect(category.locator('option[value="drinking_water"]')).to_have_text("Drinking water")
    category.select_option("drinking_water")
