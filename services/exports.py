"""CSV and XLSX exports: generic streaming writers, and the complaint list's rows.

The writers take a header and an iterable of rows and never hold more than a batch of rows:
CSV is produced as a generator of byte chunks; XLSX is written by XlsxWriter in
`constant_memory` mode (one row in memory at a time) into a temporary file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import IO, Any, cast

from sqlalchemy import func, select

from services import audit, business_calendar, complaints
from services.complaints import ComplaintFilter
from services.db import db
from services.models import AuditEvent, Complaint, ComplaintCode, User

Cell = str | int | float | Decimal | date | datetime | bool | None

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection):
# such text gets a leading apostrophe, which Excel and LibreOffice show as plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel opens a CSV as UTF-8 only when it starts with a byte-order mark.
BOM = "\ufeff"
# Rows per chunk handed to the web server: few enough to stay small, enough to be cheap.
CSV_BATCH = 500
# An XLSX sheet holds 1,048,576 rows, the header included.
XLSX_MAX_ROWS = 1_048_575


def guard(text: str) -> str:
    """The text, made inert for spreadsheets if it would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Cell, decimal_comma: bool = False) -> str | int | float:
    """One value as CSV writes it: text guarded, dates in ISO form, empty for None; with
    `decimal_comma`, decimals written 2,5 (French)."""
    # By exact type, most frequent first: this runs for every cell of a million rows.
    kind = type(value)
    if kind is str:
        return guard(cast(str, value))
    if value is None:
        return ""
    if kind is int:
        return cast(int, value)
    if kind is float:
        return repr(value).replace(".", ",") if decimal_comma else cast(float, value)
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return str(value).replace(".", ",") if decimal_comma else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return guard(str(value))


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], language: str = "en"
) -> Iterator[bytes]:
    """A CSV file (UTF-8 with BOM, CRLF) as a stream of byte chunks: comma-separated, or for a
    French reader semicolon-separated with decimal commas, as Excel opens it in French."""
    buffer = io.StringIO()
    french = language == "fr"
    writer = csv.writer(buffer, delimiter=";" if french else ",")
    buffer.write(BOM)
    writer.writerow([guard(str(name)) for name in header])
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(value, french) for value in row])
        pending += 1
        if pending >= CSV_BATCH:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    target: IO[bytes] | str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet_name: str = "Export",
) -> int:
    """Write one sheet (header in bold, frozen) to `target`; returns the data rows written.

    Text is always written as text, so a value like "=1+1" is never a formula. Rows past the
    sheet's limit (XLSX_MAX_ROWS) are not written: the CSV export has no limit.
    """
    import xlsxwriter  # only the XLSX exports need it

    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "remove_timezone": True,
        },
    )
    try:
        sheet = workbook.add_worksheet(sheet_name[:31])
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.freeze_panes(1, 0)
        for column, name in enumerate(header):
            sheet.write_string(0, column, str(name), bold)
            sheet.set_column(column, column, max(10, min(40, len(str(name)) + 2)))
        written = 0
        for written, row in enumerate(rows, start=1):
            if written > XLSX_MAX_ROWS:
                return XLSX_MAX_ROWS
            for column, value in enumerate(row):
                _write_cell(sheet, written, column, value, date_format, datetime_format)
        return written
    finally:
        workbook.close()


def _write_cell(
    sheet: Any, row: int, column: int, value: Cell, date_format: Any, datetime_format: Any
) -> None:
    if value is None or value == "":
        return  # constant_memory: a blank cell needs no record
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value))
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value, datetime_format)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, date_format)
    else:
        sheet.write_string(row, column, str(value))


# The complaint list's export -------------------------------------------------------------

