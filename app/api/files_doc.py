"""The OpenAPI description of the files part (app/api/files.py): a task's documents, added
and listed, and the content of a complaint's files."""

from __future__ import annotations

from typing import Any

from app import uploads
from app.api.files import FILES_FIELD
from app.api.media import MULTIPART
from app.api.openapi import errors, json_body, location_header, path_parameter
from app.api.schemas import LINKS, obj, ref
from services import attachments

ATTACHMENT_EXAMPLE = {
    "id": 7,
    "filename": "site-visit.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "uploaded_at": "2026-11-03T14:02:00+00:00",
    "uploaded_by": {"id": 3, "username": "sam", "name": "Samuel Supervisor"},
    "task_id": "5f0c2a9e-8d1b-4f7e-9a51-2f0d6c3b7e10",
    "links": {"content": "/api/v1/complaints/42/attachments/7"},
}
LISTING_EXAMPLE = {
    "attachments": [ATTACHMENT_EXAMPLE],
    "max_files": attachments.MAX_PER_TASK,
    "links": {"self": "/api/v1/tasks/5f0c2a9e-8d1b-4f7e-9a51-2f0d6c3b7e10/attachments"},
}


def paths() -> dict[str, Any]:
    """This part's operations (keys relative to /api/v1)."""
    task_id = path_parameter("task_id")
    listing = json_body(ref("TaskAttachments"), "The task's files, oldest first.", LISTING_EXAMPLE)
    mb = attachments.MAX_SIZE // (1024 * 1024)
    return {
        "/tasks/{task_id}/attachments": {
            "get": {
                "operationId": "listTaskAttachments",
                "summary": "The documents staff added on a task",
                "description": "Investigation documents, photos, signed letters: the task "
                "page's Files section. A form's file field is completed with these files.",
                "parameters": [task_id],
                "responses": {"200": listing, **errors("Unauthorized", "NotFound")},
            },
            "post": {
                "operationId": "addTaskAttachments",
                "summary": "Add documents to a task of your roles",
                "description": f"multipart/form-data with up to {attachments.MAX_PER_TASK} "
                f"files in all on the task, as `{FILES_FIELD}` parts. A file is kept only if "
                f"its content is a JPEG, PNG, WebP, GIF or PDF matching its name and type, at "
                f"most {mb} MB. Nothing is added if any file is refused (422, each problem "
                f"under `{FILES_FIELD}`). A form's file field, once the task is completed, "
                "records the files the task holds.",
                "parameters": [task_id],
                "requestBody": {
                    "required": True,
                    "content": {
                        # The accepted types are in the description: an `encoding` naming
                        # them leaves generic clients (schemathesis) unable to send a part.
                        MULTIPART: {
                            "schema": ref("TaskAttachmentsUpload"),
                            "example": {FILES_FIELD: ["%PDF-1.7 …"]},
                        }
                    },
                },
                "responses": {
                    "201": {
                        **listing,
                        "description": "Added; the task's files, oldest first.",
                        "headers": location_header(
                            "The first file added (GET /complaints/{complaint_id}/attachments/"
                            "{attachment_id}, its content); each added file's address is its "
                            "links.content in the listing."
                        ),
                    },
                    **errors("Unauthorized", "Forbidden", "NotFound", "Conflict", "Unprocessable"),
                },
            },
        },
        "/complaints/{complaint_id}/attachments/{attachment_id}": {
            "get": {
                "operationId": "downloadAttachment",
                "summary": "The content of a complaint's file",
                "description": "A file of a complaint you may see (the complainant's, or one "
                "staff added on a task), as the case page downloads it; `links.content` of "
                "each attachment. Opening a file of a confidential complaint is recorded in "
                "its access trail.",
                "parameters": [
                    path_parameter("complaint_id", "integer"),
                    path_parameter("attachment_id", "integer"),
                ],
                "responses": {
                    "200": {
                        "description": "The file, with its own content type.",
                        "content": {
                            kind: {
                                "schema": {"type": "string", "format": "binary"},
                                "example": "%PDF-1.7 …" if kind == "application/pdf" else "…",
                            }
                            for kind in uploads.ACCEPTED_FILES.split(",")
                        },
                        "headers": {
                            "Content-Disposition": {
                                "description": "attachment, with the file's name.",
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    **errors("Unauthorized", "NotFound"),
                },
            }
        },
    }


def schemas() -> dict[str, Any]:
    """This part's component schemas."""
    return {
        "TaskAttachments": obj(
            {
                "attachments": {"type": "array", "items": ref("Attachment")},
                "max_files": {"type": "integer"},
                "links": LINKS,
            }
        ),
        "TaskAttachmentsUpload": {
            "type": "object",
            "description": "Files as `attachments` parts: JPEG, PNG, WebP, GIF or PDF.",
            "properties": {
                FILES_FIELD: {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": attachments.MAX_PER_TASK,
                    "items": {"type": "string", "format": "binary"},
                }
            },
            "required": [FILES_FIELD],
            "additionalProperties": False,
        },
    }
