"""The outbox: notification rows the delivery worker claims, sends and records.

A request or timer that throws a message only writes a Notification row (status queued,
or to_post for a letter) in its own transaction. The worker (`flask deliver-messages`,
app/cli.py) then runs, each step its own transaction committed by the caller:

1. reap_interrupted(): rows left 'sending' after their lease expired;
2. claim(): due queued rows become 'sending' with a lease (FOR UPDATE SKIP LOCKED on
   PostgreSQL, a conditional UPDATE on SQLite); a row not yet written gets its text and its
   tracking link now (services/composer.py); all committed BEFORE anything is sent;
3. transmit(): no database, only the network (SMTP or the SMS gateway);
4. record_sent() / record_failure(): the provider's id and sent_at, or a retry with
   exponential backoff, or the final 'failed' state with the last error.

At most once: a row is sent only by the worker that claimed it, and a row found 'sending'
after its lease is never sent again by the machine. The worker died between the provider
accepting the message and our commit, or before: we cannot tell which, and a second copy of
a response letter (or of an SMS) is worse than a delayed one. So it becomes 'failed' with an
"interrupted, check" error a person reads, and retries by hand if needed, unless the
provider's id was recorded, which proves the provider had it: then it is 'sent'.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from services import (
    audit,
    business_calendar,
    composer,
    documents,
    message_templates,
    permissions,
    roles,
    tracking_links,
    webhooks,
)
from services.clock import utcnow
from services.db import db
from services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from services.models import Complaint, Notification, User
from services.transports import (
    Attachment,
    DeliveryError,
    Mailer,
    MailSettings,
    PermanentError,
    SmsSettings,
    WebhookSettings,
    build_email,
    post_webhook,
    send_email,
    send_sms,
)

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
TO_POST = "to_post"
POSTED = "posted"
CANCELLED = "cancelled"
NONE = "none"  # nothing to deliver: the tracking page shows it, or it is given in person

# Channels a worker sends; "letter" goes to the post queue for staff.
SENT_BY_WORKER = composer.WORKER_CHANNELS
# Ways staff may send a failed message again.
OTHER_WAYS = ("email", "phone", "letter")
INTERRUPTED = (
    "Delivery interrupted: the worker stopped while sending, so the message may or may not "
    "have reached the recipient. Check with them before retrying."
)
_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class Settings:
    """The worker's settings, built by the caller from the app's configuration."""

    mail: MailSettings = field(default_factory=MailSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    # Far longer than any transport timeout, so a slow send is never taken for a dead worker.
    lease_seconds: float = 600.0
    max_attempts: int = 5
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0
    batch_size: int = 20
    # The Reply-To of an email about a complaint (a tagged address that routes the reply to
    # its case); None: the plain MAIL_REPLY_TO for every message.
    reply_to_for: Callable[[Complaint], str] | None = None


@dataclass(frozen=True)
class Claim:
    """What a worker needs to send one claimed row, read before any network call."""

    id: int
    token: str
    channel: str
    recipient: str
    subject: str
    text: str
    html: str
    attempts: int
    attachment: Attachment | None = None
    reply_to: str = ""
    problem: str = ""  # found while claiming (the letter's file is gone): not sent
    secret: str = ""  # a webhook's signing key (services/webhooks.py)


def initial_status(channel: str) -> str:
    """The status a new message starts in: queued for the worker, to_post, or none."""
    if channel in SENT_BY_WORKER:
        return QUEUED
    if channel == "letter":
        return TO_POST
    return NONE


def backoff(attempts: int, settings: Settings) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones: doubling, capped."""
    seconds = settings.backoff_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(settings.max_backoff_seconds, seconds))


def label(row: Notification) -> str:
    """What a message is called in the audit trail: its subject, or its kind until written."""
    return row.subject or row.kind


