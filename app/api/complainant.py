"""The complainant's own actions, authorised by the tracking token sent in a header
(never in the path, where tokens end up in access logs).

Each action is what the tracking page does (app/public.py), with the same forms, services and
rate limits: the API adds no rule of its own, it only answers in JSON with stable codes.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import uploads
from app.api import serializers
from app.api.blueprint import bp
from app.api.media import JSON, MULTIPART, reads
from app.api.openapi import errors, json_body, rate_limit_headers
from app.api.schemas import TIME, obj, ref
from app.api.views import json_form
from app.extensions import limiter, too_many_requests
from forms.base import TaskForm
from forms.complainant import InformationReplyForm, ResendLinkForm, ReviewRequestForm, SurveyForm
from services import attachments, complaints, tracking
from services.db import db
from services.errors import Conflict, DomainError, InvalidInput, LinkExpired, NotFound
from services.models import Complaint

HEADER = "X-Tracking-Token"
TAG = "complainant"
# What the complainant's procedure must be waiting for, and the code and words of the refusal.
NOT_WAITING = {
    tracking.INFORMATION: (
        "not_waiting_for_information",
        _l("Your complaint is not waiting for information from you; nothing was saved."),
    ),
    tracking.SURVEY: (
        "survey_not_open",
        _l("The satisfaction survey of your complaint is not open; nothing was saved."),
    ),
    tracking.APPEAL: (
        "review_not_available",
        _l(
            "A review cannot be asked for your complaint now (it is not closed, a review is "
            "under way, or the time to ask for one is over); nothing was saved."
        ),
    ),
}
INFORMATION_FIELDS = frozenset({"information_reply"})
FILES_FIELD = "attachments"


class TrackingTokenMissing(DomainError):
    """No tracking token in the X-Tracking-Token header (a token elsewhere is not read)."""

    status = 401
    code = "tracking_token_required"


# The budget the tracking page's forms share, per client address: page and API draw on it.
limit_public_posts = limiter.shared_limit(
    lambda: current_app.config["PUBLIC_POST_RATE_LIMIT"],
    scope="public_forms",
    methods=["POST"],
    error_message=too_many_requests,
)


def _resend_limit() -> str:
    return str(current_app.config["RESEND_LINK_RATE_LIMIT"])


def _reference_key() -> str:
    # As the page: also per reference, so that many addresses cannot probe one complaint.
    body = request.get_json(silent=True)
    reference = body.get("reference") if isinstance(body, dict) else None
    return "resend:" + (reference if isinstance(reference, str) else "").strip().upper()[:40]


def complaint_from_header() -> Complaint:
    """The complaint the X-Tracking-Token header opens: 401 without one, 404, 410 if expired."""
    token = request.headers.get(HEADER, "").strip()
    if not token:
        raise TrackingTokenMissing(
            gettext(
                "Send the tracking token in the %(header)s header; a token in the address is "
                "not accepted.",
                header=HEADER,
            )
        )
    try:
        return complaints.by_token(token)
    except LinkExpired as exc:
        raise LinkExpired(
            gettext(
                "This tracking link has expired. Ask for a new one with your reference and the "
                "email address or telephone number you gave us: %(url)s",
                url=url_for("api.resend_tracking_link", _external=True),
            )
        ) from exc
    except NotFound as exc:
        raise NotFound(
            gettext("This tracking token is not valid."), code="tracking_token_invalid"
        ) from exc


def require_waiting(complaint: Complaint, message: str) -> None:
    """409 with the action's own code unless the procedure waits for this from the complainant."""
    if not tracking.is_waiting(complaint, message):
        code, text = NOT_WAITING[message]
        raise Conflict(str(text), code=code)


def tracking_body(complaint: Complaint) -> dict[str, Any]:
    """The status and timeline, as GET /tracking/{token} gives them, and the review window."""
    view = tracking.overview(complaint)
    return {**serializers.tracking(view), "review_until": serializers.iso(view.review_until)}


def answer(body: dict[str, Any], status: int = 200) -> Any:
    """A JSON answer kept out of caches: it speaks of one person's complaint."""
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def refused(form: TaskForm, extra: dict[str, list[str]] | None = None) -> InvalidInput:
    """A 422 naming each refused field."""
    details = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    return InvalidInput(
        gettext("Please correct the highlighted fields."), details={**details, **(extra or {})}
    )


