"""An administrator adds a role from the browser, in French and in English, sees it listed
and gives it to a user; the role pages pass the axe accessibility checks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services.db import db
from services.models import Role
from tests.browser.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser

LABELS = {
    "fr-FR": {
        "section": "Rôles",
        "key": "Clé",
        "name_en": "Nom en anglais",
        "name_fr": "Nom en français",
        "clearance": "Habilitation confidentielle",
        "add": "Ajouter le rôle",
        "added": "Enquêteur RH ajouté.",
        "shown": "Enquêteur RH",
        "roles": "Rôles",
    },
    "en-GB": {
        "section": "Roles",
        "key": "Key",
        "name_en": "Name in English",
        "name_fr": "Name in French",
        "clearance": "Confidential clearance",
        "add": "Add the role",
        "added": "HR investigator added.",
        "shown": "HR investigator",
        "roles": "Roles",
    },
}


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_an_administrator_adds_a_role_and_sees_it_listed(open_page, live_server, app, locale):
    words = LABELS[locale]
    page = open_page(locale=locale, axe=True)
    login(page, live_server, "admin", then=None)
    page.goto(f"{live_server}/admin")
    page.locator("nav.admin-nav").get_by_role("link", name=words["section"]).click()
    expect(page.get_by_role("heading", name=words["section"], level=1)).to_be_visible()
    expect(page.locator("table.roles")).to_contain_text("confidential_focal_point")
    assert_accessible(page)

    # A bad key first: refused on its field, nothing added.
    page.get_by_label(words["key"], exact=True).fill("HR investigator")
    page.get_by_label(words["name_en"]).fill("HR investigator")
    page.get_by_label(words["name_fr"]).fill("Enquêteur RH")
    page.get_by_role("button", name=words["add"]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("table.roles")).not_to_contain_text("hr_investigator")

    page.get_by_label(words["key"], exact=True).fill("hr_investigator")
    page.get_by_label(words["clearance"]).check()
    page.get_by_role("button", name=words["add"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["added"])
    row = page.locator("#role-hr_investigator")
    expect(row).to_contain_text(words["shown"])
    expect(row).to_contain_text("hr_investigator")
    screenshot(page, f"admin-roles-{locale}")

    # The new role is offered to users, by its name in the reader's language.
    page.goto(f"{live_server}/admin/users/new")
    expect(page.get_by_role("group", name=words["roles"])).to_contain_text(words["shown"])
    with app.app_context():
        role = db.session.get(Role, "hr_investigator")
        assert role is not None and role.confidential_clearance and role.handles_cases
