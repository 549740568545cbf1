"""Streamed CSV and XLSX downloads: the complaint list's export, and helpers for any table.

`csv_response` and `xlsx_response` turn a header and an iterable of rows into a download;
the dashboard uses them for its tables.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from flask import Blueprint, Response, request, send_file, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from app.complaints import OUTCOMES, ROUTES
from app.local_time import zone_name
from forms import choices
from forms.complaints import ComplaintFilterForm
from forms.inbox import department_options
from services import business_calendar, complaints, exports, permissions
from services.db import db
from services.errors import InvalidInput, NotAllowed
from services.exports import Cell

bp = Blueprint("exports", __name__)

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """A CSV download streamed row batch by row batch while `rows` is read.

    `rows` may be a generator reading the database: it runs inside the request's context
    (stream_with_context), so the session stays open until the last row.
    """
    response = Response(stream_with_context(exports.csv_chunks(header, rows)), mimetype=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe(filename)}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: no copies in caches
    return response


def xlsx_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet_name: str = "Export",
) -> Response:
    """An XLSX download: written with constant memory to an anonymous temporary file, then
    streamed from it; the file has no name on disk and disappears when the response closes."""
    target = tempfile.TemporaryFile()  # send_file closes it
    try:
        exports.write_xlsx(target, header, rows, sheet_name=sheet_name)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    response = send_file(
        target, mimetype=XLSX_TYPE, as_attachment=True, download_name=_safe(filename)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe(filename: str) -> str:
    return secure_filename(filename) or "export"


# The complaint list's export --------------------------------------------------------------

# Column titles of the complaint export (services.exports.COMPLAINT_COLUMNS); "%(zone)s" is
# the organisation's time zone, the one the moments are written in.
TITLES: Mapping[str, Any] = {
    "reference": _l("Reference"),
    "received_at": _l("Received (%(zone)s)"),
    "channel": _l("Channel"),
    "category": _l("Category"),
    "severity": _l("Severity"),
    "route": _l("Route"),
    "department": _l("Department"),
    "status": _l("Status"),
    "outcome": _l("Outcome"),
    "confidential": _l("Confidential"),
    "acknowledged_at": _l("Acknowledged (%(zone)s)"),
    "responded_at": _l("Responded (%(zone)s)"),
    "closed_at": _l("Closed (%(zone)s)"),
    "ack_hours": _l("Time to acknowledge (working hours)"),
    "resolve_hours": _l("Time to respond (working hours)"),
    "close_hours": _l("Time to close (working hours)"),
    "breaches": _l("Service levels missed"),
    "appeals": _l("Appeals"),
    "reopenings": _l("Reopenings"),
    "root_cause": _l("Root cause"),
    "escalation_target": _l("Escalated to"),
    "escalation_decision": _l("Escalation decision"),
    "resolution_codes": _l("Resolution codes"),
    "remedies": _l("Remedies"),
    "compensation": _l("Compensation paid"),
    "satisfaction": _l("Satisfaction (1-5)"),
}
# Columns holding codes, and the choices that name them in the reader's language.
CODE_LABELS: Mapping[str, Iterable[tuple[Any, Any]]] = {
    "channel": choices.CHANNELS,
    "category": choices.CATEGORIES,
    "severity": choices.SEVERITIES,
    "route": ROUTES.items(),
    "status": choices.STATUSES,
    "outcome": OUTCOMES.items(),
    "root_cause": choices.ROOT_CAUSES,
    "escalation_target": choices.ESCALATION_TARGETS,
    "escalation_decision": choices.ESCALATION_DECISIONS,
    "resolution_codes": choices.RESOLUTION_CODES,
    "remedies": choices.REMEDIES,
}


@bp.before_request
@login_required
def require_reader() -> None:
    """Who may read the complaint list may export it (the rows they may see)."""
    if not permissions.reads_complaints(current_user):
        raise NotAllowed(_("Your role does not give access to complaints."))


@bp.get("/complaints/export.<any(csv, xlsx):fmt>")
def complaints_export(fmt: str) -> Response:
    """The complaint list, with its filters, as a CSV or XLSX file; audited."""
    filters = ComplaintFilterForm(request.args)
    filters.department.choices = department_options(complaints.departments(current_user))
    if not filters.validate():
        # Exporting everything when a filter is wrong would hand out more than was asked.
        problems = "; ".join(
            f"{field.label.text}: {' '.join(map(str, field.errors))}"
            for field in filters
            if field.errors
        )
        raise InvalidInput(_("These filters are not valid: %(problems)s", problems=problems))
    values = filters.query()
    if not permissions.sees_confidential(current_user):
        values.pop("confidential", None)
    flt = complaints.ComplaintFilter(**values)
    rows = exports.count_complaints(current_user, flt)
    exports.record_export(current_user, "complaints", fmt, values, rows)
    db.session.commit()  # the audit stands even if the download is interrupted
    header = complaint_header()
    records = labelled_rows(exports.complaint_rows(current_user, flt))
    filename = f"complaints-{business_calendar.local_today().isoformat()}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, records)
    return xlsx_response(filename, header, records, sheet_name=_("Complaints"))


def complaint_header() -> list[str]:
    """The export's column titles in the reader's language."""
    zone = zone_name()
    return [str(TITLES[name]) % {"zone": zone} for name in exports.COMPLAINT_COLUMNS]


def labelled_rows(rows: Iterable[Sequence[Any]]) -> Iterator[list[Cell]]:
    """The export's rows with codes named in the reader's language (labels looked up once)."""
    yes, no = _("Yes"), _("No")
    convert: list[tuple[int, Callable[[Any], Cell]]] = []
    for index, name in enumerate(exports.COMPLAINT_COLUMNS):
        if name == "confidential":
            convert.append((index, lambda flag: yes if flag else no))
        elif name in CODE_LABELS:
            convert.append((index, _namer({code: str(text) for code, text in CODE_LABELS[name]})))
    for row in rows:
        cells = list(row)
        for index, to_cell in convert:
            cells[index] = to_cell(cells[index])
        yield cells


def _namer(names: Mapping[str, str]) -> Callable[[Any], Cell]:
    def name(value: Any) -> Cell:
        if isinstance(value, tuple):
            return "; ".join(names.get(code, code) for code in value)
        return names.get(value, value) if value is not None else None

    return name