def reap_interrupted(now: datetime, settings: Settings) -> list[int]:
    """Rows left 'sending' past their lease: sent if the provider's id is known, else failed."""
    expired = now - timedelta(seconds=settings.lease_seconds)
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.status == SENDING, Notification.claimed_at < expired)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        if row.provider_message_id:
            row.status = SENT
            row.sent_at = row.sent_at or row.claimed_at
            continue
        row.status = FAILED
        row.last_error = INTERRUPTED
        if row.channel == webhooks.CHANNEL:
            continue  # a failed webhook emits no event (message.failed): nothing loops
        audit.record(
            row.complaint_id,
            "delivery_failed",
            summary=f"{label(row)} ({row.channel})",
            data={"notification": row.id, "error": INTERRUPTED},
        )
    db.session.flush()
    return [row.id for row in rows]


def claim(now: datetime, worker: str, settings: Settings) -> list[Claim]:
    """Mark due queued rows 'sending' under a fresh lease; the caller commits before sending."""
    token = f"{worker[:60]}/{uuid.uuid4().hex}"
    due = (
        select(Notification.id)
        .where(
            Notification.status == QUEUED,
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        )
        .order_by(Notification.id)
        .limit(settings.batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Two workers never wait on, nor take, the same rows: the rows stay locked by this
        # transaction until the caller commits the claim. (A separate SELECT: inside an
        # UPDATE's IN (…) the planner may run the locking subquery more than once.)
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if not ids:
        return []
    # The status test in the UPDATE itself makes the claim safe on SQLite too: a row another
    # worker took in between no longer matches.
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == QUEUED)
        .values(
            status=SENDING,
            claimed_at=now,
            claimed_by=token,
            attempts=Notification.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.claimed_by == token, Notification.status == SENDING)
        .order_by(Notification.id)
        .execution_options(populate_existing=True)
    ).all()
    sources: composer.Sources = {}  # one template lookup per kind and language
    return [_claim_of(row, token, settings, _write(row, now, sources)) for row in rows]


def _write(row: Notification, now: datetime, sources: composer.Sources) -> str:
    """Write a pending row's message (text, tracking link) in the claim; what went wrong."""
    if not composer.is_pending(row):
        return ""
    try:
        # A savepoint: a template that fails leaves no tracking link behind.
        with db.session.begin_nested():
            composer.write_pending(row, now=now, sources=sources)
    except SQLAlchemyError:
        raise  # the database, not the message: the round fails and is tried again
    except Exception as exc:  # noqa: BLE001 - a bad template fails its message, not the worker
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        return f"the message could not be written from its template: {message}"
    return ""


def _claim_of(row: Notification, token: str, settings: Settings, problem: str = "") -> Claim:
    reply_to = ""
    if settings.reply_to_for is not None and row.complaint_id is not None:
        complaint = db.session.get(Complaint, row.complaint_id)
        if complaint is not None:
            reply_to = settings.reply_to_for(complaint)
    secret = ""
    if row.channel == webhooks.CHANNEL:
        secret = webhooks.secret_of(row.id)
        problem = problem or ("" if secret else "the webhook subscription was deleted")
    attachment = None
    if row.document is not None and not problem:
        try:
            content = documents.path_of(row.document).read_bytes()
        except (OSError, NotFound) as exc:
            # Sending a letter without its PDF would look complete and is not.
            problem = f"the document {row.document.filename} cannot be read ({exc})"
        else:
            attachment = Attachment(row.document.filename, row.document.content_type, content)
    return Claim(
        id=row.id,
        token=token,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject,
        text=row.body,
        html=row.html_body or "",
        attempts=row.attempts,
        attachment=attachment,
        reply_to=reply_to,
        problem=problem,
        secret=secret,
    )


# The tracking link every message carries (services/tracking_links.url).
_TRACKING_LINK = re.compile(r"https?://\S+/track/[\w-]+")
SMS_LENGTH = 160


