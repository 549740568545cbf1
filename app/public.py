"""The public side, no account: file a complaint, follow it with the private tracking link."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from app import downloads, procedure_text, uploads
from app.errors import error_response
from app.extensions import limiter
from app.security import seal, unseal
from forms.complainant import (
    InformationReplyForm,
    ResendLinkForm,
    ReviewRequestForm,
    SurveyForm,
    WithdrawalForm,
)
from forms.intake import ComplaintForm
from services import attachments, complaints, documents, procedure_summary, tracking
from services.db import db
from services.errors import LinkExpired, NotFound
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
    "review": _l("At your request, someone who did not handle your complaint is reviewing it."),
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
    "appeal_requested": _l("You asked for a review"),
    "review_outcome_letter": _l("The result of the review was sent"),
    "complaint_withdrawn": _l("You withdrew your complaint"),
    "withdrawal_confirmation": _l("We confirmed your withdrawal"),
    "tracking_link": _l("We sent you your tracking link again"),
    "summary_resolution": _l("Our answer was sent"),
    "resolution_notice": _l("We confirmed your complaint is resolved"),
    "delay_letter": _l("We wrote to explain why our answer is late"),
    "email_received": _l("We received your email"),
    "attachment_added": _l("File added"),
    "update": _l("Update"),
}


# The stages of the public process page: (title, what happens, the id of the timer whose
# limit applies, what the limit means). The limits themselves come from the
# active version of the procedure, never from here.
STAGES = (
    (
        _l("We register and acknowledge your complaint"),
        _l(
            "We check that your complaint is complete, give it a reference and confirm that "
            "we received it."
        ),
        "ack_sla",
        _l("Acknowledgement within %(limit)s."),
    ),
    (
        _l("We may ask you for missing information"),
        _l("If something is missing, we ask you for it through your tracking page."),
        "information_deadline",
        _l("You have %(limit)s to answer; without an answer the complaint is closed."),
    ),
    (
        _l("We assess your complaint"),
        _l(
            "A supervisor sets its category and severity. Complaints about violence, abuse or "
            "harassment go straight to a specially trained focal point, who alone reads them "
            "and acts only with your consent."
        ),
        None,
        None,
    ),
    (
        _l("Simple complaints are resolved quickly"),
        _l("We put things right, explain what we did and send you our answer."),
        "minor_sla",
        _l("Answer within %(limit)s."),
    ),
    (
        _l("Serious complaints are investigated"),
        _l(
            "A complaint manager investigates, a manager can escalate the case (senior "
            "management, legal counsel), and a manager approves the answer."
        ),
        "major_sla",
        _l("Answer within %(limit)s."),
    ),
    (
        _l("Confidential complaints"),
        _l(
            "The focal point records your consent, offers support services and contacts you "
            "only in the way and at the times you chose. You can withdraw at any time."
        ),
        "confidential_sla",
        _l("Answer within %(limit)s."),
    ),
    (
        _l("We ask for your opinion"),
        _l("After our answer we invite you to a short satisfaction survey."),
        "survey_reminder_due",
        _l("Reminder after %(limit)s."),
    ),
)
# The timer that closes the window in which the complainant may ask for a review.
APPEAL_TIMER = "appeal_window_expired"


def duration_text(duration: Any) -> str:
    """A duration in words: weeks from four weeks on, whole days, else hours."""
    days, seconds = duration.days, duration.seconds
    if seconds == 0:
        if days >= 28 and days % 7 == 0:
            return ngettext("%(num)d week", "%(num)d weeks", days // 7)
        return ngettext("%(num)d day", "%(num)d days", days)
    hours = days * 24 + seconds // 3600
    return ngettext("%(num)d hour", "%(num)d hours", hours)


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
            data = {**form.task_data(), "language": form.language.data or str(get_locale())}
            filed = complaints.file_complaint(data, channel="web")
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


@bp.get("/how-we-handle-complaints")
def procedure() -> Any:
    """How complaints are handled: channels, stages, time limits in force, follow-up, recourse."""
    summary = procedure_summary.active_summary()
    language = str(get_locale())
    stages = []
    for title, text, timer_id, limit_text in STAGES:
        limit = summary.for_timer(timer_id) if timer_id else None
        stages.append(
            (
                title,
                text,
                str(limit_text) % {"limit": limit_words(limit, language)} if limit else "",
            )
        )
    appeal = summary.for_timer(APPEAL_TIMER)
    # The service levels; waits (for the complainant's reply, the survey, the appeal window)
    # are told in the stages, and a task's internal due time (dueIn) is not a promise.
    limits = [
        (procedure_text.translated(limit.name), limit_words(limit, language))
        for limit in summary.limits
        if limit.kind == procedure_summary.SERVICE_LEVEL
    ]
    preset = summary.preset
    # The whole case's target (the preset's `complaint` clock) and the rule it comes from.
    whole = next(
        (words for clock, words, _rule in summary.targets(language) if clock == "complaint"), ""
    )
    recourse = summary.recourse.get(language) or summary.recourse.get("en", "")
    return render_template(
        "public/procedure.html",
        stages=stages,
        limits=limits,
        whole=whole,
        preset_title=preset.title_in(language) if preset else "",
        preset_rule=preset.rule_in(language) if preset else "",
        version=summary.version,
        appeal=limit_words(appeal, language) if appeal else None,
        # The letters' own words (the preset's, else the diagram's): page and letters agree.
        recourse=[p for p in recourse.split("\n\n") if p.strip()],
    )


def limit_words(limit: procedure_summary.TimeLimit, language: str) -> str:
    """A limit in words: a calendar target ("2 working days") or a plain duration."""
    return limit.words(language) or duration_text(limit.duration)


@bp.route("/complaints/filed")
def filed() -> Any:
    """The confirmation: the reference and the private tracking link, shown this once."""
    details = session.pop("filed", None)
    token = unseal(details.get("sealed_token", "")) if details else None
    if not token:
        flash(_("This confirmation was shown once already. Use your tracking link."))
        return redirect(url_for("main.index"))
    link = url_for("public.track", token=token, _external=True)
    return render_template(
        "public/filed.html", details=details, link=link, kept_on_switch=keep_confirmation(details)
    )


# How long after it was shown the confirmation survives the header's language switch.
CONFIRMATION_KEPT_SECONDS = 15 * 60


def keep_confirmation(details: dict[str, Any]) -> str:
    """The confirmation, sealed, for the language switch of its own page: switching language
    reloads the page, and the page shown once would otherwise be gone, and with it the only
    copy of an anonymous complainant's link."""
    return seal(json.dumps(details))