@bp.get("/tracking")
def tracking_status() -> Any:
    """The complaint's status and public timeline, for the holder of its tracking token."""
    return answer(tracking_body(complaint_from_header()))


@bp.post("/tracking/information")
@limit_public_posts
@reads(JSON, MULTIPART)
def answer_information() -> Any:
    """Send the information we asked for: JSON, or multipart with files as on the page."""
    complaint = complaint_from_header()
    require_waiting(complaint, tracking.INFORMATION)
    if request.mimetype == MULTIPART:
        unknown = (set(request.form) - INFORMATION_FIELDS) | (set(request.files) - {FILES_FIELD})
        form = InformationReplyForm(request.form)
        form.validate()
        posted = uploads.files()
    else:
        unknown, posted = set(), []
        form = json_form(InformationReplyForm)
    problems = attachments.check_all(posted, already=attachments.count(complaint.id))
    extra = {name: [gettext("This field is not part of the form.")] for name in sorted(unknown)}
    if problems:
        extra[FILES_FIELD] = uploads.problem_texts(problems)
    if form.errors or extra:
        raise refused(form, extra)
    tracking.reply_information(
        complaint,
        form.information_reply.data,
        posted,
        upload_dir=str(current_app.config["UPLOAD_DIR"]),
    )
    db.session.commit()
    return answer(tracking_body(complaint))


@bp.post("/tracking/survey")
@limit_public_posts
@reads(JSON)
def answer_survey() -> Any:
    """Answer the satisfaction survey: a score from 1 to 5 and an optional comment."""
    complaint = complaint_from_header()
    require_waiting(complaint, tracking.SURVEY)
    form = json_form(SurveyForm)
    if form.errors:
        raise refused(form)
    tracking.answer_survey(complaint, form.score.data, form.comment.data or "")
    db.session.commit()
    return answer(tracking_body(complaint))


@bp.post("/tracking/review")
@limit_public_posts
@reads(JSON)
def request_review() -> Any:
    """Ask for a review of the decision, within the appeal window."""
    complaint = complaint_from_header()
    require_waiting(complaint, tracking.APPEAL)
    form = json_form(ReviewRequestForm)
    if form.errors:
        raise refused(form)
    tracking.request_review(complaint, form.review_reason.data)
    db.session.commit()
    return answer(tracking_body(complaint))


@bp.post("/tracking/resend-link")
@limit_public_posts
@limiter.limit(_resend_limit, methods=["POST"], error_message=too_many_requests)
@limiter.limit(
    _resend_limit, key_func=_reference_key, methods=["POST"], error_message=too_many_requests
)
@reads(JSON)
def resend_tracking_link() -> Any:
    """Send a fresh tracking link to the address on file, if the details match (no token)."""
    form = json_form(ResendLinkForm)
    if form.errors:
        raise refused(form)
    tracking.resend_link(form.reference.data, form.contact.data)
    db.session.commit()
    # The same answer whether or not anything was sent: no hint the reference exists.
    return answer({"message": resend_answer()}, 202)


def resend_answer() -> str:
    """The one answer to every well-formed resend request."""
    return gettext(
        "If these details match a complaint, we have sent a new tracking link to that "
        "address. It can take a few minutes to arrive."
    )


# The OpenAPI description of this part.

TOKEN_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": True,
    "description": "The complainant's tracking token (from the filing answer or the link in "
    "our messages). Only this header is read: a token in the path or the query string is not "
    "accepted, since addresses end up in access logs.",
    "schema": {"type": "string", "minLength": 1},
    "example": "q3v8Jm2YbA0x7Kc1sWd9EoRtUfGhIjLk5NzPpQrStUv",
}
TRACKING_EXAMPLE = {
    "reference": "C-2026-000042",
    "status": "awaiting_information",
    "status_label": "Awaiting information",
    "language": "en",
    "received_at": "2026-11-02T09:14:00+00:00",
    "closed_at": None,
    "timeline": [
        {"at": "2026-11-02T09:14:00+00:00", "step": "received", "detail": ""},
        {
            "at": "2026-11-02T10:02:00+00:00",
            "step": "information_request",
            "detail": "Your complaint C-2026-000042: we need more information",
        },
    ],
    "messages": [
        {
            "at": "2026-11-02T10:02:00+00:00",
            "kind": "information_request",
            "subject": "Your complaint C-2026-000042: we need more information",
            "body": "Please send a copy of your invoice.",
        }
    ],
    "files": [],
    "awaiting_information": True,
    "information_requested": "Please send a copy of your invoice.",
    "awaiting_survey": False,
    "review_until": None,
}


