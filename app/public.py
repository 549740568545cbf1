"""The public side, no account: file a complaint, follow it with the private tracking link."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from app import uploads
from app.errors import error_response
from app.extensions import limiter
from app.security import seal, unseal
from forms.complainant import InformationReplyForm, SurveyForm
from forms.intake import ComplaintForm
from services import attachments, complaints, tracking
from services.db import db
from services.errors import NotFound
from services.models import Complaint

bp = Blueprint("public", __name__)

# The complainant's words for each status key of services.tracking.
STATUS_TEXT = {
    "received": _l("We have received your complaint."),
    "registration": _l("We are checking that your complaint is complete."),
    "classification": _l("We are assessing your complaint."),
    "investigation": _l("We are investigating your complaint."),
    "escalation": _l("A manager is reviewing your complaint."),
    "legal_review": _l("Your complaint is being reviewed in more depth."),
    "resolution": _l("We are preparing our answer."),
    "sign_off": _l("Our answer is being approved."),
    "overdue_review": _l(
        "Your complaint is taking longer than planned; a manager is following it."
    ),
    "awaiting_information": _l("We need more information from you: please answer below."),
    "awaiting_feedback": _l("We have answered your complaint. Please tell us what you think."),
    "closed": _l("Your complaint is closed."),
    "in_progress": _l("Your complaint is being handled."),
}
STEP_TEXT = {
    "received": _l("Complaint received"),
    "acknowledgement": _l("Complaint acknowledged"),
    "information_request": _l("We asked you for more information"),
    "information_received": _l("You sent the information we asked for"),
    "closure_letter": _l("Closed without investigation"),
    "response_letter": _l("Our answer was sent"),
    "survey_invitation": _l("Satisfaction survey sent"),
    "survey_reminder": _l("Survey reminder sent"),
    "survey_answered": _l("You answered the satisfaction survey"),
    "attachment_added": _l("File added"),
    "update": _l("Update"),
}


def _too_many_requests() -> str:
    return _("You have sent this form too many times; please wait a few minutes and try again.")


# One budget for every public form, per client address: filing, replying and the survey.
limit_posts = limiter.shared_limit(
    lambda: current_app.config["PUBLIC_POST_RATE_LIMIT"],
    scope="public_forms",
    methods=["POST"],
    error_message=_too_many_requests,
)


@bp.after_request
def private_headers(response: Any) -> Any:
    """Tracking links are secrets: keep them out of caches, referrers and search engines."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> Any:
    """A body over MAX_CONTENT_LENGTH cannot be read back: say what to do instead."""
    db.session.rollback()
    mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    return error_response(
        413,
        _(
            "Your files are too large together (at most %(mb)d MB per sending). "
            "Go back, choose fewer or smaller files and send again.",
            mb=mb,
        ),
    )


@bp.route("/complaints/new", methods=["GET", "POST"])
@limit_posts
def new() -> Any:
    """The public complaint form, with photos and documents."""
    form = ComplaintForm(request.form)
    file_errors: list[str] = []
    if request.method == "POST":
        posted = uploads.files()
        file_errors = uploads.problem_texts(attachments.check_all(posted))
        if form.validate() and not file_errors:
            filed = complaints.file_complaint(form.task_data(), channel="web")
            attachments.add_all(filed.complaint, posted, upload_dir=_upload_dir())
            db.session.commit()
            # The session cookie is signed, not encrypted: the tracking token goes in sealed.
            session["filed"] = {
                "reference": filed.complaint.reference,
                "sealed_token": seal(filed.tracking_token),
                "anonymous": filed.complaint.anonymous,
            }
            return redirect(url_for("public.filed"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "public/new.html",
        form=form,
        file_errors=file_errors,
        files_lost=status == 422 and uploads.sent(),
        accepted_files=uploads.ACCEPTED_FILES,
        limits=uploads.limits(),
    ), status


@bp.route("/complaints/filed")
def filed() -> Any:
    """The confirmation: the reference and the private tracking link, shown this once."""
    details = session.pop("filed", None)
    token = unseal(details.get("sealed_token", "")) if details else None
    if not token:
        flash(_("This confirmation was shown once already. Use your tracking link."))
        return redirect(url_for("main.index"))
    link = url_for("public.track", token=token, _external=True)
    return render_template("public/filed.html", details=details, link=link)


@bp.route("/track/<token>")
def track(token: str) -> Any:
    """The complainant's page: status, steps, and the reply or survey form when awaited."""
    return _tracking_page(_complaint(token), token)


@bp.route("/track/<token>/information", methods=["POST"])
@limit_posts
def information(token: str) -> Any:
    """The complainant sends the information we asked for, with files if they like."""
    complaint = _complaint(token)
    _require_waiting(complaint, tracking.INFORMATION)
    form = InformationReplyForm(request.form)
    posted = uploads.files()
    file_errors = uploads.problem_texts(
        attachments.check_all(posted, already=attachments.count(complaint.id))
    )
    if not form.validate() or file_errors:
        return _tracking_page(
            complaint, token, information_form=form, file_errors=file_errors, status=422
        )
    tracking.reply_information(
        complaint, form.information_reply.data, posted, upload_dir=_upload_dir()
    )
    db.session.commit()
    flash(_("Thank you: we have received your information and will continue."))
    return redirect(url_for("public.track", token=token))


@bp.route("/track/<token>/survey", methods=["POST"])
@limit_posts
def survey(token: str) -> Any:
    """The complainant answers the satisfaction survey."""
    complaint = _complaint(token)
    _require_waiting(complaint, tracking.SURVEY)
    form = SurveyForm(request.form)
    if not form.validate():
        return _tracking_page(complaint, token, survey_form=form, status=422)
    tracking.answer_survey(complaint, form.score.data, form.comment.data or "")
    db.session.commit()
    flash(_("Thank you for your answer."))
    return redirect(url_for("public.track", token=token))


@bp.route("/survey/<token>")
def survey_link(token: str) -> Any:
    """The link in the survey invitation: the survey on the tracking page."""
    return redirect(url_for("public.track", token=token, _anchor="survey"))


def _complaint(token: str) -> Complaint:
    try:
        return complaints.by_token(token)
    except NotFound:
        abort(
            404, description=_("This tracking link is not valid. Check that you copied all of it.")
        )


def _require_waiting(complaint: Complaint, message: str) -> None:
    if not tracking.is_waiting(complaint, message):
        abort(
            409,
            description=_(
                "Your complaint is not waiting for this any more, so nothing was saved. "
                "Open your tracking link again to see where it stands."
            ),
        )


def _tracking_page(
    complaint: Complaint,
    token: str,
    *,
    information_form: InformationReplyForm | None = None,
    survey_form: SurveyForm | None = None,
    file_errors: list[str] | None = None,
    status: int = 200,
) -> Any:
    return render_template(
        "public/track.html",
        token=token,
        view=tracking.overview(complaint),
        status_text=STATUS_TEXT,
        step_text=STEP_TEXT,
        information_form=information_form or InformationReplyForm(),
        survey_form=survey_form or SurveyForm(),
        file_errors=file_errors or [],
        files_lost=status == 422 and uploads.sent(),
        accepted_files=uploads.ACCEPTED_FILES,
        limits=uploads.limits(),
    ), status


def _upload_dir() -> str:
    return str(current_app.config["UPLOAD_DIR"])
