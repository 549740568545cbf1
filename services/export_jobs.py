"""Export jobs: spreadsheets too big to write while the browser waits, built in the background.

A request queues a job (the requester, the format, the list's filters); a Celery worker
(`complaintflow.build_export`) or, without a broker, the timer process claims it, writes the
file under DOCUMENT_DIR/exports and marks it ready; the requester downloads it from /exports
until it expires, when the file is removed and the job says so.

A job is built once however many workers look at it: claiming is a conditional UPDATE from
"queued" to "running", which only one transaction can win.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from services import exports
from services.clock import as_utc, utcnow
from services.complaints import ComplaintFilter
from services.db import db
from services.models import ExportJob, User

QUEUED, RUNNING, READY, FAILED, EXPIRED = "queued", "running", "ready", "failed", "expired"
PENDING = (QUEUED, RUNNING)
# The rows between two progress updates (PostgreSQL only: see _progress).
PROGRESS_EVERY = 10_000
# The jobs the Exports page lists.
SHOWN = 50
# Filter fields a job may carry (the stored JSON is read back through these only).
FILTER_FIELDS = frozenset(ComplaintFilter.__dataclass_fields__) - {"page", "per_page"}
# Reasons a build fails that the requester can act on (app/exports.py words them).
NO_ACCESS = "no_access"
INTERRUPTED = "interrupted"
# A build running longer than this was lost with its worker (a million rows take minutes).
STALE = timedelta(hours=6)


@dataclass(frozen=True)
class Build:
    """What the caller supplies to write a job's file: the header and the rows, in the
    requester's language (services know no locale), and the sheet's name."""

    header: Sequence[str]
    rows: Iterable[Sequence[exports.Cell]]
    sheet_name: str


class BuildRefused(Exception):  # noqa: N818 - a reason, not a crash
    """The requester may no longer export this (`reason` is a code like NO_ACCESS)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def queue(
    requester: User, file_format: str, filters: dict[str, Any], *, locale: str, rows: int
) -> ExportJob:
    """A new queued job for `requester` (the caller commits, then hands its id to a worker)."""
    job = ExportJob(
        requester_id=requester.id,
        what="complaints",
        file_format=file_format,
        filters={name: value for name, value in filters.items() if name in FILTER_FIELDS},
        locale=locale,
        status=QUEUED,
        rows=rows,
        progress=0,
        error="",
        created_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    return job


def complaint_filter(job: ExportJob) -> ComplaintFilter:
    """The job's filters as the complaint list reads them."""
    values = {name: value for name, value in (job.filters or {}).items() if name in FILTER_FIELDS}
    return ComplaintFilter(**values)


def claim(job_id: int, now: datetime | None = None) -> bool:
    """Take a queued job for this worker; False when it is not queued (another took it)."""
    result = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == QUEUED)
        .values(status=RUNNING, started_at=now or utcnow(), progress=0, error="")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the claim stands before the long build starts
    return result.rowcount == 1


def next_queued() -> int | None:
    """The oldest queued job's id, if any."""
    return db.session.scalar(
        db.select(ExportJob.id).where(ExportJob.status == QUEUED).order_by(ExportJob.id).limit(1)
    )


def directory(base: str) -> Path:
    """Where export files are kept: a folder of their own under `base` (DOCUMENT_DIR)."""
    return Path(base) / "exports"