# Columns of the complaint export, in order; app/exports.py gives each its translated title.
COMPLAINT_COLUMNS = (
    "reference",
    "received_at",
    "channel",
    "category",
    "severity",
    "route",
    "department",
    "status",
    "outcome",
    "confidential",
    "acknowledged_at",
    "responded_at",
    "closed_at",
    "ack_hours",
    "resolve_hours",
    "close_hours",
    "breaches",
    "appeals",
    "reopenings",
    "root_cause",
    "escalation_target",
    "escalation_decision",
    "resolution_codes",
    "remedies",
    "compensation",
    "satisfaction",
)
# Rows fetched per round trip; PostgreSQL reads them through a server-side cursor.
FETCH = 2000
_SEPARATOR = "|"  # between the codes of one complaint (codes are identifiers: no "|")


def count_complaints(viewer: User, flt: ComplaintFilter) -> int:
    """How many complaints the export of this filter holds."""
    ids = complaints.filtered_query(viewer, flt).with_only_columns(Complaint.id).subquery()
    return db.session.scalar(select(func.count()).select_from(ids)) or 0


def _codes(kind: str) -> Any:
    return (
        select(func.aggregate_strings(ComplaintCode.code, _SEPARATOR))
        .where(ComplaintCode.complaint_id == Complaint.id, ComplaintCode.kind == kind)
        .correlate(Complaint)
        .scalar_subquery()
    )


def complaint_rows(viewer: User, flt: ComplaintFilter) -> Iterator[tuple[Any, ...]]:
    """The export's rows (COMPLAINT_COLUMNS), streamed from the database.

    Codes stay codes (the caller labels them in the reader's language); multi-valued codes
    come as sorted tuples; moments are in the organisation's zone, without tzinfo (what a
    spreadsheet shows); working times are hours. Plain column rows, read FETCH at a time
    (yield_per: a server-side cursor on PostgreSQL), so a million rows never sit in memory.

    The query is built now, while the viewer is loaded; only the reading is deferred (a
    streamed response reads in a fresh session after the request's own has closed).
    """
    zone = business_calendar.current().zone
    order = Complaint.received_at.asc() if flt.sort == "oldest" else Complaint.received_at.desc()
    query = (
        complaints.filtered_query(viewer, flt)
        .with_only_columns(
            Complaint.reference,
            Complaint.received_at,
            Complaint.channel,
            Complaint.category,
            Complaint.severity,
            Complaint.route,
            Complaint.department,
            Complaint.status,
            Complaint.outcome,
            Complaint.confidential,
            Complaint.acknowledged_at,
            Complaint.responded_at,
            Complaint.closed_at,
            Complaint.ack_working_seconds,
            Complaint.resolve_working_seconds,
            Complaint.close_working_seconds,
            Complaint.breaches,
            Complaint.appeals,
            Complaint.reopen_count,
            Complaint.root_cause_category,
            Complaint.escalation_target,
            Complaint.escalation_decision,
            _codes("resolution_code"),
            _codes("remedy"),
            Complaint.compensation_paid,
            Complaint.satisfaction_score,
        )
        .order_by(order, Complaint.id)
        .execution_options(yield_per=FETCH)
    )
    return _read(query, zone)


def _read(query: Any, zone: tzinfo) -> Iterator[tuple[Any, ...]]:
    for row in db.session.execute(query):
        yield (
            *row[:1],
            _local(row[1], zone),
            *row[2:10],
            _local(row[10], zone),
            _local(row[11], zone),
            _local(row[12], zone),
            _hours(row[13]),
            _hours(row[14]),
            _hours(row[15]),
            *row[16:22],
            _split(row[22]),
            _split(row[23]),
            *row[24:],
        )


def record_export(
    viewer: User, what: str, file_format: str, filters: dict[str, Any], rows: int
) -> AuditEvent:
    """Audit an export: who, what, which filters, how many rows (the caller commits)."""
    settings = ", ".join(f"{name}={value}" for name, value in sorted(filters.items()))
    return audit.record(
        None,
        "exported",
        actor=viewer,
        summary=f"{what} exported as {file_format.upper()}: {rows} rows"
        + (f" ({settings})" if settings else ""),
        data={"what": what, "format": file_format, "filters": filters, "rows": rows},
    )


def _local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).replace(tzinfo=None)


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _split(codes: str | None) -> tuple[str, ...]:
    return tuple(sorted(codes.split(_SEPARATOR))) if codes else ()
