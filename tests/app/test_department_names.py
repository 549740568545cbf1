"""Departments named in English and in French: the administrator names each in both (or one),
and every reader sees the name of their language wherever a department is shown: the public
and intake forms, the complaint list and page, the inbox, the service-level view, the
dashboard's table and its exports, the complaint exports (CSV, XLSX) and the API.

Department names are data, not catalogue texts: the French assertions below hold without the
French catalogue.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade

from services import business_calendar, departments, reporting
from services.db import db
from services.models import AuditEvent, Complaint, Department
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en"}


def add(name: str, name_fr: str = "") -> int:
    department = departments.add_department(j.user("admin"), name, name_fr)
    db.session.commit()
    return department.id


def department_row(client: FlaskClient, department_id: int) -> str:
    html = client.get("/admin/departments").get_data(as_text=True)
    start = html.index(f'id="department-{department_id}"')
    return html[start : html.index("</tr>", start)]


# --- the administration page -----------------------------------------------------------------


def test_an_administrator_names_a_department_in_english_and_in_french(app, client):
    login(client, "admin")
    response = post_form(
        client,
        "/admin/departments/new",
        {"name": "Water supply", "name_fr": "Eau potable"},
        form_url="/admin/departments",
    )
    assert response.status_code == 302
    with app.app_context():
        department = db.session.scalar(db.select(Department))
        assert (department.name, department.name_fr) == ("Water supply", "Eau potable")
        department_id = department.id
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.kind == "department_added")
        )
        assert event.data["name_fr"] == "Eau potable"
    row = department_row(client, department_id)
    assert ">Water supply</a>" in row and '<td lang="fr">Eau potable</td>' in row
    # The edit form shows both names, and changes the French one alone.
    edit = client.get(f"/admin/departments/{department_id}").get_data(as_text=True)
    assert 'value="Water supply"' in edit and 'value="Eau potable"' in edit
    response = post_form(
        client,
        f"/admin/departments/{department_id}",
        {"name": "Water supply", "name_fr": "Eau courante"},
    )
    assert response.status_code == 302
    with app.app_context():
        department = db.session.get(Department, department_id)
        assert (department.name, department.name_fr) == ("Water supply", "Eau courante")
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.kind == "department_renamed")
        )
        assert (event.data["before_fr"], event.data["name_fr"]) == ("Eau potable", "Eau courante")
        assert event.summary == "Department renamed in French: Eau potable -> Eau courante"


def test_renaming_a_department_in_french_leaves_its_complaints_as_they_are(app, client):
    with app.app_context():
        department_id = add("Customer service", "Service client")
        complaint_id = j.to_classification().id
    login(client, "admin")
    post_form(
        client,
        f"/admin/departments/{department_id}",
        {"name": "Customer service", "name_fr": "Relation client"},
    )
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.department == "Customer service"
        assert {t.department for t in j.open_tasks(complaint)} == {"Customer service"}
    login(client, "manager")
    page = client.get(f"/complaints/{complaint_id}", headers=FRENCH).get_data(as_text=True)
    assert "Relation client" in page


def test_one_name_is_enough_and_the_other_language_reads_it(app, client):
    login(client, "admin")
    response = post_form(
        client,
        "/admin/departments/new",
        {"name": "", "name_fr": "Magasins"},
        form_url="/admin/departments",
    )
    assert response.status_code == 302
    with app.app_context():
        department = db.session.scalar(db.select(Department))
        assert (department.name, department.name_fr) == ("Magasins", "Magasins")


def test_a_department_needs_a_name_in_at_least_one_language(app, client):
    login(client, "admin")
    response = post_form(
        client,
        "/admin/departments/new",
        {"name": " ", "name_fr": ""},
        form_url="/admin/departments",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert "Give a name in English or in French." in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Department)) == 0


def test_each_language_has_its_own_unique_names(app, client):
    with app.app_context():
        first = add("Customer service", "Service client")
    login(client, "admin")
    # The same French name (whatever the case) is refused, under the French field.
    response = post_form(
        client,
        "/admin/departments/new",
        {"name": "Client service", "name_fr": "SERVICE CLIENT"},
        form_url="/admin/departments",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is already a department of that French name." in page
    assert "There is already a department of that name." not in page
    # Renaming another department to a taken English name is refused too.
    with app.app_context():
        second = add("Billing", "Facturation")
    response = post_form(
        client,
        f"/admin/departments/{second}",
        {"name": "customer SERVICE", "name_fr": "Facturation"},
    )
    assert response.status_code == 422
    assert "There is already a department of that name." in response.get_data(as_text=True)
    # A name may be the same in both languages, and one language's name another's in the other.
    with app.app_context():
        add("Service client", "Customer care")
        names = db.session.execute(db.select(Department.name, Department.name_fr)).all()
        assert sorted(names) == [
            ("Billing", "Facturation"),
            ("Customer service", "Service client"),
            ("Service client", "Customer care"),
        ]
        assert db.session.get(Department, first).name_fr == "Service client"


# --- where departments are shown -------------------------------------------------------------


@pytest.fixture
def named(app: Flask) -> dict[str, int]:
    """Customer service (Service client) on the list; a complaint of it at classification,
    closed-up roll-ups fresh."""
    with app.app_context():
        add("Customer service", "Service client")
        complaint = j.to_classification()
        reporting.refresh()
        db.session.commit()
        return {"complaint": complaint.id}


def test_the_public_and_intake_forms_offer_the_departments_in_the_readers_language(
    app, client, named
):
    english = client.get("/complaints/new", headers=ENGLISH).get_data(as_text=True)
    assert '<option value="Customer service">Customer service</option>' in english
    french = client.get("/complaints/new", headers=FRENCH).get_data(as_text=True)
    assert '<option value="Customer service">Service client</option>' in french
    login(client, "agent")
    intake = client.get("/intake", headers=FRENCH).get_data(as_text=True)
    assert '<option value="Customer service">Service client</option>' in intake


def test_staff_pages_show_the_department_in_the_readers_language(app, client, named):
    complaint_id = named["complaint"]
    # (French readers also read "Service client" as a category: the checks look at cells.)
    languages = ((ENGLISH, "Customer service"), (FRENCH, "Service client"))
    login(client, "supervisor")  # the complaint page: as received, and as classified
    for headers, name in languages:
        case = client.get(f"/complaints/{complaint_id}", headers=headers).get_data(as_text=True)
        assert re.search(rf"<dt>[^<]+</dt><dd>{name}</dd>", case)
        assert "<dd>Customer service</dd>" not in case or name == "Customer service"
    login(client, "manager")  # every open task, with its department; the workload
    for headers, name in languages:
        tasks = client.get("/inbox/all", headers=headers).get_data(as_text=True)
        assert f"<td>{name}</td>" in tasks
        load = client.get("/inbox/workload", headers=headers).get_data(as_text=True)
        load = load[load.index('id="by-department"') :]
        assert name in load[: load.index("</table>")]
    login(client, "analyst")  # the complaint list and its filter
    for headers, name in languages:
        html = client.get("/complaints", headers=headers).get_data(as_text=True)
        assert f"<td>{name}</td>" in html
        assert f'<option value="Customer service">{name}</option>' in html
    page = client.get("/complaints?department=Customer+service", headers=FRENCH)
    html = page.get_data(as_text=True)
    assert '<option selected value="Customer service">Service client</option>' in html
    assert f"/complaints/{complaint_id}" in html


def csv_rows(response, delimiter: str = ",") -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_the_complaint_exports_name_the_department_in_the_readers_language(app, client, named):
    login(client, "analyst")
    english = csv_rows(client.get("/complaints/export.csv", headers=ENGLISH))
    column = english[0].index("Department")
    assert english[1][column] == "Customer service"
    # French readers' CSV is semicolon-separated (Excel in a French locale).
    french = csv_rows(client.get("/complaints/export.csv", headers=FRENCH), delimiter=";")
    assert french[1][column] == "Service client"
    response = client.get("/complaints/export.xlsx", headers=FRENCH)
    content = response.get_data()
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1][column] == "Service client"


def shown_table(html: str, name: str) -> dict[str, str]:
    """A dashboard table's rows as the reader sees them: {label: count}."""
    found = html.split(f'id="table-{name}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(?:<a [^>]*>)?([^<]+)', found)
    return {label.strip(): count.strip() for label, count in rows}


