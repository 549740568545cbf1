"""The dashboard page, its drill-downs and its table exports, as staff see them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
from flask import Flask
from flask.testing import FlaskClient

from services import business_calendar, improvement, reporting
from services.db import db
from tests import journeys as j
from tests.app.helpers import login, post_form


def build(app: Flask, confidential: bool = False) -> dict[str, int]:
    """A closed minor complaint, a waiting one and (if asked) a confidential one; roll-ups fresh."""
    with app.app_context():
        closed = j.to_survey("minor")
        waiting = j.to_classification(department="Billing")
        ids = {"closed": closed.id, "waiting": waiting.id}
        if confidential:
            ids["secret"] = j.file(description="My boss harasses me.", sensitive_at_intake=True).id
        reporting.refresh()
        db.session.commit()
        return ids


def period(app: Flask) -> dict[str, str]:
    with app.app_context():
        today = business_calendar.local_today()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def test_manager_sees_charts_tables_and_figures(app: Flask, client: FlaskClient):
    build(app)
    login(client, "manager")
    page = client.get("/dashboard")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<canvas id="chart-volumes"' in html
    assert '<table class="figure-table" id="table-volumes">' in html
    assert "<caption>Complaints received, closed and open</caption>" in html
    assert '<th scope="col">Received</th>' in html
    assert 'id="dashboard-charts"' in html and "vendor/chart.js/chart.umd.min.js" in html
    assert "figure=received" in html
    assert "/dashboard/export/volumes.csv" in html


def test_french_dashboard(app: Flask, client: FlaskClient):
    build(app)
    login(client, "analyst")
    post_form(client, "/lang/fr", {}, form_url="/dashboard")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "Appliquer" in html and "Catégorie" in html and ">Apply<" not in html


def test_intake_agent_gets_403(app: Flask, client: FlaskClient):
    login(client, "agent")
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/complaints?figure=received").status_code == 403
    assert client.get("/dashboard/export/volumes.csv").status_code == 403


def test_bad_period_is_explained_and_defaults_are_used(app: Flask, client: FlaskClient):
    login(client, "manager")
    page = client.get("/dashboard?start=2026-05-01&end=2026-01-01")
    assert page.status_code == 422
    assert "The end of the period comes before its start." in page.get_data(as_text=True)


def test_drill_down_lists_the_complaints_a_figure_counts(app: Flask, client: FlaskClient):
    ids = build(app, confidential=True)
    login(client, "manager")
    args = period(app)
    page = client.get("/dashboard/complaints", query_string={**args, "figure": "received"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"/complaints/{ids['closed']}" in html and f"/complaints/{ids['waiting']}" in html
    assert f"/complaints/{ids['secret']}" not in html
    assert "2 complaints you may see" in html
    closed = client.get("/dashboard/complaints", query_string={**args, "figure": "closed"})
    assert f"/complaints/{ids['waiting']}" not in closed.get_data(as_text=True)
    assert client.get("/dashboard/complaints?figure=nothing").status_code == 404


def test_a_confidential_complaint_is_in_no_figure_a_viewer_without_clearance_reads(
    app: Flask, client: FlaskClient
):
    """Not even as "< 5": narrowed to its day and channel, that gave it away."""
    build(app, confidential=True)
    with app.app_context():
        day = business_calendar.local_today().isoformat()  # the day all three came in
    one_day = {"start": day, "end": day, "channel": "web"}
    login(client, "manager")
    html = client.get("/dashboard", query_string=period(app)).get_data(as_text=True)
    assert "&lt; 5" not in html
    assert "only people cleared for them see them counted" in html
    narrowed = client.get("/dashboard", query_string=one_day).get_data(as_text=True)
    assert "&lt; 5" not in narrowed
    assert shown_table(narrowed, "channels") == shown_table(
        client.get("/dashboard", query_string={**one_day, "channel": ""}).get_data(as_text=True),
        "channels",
    )
    # Two complaints the manager may list came in that day by the web; the third is not told.
    assert shown_table(narrowed, "channels") == {"Web form": "2"}


def test_table_exports_in_csv_and_xlsx(app: Flask, client: FlaskClient):
    build(app)
    login(client, "manager")
    args = period(app)
    response = client.get("/dashboard/export/channels.csv", query_string=args)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["Channel", "Complaints"], ["Web form", "2"]]
    response = client.get("/dashboard/export/channels.xlsx", query_string=args)
    content = response.get_data()
    response.close()  # send_file's temporary file
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Channel", "Complaints"],
        ["Web form", 2],
    ]
    assert client.get("/dashboard/export/nothing.csv").status_code == 404


def shown_table(html: str, name: str) -> dict[str, str]:
    """A dashboard table's rows as the reader sees them: {label: count}."""
    found = html.split(f'id="table-{name}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(?:<a [^>]*>)?([^<]+)', found)
    return {label.strip(): count.strip() for label, count in rows}


