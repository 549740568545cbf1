"""Administration of the roles: the list with who holds each, adding, editing and deleting
a role, and the role names the other pages show in the reader's language."""

from __future__ import annotations

import re

import pytest

from services import roles
from services.db import db
from services.models import AuditEvent, Role
from tests import journeys as j
from tests.app.helpers import csrf_token, login, post_form

NEW_ROLE = {
    "key": "hr_investigator",
    "name_en": "HR investigator",
    "name_fr": "Enquêteur RH",
    "description": "Investigates harassment complaints.",
    "handles_cases": "y",
    "confidential_clearance": "y",
}


def _role(app, key: str) -> Role | None:
    with app.app_context():
        role = db.session.get(Role, key)
        if role is not None:
            db.session.expunge(role)
        return role


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Role))


def test_the_list_shows_each_role_with_who_holds_it(app, client):
    login(client, "admin")
    page = client.get("/admin/roles").get_data(as_text=True)
    assert "Confidential focal point" in page and "<code>confidential_focal_point</code>" in page
    assert "Marie Manager" in page  # holds the manager role
    assert "a lane of the active procedure" in page
    assert 'href="/admin/roles"' in client.get("/admin").get_data(as_text=True)


def test_an_administrator_adds_a_role_that_users_can_then_be_given(app, client):
    login(client, "admin")
    response = post_form(client, "/admin/roles/new", NEW_ROLE, form_url="/admin/roles")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    role = _role(app, "hr_investigator")
    assert role is not None
    assert (role.name_fr, role.handles_cases, role.confidential_clearance, role.built_in) == (
        "Enquêteur RH",
        True,
        True,
        False,
    )
    assert "HR investigator" in client.get("/admin/roles").get_data(as_text=True)
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="hr_investigator"' in page and "HR investigator" in page
    with app.app_context():
        [event] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == "role_added"))
        assert event.data["key"] == "hr_investigator" and event.complaint_id is None


def test_bad_input_shows_field_errors_and_writes_nothing(app, client):
    login(client, "admin")
    before = _count(app)
    bad = {**NEW_ROLE, "key": "HR Investigator!", "name_fr": ""}
    response = post_form(client, "/admin/roles/new", bad, form_url="/admin/roles")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert "lower-case letters, digits and underscores" in page and "Give a name." in page
    # A name another role has: the service refuses it on the field.
    taken = {**NEW_ROLE, "name_en": "manager"}
    response = post_form(client, "/admin/roles/new", taken, form_url="/admin/roles")
    assert response.status_code == 422
    assert "There is already a role of that name." in response.get_data(as_text=True)
    assert _count(app) == before


def test_a_post_without_the_csrf_token_is_refused(app, client):
    login(client, "admin")
    response = client.post("/admin/roles/new", data=NEW_ROLE)
    assert response.status_code == 400
    assert _role(app, "hr_investigator") is None


@pytest.mark.parametrize("username", ["manager", "owner", "analyst"])
def test_only_administrators_reach_the_role_pages(app, client, username):
    login(client, username)
    assert client.get("/admin/roles").status_code == 403
    assert client.get("/admin/roles/manager").status_code == 403
    token = csrf_token(client, "/account")
    response = client.post("/admin/roles/new", data={**NEW_ROLE, "csrf_token": token})
    assert response.status_code == 403
    response = client.post("/admin/roles/supervisor/delete", data={"csrf_token": token})
    assert response.status_code == 403
    assert _role(app, "hr_investigator") is None and _role(app, "supervisor") is not None


def test_editing_a_built_in_role_changes_its_names_but_not_its_key_or_lane_flag(app, client):
    login(client, "admin")
    # The key and lane flag are not offered (disabled fields are not posted), nor taken.
    data = {"key": "boss", "name_en": "Team manager", "name_fr": "Chef d'équipe"}
    response = post_form(client, "/admin/roles/manager", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    role = _role(app, "manager")
    assert role is not None and (role.name_en, role.name_fr) == ("Team manager", "Chef d'équipe")
    assert role.handles_cases and not role.confidential_clearance
    assert _role(app, "boss") is None
    page = client.get("/admin/roles/manager").get_data(as_text=True)
    inputs = {
        re.search(r'name="(\w+)"', tag).group(1): tag  # type: ignore[union-attr]
        for tag in re.findall(r"<input[^>]*>", page)
        if 'name="' in tag
    }
    assert " readonly" in inputs["key"] and " disabled" in inputs["handles_cases"]
    assert " disabled" not in inputs["confidential_clearance"]


def test_deleting_a_held_role_is_refused_with_a_clear_error(app, client):
    login(client, "admin")
    response = post_form(client, "/admin/roles/supervisor/delete", {}, form_url="/admin/roles")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Supervisor cannot be deleted" in page
    assert "Users hold this role" in page and "lane of this role" in page
    assert _role(app, "supervisor") is not None
    response = post_form(client, "/admin/roles/manager/delete", {}, form_url="/admin/roles")
    assert response.status_code == 409
    assert "A built-in role cannot be deleted." in response.get_data(as_text=True)


def test_an_unused_role_is_deleted(app, client):
    login(client, "admin")
    post_form(client, "/admin/roles/new", NEW_ROLE, form_url="/admin/roles")
    response = post_form(client, "/admin/roles/hr_investigator/delete", {}, form_url="/admin/roles")
    assert response.status_code == 302
    assert _role(app, "hr_investigator") is None
    assert 'id="role-hr_investigator"' not in client.get("/admin/roles").get_data(as_text=True)


def test_in_french_the_pages_show_the_roles_french_names(app, client):
    with app.app_context():
        complaint = j.to_minor_resolution()  # a task in the supervisor's lane
        assert complaint.id
        roles.update(
            j.user("admin"),
            "supervisor",
            name_en="Team lead",
            name_fr="Chef de file",
            handles_cases=True,
            confidential_clearance=False,
        )
        db.session.commit()
    login(client, "admin")
    post_form(client, "/lang/fr", {}, form_url="/admin")
    for url in ("/admin/roles", "/admin/roles/supervisor", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert '<html lang="fr">' in page and "Chef de file" in page, url
    assert "Point focal confidentiel" in client.get("/admin/roles").get_data(as_text=True)
    client.get("/auth/logout")
    login(client, "supervisor")
    post_form(client, "/lang/fr", {}, form_url="/inbox")
    page = client.get("/inbox").get_data(as_text=True)
    assert "Chef de file" in page and "Team lead" not in page
