"""Webhook subscriptions: an administrator's list of integrator endpoints, and the events
they receive, queued in the messages' outbox (channel "webhook") for the delivery worker.

Enqueueing costs nothing when no active subscription wants an event: the audit rows a
transaction writes are noted after each flush (no SQL), and at commit the events are built
and queued only if a subscription in this process's cache asks for one of their types. The
cache is refreshed after a change in this process, and at most CACHE_SECONDS later in others.

A failed webhook emits no event (no message.failed): nothing can loop.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from time import monotonic
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services import events, sealing
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import AuditEvent, Notification, User, WebhookDelivery, WebhookSubscription
from services.transports import DeliveryError, TargetRefused, check_target

CHANNEL = "webhook"
URL_LENGTH = 300  # the outbox row's recipient column
DESCRIPTION_LENGTH = 300
CACHE_SECONDS = 30.0
_PENDING = "webhook_audit_ids"  # Session.info key: audit rows written in this transaction


@dataclass(frozen=True)
class Target:
    """A cached active subscription: enough to decide whether an event goes to it."""

    id: int
    url: str
    events: frozenset[str]


_CACHE: dict[Engine, tuple[float, list[Target]]] = {}


def invalidate() -> None:
    """Forget this process's cached subscriptions (after a change)."""
    _CACHE.pop(db.engine, None)


def active_targets() -> list[Target]:
    """The active subscriptions, from this process's cache (read again every CACHE_SECONDS)."""
    cached = _CACHE.get(db.engine)
    if cached is not None and monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    targets = [
        Target(row.id, row.url, frozenset(row.events.split()))
        for row in db.session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
        )
    ]
    _CACHE[db.engine] = (monotonic(), targets)
    return targets


# --- subscriptions ---------------------------------------------------------------------------


def subscriptions() -> list[WebhookSubscription]:
    """Every subscription, newest first."""
    return list(
        db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id.desc()))
    )


def get(subscription_id: int) -> WebhookSubscription:
    """A subscription, or NotFound."""
    row = db.session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFound("No such webhook.")
    return row


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


PUBLIC_ONLY = (
    "Webhooks go to public https addresses only (no loopback, private, link-local or reserved "
    "address)."
)

# What a person reads for each reason transports.check_target refuses an address.
_REFUSED = {
    "scheme": PUBLIC_ONLY,
    "private": PUBLIC_ONLY,
    "port": "The address's port must be a number from 1 to 65535.",
    "userinfo": "The address must not hold a user name or password: use the signing secret.",
}


def check_url(url: str, *, allow_private: bool) -> str:
    """The address if webhooks may go there, else InvalidInput on the url field."""
    url = url.strip()
    if not url:
        raise InvalidInput("Give the address.", details={"url": ["Give the address."]})
    if len(url) > URL_LENGTH:
        message = "The address is too long (300 characters at most)."
        raise InvalidInput(message, details={"url": [message]})
    try:
        check_target(url, allow_private=allow_private)
    except TargetRefused as exc:
        message = _REFUSED[exc.reason]
        raise InvalidInput(message, details={"url": [message]}) from exc
    except DeliveryError as exc:
        message = "The address's host name cannot be resolved."
        raise InvalidInput(message, details={"url": [message]}) from exc
    return url


def _event_types(types: Iterable[str]) -> str:
    chosen = [t for t in events.TYPES if t in set(types)]
    unknown = sorted(set(types) - set(events.TYPES))
    if unknown or not chosen:
        message = "Choose the events to send, among the known types."
        raise InvalidInput(message, details={"events": [message]})
    return " ".join(chosen)


def _description(value: str) -> str:
    value = value.strip()
    if len(value) > DESCRIPTION_LENGTH:
        message = "The description is too long (300 characters at most)."
        raise InvalidInput(message, details={"description": [message]})
    return value


def create(
    actor: User,
    *,
    url: str,
    types: Iterable[str],
    description: str = "",
    active: bool = True,
    allow_private: bool = False,
) -> WebhookSubscription:
    """Add a subscription with a fresh secret (InvalidInput for a refused address)."""
    row = WebhookSubscription(
        url=check_url(url, allow_private=allow_private),
        events=_event_types(types),
        description=_description(description),
        active=active,
        secret=new_secret(),
        created_by=actor,
    )
    db.session.add(row)
    db.session.flush()
    invalidate()
    return row


