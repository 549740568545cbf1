"""Domain exceptions; app/errors.py turns each into an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a message meant for the user."""

    status = 400
    # A stable machine-readable code for API clients (problem details' `code`); subclasses and
    # raisers may name a finer one (task_already_completed, concurrent_change…).
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: dict | None = None,
        code: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        # A message naming someone or something is a msgid with %(name)s placeholders and its
        # params, so that pages translate the sentence and then fill it in; `message` is the
        # English sentence filled in (the API's, the logs').
        self.msgid = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.details = details or {}
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know it exists."""

    status = 404
    code = "not_found"


class LinkExpired(DomainError):
    """A tracking link we issued, too old to open the complaint any more (410 Gone)."""

    status = 410
    code = "link_expired"


class NotAllowed(DomainError):
    """The actor may see the thing but not do this to it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The state changed under the request (task already completed, stale version)."""

    status = 409
    code = "conflict"


class TaskAlreadyCompleted(Conflict):
    """Someone else completed or changed the task first."""

    code = "task_already_completed"


class InvalidInput(DomainError):
    """Submitted data failed validation; `details` maps field → messages."""

    status = 422
    code = "validation_failed"


class DeployRefused(DomainError):
    """A diagram failed validation; `details['problems']` lists file, element and message."""

    status = 422
    code = "deploy_refused"


class ProcessError(DomainError):
    """The engine failed while running a diagram step; nothing was saved."""

    status = 500
    code = "process_error"
