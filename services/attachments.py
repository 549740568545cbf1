"""Files attached to a complaint: photos and PDFs, checked by content, stored off the web root.

A file is accepted only if its first bytes are those of a JPEG, PNG, WebP, GIF or PDF, and its
name's extension and declared type say the same. The bytes go under UPLOAD_DIR with a random
name; the uploader's file name is kept only as a label.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from services import audit, permissions
from services.db import db
from services.errors import Conflict, InvalidInput, NotFound
from services.models import Attachment, Complaint, Task, User

MAX_SIZE = 10 * 1024 * 1024
MAX_PER_COMPLAINT = 5
# Staff documents on one task (investigation documents, photos, signed letters); they do not
# count against the complainant's MAX_PER_COMPLAINT.
MAX_PER_TASK = 10


@dataclass(frozen=True)
class Kind:
    """An accepted kind of file: its type, the extensions and declared types that name it."""

    content_type: str
    label: str
    extensions: tuple[str, ...]  # the first one names the stored file
    declared: frozenset[str]


KINDS = {
    kind.content_type: kind
    for kind in (
        Kind(
            "image/jpeg",
            "JPEG",
            (".jpg", ".jpeg", ".jpe", ".jfif"),
            frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
        ),
        Kind("image/png", "PNG", (".png",), frozenset({"image/png", "image/x-png"})),
        Kind("image/webp", "WebP", (".webp",), frozenset({"image/webp"})),
        Kind("image/gif", "GIF", (".gif",), frozenset({"image/gif"})),
        Kind(
            "application/pdf", "PDF", (".pdf",), frozenset({"application/pdf", "application/x-pdf"})
        ),
    )
}
# Declared types that say nothing (some browsers and clients send them for any file): the
# content and the extension still decide.
UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def detect(content: bytes) -> str | None:
    """The content type the file's magic bytes announce, or None if it is none of ours."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass(frozen=True)
class Problem:
    """Why a file was refused: a code the page puts in words, the file name, an English text."""

    code: str  # empty, too_large, not_allowed, mismatch, too_many
    filename: str
    message: str


class AttachmentRefused(InvalidInput):
    """One or more files were refused; `problems` lists each, `details` carries the texts."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(
            "Some files were refused.", details={"attachments": [p.message for p in problems]}
        )
        self.problems = list(problems)


@dataclass
class Upload:
    """A file as received: the uploader's name for it, its bytes or stream, its declared type."""

    filename: str
    content: bytes | IO[bytes]
    declared_type: str = ""
    _data: bytes | None = field(default=None, init=False, repr=False)

    def data(self) -> bytes:
        """The bytes, read once; at most one byte past the size limit is read from a stream."""
        if self._data is None:
            content = self.content
            self._data = content if isinstance(content, bytes) else content.read(MAX_SIZE + 1)
        return self._data


def clean_filename(filename: str) -> str:
    """The uploader's file name as a label: no folders, no control characters, 255 at most."""
    name = CONTROL_CHARACTERS.sub("", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: 254 - len(extension)]}.{extension}" if dot else name[:255]
    return name or "file"


def problem_with(filename: str, content: bytes, declared_type: str) -> Problem | None:
    """What is wrong with one file, or None if it may be stored."""
    name = clean_filename(filename)
    if not content:
        return Problem("empty", name, f"“{name}” is empty.")
    if len(content) > MAX_SIZE:
        limit = MAX_SIZE // (1024 * 1024)
        return Problem("too_large", name, f"“{name}” is larger than {limit} MB.")
    detected = detect(content)
    kind = KINDS.get(detected or "")
    if kind is None:
        return Problem(
            "not_allowed", name, f"“{name}” is not a JPEG, PNG, WebP or GIF image or a PDF."
        )
    extension = os.path.splitext(name)[1].lower()
    declared = declared_type.split(";", 1)[0].strip().lower()
    if extension not in kind.extensions or (
        declared not in UNDECLARED and declared not in kind.declared
    ):
        return Problem(
            "mismatch",
            name,
            f"“{name}” holds a {kind.label} file but its name or type says otherwise.",
        )
    return None


def check_all(uploads: Sequence[Upload], *, already: int = 0) -> list[Problem]:
    """Every problem with a batch of files for a complaint that already has `already` files."""
    problems = [
        p for u in uploads if (p := problem_with(u.filename, u.data(), u.declared_type)) is not None
    ]
    if already + len(uploads) > MAX_PER_COMPLAINT:
        problems.append(
            Problem(
                "too_many",
                "",
                f"At most {MAX_PER_COMPLAINT} files per complaint "
                f"({already} already attached, {len(uploads)} chosen).",
            )
        )
    return problems


def count(complaint_id: int) -> int:
    """How many files the complaint has (not counting staff documents added on tasks)."""
    found = db.session.scalar(
        db.select(db.func.count(Attachment.id)).where(
            Attachment.complaint_id == complaint_id, Attachment.task_id.is_(None)
        )
    )
    return int(found or 0)