def test_the_dashboards_department_table_and_its_export_follow_the_reader(app, client, named):
    with app.app_context():
        today = business_calendar.local_today()
    args = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    login(client, "manager")
    english = client.get("/dashboard", query_string=args, headers=ENGLISH).get_data(as_text=True)
    assert shown_table(english, "departments") == {"Customer service": "1"}
    french = client.get("/dashboard", query_string=args, headers=FRENCH).get_data(as_text=True)
    assert shown_table(french, "departments") == {"Service client": "1"}
    assert '<option value="Customer service">Service client</option>' in french  # the filter
    response = client.get("/dashboard/export/departments.csv", query_string=args, headers=FRENCH)
    assert csv_rows(response, delimiter=";")[1] == ["Service client", "1"]
    drill = {**args, "figure": "departments", "bucket": "Customer service"}
    page = client.get("/dashboard/complaints", query_string=drill, headers=FRENCH)
    html = page.get_data(as_text=True)
    assert f"/complaints/{named['complaint']}" in html and "<td>Service client</td>" in html


def test_the_service_level_view_names_the_department_in_the_readers_language(app, client, named):
    with app.app_context():
        late = j.past_due(db.session.get(Complaint, named["complaint"]), "classify")
    with time_machine.travel(late, tick=False):
        login(client, "manager")
        html = client.get("/service-levels", headers=FRENCH).get_data(as_text=True)
    counts = html[html.index('id="counts-department"') :]
    counts = counts[: counts.index("</table>")]
    assert "Service client</a>" in counts and "Customer service" not in counts
    assert '<span class="muted">Service client</span>' in html


