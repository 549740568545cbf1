"""An administrator runs the organisation from the browser, in English and in French, and every
admin page passes the axe accessibility checks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from services import departments
from services.db import db
from services.models import Team, User
from tests import journeys
from tests.browser.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser


def test_an_administrator_adds_a_user_a_department_and_a_team(open_page, live_server, app):
    page = open_page(locale="en-GB", axe=True)
    login(page, live_server, "admin")
    page.get_by_role("navigation").get_by_role("link", name="Administration").first.click()
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    assert_accessible(page)

    side = page.locator("nav.admin-nav")
    side.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Add a user").click()
    page.get_by_label("User name", exact=True).fill("nadia")
    page.get_by_label("Full name").fill("Nadia Newcomer")
    page.get_by_label("Email", exact=True).fill("nadia@example.org")
    page.get_by_label("Supervisor", exact=True).check()
    page.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("status")).to_contain_text("an invitation was sent")
    assert_accessible(page)
    screenshot(page, "admin-user")

    side.get_by_role("link", name="Departments and teams").click()
    page.get_by_label("Name in English").fill("Water supply")
    page.get_by_label("Name in French").fill("Eau potable")
    page.get_by_role("button", name="Add the department").click()
    expect(page.get_by_role("status")).to_contain_text("Water supply added")
    expect(page.locator("table.departments")).to_contain_text("Eau potable")
    team = page.locator("form[action$='/admin/teams/new']")
    team.get_by_label("Team name").fill("Water desk")
    team.get_by_label("Department").select_option(label="Water supply")
    team.get_by_label("Nadia Newcomer (nadia)").check()
    team.get_by_role("button", name="Add the team").click()
    expect(page.locator("table.teams")).to_contain_text("Nadia Newcomer")
    assert_accessible(page)
    screenshot(page, "admin-departments")

    side.get_by_role("link", name="Organisation").click()
    page.get_by_label("Organisation name", exact=True).fill("Water Board")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_contain_text("Organisation settings saved")
    assert_accessible(page)
    screenshot(page, "admin-organisation")

    for name in ("Message templates", "Business calendar", "Service providers"):
        side.get_by_role("link", name=name).click()
        expect(side.locator("a[aria-current=page]")).to_have_text(name)
        assert_accessible(page)
    with app.app_context():
        team = db.session.scalar(db.select(Team).where(Team.name == "Water desk"))
        assert team is not None and team.department.name == "Water supply"
        assert team.department.name_fr == "Eau potable"
        assert [u.username for u in team.members] == ["nadia"]


def test_every_admin_page_passes_axe_in_french(open_page, live_server, app):
    with app.app_context():
        admin = journeys.user("admin")
        department = departments.add_department(admin, "Facturation")
        team = departments.add_team(admin, "Équipe facturation", department.id)
        db.session.commit()
        target = db.session.scalar(db.select(User.id).where(User.username == "manager"))
        urls = [
            "/admin",
            "/admin/users",
            "/admin/users/new",
            f"/admin/users/{target}",
            "/admin/departments",
            f"/admin/departments/{department.id}",
            f"/admin/teams/{team.id}",
            "/admin/organisation",
            "/admin/templates",
            "/admin/calendar",
            "/admin/providers",
            "/auth/forgot",
        ]
    page = open_page(locale="fr-FR", axe=True)
    login(page, live_server, "admin")
    for url in urls:
        page.goto(f"{live_server}{url}")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        assert_accessible(page)
    screenshot(page, "admin-forgot-fr")


def test_a_taken_user_name_is_said_under_the_field(open_page, live_server, app):
    """The page came back (422) with nothing said: the refusal named no field."""
    page = open_page(locale="en-GB", axe=True)
    login(page, live_server, "admin", then=None)
    page.goto(f"{live_server}/admin/users/new")
    page.get_by_label("User name", exact=True).fill("agent")  # the demo's intake agent
    page.get_by_label("Full name").fill("Another Agent")
    page.get_by_label("Email", exact=True).fill("another.agent@example.org")
    page.get_by_label("Supervisor", exact=True).check()
    page.get_by_role("button", name="Add the user").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("User name: Another user has this user name.")
    expect(page.get_by_label("User name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.name == "Another Agent")) is None


def test_the_user_search_box_looks_like_the_other_fields(open_page, live_server):
    """The users' search box (type=search) had none of the fields' styling: a thin line
    beside the full-height role and status lists."""
    page = open_page(locale="en-GB", axe=True)
    login(page, live_server, "admin", then=None)
    page.goto(f"{live_server}/admin/users")
    search = page.get_by_label("Search (name, user name or email)").bounding_box()
    role = page.locator("main select[name=role]").bounding_box()
    assert search and role and abs(search["height"] - role["height"]) <= 4, (search, role)


def test_the_users_count_shows_on_a_phone(open_page, live_server):
    """On a phone the users table's count ("12 users"), centred over a table wider than the
    screen, was cut off at its edge."""
    page = open_page(locale="en-GB", axe=True)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "admin", then=None)
    page.goto(f"{live_server}/admin/users")
    count = page.locator("table.admin-table caption")
    expect(count).to_have_text(re.compile(r"^\d+ users$"))
    box = count.evaluate(
        """(caption) => { const range = document.createRange();
            range.selectNodeContents(caption);
            const r = range.getBoundingClientRect(); return {left: r.left, right: r.right}; }"""
    )
    assert 0 <= box["left"] and box["right"] <= 390, box