def add_to_task(
    task: Task,
    uploads: Sequence[Upload],
    *,
    uploaded_by: User,
    upload_dir: str | os.PathLike[str],
) -> list[Attachment]:
    """Staff documents on a task the user may see, checked like public uploads.

    NotFound if the task is hidden from the user; Conflict once the task is done (its files
    are what it was completed with); AttachmentRefused, nothing added, if any file is refused
    or the task would hold more than MAX_PER_TASK files.
    """
    permissions.require_view_task(uploaded_by, task)
    if task.status != "open":
        raise Conflict("This task is no longer open.")
    problems = [
        p for u in uploads if (p := problem_with(u.filename, u.data(), u.declared_type)) is not None
    ]
    if not uploads:
        problems.append(Problem("none_chosen", "", "Choose a file."))
    already = len(for_task(task.id))
    if already + len(uploads) > MAX_PER_TASK:
        problems.append(
            Problem(
                "too_many_task",
                "",
                f"At most {MAX_PER_TASK} files per task "
                f"({already} already attached, {len(uploads)} chosen).",
            )
        )
    if problems:
        raise AttachmentRefused(problems)
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return [
        _store(task.complaint, upload, uploaded_by, directory, task_id=task.id)
        for upload in uploads
    ]


def for_task(task_id: str) -> list[Attachment]:
    """The files staff added on a task, oldest first."""
    return list(
        db.session.scalars(
            db.select(Attachment)
            .where(Attachment.task_id == task_id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


def add(
    complaint: Complaint,
    filename: str,
    stream_or_bytes: bytes | IO[bytes],
    declared_type: str,
    *,
    uploaded_by: User | None = None,
    upload_dir: str | os.PathLike[str],
) -> Attachment:
    """Check one file, store it under `upload_dir` and record it; AttachmentRefused if refused."""
    return add_all(
        complaint,
        [Upload(filename, stream_or_bytes, declared_type)],
        uploaded_by=uploaded_by,
        upload_dir=upload_dir,
    )[0]


def add_all(
    complaint: Complaint,
    uploads: Sequence[Upload],
    *,
    uploaded_by: User | None = None,
    upload_dir: str | os.PathLike[str],
) -> list[Attachment]:
    """Check every file, then store them all; AttachmentRefused, nothing added, if any fails."""
    problems = check_all(uploads, already=count(complaint.id))
    if problems:
        raise AttachmentRefused(problems)
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return [_store(complaint, upload, uploaded_by, directory) for upload in uploads]


def _store(
    complaint: Complaint,
    upload: Upload,
    uploaded_by: User | None,
    directory: Path,
    *,
    task_id: str | None = None,
) -> Attachment:
    content = upload.data()
    content_type = detect(content) or ""
    attachment = Attachment(
        complaint_id=complaint.id,
        filename=clean_filename(upload.filename),
        stored_name=secrets.token_hex(16) + KINDS[content_type].extensions[0],
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=uploaded_by,
        task_id=task_id,
    )
    db.session.add(attachment)
    # The row is flushed before the file is written, so a refused row never leaves a file.
    # A failure later in the request (another step, the commit) rolls the row back but leaves
    # the file: such orphans are named by no row, so they are never served, and a sweep may
    # delete files in UPLOAD_DIR that no Attachment.stored_name names.
    db.session.flush()
    write_new_file(directory / attachment.stored_name, content)
    audit.record(
        complaint.id,
        "attachment_added",
        actor=uploaded_by,
        actor_label=None if uploaded_by else audit.COMPLAINANT,
        summary=f"File added: {attachment.filename}",
        data={
            "attachment_id": attachment.id,
            "filename": attachment.filename,
            "content_type": content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            **({"task_id": task_id} if task_id else {}),
        },
        # Complainants see their own files on the tracking page; staff documents stay internal.
        public=uploaded_by is None,
    )
    return attachment


def write_new_file(path: Path, content: bytes) -> None:
    """Write a new file under a random name (uploads, letters, emails); never overwrite one.

    O_EXCL: a random name that somehow exists already is an error, never an overwrite; a
    failed write leaves no partial file behind.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def path_of(attachment: Attachment, upload_dir: str | os.PathLike[str]) -> Path:
    """Where the attachment's bytes are on disk (for a download); NotFound if they are missing."""
    name = attachment.stored_name
    if not name or Path(name).name != name or name.startswith("."):
        raise NotFound("This file is not available.")
    path = Path(upload_dir) / name
    if not path.is_file():
        raise NotFound("This file is not available.")
    return path


def for_complaint(complaint_id: int) -> list[Attachment]:
    """The complaint's files, oldest first."""
    return list(
        db.session.scalars(
            db.select(Attachment)
            .where(Attachment.complaint_id == complaint_id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


def sweep_orphans(
    upload_dir: str | os.PathLike[str],
    *,
    grace: timedelta,
    now: datetime,
    dry_run: bool = False,
) -> list[Path]:
    """Remove the files in `upload_dir` that no attachment names, once older than `grace`.

    Such orphans are left by a request that failed or was killed after writing its file
    (see _store). A file younger than `grace` may belong to an upload whose transaction has
    not committed yet, so it is kept. Returns the files removed (or, dry run, to remove).
    """
    directory = Path(upload_dir)
    if not directory.is_dir():
        return []
    cutoff = (now - grace).timestamp()
    old = {
        entry.name: Path(entry.path)
        for entry in os.scandir(directory)
        if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff
    }
    names = sorted(old)
    known: set[str] = set()
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        known.update(
            db.session.scalars(
                db.select(Attachment.stored_name).where(Attachment.stored_name.in_(chunk))
            )
        )
    orphans = [old[name] for name in names if name not in known]
    if not dry_run:
        for path in orphans:
            path.unlink(missing_ok=True)
    return orphans
