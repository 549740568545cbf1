"""Administration of the organisation: departments, teams, settings the letters use."""

from __future__ import annotations

import io
from datetime import date

import pytest

from services import departments, documents, preset_letters, presets
from services.db import db
from services.models import AuditEvent, Complaint, Team
from tests import journeys
from tests.app.helpers import login, post_form
from tests.samples import EXECUTABLE, png


def _events(app, kind: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == kind)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_an_administrator_adds_a_department_that_the_public_form_then_offers(app, client):
    login(client, "admin")
    response = post_form(
        client, "/admin/departments/new", {"name": "Water supply"}, form_url="/admin/departments"
    )
    assert response.status_code == 302
    page = client.get("/admin/departments").get_data(as_text=True)
    assert "Water supply" in page

    public = app.test_client().get("/complaints/new").get_data(as_text=True)
    assert 'id="department" name="department"><option selected value="">Not specified' in public
    assert '<option value="Water supply">Water supply</option>' in public
    [event] = _events(app, "department_added")
    assert event.complaint_id is None and event.data["name"] == "Water supply"


def test_the_public_form_refuses_a_department_not_on_the_list(app, client):
    response = post_form(
        client,
        "/complaints/new",
        {
            "complainant_name": "Aminata Diallo",
            "email": "aminata@example.org",
            "preferred_contact": "email",
            "description": "The machine leaks water from the first wash.",
            "attestation": "y",
            "department": "Made-up department",
        },
    )
    assert response.status_code == 422
    assert 'class="error-summary"' in response.get_data(as_text=True)


def test_a_deactivated_department_is_no_longer_offered_and_complaints_keep_it(app, client):
    with app.app_context():
        complaint = journeys.file(department="Invoicing desk")
        department = departments.add_department(journeys.user("admin"), "Invoicing desk")
        db.session.commit()
        department_id, complaint_id = department.id, complaint.id
    login(client, "admin")
    post_form(
        client,
        f"/admin/departments/{department_id}/active",
        {"active": "0"},
        form_url="/admin/departments",
    )
    public = app.test_client().get("/complaints/new").get_data(as_text=True)
    assert 'value="Invoicing desk"' not in public
    with app.app_context():
        assert db.session.get(Complaint, complaint_id).department == "Invoicing desk"


