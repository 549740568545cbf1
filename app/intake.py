"""Staff intake: an intake agent records a complaint that came in by telephone, letter, email,
at the counter or on social media."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import uploads
from forms.intake import StaffIntakeForm
from services import attachments, business_calendar, complaints, inbound_mail, permissions
from services.db import db
from services.errors import NotFound

bp = Blueprint("intake", __name__, url_prefix="/intake")

# The web form files its own complaints; staff record the other channels.
WEB_CHANNEL = "web"


@bp.route("", methods=["GET", "POST"])
@login_required
def new() -> Any:
    """The intake form; on success, the complaint's page with the link to pass on."""
    permissions.require_records_complaints(current_user)
    # An email waiting for intake (?mail=ID): the form starts from it and it keeps its files.
    mail = (
        inbound_mail.waiting(request.args.get("mail", type=int) or 0)
        if "mail" in request.args
        else None
    )
    if mail is not None and request.method == "GET":
        form = StaffIntakeForm(data=inbound_mail.intake_values(mail, _mail_dir()))
    else:
        form = StaffIntakeForm(request.form)
    form.channel.choices = [c for c in form.channel.choices if c.value != WEB_CHANNEL]
    # People type the organisation's local time; it is stored in UTC.
    form.received_at.description = _(
        "Date and time in %(zone)s; empty: now.", zone=business_calendar.current().timezone
    )
    file_errors: list[str] = []
    if request.method == "POST":
        posted = uploads.files()
        file_errors = uploads.problem_texts(attachments.check_all(posted))
        if form.validate() and not file_errors:
            data = form.task_data()
            data["language"] = data.get("language") or str(get_locale())
            filed = complaints.file_complaint(
                data,
                channel=data["channel"],
                received_by=current_user,
                received_at=(
                    business_calendar.from_local(data["received_at"])
                    if data["received_at"]
                    else None
                ),
            )
            attachments.add_all(
                filed.complaint,
                posted,
                uploaded_by=current_user,
                upload_dir=current_app.config["UPLOAD_DIR"],
            )
            if mail is not None:
                refused = inbound_mail.record_intake(
                    mail,
                    filed.complaint,
                    current_user,
                    mail_dir=_mail_dir(),
                    upload_dir=current_app.config["UPLOAD_DIR"],
                )
                if refused:
                    flash(
                        _(
                            "These files of the email were not kept (only photos and PDFs, "
                            "at most %(count)d per complaint): %(names)s",
                            count=attachments.MAX_PER_COMPLAINT,
                            names=", ".join(refused),
                        )
                    )
            db.session.commit()
            link = url_for("public.track", token=filed.tracking_token, _external=True)
            flash(
                _(
                    "Complaint %(reference)s recorded. Give the complainant this private "
                    "tracking link (it is shown only now): %(link)s",
                    reference=filed.complaint.reference,
                    link=link,
                )
            )
            if not permissions.can_view_complaint(current_user, filed.complaint):
                # Flagged as violence, abuse or harassment: from now on only the focal point
                # sees it, the agent who recorded it included.
                flash(_("Only the confidential focal point can see this complaint from now on."))
                return redirect(url_for("intake.new"))
            return redirect(f"/complaints/{filed.complaint.id}")
    status = 422 if request.method == "POST" else 200
    files_sent = any(f.filename for f in request.files.getlist("attachments"))
    return render_template(
        "intake/new.html",
        mail=mail,
        form=form,
        file_errors=file_errors,
        files_lost=status == 422 and files_sent,
        accepted_files=uploads.ACCEPTED_FILES,
        limits={
            "count": attachments.MAX_PER_COMPLAINT,
            "mb": attachments.MAX_SIZE // (1024 * 1024),
            "total_mb": (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024),
        },
    ), status


@bp.get("/mail")
@login_required
def mail_list() -> Any:
    """Emails to the complaints address that are no reply to a case: complaints to record."""
    permissions.require_records_complaints(current_user)
    mails = inbound_mail.waiting_for_intake()
    previews = {}
    for mail in mails:
        try:
            message = inbound_mail.message_of(mail, _mail_dir())
        except NotFound:
            continue
        previews[mail.id] = (
            inbound_mail.text_of(message)[:600],
            [f.filename for f in inbound_mail.files_of(message)],
        )
    reasons = {mail.id: reason_text(mail) for mail in mails if mail.reason}
    return render_template("intake/mail.html", mails=mails, previews=previews, reasons=reasons)


def reason_text(mail: Any) -> str:
    """Why an email waits for intake, in the reader's language."""
    reference = inbound_mail.named_not_on_file(mail)
    if reference is not None:
        return _("Names %(reference)s, but comes from an address not on file.", reference=reference)
    return str(mail.reason)


def _mail_dir() -> str:
    return str(current_app.config["INBOUND_MAIL_DIR"])
