"""Tracking links: each message carries a fresh one; only the SHA-256 of a token is stored.

The filing token stays on the complaint (Complaint.tracking_token_hash); every later link is a
tracking_token row, and any of them opens the complaint's page.
"""

from __future__ import annotations

import hashlib
import secrets

from services.clock import as_utc, utcnow
from services.db import db
from services.models import Complaint, TrackingToken

# The public address of this site, set by the application at start (PUBLIC_BASE_URL).
_settings = {"base_url": "http://localhost:5000"}


def configure(base_url: str) -> None:
    """Set the address links are built on (no trailing slash needed)."""
    _settings["base_url"] = base_url.rstrip("/")


def hash_token(token: str) -> str:
    """The stored form of a tracking token."""
    return hashlib.sha256(token.encode()).hexdigest()


def url(token: str) -> str:
    """The absolute address of the tracking page a token opens."""
    return f"{_settings['base_url']}/track/{token}"


def issue(complaint: Complaint, purpose: str) -> str:
    """A new token for the complaint's tracking page (returned once, stored as a hash)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        TrackingToken(
            complaint_id=complaint.id,
            token_hash=hash_token(token),
            purpose=purpose,
            created_at=utcnow(),
        )
    )
    return token


def find(token: str) -> Complaint | None:
    """The complaint a token opens: its filing token or any unexpired issued one."""
    digest = hash_token(token)
    complaint = db.session.scalar(
        db.select(Complaint).where(Complaint.tracking_token_hash == digest)
    )
    if complaint is not None:
        return complaint
    row = db.session.scalar(db.select(TrackingToken).where(TrackingToken.token_hash == digest))
    if row is None:
        return None
    expires = as_utc(row.expires_at)
    if expires is not None and expires <= utcnow():
        return None
    return db.session.get(Complaint, row.complaint_id)
