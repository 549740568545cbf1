"""Deliveries for staff: the letters to post, the failed messages, retry or another way.

Intake agents and managers print and post letters and deal with failed deliveries; the
complaint page shows each message's delivery status and offers the same buttons.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.redirects import safe_next
from services import business_calendar, delivery, documents, tracking_links
from services.db import db
from services.errors import InvalidInput
from services.models import Notification

bp = Blueprint("outbox", __name__, url_prefix="/outbox")

STATUSES = {
    delivery.QUEUED: _l("Waiting to be sent"),
    delivery.SENDING: _l("Sending"),
    delivery.SENT: _l("Sent"),
    delivery.FAILED: _l("Delivery failed"),
    delivery.TO_POST: _l("To print and post"),
    delivery.POSTED: _l("Posted"),
    delivery.CANCELLED: _l("Not sent (replaced or cancelled)"),
    delivery.NONE: _l("Shown on the tracking page"),
}
WAYS = {"email": _l("Email"), "phone": _l("SMS"), "letter": _l("Post")}


@bp.before_request
@login_required
def require_handler() -> None:
    """Intake agents and managers reach these pages; administrators the failed deliveries."""
    if not delivery.may_see_failures(current_user):
        delivery.require_handle(current_user)


@bp.app_template_global()
def delivery_status(status: str) -> str:
    """The readable name of a delivery status, for any template."""
    return str(STATUSES.get(status, status))


@bp.app_template_global()
def message_title(row: Notification) -> str:
    """A message's subject, or what it is while the worker has not written it yet."""
    return row.subject or delivery.kind_label(row, str(get_locale() or "en"))


@bp.app_template_global()
def message_text(row: Notification) -> str:
    """A sent message's text as staff read it: its links without their token."""
    return tracking_links.redact(row.body)


@bp.app_template_global()
def handles_deliveries() -> bool:
    """True when the signed-in user may retry, reroute and post messages."""
    return bool(current_user.is_authenticated and delivery.may_handle(current_user))


@bp.app_context_processor
def delivery_helpers() -> dict[str, Any]:
    """The ways a message can go, for the retry buttons on any page."""
    return {"delivery_ways": WAYS}


@bp.get("/post")
def post_queue() -> Any:
    """Letters waiting to be printed and posted."""
    return render_template(
        "outbox/post.html",
        letters=delivery.post_queue(current_user),
        today=business_calendar.local_today(),
    )


@bp.get("/failed")
def failed() -> Any:
    """Messages that could not be delivered, with what went wrong."""
    return render_template("outbox/failed.html", messages=delivery.failed(current_user))


@bp.get("/<int:notification_id>/letter")
def letter(notification_id: int) -> Any:
    """The letter to print: its PDF when there is one, else its text on a printable page."""
    row = delivery.get_for(current_user, notification_id)
    if row.document is not None:
        path: Path = documents.path_of(row.document)
        return send_file(
            path,
            mimetype=row.document.content_type,
            as_attachment=False,
            download_name=row.document.filename,
        )
    return render_template(
        "outbox/letter.html",
        row=row,
        text=delivery.printable_text(row),
        sender=current_app.config.get("COMPLAINTS_POSTAL_ADDRESS", ""),
    )


@bp.post("/<int:notification_id>/posted")
def mark_posted(notification_id: int) -> Any:
    """Record that the letter went out, on the day given (today by default), by this user."""
    posted_on = None
    raw = request.form.get("posted_on", "").strip()
    if raw:
        try:
            posted_on = date.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput(_("Give the posting date as YYYY-MM-DD.")) from exc
    row = delivery.mark_posted(notification_id, current_user, posted_on)
    db.session.commit()
    flash(_("Letter to %(recipient)s marked as posted.", recipient=row.recipient.splitlines()[0]))
    return redirect(safe_next(url_for("outbox.post_queue")))


@bp.post("/<int:notification_id>/retry")
def retry(notification_id: int) -> Any:
    """Send a failed message again, the same way."""
    delivery.retry(notification_id, current_user)
    db.session.commit()
    flash(_("The message will be sent again."))
    return redirect(safe_next(url_for("outbox.failed")))


@bp.post("/<int:notification_id>/resend")
def resend(notification_id: int) -> Any:
    """Send a failed message another way (email, SMS or post)."""
    channel = request.form.get("channel", "")
    copy = delivery.resend(notification_id, channel, current_user)
    db.session.commit()
    flash(_("The message will be sent by %(way)s.", way=WAYS.get(copy.channel, copy.channel)))
    return redirect(safe_next(url_for("outbox.failed")))


# Names `flask mail-catcher` gives its files; nothing else in the folder is ever opened.
_EML_NAME = re.compile(r"^[0-9T.]+-[0-9a-f]{8}\.eml$")


# Our Message-IDs name the notification they deliver (services.delivery: "<n123.…@…>").
_NOTIFICATION_ID = re.compile(r"^<n(\d+)\.")


def _notification_id(message: EmailMessage) -> int | None:
    found = _NOTIFICATION_ID.match(str(message.get("Message-ID", "")).strip())
    return int(found.group(1)) if found else None


def sent_at(message: EmailMessage) -> datetime | None:
    """When a caught message was sent (its Date header), for the reader's clock."""
    header = message.get("Date")
    return getattr(header, "datetime", None)


def _caught(name: str) -> EmailMessage:
    if not _EML_NAME.match(name):
        abort(404)
    path = Path(current_app.config["MAIL_CATCHER_DIR"]) / name
    if not path.is_file():
        abort(404)
    # policy.default parses into an EmailMessage (typed as the older Message).
    return cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))


@bp.get("/mail")
def caught_mail() -> Any:
    """The demo's mail catcher: the newest messages it received (instance/mail/*.eml)."""
    delivery.require_handle(current_user)
    folder = Path(current_app.config["MAIL_CATCHER_DIR"])
    names = sorted((p.name for p in folder.glob("*.eml") if _EML_NAME.match(p.name)), reverse=True)
    mails = [(name, _caught(name)) for name in names[:300]]
    ids = {name: _notification_id(message) for name, message in mails}
    readable = delivery.readable_caught(current_user, [n for n in ids.values() if n is not None])
    shown = [(name, message) for name, message in mails if ids[name] in readable][:100]
    return render_template("outbox/mail.html", folder=folder, mails=shown, sent_at=sent_at)


@bp.get("/mail/<name>")
def caught_message(name: str) -> Any:
    """One caught message: headers, its text part and the names of its attachments."""
    delivery.require_handle(current_user)
    message = _caught(name)
    number = _notification_id(message)
    if number is None or not delivery.readable_caught(current_user, [number]):
        abort(404)  # about a complaint they may not see, or another person's staff email
    text = message.get_body(preferencelist=("plain",))
    return render_template(
        "outbox/mail_message.html",
        name=name,
        message=message,
        # As staff read every message: the complainant's tracking link is theirs alone.
        text=tracking_links.redact(text.get_content()) if text is not None else "",
        attachments=[part.get_filename() or "" for part in message.iter_attachments()],
        sent=sent_at(message),
    )