def sms_text(subject: str, body: str) -> str:
    """A short text: the subject and the tracking link, where the full message can be read.

    A letter does not fit in an SMS; the row keeps the full text, which the tracking page
    shows. Without a link (none in the template) the text itself, cut to three SMS.
    """
    link = _TRACKING_LINK.search(body)
    if link is None:
        return body if len(body) <= 3 * SMS_LENGTH else body[: 3 * SMS_LENGTH - 1] + "…"
    room = SMS_LENGTH - len(link.group()) - 1
    head = subject if len(subject) <= room else subject[: max(0, room - 1)] + "…"
    return f"{head} {link.group()}".strip()


def transmit(claim: Claim, settings: Settings, mailer: Mailer | None = None) -> str:
    """Send one claimed message (over `mailer`'s connection if given); the provider's id.

    Raises DeliveryError.
    """
    if claim.problem:
        raise PermanentError(claim.problem)
    if not claim.recipient:
        raise PermanentError(f"no {claim.channel} address on file")
    if claim.channel == "email":
        mail = settings.mail
        if claim.reply_to:
            mail = replace(mail, reply_to=claim.reply_to)
        message = build_email(
            mail,
            to=claim.recipient,
            subject=claim.subject,
            text=claim.text,
            html=claim.html,
            attachment=claim.attachment,
            id_hint=f"n{claim.id}",
        )
        if mailer is not None:
            return mailer.send(message)
        return send_email(mail, message)
    if claim.channel == "phone":
        return send_sms(settings.sms, to=claim.recipient, text=sms_text(claim.subject, claim.text))
    if claim.channel == webhooks.CHANNEL:
        return post_webhook(
            settings.webhook,
            url=claim.recipient,
            body=claim.text.encode(),
            secret=claim.secret,
            event_id=claim.subject.rpartition(" ")[2],
            now=int(utcnow().timestamp()),
        )
    raise PermanentError(f"no transport for channel {claim.channel!r}")


def record_sent(claim: Claim, provider_id: str, now: datetime) -> bool:
    """Record the provider's id and sent_at on the row this claim still holds."""
    # Also from 'failed': a send slower than the lease was reaped meanwhile, but it did go
    # out, and the row must say so lest someone retry it.
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == claim.id,
            Notification.claimed_by == claim.token,
            Notification.status.in_((SENDING, FAILED)),
        )
        .values(status=SENT, sent_at=now, provider_message_id=provider_id[:300], last_error="")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_failure(claim: Claim, error: DeliveryError, now: datetime, settings: Settings) -> str:
    """Queue the row again after a backoff, or fail it for good; the new status."""
    message = str(error)[:_ERROR_LENGTH] or type(error).__name__
    final = isinstance(error, PermanentError) or claim.attempts >= settings.max_attempts
    status = FAILED if final else QUEUED
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == claim.id,
            Notification.claimed_by == claim.token,
            Notification.status == SENDING,
        )
        .values(
            status=status,
            last_error=message,
            next_attempt_at=None if final else now + backoff(claim.attempts, settings),
        )
        .execution_options(synchronize_session=False)
    )
    # A failed webhook emits no event (message.failed): nothing loops.
    if final and result.rowcount and claim.channel != webhooks.CHANNEL:  # type: ignore[attr-defined]
        row = db.session.get(Notification, claim.id)
        if row is not None:
            audit.record(
                row.complaint_id,
                "delivery_failed",
                summary=f"{label(row)} ({row.channel})",
                data={"notification": row.id, "error": message},
            )
    db.session.flush()
    return status


# Staff side: the post queue, failed deliveries, retry, another way.


# The confidential focal point handles the messages of the confidential cases only they see.
HANDLER_ROLES = frozenset({roles.INTAKE_AGENT, roles.MANAGER, roles.CONFIDENTIAL_FOCAL_POINT})
# Emails to staff (a task assigned, the digest): managers and administrators deal with them.
STAFF_NOTICE_ROLES = frozenset({roles.MANAGER, roles.ADMINISTRATOR})


