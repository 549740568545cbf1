"""Tracking links: each message carries a fresh one; only the SHA-256 of a token is stored.

The filing token stays on the complaint (Complaint.tracking_token_hash) and does not expire:
it was shown once, on the confirmation page, to the complainant alone. Every later link is a
tracking_token row, minted when its message is written, that expires after
TRACKING_LINK_DAYS (90 by default), or at the end of the appeal window the message quotes
if that is later: a link in an email may be forwarded or found in an old mailbox long after
the case, while the complainant can always ask for a fresh one ("send me my link again").
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.clock import as_utc, utcnow
from services.db import db
from services.models import Complaint, TrackingToken

DEFAULT_DAYS = 90
# The token of a secret link in a text: a complainant's tracking or survey link (url()
# writes them), a staff member's password link (services.invitations.link).
_LINK_TOKEN = re.compile(r"(/(?:track|survey|auth/password)/)[\w-]+")
# What staff read in its place.
HIDDEN = "…"


@dataclass
class _Settings:
    """Set by the application at start: the public address of this site (PUBLIC_BASE_URL)
    and how long a link sent in a message stays valid (TRACKING_LINK_DAYS)."""

    base_url: str = "http://localhost:5000"
    lifetime: timedelta = timedelta(days=DEFAULT_DAYS)


_settings = _Settings()


def configure(base_url: str, days: float = DEFAULT_DAYS) -> None:
    """Set the address links are built on (no trailing slash needed) and their lifetime."""
    _settings.base_url = base_url.rstrip("/")
    _settings.lifetime = timedelta(days=days)


def lifetime() -> timedelta:
    """How long a link sent in a message stays valid."""
    return _settings.lifetime


def hash_token(token: str) -> str:
    """The stored form of a tracking token."""
    return hashlib.sha256(token.encode()).hexdigest()


def url(token: str) -> str:
    """The absolute address of the tracking page a token opens."""
    return f"{_settings.base_url}/track/{token}"


def redact(text: str | None) -> str:
    """A sent message's text as staff read it (the API, the case file, printable pages, the
    demo's caught mail), or a request line as the logs keep it: each secret link keeps its
    address but not its token (`…/track/…`).

    The token is the complainant's key to their tracking page, where they answer and ask for
    a review in their own name, or a staff member's key to set their password: only its hash
    is stored, and nobody but the recipient of the message may read it. The message itself
    (what was sent, the complainant's tracking page) keeps its working link; a letter to post
    is printed with it (services.delivery.printable).
    """
    return _LINK_TOKEN.sub(lambda found: found.group(1) + HIDDEN, text or "")


def expiry(now: datetime, until: datetime | None = None) -> datetime:
    """When a link minted at `now` expires: after the lifetime, never before `until`."""
    expires = now + lifetime()
    until = as_utc(until)
    return max(expires, until) if until is not None else expires


def issue(
    complaint: Complaint,
    purpose: str,
    *,
    now: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """A new token for the complaint's tracking page (returned once, stored as a hash).

    `until`: the link must work at least until then (the end of the appeal window that the
    message quotes).
    """
    now = as_utc(now) or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(
        TrackingToken(
            complaint_id=complaint.id,
            token_hash=hash_token(token),
            purpose=purpose,
            created_at=now,
            expires_at=expiry(now, until),
        )
    )
    return token


@dataclass(frozen=True)
class Lookup:
    """What a token opens: the complaint, or nothing; `expired` when it was ours but is old."""

    complaint: Complaint | None
    expired: bool = False


def lookup(token: str, now: datetime | None = None) -> Lookup:
    """The complaint a token opens (its filing token or an unexpired issued one)."""
    digest = hash_token(token)
    complaint = db.session.scalar(
        db.select(Complaint).where(Complaint.tracking_token_hash == digest)
    )
    if complaint is not None:
        return Lookup(complaint)
    row = db.session.scalar(db.select(TrackingToken).where(TrackingToken.token_hash == digest))
    if row is None:
        return Lookup(None)
    expires = as_utc(row.expires_at)
    if expires is not None and expires <= (as_utc(now) or utcnow()):
        return Lookup(None, expired=True)
    return Lookup(db.session.get(Complaint, row.complaint_id))


def find(token: str) -> Complaint | None:
    """The complaint a token opens, or None (unknown or expired)."""
    return lookup(token).complaint
