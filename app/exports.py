"""CSV and XLSX downloads: the complaint list's export, helpers for any table, export jobs.

`csv_response` and `xlsx_response` turn a header and an iterable of rows into a download;
the dashboard uses them for its tables. An XLSX export of EXPORT_DIRECT_ROWS rows or more is
an export job (services.export_jobs): the request queues it and shows /exports, where the
file is offered once a worker (Celery, or the timer process without a broker) has built it.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from app import department_text
from app.complaints import OUTCOMES, ROUTES
from app.local_time import zone_name
from forms import choices
from forms import lists as choice_lists
from forms.complaints import ComplaintFilterForm
from forms.inbox import department_options
from services import business_calendar, complaints, export_jobs, exports, permissions
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.exports import Cell
from services.models import ExportJob, User

bp = Blueprint("exports", __name__)

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """A CSV download streamed row batch by row batch while `rows` is read.

    `rows` may be a generator reading the database: it runs inside the request's context
    (stream_with_context), so the session stays open until the last row.
    """
    # Excel in French reads ";" and decimal commas: the reader's language picks the form.
    chunks = exports.csv_chunks(header, rows, language=str(get_locale() or "en"))
    response = Response(stream_with_context(chunks), content_type=CSV_TYPE)
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
# Columns holding codes, and the choices that name them in the reader's language: the
# application's own, or a list of the procedure's (processes/choices.toml, by name).
CODE_LABELS: Mapping[str, Iterable[tuple[Any, Any]] | str] = {
    "channel": "channels",
    "category": "categories",
    "severity": "severities",
    "route": ROUTES.items(),
    "status": choices.STATUSES,
    "outcome": OUTCOMES.items(),
    "root_cause": "root_causes",
    "escalation_target": "escalation_targets",
    "escalation_decision": "escalation_decisions",
    "resolution_codes": "resolution_codes",
    "remedies": "remedies",
}


def code_names(column: str) -> dict[Any, str]:
    """Code → its words in the reader's language, for a column of CODE_LABELS (a list of the
    procedure's is every deployed version's, forms.lists.filterable, with the shipped words of
    codes none has)."""
    found = CODE_LABELS[column]
    pairs = choice_lists.filterable().labels(found).items() if isinstance(found, str) else found
    return {code: str(text) for code, text in pairs}


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
    filters.department.choices = department_options(
        department_text.labels(complaints.departments(current_user))
    )
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
    if fmt == "xlsx" and rows >= current_app.config["EXPORT_DIRECT_ROWS"]:
        # Minutes of writing: a worker builds it while the requester does something else.
        job = export_jobs.queue(
            current_user, fmt, values, locale=str(get_locale() or "en"), rows=rows
        )
        db.session.commit()
        _hand_to_worker(job.id)
        flash(_("Your export is being prepared; it will be offered here when it is ready."))
        return redirect(url_for("exports.index"))
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
    """The export's rows with codes named in the reader's language.

    The labels are looked up now, once (an export job reads them under the requester's
    language, then writes the rows), and applied as the rows are read.
    """
    yes, no = _("Yes"), _("No")
    convert: list[tuple[int, Callable[[Any], Cell]]] = []
    for index, name in enumerate(exports.COMPLAINT_COLUMNS):
        if name == "confidential":
            convert.append((index, lambda flag: yes if flag else no))
        elif name in CODE_LABELS:
            convert.append((index, _namer(code_names(name))))
        elif name == "department":
            convert.append((index, _namer(department_text.names_in())))
    return _labelled(rows, convert)


def _labelled(
    rows: Iterable[Sequence[Any]], convert: Sequence[tuple[int, Callable[[Any], Cell]]]
) -> Iterator[list[Cell]]:
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


# Export jobs ------------------------------------------------------------------------------

STATUS_LABELS: Mapping[str, Any] = {
    export_jobs.QUEUED: _l("Queued"),
    export_jobs.RUNNING: _l("Being built"),
    export_jobs.READY: _l("Ready"),
    export_jobs.FAILED: _l("Failed"),
    export_jobs.EXPIRED: _l("Expired: the file was removed"),
}
# Why a build failed, when the requester can do something about it (else the technical error).
FAILURE_REASONS: Mapping[str, Any] = {
    export_jobs.NO_ACCESS: _l("Your role no longer gives access to complaints."),
    export_jobs.INTERRUPTED: _l("The build was interrupted. Please ask for the export again."),
}


def _hand_to_worker(job_id: int) -> None:
    """Queue the build on Celery when a broker is configured (after the commit: the worker
    must find the job); without one, the timer process takes it on its next round."""
    if not current_app.config.get("CELERY_BROKER_URL"):
        return
    try:
        from app import background  # Celery, imported by the web workers only here

        background.celery_of(current_app).tasks["complaintflow.build_export"].delay(job_id)
    except Exception:  # noqa: BLE001 - the job is recorded; a broker outage must not lose the page
        current_app.logger.exception("export job %s: could not reach the broker", job_id)


@bp.get("/exports")
def index() -> str:
    """The requester's own export jobs: progress, and the file when it is ready."""
    jobs = export_jobs.jobs_of(current_user)
    return render_template(
        "exports/index.html",
        jobs=jobs,
        pending=any(job.status in export_jobs.PENDING for job in jobs),
        status_labels=STATUS_LABELS,
        reasons=FAILURE_REASONS,
        keep_hours=f"{current_app.config['EXPORT_KEEP_HOURS']:g}",
    )