def test_the_api_gives_the_department_and_its_name_in_the_request_language(app, client, named):
    token = issue_token(app.test_cli_runner(), "analyst")
    english = client.get(f"{API}/complaints", headers={**bearer(token), **ENGLISH}).json
    french = client.get(f"{API}/complaints", headers={**bearer(token), **FRENCH}).json
    (item,) = english["complaints"]
    assert (item["department"], item["department_name"]) == ("Customer service", "Customer service")
    (item,) = french["complaints"]
    assert (item["department"], item["department_name"]) == ("Customer service", "Service client")
    document = client.get(f"{API}/openapi.json").json
    listed = document["components"]["schemas"]["ComplaintListItem"]["allOf"][1]
    assert "department_name" in listed["properties"] and "department_name" in listed["required"]


# --- the demo and the migration ---------------------------------------------------------------


def test_the_demo_departments_have_both_names(app, app_context):
    departments.ensure_demo_organisation()
    names = dict(db.session.execute(db.select(Department.name, Department.name_fr)).all())
    assert names == {
        "Customer service": "Service client",
        "Logistics": "Logistique",
        "Billing": "Facturation",
        "Stores": "Magasins",
    }
    assert departments.name_of("Stores", "fr") == "Magasins"
    assert departments.name_of("Stores", "en") == "Stores"
    assert departments.name_of("Typed before the list", "fr") == "Typed before the list"


def test_the_migration_gives_each_department_its_name_in_french_and_keeps_them(app):
    with app.app_context():
        db.session.remove()
        downgrade(revision="a13q00000019")
        db.session.execute(
            sa.text("INSERT INTO department (name, active, created_at) VALUES (:n, :a, :t)"),
            [
                {"n": "Invoicing desk", "a": True, "t": "2026-11-01 09:00:00"},
                {"n": "Stores", "a": False, "t": "2026-11-01 09:00:00"},
            ],
        )
        db.session.commit()
        db.session.remove()
        upgrade()
        rows = db.session.execute(
            sa.text("SELECT name, name_fr, active FROM department ORDER BY name")
        ).all()
        assert [tuple(row) for row in rows] == [
            ("Invoicing desk", "Invoicing desk", True),
            ("Stores", "Stores", False),
        ]
