"""One-time links to set a password: the invitation of a new user, and a password reset.

The link carries a random token; only its SHA-256 is stored (UserToken), with an expiry. A
link works once, and a newer link of the same kind replaces the older one. The email is an
outbox row (kinds staff_invitation, password_reset) that the delivery worker sends like every
staff email, in the user's language.

Asking for a reset on the sign-in page never tells whether the account exists: the answer
is the same, and only an active account with an email address gets a message. The page calls
request_reset once its answer is sent (app.auth), so the work a real account costs does not
make its answer slower.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from services import audit, composer, delivery, message_templates, users
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import Notification, User, UserToken

INVITE = "invite"
RESET = "reset"
LIFETIMES = {INVITE: timedelta(days=7), RESET: timedelta(hours=2)}
KINDS = {INVITE: "staff_invitation", RESET: "password_reset"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link(base_url: str, token: str) -> str:
    """The address of the page that sets the password with this token."""
    return f"{base_url.rstrip('/')}/auth/password/{token}"


def issue(user: User, purpose: str, by: User | None = None, now: datetime | None = None) -> str:
    """A new token for the user (older unused ones of this purpose stop working)."""
    now = as_utc(now) or utcnow()
    withdraw(user, purpose, now=now)
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
            created_by_id=by.id if by is not None else None,
        )
    )
    db.session.flush()
    return token


def withdraw(user: User, purpose: str | None = None, *, now: datetime | None = None) -> None:
    """Stop the user's unused links (of `purpose`, or all): a newer one replaces them, or
    they went to an email address the user no longer has."""
    query = db.update(UserToken).where(UserToken.user_id == user.id, UserToken.used_at.is_(None))
    if purpose is not None:
        query = query.where(UserToken.purpose == purpose)
    db.session.execute(query.values(used_at=as_utc(now) or utcnow()))


def find(token: str, now: datetime | None = None) -> UserToken | None:
    """The unused, unexpired token row of an active user, or None."""
    if not token or len(token) > 100:
        return None
    now = as_utc(now) or utcnow()
    row = db.session.scalar(db.select(UserToken).where(UserToken.token_hash == _digest(token)))
    if row is None or row.used_at is not None or (as_utc(row.expires_at) or now) <= now:
        return None
    return row if row.user.active else None


def use(token: str, password: str, now: datetime | None = None, *, breach_url: str = "") -> User:
    """Set the user's password with a link's token; the token is spent, other sessions end."""
    now = as_utc(now) or utcnow()
    row = find(token, now)
    if row is None:
        raise NotFound("This link has expired or was already used.")
    user = row.user
    users.check_password(password, username=user.username, email=user.email, breach_url=breach_url)
    users.set_password(user, password)
    row.used_at = now
    audit.record(
        None,
        "password_set",
        actor=user,
        message="Password set by %(username)s (invitation link)"
        if row.purpose == INVITE
        else "Password set by %(username)s (reset link)",
        params={"username": user.username},
        data={"user_id": user.id, "purpose": row.purpose},
    )
    db.session.flush()
    return user


def send(
    user: User,
    purpose: str,
    base_url: str,
    *,
    by: User | None = None,
    now: datetime | None = None,
) -> Notification:
    """Email the user a fresh link (invitation or reset); audited."""
    if not user.email:
        raise InvalidInput(
            "This user has no email address.",
            details={"email": ["Give an email address to send the link to."]},
        )
    now = as_utc(now) or utcnow()
    token = issue(user, purpose, by, now)
    language = message_templates.language_of(user.locale)
    values = {
        "user_name": user.name,
        "username": user.username,
        "link": link(base_url, token),
        "valid_until": message_templates.long_datetime(now + LIFETIMES[purpose], language),
    }
    row = Notification(
        complaint_id=None,
        user_id=user.id,
        kind=KINDS[purpose],
        channel="email",
        recipient=user.email,
        language=language,
        status=delivery.initial_status("email"),
    )
    composer.defer(row, values, None)
    db.session.add(row)
    kind = "user_invited" if purpose == INVITE else "password_reset_sent"
    audit.record(
        None,
        kind,
        actor=by,
        actor_label=None if by is not None else audit.SYSTEM,
        message="Invitation sent to %(username)s (%(email)s)"
        if purpose == INVITE
        else "Password reset link sent to %(username)s (%(email)s)",
        params={"username": user.username, "email": user.email},
        data={"user_id": user.id, "email": user.email},
    )
    db.session.flush()
    return row


def request_reset(identifier: str, base_url: str, now: datetime | None = None) -> None:
    """Send a reset link to the active account with this user name or email, if any.

    Says nothing either way (the page answers the same), so it cannot be used to find out
    which accounts exist.
    """
    identifier = (identifier or "").strip()
    if not identifier or len(identifier) > 254:
        return
    user = db.session.scalar(
        db.select(User)
        .where(
            db.or_(
                db.func.lower(User.username) == identifier.lower(),
                db.func.lower(User.email) == identifier.lower(),
            ),
            User.active.is_(True),
        )
        .order_by(User.id)
        .limit(1)
    )
    if user is None or not user.email:
        return
    send(user, RESET, base_url, now=now)
