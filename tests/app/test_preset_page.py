"""Choosing the service-level preset: the process owner's page and the setup commands."""

from __future__ import annotations

import pytest

from services import business_calendar, presets
from services.db import db
from services.models import AuditEvent, BusinessCalendar
from tests.app.helpers import csrf_token, login, post_form

URL = "/processes/presets"


def preset_row(app) -> BusinessCalendar:
    with app.app_context():
        row = db.session.get(BusinessCalendar, 1)
        db.session.expunge(row)
        return row


def changes(app) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == "preset_changed"))
        )


@pytest.mark.parametrize("username", ["manager", "admin", "agent", "analyst"])
def test_only_process_owners_see_or_change_the_preset(app, client, username):
    login(client, username)
    assert client.get(URL).status_code == 403
    token = csrf_token(client, "/inbox" if username != "admin" else "/admin/providers")
    response = client.post(URL, data={"preset": "fca", "csrf_token": token})
    assert response.status_code == 403
    assert preset_row(app).preset == "grievance" and not changes(app)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_page_shows_the_preset_in_force_and_every_preset_with_its_rule(client):
    login(client, "owner")
    page = client.get(URL).get_data(as_text=True)
    assert "In force: Grievance mechanism (World Bank practice)" in page
    assert '<option selected value="grievance">' in page
    for title in (
        "UK FCA: DISP 1.6 (final response within 8 weeks)",
        "France ACPR: Recommendation 2022-R-01 (answer within 2 months)",
        "Australia ASIC: RG 271 (IDR response within 30 calendar days)",
    ):
        assert f">{title}</option>" in page and f"<summary>{title}</summary>" in page
    assert "DISP 1.6.2R" in page and "10 working days (Monday–Saturday)" in page
    assert "Running complaints keep the targets their clocks started with" in page
    # What each rule sends, in words.
    assert "a letter explaining the delay, with the recourse open now" in page
    assert "summary resolution communication" in page
    assert "The clocks never stop" in page
    assert "the complainant&#39;s missing information" in page  # the grievance default pauses


def test_the_process_owner_chooses_a_preset_with_csrf_and_it_is_audited(app, client):
    login(client, "owner")
    refused = client.post(URL, data={"preset": "fca"})  # no CSRF token
    assert refused.status_code == 400
    assert preset_row(app).preset == "grievance"

    response = post_form(client, URL, {"preset": "fca"})
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    page = client.get(URL).get_data(as_text=True)
    assert "New clocks now follow UK FCA: DISP 1.6" in page
    assert "In force: UK FCA: DISP 1.6" in page
    assert preset_row(app).preset == "fca"
    [event] = changes(app)
    with app.app_context():
        event = db.session.merge(event)
        assert event.actor.username == "owner"
        assert (event.data["from"], event.data["to"]) == ("grievance", "fca")
        assert presets.active().id == "fca"


def test_an_unknown_preset_is_refused_and_nothing_changes(app, client):
    login(client, "owner")
    response = post_form(client, URL, {"preset": "../../etc/passwd"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert preset_row(app).preset == "grievance" and not changes(app)


def test_the_page_speaks_french(client):
    login(client, "owner")
    page = client.get(URL, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "France, ACPR\u00a0: recommandation 2022-R-01 (réponse sous 2 mois)" in page
    assert "10 jours ouvrables (du lundi au samedi)" in page
    assert "8 semaines" in page


def test_set_preset_command_with_the_presets_calendar(app, runner):
    result = runner.invoke(args=["set-preset", "asic", "--with-calendar"])
    assert result.exit_code == 0, result.output
    assert "Service-level preset is now asic" in result.output
    assert "complaint     30 calendar days" in result.output
    row = preset_row(app)
    assert (row.preset, row.holiday_country, row.holiday_subdivision, row.timezone) == (
        "asic",
        "AU",
        "NSW",
        "Australia/Sydney",
    )
    [event] = changes(app)
    assert event.actor_label == "system"


def test_set_preset_refuses_an_unknown_name_and_lists_the_presets(app, runner):
    result = runner.invoke(args=["set-preset", "nope"])
    assert result.exit_code != 0
    assert (
        "no preset 'nope'" in result.output
        and "Presets: grievance, asic, acpr, fca" in result.output
    )
    assert preset_row(app).preset == "grievance"


def test_list_presets_marks_the_active_one(runner):
    result = runner.invoke(args=["list-presets"])
    assert result.exit_code == 0, result.output
    assert "grievance (active): Grievance mechanism" in result.output
    assert "acknowledge   10 working days (Monday–Saturday)" in result.output


def test_setup_applies_the_preset_once_then_the_owners_choice_stands(app, runner):
    result = runner.invoke(args=["seed-demo", "--preset", "acpr"])
    assert result.exit_code == 0, result.output
    assert "Service-level preset: France ACPR" in result.output
    row = preset_row(app)
    assert (row.preset, row.holiday_country, row.timezone) == ("acpr", "FR", "Europe/Paris")
    # Later setups (make run runs them every time) leave the choice alone.
    app.config["COMPLAINTFLOW_PRESET"] = "fca"
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "stays acpr" in result.output
    assert preset_row(app).preset == "acpr"


def test_complaintflow_preset_is_read_by_init_db(app, runner):
    app.config["COMPLAINTFLOW_PRESET"] = "fca"
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    row = preset_row(app)
    assert (row.preset, row.holiday_country, row.holiday_subdivision) == ("fca", "GB", "ENG")
    with app.app_context():
        business_calendar.invalidate()
        assert presets.active().id == "fca"


def test_seed_demo_names_the_presets_it_takes(app, runner):
    result = runner.invoke(args=["seed-demo", "--preset", "nope"])
    assert result.exit_code == 2
    assert "'nope' is not one of 'acpr', 'asic', 'fca', 'grievance'" in result.output
    assert preset_row(app) is None or preset_row(app).preset != "nope"