def test_complaints_received_by_category_and_by_department(app: Flask, client: FlaskClient):
    ids = build(app, confidential=True)
    login(client, "manager")
    args = period(app)
    html = client.get("/dashboard", query_string=args).get_data(as_text=True)
    assert "<caption>Complaints received by category</caption>" in html
    assert '<canvas id="chart-categories"' in html and '<canvas id="chart-departments"' in html
    # The confidential complaint is not classified yet and came to Customer service.
    # The manager reads neither: not cleared for it.
    assert shown_table(html, "categories") == {"Product quality": "1", "Not recorded": "1"}
    assert shown_table(html, "departments") == {"Customer service": "1", "Billing": "1"}
    # Filtered on three dimensions (the report facts): the same counts for what it selects.
    three = {**args, "category": "product_quality", "channel": "web", "route": "minor"}
    filtered = client.get("/dashboard", query_string=three).get_data(as_text=True)
    assert shown_table(filtered, "categories") == {"Product quality": "1"}
    assert shown_table(filtered, "departments") == {"Customer service": "1"}
    # Each count lists its complaints, as far as the manager may see them.
    drill = {**args, "figure": "departments", "bucket": "Billing"}
    page = client.get("/dashboard/complaints", query_string=drill).get_data(as_text=True)
    assert f"/complaints/{ids['waiting']}" in page and f"/complaints/{ids['closed']}" not in page
    assert "Complaints received by department: Billing" in page
    drill = {**args, "figure": "categories", "bucket": ""}
    page = client.get("/dashboard/complaints", query_string=drill).get_data(as_text=True)
    assert f"/complaints/{ids['waiting']}" in page and f"/complaints/{ids['secret']}" not in page
    assert f"/complaints/{ids['closed']}" not in page
    assert "Complaints received by category: Not recorded" in page
    response = client.get("/dashboard/export/departments.csv", query_string=args)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["Department", "Complaints"], ["Billing", "1"], ["Customer service", "1"]]
    response = client.get("/dashboard/export/categories.xlsx", query_string=args)
    content = response.get_data()
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Category", "Complaints"],
        ["Not recorded", 1],
        ["Product quality", 1],
    ]
    post_form(client, "/lang/fr", {}, form_url="/dashboard")
    french = client.get("/dashboard", query_string=args).get_data(as_text=True)
    assert shown_table(french, "categories") == {
        "Qualité du produit": "1",
        "Non renseigné": "1",
    }


def test_dashboard_shows_open_and_overdue_improvement_actions(app: Flask, client: FlaskClient):
    with app.app_context():
        manager = j.user("manager")
        today = business_calendar.local_today()
        improvement.open_action(
            manager,
            title="Retrain the depot's loading team",
            owner_id=manager.id,
            due_date=today - timedelta(days=3),
        )
        improvement.open_action(
            manager, title="Review the refund policy", owner_id=manager.id, due_date=today
        )
        db.session.commit()
    login(client, "analyst")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "2 open actions" in html and "1 overdue" in html
    assert "Retrain the depot&#39;s loading team" in html
    assert "Review the refund policy" not in html  # not overdue: counted, not listed


def test_weeks_are_named_day_first_in_both_languages(app: Flask, client: FlaskClient):
    """ "Week of Nov 2, 2026" (Babel's American medium date) beside "2 November 2026" in every
    letter: the week is now "Week of 2 Nov 2026", "Semaine du 2 nov. 2026"."""
    build(app)
    login(client, "manager")
    query = "/dashboard?grain=week&start=2026-11-02&end=2026-11-29"
    page = client.get(query).get_data(as_text=True)
    assert "Week of 2 Nov 2026" in page and "Week of 23 Nov 2026" in page
    assert not re.search(r"Week of [A-Z][a-z]{2} \d", page)
    post_form(client, "/lang/fr", {}, form_url="/dashboard")
    page = client.get(query).get_data(as_text=True)
    assert "Semaine du 2 nov. 2026" in page and "Semaine du 23 nov. 2026" in page


def test_a_drill_downs_title_is_in_the_readers_typography(app: Flask, client: FlaskClient):
    """French puts a no-break space before the colon (found by a French crawl)."""
    build(app)
    login(client, "manager")
    post_form(client, "/lang/fr", {}, form_url="/dashboard")
    args = {**period(app), "figure": "departments", "bucket": "Billing"}
    page = client.get("/dashboard/complaints", query_string=args).get_data(as_text=True)
    title = re.search(r"<h1>([^<]*)</h1>", page).group(1)
    assert title.endswith("\u00a0: Billing") or title.endswith("&nbsp;: Billing"), title