def build(
    job_id: int,
    base: str,
    prepare: Callable[[ExportJob, User], Build],
    *,
    keep: timedelta,
) -> str:
    """Build a claimed job's file and mark it ready, or failed with the reason; its status.

    `prepare` gives the header and rows (it raises BuildRefused when the requester may no
    longer export). The file is written under a temporary name and renamed when complete, so
    a half-written file is never offered; a failure removes it.
    """
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status != RUNNING:
        return job.status if job is not None else ""
    folder = directory(base)
    name = f"{secrets.token_hex(16)}.{job.file_format}"
    partial = folder / f"{name}.part"
    try:
        content = prepare(job, job.requester)
        folder.mkdir(parents=True, exist_ok=True)
        written = exports.write_xlsx(
            str(partial),
            content.header,
            _progress(job.id, content.rows),
            sheet_name=content.sheet_name,
        )
        os.replace(partial, folder / name)
    except Exception as exc:  # noqa: BLE001 - any failure is the job's, told to its requester
        db.session.rollback()
        with contextlib.suppress(OSError):  # nothing written, or no folder to write in
            partial.unlink(missing_ok=True)
        reason = exc.reason if isinstance(exc, BuildRefused) else f"{type(exc).__name__}: {exc}"
        _finish(job_id, status=FAILED, error=reason[:2000], keep=keep)
        return FAILED
    size = (folder / name).stat().st_size
    db.session.rollback()  # end the read transaction the rows came from
    _finish(
        job_id,
        status=READY,
        rows=written,
        progress=written,
        file_name=name,
        file_size=size,
        keep=keep,
    )
    return READY


def _progress(job_id: int, rows: Iterable[Sequence[exports.Cell]]) -> Iterator[Sequence[Any]]:
    """The rows, recording every PROGRESS_EVERY how many were written.

    On PostgreSQL the count is written on a connection of its own, so the rows' transaction
    (and its server-side cursor) stays open; SQLite has one writer, and the job shows its
    progress when it is done.
    """
    separate = db.engine.dialect.name == "postgresql"
    for count, row in enumerate(rows, start=1):
        yield row
        if separate and count % PROGRESS_EVERY == 0:
            with db.engine.begin() as connection:
                connection.execute(
                    update(ExportJob).where(ExportJob.id == job_id).values(progress=count)
                )


def _finish(job_id: int, *, status: str, keep: timedelta | None = None, **values: Any) -> None:
    now = utcnow()
    job = db.session.get(ExportJob, job_id)
    if job is None:
        return
    job.status = status
    job.finished_at = now
    job.expires_at = now + keep if keep is not None else None
    for name, value in values.items():
        setattr(job, name, value)
    db.session.commit()


def jobs_of(user: User) -> list[ExportJob]:
    """The user's own export jobs, newest first."""
    return list(
        db.session.scalars(
            db.select(ExportJob)
            .where(ExportJob.requester_id == user.id)
            .order_by(ExportJob.id.desc())
            .limit(SHOWN)
        )
    )


def file_of(job: ExportJob, base: str, now: datetime | None = None) -> Path | None:
    """The job's file when it may be downloaded: ready, not expired, still on disk."""
    if job.status != READY or not job.file_name:
        return None
    expires = as_utc(job.expires_at)
    if expires is not None and expires <= (now or utcnow()):
        return None
    path = directory(base) / job.file_name
    return path if path.is_file() else None


def remove_expired(base: str, now: datetime | None = None) -> list[int]:
    """Remove the files of the jobs past their time and mark them expired; their ids.

    Failed jobs expire too, so the page does not keep them for ever; a build running for
    longer than STALE died with its worker (the claim keeps a redelivered task from taking it
    again) and is failed, so the requester knows to ask again. The caller commits.
    """
    now = now or utcnow()
    folder = directory(base)
    lost = db.session.scalars(
        db.select(ExportJob).where(ExportJob.status == RUNNING, ExportJob.started_at < now - STALE)
    )
    for job in lost:
        job.status, job.error, job.finished_at = FAILED, INTERRUPTED, now
        job.expires_at = now + STALE
    done = []
    jobs = db.session.scalars(
        db.select(ExportJob).where(
            ExportJob.status.in_((READY, FAILED)),
            ExportJob.expires_at.is_not(None),
            ExportJob.expires_at <= now,
        )
    )
    for job in jobs:
        if job.file_name:
            (folder / job.file_name).unlink(missing_ok=True)
        job.file_name = None
        job.status = EXPIRED
        done.append(job.id)
    db.session.flush()
    return done