def restore_confirmation(sealed: str) -> None:
    """Put back the confirmation `keep_confirmation` sealed (recently) to be shown once more."""
    kept = unseal(sealed, max_age=CONFIRMATION_KEPT_SECONDS) if sealed else None
    if kept is None:
        return
    details = json.loads(kept)
    if isinstance(details, dict) and unseal(str(details.get("sealed_token", ""))):
        session["filed"] = details


def _resend_limit() -> str:
    return str(current_app.config["RESEND_LINK_RATE_LIMIT"])


def _reference_key() -> str:
    return "resend:" + request.form.get("reference", "").strip().upper()[:40]


@bp.route("/track", methods=["GET", "POST"])
@limit_posts
@limiter.limit(_resend_limit, methods=["POST"], error_message=_too_many_requests)
@limiter.limit(
    _resend_limit, key_func=_reference_key, methods=["POST"], error_message=_too_many_requests
)
def resend_link() -> Any:
    """Send me my link again: a fresh link to the address on file, if the details match."""
    form = ResendLinkForm(request.form)
    if request.method == "POST" and form.validate():
        tracking.resend_link(form.reference.data, form.contact.data)
        db.session.commit()
        # The same answer whether or not anything was sent: no hint the reference exists.
        flash(
            _(
                "If these details match a complaint, we have sent a new tracking link to that "
                "address. It can take a few minutes to arrive."
            )
        )
        return redirect(url_for("public.resend_link"))
    status = 422 if request.method == "POST" else 200
    return render_template("public/resend.html", form=form), status


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