def update_subscription(
    row: WebhookSubscription,
    *,
    url: str | None = None,
    types: Iterable[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
    rotate_secret: bool = False,
    allow_private: bool = False,
) -> WebhookSubscription:
    """Change what is given; the address is checked again."""
    if url is not None:
        row.url = check_url(url, allow_private=allow_private)
    if types is not None:
        row.events = _event_types(types)
    if description is not None:
        row.description = _description(description)
    if active is not None:
        row.active = active
    if rotate_secret:
        row.secret = new_secret()
    row.updated_at = utcnow()
    db.session.flush()
    invalidate()
    return row


def delete(row: WebhookSubscription) -> None:
    """Remove a subscription and its log; what it still had queued is cancelled."""
    queued = select(WebhookDelivery.notification_id).where(
        WebhookDelivery.subscription_id == row.id
    )
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(queued), Notification.status == "queued")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    db.session.delete(row)
    db.session.flush()
    invalidate()


@dataclass(frozen=True)
class Delivery:
    """One line of a subscription's delivery log."""

    id: int
    event_id: str
    event_type: str
    created_at: datetime
    status: str
    attempts: int
    last_error: str
    response_code: int | None
    sent_at: datetime | None
    next_attempt_at: datetime | None


_CODE = re.compile(r"^HTTP (\d{3})")


def deliveries(row: WebhookSubscription, limit: int = 100) -> list[Delivery]:
    """The subscription's latest deliveries, newest first, with their outbox state."""
    found = db.session.execute(
        select(WebhookDelivery, Notification)
        .join(Notification, Notification.id == WebhookDelivery.notification_id)
        .where(WebhookDelivery.subscription_id == row.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()
    log = []
    for delivery, message in found:
        answer = _CODE.match(message.provider_message_id or "") or _CODE.match(message.last_error)
        log.append(
            Delivery(
                id=delivery.id,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                created_at=delivery.created_at,
                status=message.status,
                attempts=message.attempts,
                last_error=message.last_error,
                response_code=int(answer.group(1)) if answer else None,
                sent_at=message.sent_at,
                next_attempt_at=message.next_attempt_at,
            )
        )
    return log


def secret_of(notification_id: int) -> str:
    """The signing secret of the subscription a queued webhook belongs to ("" if deleted)."""
    sealed = db.session.scalar(
        select(WebhookSubscription.sealed_secret)
        .join(WebhookDelivery, WebhookDelivery.subscription_id == WebhookSubscription.id)
        .where(WebhookDelivery.notification_id == notification_id)
    )
    return sealing.unseal(sealed) if sealed else ""


# --- enqueueing ------------------------------------------------------------------------------


def body_of(item: events.Event) -> str:
    """The JSON body POSTed: {id, type, occurred_at, data}."""
    return json.dumps(item.as_json(), separators=(",", ":"), sort_keys=True)


def enqueue(audit_ids: Iterable[int], targets: list[Target]) -> list[WebhookDelivery]:
    """Queue the events of these audit rows to each subscription that wants them."""
    queued = []
    for item in events.of_rows(audit_ids):
        for target in targets:
            if item.type not in target.events:
                continue
            # No complaint on the row: failed webhooks stay out of the staff's outbox pages.
            message = Notification(
                complaint_id=None,
                user_id=None,
                kind=CHANNEL,
                channel=CHANNEL,
                recipient=target.url,
                subject=f"{item.type} {item.id}",
                body=body_of(item),
                status="queued",
            )
            delivery = WebhookDelivery(
                subscription_id=target.id,
                notification=message,
                event_id=item.id,
                event_type=item.type,
            )
            db.session.add_all([message, delivery])
            queued.append(delivery)
    return queued


def _note_audit_rows(session: Session, _context: Any) -> None:
    """After a flush: remember the new audit rows an event may come from (no SQL)."""
    found = [
        (obj.id, obj.kind)
        for obj in session.new
        if isinstance(obj, AuditEvent) and obj.kind in events.SOURCE_KINDS
    ]
    if found:
        session.info.setdefault(_PENDING, []).extend(found)


def _enqueue_before_commit(session: Session) -> None:
    """At commit: queue the transaction's events for the subscriptions that want them.

    Without a subscription wanting one of their kinds, no SQL at all (the cache aside).
    """
    found = session.info.pop(_PENDING, None)
    if not found:
        return
    targets = active_targets()
    kinds = {events.SOURCE[t] for target in targets for t in target.events}
    ids = {row_id for row_id, kind in found if kind in kinds}
    if ids:
        enqueue(ids, targets)


def _forget(session: Session, previous: Any = None) -> None:
    if previous is None or not previous.nested:
        session.info.pop(_PENDING, None)


def install(session_factory: Any) -> None:
    """Listen to the sessions' flushes and commits (once per factory)."""
    if sa_event.contains(session_factory, "after_flush", _note_audit_rows):
        return
    sa_event.listen(session_factory, "after_flush", _note_audit_rows)
    sa_event.listen(session_factory, "before_commit", _enqueue_before_commit)
    sa_event.listen(session_factory, "after_soft_rollback", _forget)