def may_handle(user: User) -> bool:
    """Intake agents and managers post letters and deal with failed deliveries."""
    return bool(user.active and user.role_names & HANDLER_ROLES)


def may_handle_staff_notices(user: User) -> bool:
    """Managers and administrators deal with the failed emails to staff."""
    return bool(user.active and user.role_names & STAFF_NOTICE_ROLES)


def may_see_failures(user: User) -> bool:
    """True when the user has failed deliveries of some sort to deal with."""
    return may_handle(user) or may_handle_staff_notices(user)


def require_handle(user: User) -> User:
    """The user if they may handle deliveries, else NotAllowed."""
    if not may_handle(user):
        raise NotAllowed("Only intake agents and managers handle deliveries.")
    return user


def _visible(user: User, status: str) -> list[Notification]:
    """Rows in `status` the user deals with: complainants' messages of complaints they see,
    and (managers, administrators) emails to staff, about a complaint they see or none."""
    complaint_seen = and_(
        Notification.complaint_id.is_not(None), permissions.visible_complaints_filter(user)
    )
    to_complainants = and_(Notification.user_id.is_(None), complaint_seen)
    to_staff = and_(
        Notification.user_id.is_not(None),
        or_(Notification.complaint_id.is_(None), complaint_seen),
    )
    shown = []
    if may_handle(user):
        shown.append(to_complainants)
    if may_handle_staff_notices(user):
        shown.append(to_staff)
    if not shown:
        return []
    query = (
        select(Notification)
        .outerjoin(Complaint, Complaint.id == Notification.complaint_id)
        .where(Notification.status == status, or_(*shown))
        .order_by(Notification.created_at, Notification.id)
    )
    return list(db.session.scalars(query))


def readable_caught(user: User, notification_ids: Iterable[int]) -> set[int]:
    """Among `notification_ids`, the messages the user may read whole in the demo's mail
    catcher: to complainants of complaints they may see (a confidential one's only with
    clearance), and the user's own staff emails; another person's (a password link, say)
    never."""
    ids = set(notification_ids)
    if not ids or not may_handle(user):
        return set()
    to_complainant = and_(
        Notification.user_id.is_(None),
        Notification.complaint_id.is_not(None),
        permissions.visible_complaints_filter(user),
    )
    query = (
        select(Notification.id)
        .outerjoin(Complaint, Complaint.id == Notification.complaint_id)
        .where(Notification.id.in_(ids), or_(to_complainant, Notification.user_id == user.id))
    )
    return set(db.session.scalars(query))


def post_queue(user: User) -> list[Notification]:
    """Letters waiting to be printed and posted, oldest first."""
    require_handle(user)
    return _visible(user, TO_POST)


def failed(user: User) -> list[Notification]:
    """Messages whose delivery failed for good, oldest first."""
    if not may_see_failures(user):
        raise NotAllowed("Only intake agents, managers and administrators see failed deliveries.")
    return _visible(user, FAILED)


def get_for(user: User, notification_id: int) -> Notification:
    """A message the user may see and handle, else NotFound or NotAllowed.

    A message to a complainant: its complaint must be visible to an intake agent or manager.
    An email to staff: for managers and administrators, unless about a complaint hidden
    from them.
    """
    row = db.session.get(Notification, notification_id)
    if row is not None and row.user_id is not None:
        if not may_handle_staff_notices(user):
            raise NotAllowed("Only managers and administrators handle emails to staff.")
        if row.complaint_id is not None:
            permissions.require_view_complaint(user, db.session.get(Complaint, row.complaint_id))
        return row
    require_handle(user)
    if row is None or row.complaint_id is None:
        raise NotFound("No such message.")
    complaint = db.session.get(Complaint, row.complaint_id)
    permissions.require_view_complaint(user, complaint)
    return row


