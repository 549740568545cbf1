"""The export writers (CSV chunks, XLSX sheets) and the complaint export's rows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from services import business_calendar, exports
from services.complaints import ComplaintFilter
from services.models import AuditEvent, Complaint
from tests import journeys as j


def parsed(chunks, delimiter: str = ",") -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only after a BOM
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_csv_guards_text_that_a_spreadsheet_would_run_as_a_formula():
    rows = [['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "plain", -3, "< 5"]]
    assert parsed(exports.csv_chunks(["=Header", "b", "c", "d", "e", "f", "g", "h"], rows)) == [
        ["'=Header", "b", "c", "d", "e", "f", "g", "h"],
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain", "-3", "< 5"],
    ]


def test_csv_writes_each_kind_of_value_and_streams_in_batches():
    rows = (
        [n, Decimal("2.50"), date(2026, 1, 2), datetime(2026, 1, 2, 9, 5), None, True, "é"]
        for n in range(1201)
    )
    chunks = list(exports.csv_chunks(["n", "d", "day", "at", "none", "flag", "text"], rows))
    assert len(chunks) == 3  # 500 + 500 + 201 rows (+ the header in the first)
    table = parsed(chunks)
    assert len(table) == 1202
    assert table[1] == ["0", "2.50", "2026-01-02", "2026-01-02 09:05", "", "1", "é"]


def test_french_csv_is_semicolon_separated_with_decimal_commas():
    """Excel in French locales splits on ";" and reads 2,5 as a number."""
    row = [2.5, Decimal("1234.50"), -0.75, 7, "a; b", "3.5 kg", date(2026, 1, 2), "-x"]
    header = ["f", "d", "neg", "n", "text", "unit", "day", "g"]
    data = b"".join(exports.csv_chunks(header, [row], language="fr"))
    assert data.decode("utf-8-sig").splitlines() == [
        "f;d;neg;n;text;unit;day;g",
        '2,5;1234,50;-0,75;7;"a; b";3.5 kg;2026-01-02;\'-x',
    ]
    english = b"".join(exports.csv_chunks(header, [row]))
    assert english.decode("utf-8-sig").splitlines()[1] == (
        "2.5,1234.50,-0.75,7,a; b,3.5 kg,2026-01-02,'-x"
    )
    assert parsed(exports.csv_chunks(header, [row], language="fr"), ";")[1][4] == "a; b"


def test_xlsx_keeps_text_as_text_and_numbers_and_dates_typed(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = [["=1+1", 3, Decimal("2.5"), date(2026, 1, 2), datetime(2026, 1, 2, 9, 5), None]]
    assert exports.write_xlsx(str(path), ["a", "b", "c", "d", "e", "f"], rows, sheet_name="S") == 1
    sheet = openpyxl.load_workbook(path)["S"]
    assert [c.value for c in sheet[1]] == ["a", "b", "c", "d", "e", "f"]
    values = [c.value for c in sheet[2]]
    assert values[:5] == ["=1+1", 3, 2.5, datetime(2026, 1, 2), datetime(2026, 1, 2, 9, 5)]
    assert values[5] is None
    assert sheet["A2"].data_type == "s"  # a string, never a formula


def test_complaint_rows_carry_the_report_columns(app_context):
    complaint = j.to_survey()
    j.write_messages()
    done = j.refreshed(complaint)
    rows = list(exports.complaint_rows(j.user("analyst"), ComplaintFilter()))
    assert len(rows) == 1
    row = dict(zip(exports.COMPLAINT_COLUMNS, rows[0], strict=True))
    zone = business_calendar.current().zone
    assert row["reference"] == done.reference
    received = done.received_at
    assert row["received_at"] == business_calendar.to_local(received).astimezone(zone).replace(
        tzinfo=None
    )
    assert row["category"] == "product_quality"
    assert row["severity"] == "low"
    assert row["route"] == done.route
    assert row["status"] == done.status
    assert row["confidential"] is False
    assert row["resolution_codes"] == ("complainant_informed", "resolved_in_favour")
    assert row["remedies"] == ("apology", "repair")
    expected_ack = None if done.ack_working_seconds is None else done.ack_working_seconds / 3600
    assert row["ack_hours"] == (None if expected_ack is None else round(expected_ack, 2))
    assert row["breaches"] == done.breaches


def test_complaint_rows_follow_the_list_filters_and_hide_confidential_complaints(app_context):
    one = j.file(complainant_name="Omar Ba", department="Billing")
    two = j.file(complainant_name="Zoé Martin")
    secret = j.to_classification()
    j.complete(secret, "classify_complaint", category="gender_based_violence")
    analyst, focal = j.user("analyst"), j.user("focal")

    def refs(user, **flt):
        return [row[0] for row in exports.complaint_rows(user, ComplaintFilter(**flt))]

    assert refs(analyst) == [two.reference, one.reference]
    assert refs(analyst, sort="oldest") == [one.reference, two.reference]
    assert refs(analyst, department="Billing") == [one.reference]
    assert refs(analyst, search="martin") == [two.reference]
    assert exports.count_complaints(analyst, ComplaintFilter()) == 2
    assert refs(focal, confidential=True) == [j.refreshed(secret).reference]
    assert exports.count_complaints(focal, ComplaintFilter()) == 3


def test_an_export_is_audited_with_its_filters_and_row_count(app_context):
    from services.db import db

    analyst = j.user("analyst")
    exports.record_export(analyst, "complaints", "csv", {"category": "billing"}, 12)
    db.session.commit()
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "exported"))
    assert event is not None
    assert event.actor_id == analyst.id
    assert event.data == {
        "what": "complaints",
        "format": "csv",
        "filters": {"category": "billing"},
        "rows": 12,
    }
    assert "12 rows" in event.summary
    assert db.session.scalar(db.select(db.func.count()).select_from(Complaint)) == 0
