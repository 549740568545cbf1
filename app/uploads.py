"""Files posted with a form: what the browser sent, and how refusals read to a person."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from services import attachments

ACCEPTED_FILES = "image/jpeg,image/png,image/webp,image/gif,application/pdf"

PROBLEM_TEXT = {
    "empty": _l("“%(name)s” is empty."),
    "too_large": _l("“%(name)s” is larger than %(mb)d MB."),
    "not_allowed": _l("“%(name)s” is not a photo (JPEG, PNG, WebP, GIF) or a PDF document."),
    "mismatch": _l(
        "The content of “%(name)s” does not match its name or type; "
        "rename it with the right extension or choose another file."
    ),
    "too_many": _l("Attach at most %(max)d files to a complaint."),
}


def files() -> list[attachments.Upload]:
    """The files of the request's `attachments` field."""
    # A file input left empty still posts one part with no name: it is not a file.
    return [
        attachments.Upload(f.filename or "", f.stream, f.mimetype)
        for f in request.files.getlist("attachments")
        if f.filename
    ]


def sent() -> bool:
    """True when the request carried at least one file."""
    return any(f.filename for f in request.files.getlist("attachments"))


def problem_texts(problems: list[attachments.Problem]) -> list[str]:
    """Each refused file's problem in the reader's language."""
    return [
        str(PROBLEM_TEXT[p.code])
        % {
            "name": p.filename,
            "mb": attachments.MAX_SIZE // (1024 * 1024),
            "max": attachments.MAX_PER_COMPLAINT,
        }
        for p in problems
    ]


def task_problem_texts(problems: list[attachments.Problem]) -> list[str]:
    """Why files were not added to a task, in the reader's language."""
    texts = []
    for problem in problems:
        if problem.code == "none_chosen":
            texts.append(gettext("Choose a file to add."))
        elif problem.code == "too_many_task":
            texts.append(
                gettext("Add at most %(max)d files to a task.", max=attachments.MAX_PER_TASK)
            )
        else:
            texts.extend(problem_texts([problem]))
    return texts


def limits() -> dict[str, int]:
    """The limits shown next to the file input."""
    return {
        "count": attachments.MAX_PER_COMPLAINT,
        "mb": attachments.MAX_SIZE // (1024 * 1024),
        "total_mb": (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024),
    }