def _example(body: dict[str, Any], example: Any) -> dict[str, Any]:
    """A body description with an example of its JSON."""
    body["content"]["application/json"]["example"] = example
    return body


def _tracking_answer(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return _example(json_body(ref("ComplainantTracking"), description), example)


def _answer(name: str, description: str) -> dict[str, Any]:
    """A shared error answer, its description made this operation's own (OpenAPI 3.1)."""
    [(status, reference)] = errors(name).items()
    return {status: {**reference, "description": description}}


def _token_refusals() -> dict[str, Any]:
    return {
        **_answer("Unauthorized", f"No {HEADER} header (`code`: `tracking_token_required`)."),
        **_answer("NotFound", "No complaint has this token (`code`: `tracking_token_invalid`)."),
        **_answer(
            "Gone",
            "The token came in one of our messages and has expired (`code`: `link_expired`); "
            "ask for a new one with POST /tracking/resend-link.",
        ),
    }


def _conflict(code: str, when: str) -> dict[str, Any]:
    return _answer(
        "Conflict",
        f"The procedure is not waiting for this action ({when}); nothing was saved "
        f"(`code`: `{code}`).",
    )


# What the rate-limited operations say of their limit (the document's promise to name it).
LIMITED = (
    " Rate-limited per client address, with the tracking page's forms "
    "(PUBLIC_POST_RATE_LIMIT): the answers carry RateLimit-Limit, RateLimit-Remaining and "
    "RateLimit-Reset (and X-RateLimit-*) for the tightest limit; past it, 429 with Retry-After."
)


def _limited(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer of a rate-limited operation, with the RateLimit headers it carries."""
    return {**answer, "headers": {**answer.get("headers", {}), **rate_limit_headers()}}


def _action(
    operation_id: str,
    summary: str,
    description: str,
    body: dict[str, Any],
    answer: dict[str, Any],
    conflict: dict[str, Any],
) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation_id,
            "tags": [TAG],
            "summary": summary,
            "description": description + LIMITED,
            "security": [{"trackingToken": []}],
            "parameters": [TOKEN_PARAMETER],
            "requestBody": {"required": True, **body},
            "responses": {
                "200": _limited(_tracking_answer("Done: the complaint as it is now.", answer)),
                **_token_refusals(),
                **conflict,
                **errors("Unprocessable", "TooManyRequests"),
            },
        }
    }


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    information_body = _example(
        json_body(ref("InformationReplyForm"), "The answer, without files."),
        {"information_reply": "My invoice number is 4411; the receipt is attached."},
    )
    information_body["content"][MULTIPART] = {
        "schema": ref("InformationReplyUpload"),
        "encoding": {FILES_FIELD: {"contentType": uploads.ACCEPTED_FILES}},
        "example": {"information_reply": "The receipt is attached."},
    }
    replied = {
        **TRACKING_EXAMPLE,
        "status": "registration",
        "status_label": "Registration",
        "awaiting_information": False,
        "information_requested": None,
    }
    surveyed = {
        **TRACKING_EXAMPLE,
        "status": "closed",
        "status_label": "Closed",
        "closed_at": "2026-11-20T15:30:00+00:00",
        "awaiting_information": False,
        "information_requested": None,
        "review_until": "2027-01-15T15:30:00+00:00",
    }
    reviewed = {**surveyed, "status": "review", "status_label": "Review", "closed_at": None}
    reviewed["review_until"] = None
    return {
        "/tracking": {
            "get": {
                "operationId": "showTracking",
                "tags": [TAG],
                "summary": "Follow my complaint: status and timeline (tracking token)",
                "description": "What the tracking page shows: status, public steps, our "
                "messages, the files sent, and what we wait for from the complainant "
                "(`awaiting_information`, `awaiting_survey`, `review_until`: a review may be "
                "asked for until then).",
                "security": [{"trackingToken": []}],
                "parameters": [TOKEN_PARAMETER],
                "responses": {
                    "200": _tracking_answer("Status and public timeline.", TRACKING_EXAMPLE),
                    **_token_refusals(),
                },
            }
        },
        "/tracking/information": _action(
            "answerInformationRequest",
            "Send the information we asked for (tracking token)",
            "Answers an open request for missing information, as the tracking page does: "
            "JSON without files, or multipart/form-data with `information_reply` and up to "
            f"{attachments.MAX_PER_COMPLAINT} files in `attachments` (photos or PDF, "
            f"{attachments.MAX_SIZE // (1024 * 1024)} MB each, counting the files already "
            "sent). The procedure then continues where it waited.",
            information_body,
            replied,
            _conflict("not_waiting_for_information", "no request for information is open"),
        ),
        "/tracking/survey": _action(
            "answerSurvey",
            "Answer the satisfaction survey (tracking token)",
            "The score (1 to 5) and an optional comment, while the survey is open (after "
            "our answer, until the survey window closes).",
            _example(
                json_body(ref("SurveyForm"), "The survey's answers."),
                {"score": 4, "comment": "Quick and polite."},
            ),
            surveyed,
            _conflict("survey_not_open", "the survey is not open"),
        ),
        "/tracking/review": _action(
            "requestReview",
            "Ask for a review of the decision (tracking token)",
            "Reopens the case for a review by someone who did not handle it, as the tracking "
            "page does: only after our answer and within the appeal window (`review_until` "
            "of GET /tracking), and once.",
            _example(
                json_body(ref("ReviewRequestForm"), "Why the case should be reviewed."),
                {"review_reason": "The refund you promised never arrived."},
            ),
            reviewed,
            _conflict("review_not_available", "no review may be asked for now"),
        ),
        "/tracking/resend-link": {
            "post": {
                "operationId": "resendTrackingLink",
                "tags": [TAG],
                "summary": "Send me my tracking link again (no token)",
                "description": "A fresh link goes to the email address or telephone number "
                "on file if it matches the one given (an email compared without case, a "
                "telephone number by its digits). The answer is the same 202 whether or not "
                "anything matched, so that nobody learns which references exist. Limited per "
                "address and per reference (RESEND_LINK_RATE_LIMIT, 5 per hour by default), "
                "and with the tracking page's forms (PUBLIC_POST_RATE_LIMIT): the answers carry "
                "RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (and X-RateLimit-*) "
                "for the tightest limit; past it, 429 with Retry-After.",
                "security": [],
                "requestBody": {
                    "required": True,
                    **_example(
                        json_body(ref("ResendLinkForm"), "The reference and an address."),
                        {"reference": "C-2026-000042", "contact": "aminata@example.org"},
                    ),
                },
                "responses": {
                    "202": _limited(
                        _example(
                            json_body(ref("ResendAnswer"), "Received (the same answer always)."),
                            {"message": resend_answer()},
                        )
                    ),
                    **errors("Unprocessable", "TooManyRequests"),
                },
            }
        },
    }


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    reply = InformationReplyForm.json_schema()
    upload = {
        **reply,
        "title": "InformationReplyUpload",
        "properties": {
            **reply["properties"],
            FILES_FIELD: {
                "type": "array",
                "maxItems": attachments.MAX_PER_COMPLAINT,
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                "description": "Photos (JPEG, PNG, WebP, GIF) or PDF documents.",
            },
        },
    }
    return {
        "InformationReplyForm": reply,
        "InformationReplyUpload": upload,
        "SurveyForm": SurveyForm.json_schema(),
        "ReviewRequestForm": ReviewRequestForm.json_schema(),
        "ResendLinkForm": ResendLinkForm.json_schema(),
        "ResendAnswer": obj({"message": {"type": "string"}}),
        "ComplainantTracking": {
            "allOf": [
                ref("Tracking"),
                obj(
                    {
                        "review_until": {
                            **TIME,
                            "description": "A review may be asked for until then; null when "
                            "it may not (POST /tracking/review answers 409).",
                        }
                    }
                ),
            ]
        },
    }