@bp.get("/exports/<int:job_id>/download")
def download(job_id: int) -> Response:
    """The job's file, to its requester only, until it expires."""
    job = db.session.get(ExportJob, job_id)
    if job is None:
        raise NotFound(_("No such export."))
    if job.requester_id != current_user.id:
        raise NotAllowed(_("Only the person who asked for this export may download it."))
    path = export_jobs.file_of(job, current_app.config["DOCUMENT_DIR"])
    if path is None:
        raise NotFound(_("This export is not available: it is not ready, or it has expired."))
    day = business_calendar.local_today(as_utc(job.created_at)).isoformat()
    response = send_file(
        path,
        mimetype=XLSX_TYPE,
        as_attachment=True,
        download_name=f"{job.what}-{day}.{job.file_format}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def build_next_export() -> str | None:
    """Claim and build the oldest queued job (the timer process's round); its final status."""
    job_id = export_jobs.next_queued()
    if job_id is None:
        return None
    return build_export(job_id)


def build_export(job_id: int) -> str | None:
    """Claim job `job_id` and build it (a Celery task, or the timer round); its final status,
    None when another worker had claimed it."""
    if not export_jobs.claim(job_id):
        db.session.rollback()
        return None
    return export_jobs.build(
        job_id,
        current_app.config["DOCUMENT_DIR"],
        _prepare,
        keep=timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"]),
    )


def _prepare(job: ExportJob, requester: User) -> export_jobs.Build:
    """The complaint export's header and rows, for the requester as they are now: a role or a
    clearance lost since the request narrows or refuses the file."""
    if not permissions.reads_complaints(requester):
        raise export_jobs.BuildRefused(export_jobs.NO_ACCESS)
    flt = export_jobs.complaint_filter(job)
    if flt.confidential and not permissions.sees_confidential(requester):
        flt = dataclasses.replace(flt, confidential=False)
    with force_locale(job.locale or "en"):
        # Labels are read once here, in the requester's language; the rows come later.
        header = complaint_header()
        rows = labelled_rows(exports.complaint_rows(requester, flt))
        sheet = _("Complaints")
    return export_jobs.Build(header=header, rows=rows, sheet_name=sheet)


def remove_expired_exports() -> list[int]:
    """Remove the files of the export jobs past their time (hourly); the jobs' ids."""
    removed = export_jobs.remove_expired(current_app.config["DOCUMENT_DIR"], utcnow())
    db.session.commit()
    return removed
