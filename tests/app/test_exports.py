"""Downloading the complaint list as CSV and XLSX: filters, languages, secrecy, permissions."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from services.db import db
from services.models import AuditEvent
from tests import journeys as j
from tests.app.helpers import login, post_form

ROW_REFERENCE = re.compile(r'/complaints/\d+">(C-\d{4}-\d{6})</a>')


def listed(response) -> list[str]:
    return ROW_REFERENCE.findall(response.get_data(as_text=True))


def csv_table(response, delimiter: str = ",") -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 after a BOM
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def make_confidential():
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", category="gender_based_violence")
    return j.refreshed(complaint)


@pytest.fixture
def three(app):
    """Two ordinary complaints (one in Billing, one classified) and a confidential one."""
    with app.app_context():
        billing = j.file(complainant_name="Omar Ba", department="Billing").reference
        classified = j.to_minor_resolution().reference
        secret = make_confidential().reference
    return billing, classified, secret


def test_export_holds_the_rows_of_the_list_with_the_same_filters(app, client, three):
    billing, classified, _secret = three
    login(client, "analyst")
    table = csv_table(client.get("/complaints/export.csv"))
    assert table[0][:3] == ["Reference", table[0][1], "Channel"]
    assert table[0][1].startswith("Received (")
    assert [row[0] for row in table[1:]] == listed(client.get("/complaints"))
    assert [row[0] for row in table[1:]] == [classified, billing]
    for query in ("department=Billing", "category=product_quality", "sort=oldest", "search=ba"):
        exported = [row[0] for row in csv_table(client.get(f"/complaints/export.csv?{query}"))[1:]]
        assert exported == listed(client.get(f"/complaints?{query}")), query
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Category"] == "Product quality"
    assert row["Confidential"] == "No"


def test_the_list_page_links_to_its_exports_with_its_filters(app, client, three):
    login(client, "analyst")
    page = client.get("/complaints?department=Billing").get_data(as_text=True)
    links = re.findall(r'href="(/complaints/export\.[a-z]+\?[^"]*)"', page)
    assert [link.split("?")[0] for link in links] == [
        "/complaints/export.csv",
        "/complaints/export.xlsx",
    ]
    assert all("department=Billing" in link for link in links)


def test_confidential_complaints_are_exported_only_to_the_focal_point(app, client, three):
    billing, classified, secret = three
    login(client, "analyst")
    refs = [row[0] for row in csv_table(client.get("/complaints/export.csv"))[1:]]
    assert secret not in refs
    # A hand-made "confidential only" filter does not reveal them either.
    only = csv_table(client.get("/complaints/export.csv?confidential=y"))
    assert secret not in [row[0] for row in only[1:]]
    focal = app.test_client()
    login(focal, "focal")
    table = csv_table(focal.get("/complaints/export.csv?confidential=y"))
    assert [row[0] for row in table[1:]] == [secret]
    assert dict(zip(table[0], table[1], strict=True))["Confidential"] == "Yes"


def test_xlsx_export_opens_in_a_spreadsheet_with_the_same_rows(app, client, three):
    billing, classified, _secret = three
    login(client, "manager")
    response = client.get("/complaints/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    content = response.get_data()
    response.close()  # as a WSGI server does: the temporary file goes
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book.active.values)
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [classified, billing]


def test_headers_and_labels_follow_the_readers_language(app, client, three):
    login(client, "analyst")
    post_form(client, "/lang/fr", {}, form_url="/complaints")
    table = csv_table(client.get("/complaints/export.csv?department=Billing"), ";")
    assert table[0][0] == "Référence"
    assert "Canal" in table[0]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Confidentiel"] == "Non"


def test_french_readers_get_semicolons_and_decimal_commas_as_excel_expects(app, client, three):
    _billing, classified, _secret = three
    login(client, "analyst")
    english = csv_table(client.get("/complaints/export.csv"))
    post_form(client, "/lang/fr", {}, form_url="/complaints")
    response = client.get("/complaints/export.csv")
    header_line = response.get_data().decode("utf-8-sig").splitlines()[0]
    assert header_line.count(";") == len(english[0]) - 1 and "," not in header_line
    french = csv_table(response, ";")
    assert len(french[0]) == len(english[0])
    ours = [row for row in english if row[0] == classified][0]
    theirs = [row for row in french if row[0] == classified][0]
    # The working hours to acknowledge, a decimal: 0.25 in English is 0,25 in French.
    hours = english[0].index("Time to acknowledge (working hours)")
    assert re.fullmatch(r"\d+\.\d+", ours[hours]), ours[hours]
    assert theirs[hours] == ours[hours].replace(".", ",")


def test_text_that_would_run_as_a_formula_is_made_inert(app, client):
    with app.app_context():
        j.file(department='=HYPERLINK("http://evil.example","x")')
    login(client, "analyst")
    table = csv_table(client.get("/complaints/export.csv"))
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Department"] == '\'=HYPERLINK("http://evil.example","x")'


def test_a_wrong_filter_is_refused_rather_than_exporting_everything(app, client, three):
    login(client, "analyst")
    response = client.get("/complaints/export.csv?category=nonsense")
    assert response.status_code == 422
    assert "not valid" in response.get_data(as_text=True)


def test_only_staff_who_read_complaints_may_export(app, client, three):
    assert client.get("/complaints/export.csv").status_code == 302  # to the sign-in page
    login(client, "owner")
    assert client.get("/complaints/export.csv").status_code == 403
    assert client.get("/complaints/export.pdf").status_code == 404


def test_each_export_is_audited(app, client, three):
    login(client, "analyst")
    client.get("/complaints/export.csv?department=Billing").get_data()
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "exported"))
        assert event is not None
        assert event.actor.username == "analyst"
        assert event.data["filters"] == {"department": "Billing", "sort": "newest"}
        assert event.data["rows"] == 1
        assert event.data["format"] == "csv"
