"""Files in the API: the documents staff add to a task (as on the task page's "Files"
section) and the content of a complaint's files, for staff who may see the complaint."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext

from app import downloads, uploads
from app.api import serializers
from app.api.auth import token_required
from app.api.blueprint import bp
from app.api.media import MULTIPART, reads
from services import attachments, complaints, sensitive, tasks
from services.db import db
from services.errors import InvalidInput
from services.models import User

FILES_FIELD = "attachments"


@bp.get("/tasks/<task_id>/attachments")
@token_required
def task_attachments(user: User, task_id: str) -> Any:
    """The files staff added on a task one may read, oldest first."""
    task = tasks.get_to_read(user, task_id)
    return jsonify(_listing(task.id))


@bp.post("/tasks/<task_id>/attachments")
@token_required(scope="tasks")
@reads(MULTIPART)
def add_task_attachments(user: User, task_id: str) -> Any:
    """Add documents to a task of one's roles (multipart, `attachments`): every file is
    checked as on the page, and none is kept if one is refused."""
    task = tasks.get_for(user, task_id)
    if request.mimetype != MULTIPART:
        raise InvalidInput(
            gettext("Please correct the highlighted fields."),
            details={FILES_FIELD: [gettext("Send files in a multipart/form-data body.")]},
        )
    unknown = sorted((set(request.form) | set(request.files)) - {FILES_FIELD})
    if unknown:
        raise InvalidInput(
            gettext("No file was added."),
            details={name: [gettext("This field is not part of the form.")] for name in unknown},
        )
    try:
        added = attachments.add_to_task(
            task, uploads.files(), uploaded_by=user, upload_dir=current_app.config["UPLOAD_DIR"]
        )
    except attachments.AttachmentRefused as exc:
        db.session.rollback()
        raise InvalidInput(
            gettext("No file was added."),
            details={FILES_FIELD: uploads.task_problem_texts(exc.problems)},
        ) from exc
    # The first file added (each one's address is its links.content in the listing); made
    # absolute by app.api.hooks, as every Location. Read before the commit expires the row.
    location = serializers.attachment_dict(added[0])["links"]["content"]
    db.session.commit()
    return jsonify(_listing(task.id)), 201, {"Location": location}


@bp.get("/complaints/<int:complaint_id>/attachments/<int:attachment_id>")
@token_required
def attachment_content(user: User, complaint_id: int, attachment_id: int) -> Any:
    """The content of a complaint's file (the complainant's or staff's), as downloaded from
    the case page; opening one of a confidential complaint is recorded in its trail."""
    found = complaints.attachment_for(user, complaint_id, attachment_id)
    complaint = complaints.get_for(user, complaint_id)
    sensitive.record_opening(user, complaint, "file", name=found.filename, api=True)
    db.session.commit()
    path = attachments.path_of(found, current_app.config["UPLOAD_DIR"])
    return downloads.private_file(path, found.content_type, found.filename)


def _listing(task_id: str) -> dict[str, Any]:
    return {
        "attachments": [serializers.attachment_dict(a) for a in attachments.for_task(task_id)],
        "max_files": attachments.MAX_PER_TASK,
        "links": {"self": url_for("api.task_attachments", task_id=task_id)},
    }


# --- the OpenAPI document -----------------------------------------------------------------


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    from app.api import files_doc  # it reads this module's names

    return files_doc.paths()


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    from app.api import files_doc

    return files_doc.schemas()