def printable_text(row: Notification) -> str:
    """The text of a message's printable page: a letter to post as it goes out, with its
    tracking link (it is printed for the complainant); any other message as staff read it,
    its links without their token (tracking_links.redact: managers and administrators read
    other staff's emails too, whose password link would let them take over the account)."""
    if row.channel == "letter" and row.user_id is None:
        return row.body
    return tracking_links.redact(row.body)


def kind_label(row: Notification, language: str) -> str:
    """What a message not yet written is, for staff pages: its kind's description."""
    try:
        return message_templates.kind(row.kind).describe(language) or row.kind
    except NotFound:
        return row.kind


def mark_posted(
    notification_id: int, actor: User, posted_on: date | None = None, *, now: datetime | None = None
) -> Notification:
    """Record that a letter was printed and posted, on which day and by whom."""
    row = get_for(actor, notification_id)
    if row.status != TO_POST:
        raise InvalidInput("This letter is not waiting to be posted.")
    now = now or utcnow()
    today = business_calendar.local_today(now)  # the day as the organisation's clock says
    if posted_on is not None and posted_on > today:
        raise InvalidInput("The posting date cannot be in the future.")
    row.status = POSTED
    row.posted_at = (
        now
        if posted_on is None or posted_on == today
        else business_calendar.from_local(datetime.combine(posted_on, time(12)))
    )
    row.posted_by_id = actor.id
    row.sent_at = row.posted_at
    audit.record(
        row.complaint_id,
        "letter_posted",
        actor=actor,
        summary=label(row),
        data={"notification": row.id, "posted_on": posted_on or today},
    )
    db.session.flush()
    return row


def retry(notification_id: int, actor: User) -> Notification:
    """Send a failed message again the same way: back in the queue, attempts reset."""
    row = get_for(actor, notification_id)
    if row.status != FAILED:
        raise InvalidInput("Only a failed message can be retried.")
    row.status = initial_status(row.channel)
    row.attempts = 0
    row.next_attempt_at = None
    row.claimed_at = None
    row.claimed_by = ""
    audit.record(
        row.complaint_id,
        "delivery_retried",
        actor=actor,
        summary=f"{label(row)} ({row.channel})",
        data={"notification": row.id, "previous_error": row.last_error},
    )
    db.session.flush()
    return row


def resend(notification_id: int, channel: str, actor: User) -> Notification:
    """Send a failed message another way (email, SMS, post) to the address on file."""
    row = get_for(actor, notification_id)
    if row.status != FAILED:
        raise InvalidInput("Only a failed message can be sent another way.")
    if row.user_id is not None:
        raise InvalidInput("An email to staff can only be retried.")
    if channel not in OTHER_WAYS or channel == row.channel:
        raise InvalidInput("Choose another way to send it.")
    complaint = db.session.get(Complaint, row.complaint_id)
    if complaint is None:  # deleted meanwhile
        raise NotFound("No such message.")
    address = {
        "email": complaint.email,
        "phone": complaint.phone,
        "letter": complaint.postal_address,
    }[channel]
    if not address:
        raise InvalidInput("The complaint has no address on file for that way.")
    pending = composer.is_pending(row)
    copy = Notification(
        complaint_id=row.complaint_id,
        user_id=row.user_id,
        kind=row.kind,
        channel=channel,
        recipient=address,
        subject=row.subject,
        body=row.body,
        html_body=row.html_body if channel == "email" else "",
        # A message not written yet keeps its snapshot for whoever writes it.
        pending_values=row.pending_values if pending else None,
        language=row.language,
        document_id=row.document_id,
        status=initial_status(channel),
        replaces_id=row.id,
    )
    db.session.add(copy)
    if pending and channel not in SENT_BY_WORKER:
        composer.write_pending(copy)  # staff print a letter now: it needs its text
    row.status = CANCELLED
    db.session.flush()
    audit.record(
        row.complaint_id,
        "delivery_rerouted",
        actor=actor,
        summary=f"{label(row)} ({row.channel} → {channel})",
        data={"notification": row.id, "replacement": copy.id, "channel": channel},
    )
    return copy