@bp.route("/track/<token>/review", methods=["POST"])
@limit_posts
def review(token: str) -> Any:
    """The complainant asks for a review of the closed case, within the appeal window."""
    complaint = _complaint(token)
    _require_waiting(complaint, tracking.APPEAL)
    form = ReviewRequestForm(request.form)
    if not form.validate():
        return _tracking_page(complaint, token, review_form=form, status=422)
    tracking.request_review(complaint, form.review_reason.data)
    db.session.commit()
    flash(_("We have reopened your complaint: someone else will review it and write to you."))
    return redirect(url_for("public.track", token=token))


@bp.route("/track/<token>/withdraw", methods=["POST"])
@limit_posts
def withdraw(token: str) -> Any:
    """The complainant withdraws the complaint (a confidential one, at any time)."""
    complaint = _complaint(token)
    _require_waiting(complaint, tracking.WITHDRAW)
    form = WithdrawalForm(request.form)
    if not form.validate():
        return _tracking_page(complaint, token, status=422)
    tracking.withdraw(complaint, form.withdrawal_reason.data or "")
    db.session.commit()
    flash(_("Your complaint is withdrawn. You can contact us again at any time."))
    return redirect(url_for("public.track", token=token))


@bp.get("/track/<token>/documents/<int:document_id>")
def document(token: str, document_id: int) -> Any:
    """A letter we sent the complainant, as PDF, for whoever holds the tracking link."""
    complaint = _complaint(token)
    found = documents.get(complaint.id, document_id, public_only=True)
    return downloads.private_file(documents.path_of(found), found.content_type, found.filename)


@bp.route("/survey/<token>")
def survey_link(token: str) -> Any:
    """The link in the survey invitation: the survey on the tracking page."""
    return redirect(url_for("public.track", token=token, _anchor="survey"))


def _complaint(token: str) -> Complaint:
    try:
        return complaints.by_token(token)
    except LinkExpired:
        abort(make_response(render_template("public/link_expired.html", texts=_expired()), 410))
    except NotFound:
        abort(
            404,
            description=_(
                "This tracking link is not valid. Check that you copied all of it, or ask for "
                "a new link at %(url)s.",
                url=url_for("public.resend_link", _external=True),
            ),
        )


def _expired() -> list[dict[str, str]]:
    """What the page for an old link says, in the reader's language first, then the other."""
    current = str(get_locale() or "en")
    languages = [current] + [code for code in current_app.config["LANGUAGES"] if code != current]
    texts = []
    for code in languages:
        with force_locale(code):
            texts.append(
                {
                    "lang": code,
                    "title": _("This tracking link has expired"),
                    "why": _(
                        "To protect your privacy, the links in our messages stop working after "
                        "a while. Your complaint is not affected: ask for a new link with its "
                        "reference and the email address or telephone number you gave us."
                    ),
                    "resend": _("Send me my link again"),
                    "hint": _(
                        "The reference (such as C-2026-000042) is in the subject of our "
                        "messages. If you filed anonymously, contact us with the reference."
                    ),
                }
            )
    return texts


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
    review_form: ReviewRequestForm | None = None,
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
        review_form=review_form or ReviewRequestForm(),
        withdrawal_form=WithdrawalForm(),
        file_errors=file_errors or [],
        files_lost=status == 422 and uploads.sent(),
        accepted_files=uploads.ACCEPTED_FILES,
        limits=uploads.limits(),
    ), status


def _upload_dir() -> str:
    return str(current_app.config["UPLOAD_DIR"])