def test_renaming_a_department_renames_it_on_its_complaints(app, client):
    with app.app_context():
        complaint = journeys.to_classification(department="Invoicing desk")
        department = departments.add_department(journeys.user("admin"), "Invoicing desk")
        db.session.commit()
        department_id, complaint_id = department.id, complaint.id
    login(client, "admin")
    response = post_form(client, f"/admin/departments/{department_id}", {"name": "Invoicing"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Complaint, complaint_id).department == "Invoicing"
        assert {
            t.department for t in journeys.open_tasks(db.session.get(Complaint, complaint_id))
        } == {"Invoicing"}
    assert _events(app, "department_renamed")[0].data["before"] == "Invoicing desk"


def test_a_duplicate_department_name_gets_the_error_summary(app, client):
    with app.app_context():
        departments.add_department(journeys.user("admin"), "Invoicing desk")
        db.session.commit()
    login(client, "admin")
    response = post_form(
        client, "/admin/departments/new", {"name": "invoicing DESK"}, form_url="/admin/departments"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and "already a department of that name" in page


def test_an_administrator_makes_a_team_of_a_department_with_members(app, client):
    with app.app_context():
        department_id = departments.add_department(journeys.user("admin"), "Water supply").id
        investigator = journeys.user("counsel").id  # people in no demo team
        supervisor = journeys.user("police").id
        db.session.commit()
    login(client, "admin")
    response = post_form(
        client,
        "/admin/teams/new",
        {
            "team-name": "Deliveries team",
            "team-department": str(department_id),
            "team-members": [str(investigator), str(supervisor)],
        },
        form_url="/admin/departments",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        team = db.session.scalar(db.select(Team).where(Team.name == "Deliveries team"))
        assert team.department.name == "Water supply"
        assert sorted(u.username for u in team.members) == ["counsel", "police"]
        assert departments.team_ids_of(journeys.user("counsel")) == {team.id}
        team_id = team.id
    page = client.get(f"/admin/teams/{team_id}").get_data(as_text=True)
    assert "Luc Legal" in page
    response = post_form(
        client,
        f"/admin/teams/{team_id}",
        {
            "team-name": "Deliveries team",
            "team-department": str(department_id),
            "team-members": [str(supervisor)],
        },
    )
    assert response.status_code == 302
    [changed] = _events(app, "team_changed")
    assert changed.data["before"]["members"] == sorted([investigator, supervisor])
    assert changed.data["members"] == [supervisor]


def test_organisation_settings_go_on_the_letters_with_the_logo(app, client):
    login(client, "admin")
    response = post_form(
        client,
        "/admin/organisation",
        {
            "name": "Sénélec Clients",
            "postal_address": "BP 93\nDakar",
            "complaints_email": "clients@senelec.example",
            "signature": "Awa Ndiaye\nHead of complaints",
            "signature_fr": "Awa Ndiaye\nResponsable des réclamations",
            "logo": (io.BytesIO(png(4, 2)), "logo.png", "image/png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    logo = client.get("/admin/organisation/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    with app.app_context():
        complaint = journeys.to_minor_resolution()
        page = documents.letter_html(complaint, "Dear Ms Diallo,", today=date(2026, 12, 1))
        # A French letter: the French signature block; the name set here, in no other
        # language, in French letters too (not the configuration's French name).
        french = documents.letter_html(journeys.file(language="fr"), "Bonjour,")
    assert "Awa Ndiaye\nResponsable des réclamations" in french
    assert "Head of complaints" not in french
    assert "Sénélec Clients" in french and app.config["ORG_NAME_FR"] not in french
    assert "Sénélec Clients" in page and "BP 93\nDakar" in page
    assert "clients@senelec.example" in page and "Awa Ndiaye\nHead of complaints" in page
    assert 'src="data:image/png;base64,' in page
    [event] = _events(app, "organisation_changed")
    assert event.data["changes"]["name"] == ["", "Sénélec Clients"]
    assert event.data["changes"]["logo"] == "logo.png"


def test_empty_settings_keep_the_configured_letterhead(app, app_context):
    complaint = journeys.to_minor_resolution()
    page = documents.letter_html(complaint, "Dear Ms Diallo,", today=date(2026, 12, 1))
    assert app.config["ORG_NAME"] in page


def test_a_logo_that_is_not_an_image_is_refused(app, client):
    login(client, "admin")
    response = post_form(
        client,
        "/admin/organisation",
        {"name": "X", "logo": (io.BytesIO(EXECUTABLE), "logo.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert client.get("/admin/organisation/logo").status_code == 404


def test_the_recourse_names_the_mediator_set_by_the_administrator(app, client):
    login(client, "admin")
    response = post_form(
        client,
        "/admin/organisation/preset",
        {"preset": "acpr"},
        form_url="/admin/organisation",
    )
    assert response.status_code == 302
    response = post_form(
        client,
        "/admin/organisation",
        {
            "ombudsman_name": "Médiateur de la Banque Test",
            "ombudsman_website": "https://mediateur.example",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        preset = presets.active()
        assert preset.id == "acpr"
        texts = preset_letters.recourse(preset, "response_letter")
    assert texts and "Médiateur de la Banque Test" in texts["fr"]
    public = app.test_client().get("/how-we-handle-complaints").get_data(as_text=True)
    assert "Médiateur de la Banque Test" in public
    assert _events(app, "preset_changed")[0].actor_label == "Ada Admin"


def test_the_appeal_window_is_shown_from_the_procedure(app, client):
    login(client, "admin")
    page = client.get("/admin/organisation").get_data(as_text=True)
    assert "can ask for a review during 8 weeks" in page


def test_the_admin_home_lists_every_admin_page_and_the_nav_has_one_entry(app, client):
    login(client, "admin")
    page = client.get("/admin").get_data(as_text=True)
    for url in (
        "/admin/users",
        "/admin/departments",
        "/admin/organisation",
        "/admin/templates",
        "/admin/calendar",
        "/admin/providers",
    ):
        assert f'href="{url}"' in page
    topbar = page.split('<nav class="mainnav">', 1)[1].split("</nav>", 1)[0]
    assert 'href="/admin"' in topbar and 'href="/admin/templates"' not in topbar
    # Every admin page shares the side navigation, with the current page marked.
    calendar = client.get("/admin/calendar").get_data(as_text=True)
    assert '<a href="/admin/calendar" aria-current="page">' in calendar


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_organisation_page_shows_in_both_languages(app, client, language):
    with app.app_context():
        admin = journeys.user("admin")
        department = departments.add_department(admin, "Invoicing desk")
        team = departments.add_team(admin, "Billing team", department.id)
        db.session.commit()
        ids = department.id, team.id
    login(client, "admin")
    post_form(client, f"/lang/{language}", {}, form_url="/admin")
    for url in (
        "/admin/departments",
        f"/admin/departments/{ids[0]}",
        f"/admin/teams/{ids[1]}",
        "/admin/organisation",
        "/admin/templates",
        "/admin/calendar",
        "/admin/providers",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.get_data(as_text=True)


def test_staff_intake_offers_the_same_department_list(app, client):
    with app.app_context():
        departments.add_department(journeys.user("admin"), "Water supply")
        db.session.commit()
    login(client, "agent")
    page = client.get("/intake").get_data(as_text=True)
    assert '<option value="Water supply">Water supply</option>' in page
