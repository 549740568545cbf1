"""Staff accounts: creation, passwords, API tokens, demo users."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from services.db import db
from services.errors import InvalidInput
from services.models import User, UserRole
from services.roles import ROLES


def create_user(
    username: str, name: str, password: str, roles: Iterable[str], email: str = ""
) -> User:
    """Add a staff member with the given roles."""
    roles = list(roles)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidInput(f"Unknown role(s): {', '.join(unknown)}.")
    if len(password) < 8:
        raise InvalidInput("A password needs at least 8 characters.")
    if db.session.scalar(db.select(User).where(User.username == username)) is not None:
        raise InvalidInput(f"The user name '{username}' is taken.")
    user = User(
        username=username,
        name=name,
        email=email,
        password_hash=generate_password_hash(password),
        roles=[UserRole(role=r) for r in roles],
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None.

    An unknown user name costs the same password hash as a known one, so the answer's
    timing does not tell which user names exist.
    """
    user = db.session.scalar(db.select(User).where(User.username == username))
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches:
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued to the user (sign-out, password change)."""
    user.session_version = (user.session_version or 0) + 1


def by_session_id(session_id: str) -> User | None:
    """The active user for a session id "user id:session version", if still current."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def by_username(username: str) -> User | None:
    """The user with this user name, active or not."""
    return db.session.scalar(db.select(User).where(User.username == username))


def issue_api_token(user: User) -> str:
    """A new API token for the user (shown once; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


def by_api_token(token: str) -> User | None:
    """The active user owning an API token."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    user = db.session.scalar(db.select(User).where(User.api_token_hash == digest))
    return user if user is not None and user.active else None


# One demo account per role; the password is printed by `flask seed-demo`.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("agent", "Awa Intake", ("intake_agent",)),
    ("supervisor", "Samuel Supervisor", ("supervisor",)),
    ("investigator", "Ines Investigator", ("complaint_manager",)),
    ("manager", "Marie Manager", ("manager",)),
    ("counsel", "Luc Legal", ("legal_counsel",)),
    ("focal", "Fatou Focal Point", ("confidential_focal_point",)),
    # A second focal point: confidential sign-offs and reviews need someone other than the handler.
    ("focal2", "Fanta Second Focal Point", ("confidential_focal_point",)),
    ("senior", "Serge Senior Manager", ("senior_management",)),
    ("police", "Paulette Police Liaison", ("police_liaison",)),
    ("owner", "Paul Process Owner", ("process_owner",)),
    ("analyst", "Quentin Quality", ("quality_analyst",)),
    ("admin", "Ada Admin", ("administrator",)),
)


def ensure_demo_users(password: str) -> list[User]:
    """Create the demo users that do not exist yet; returns the ones created."""
    created = []
    for username, name, roles in DEMO_USERS:
        if db.session.scalar(db.select(User).where(User.username == username)) is None:
            created.append(create_user(username, name, password, roles, f"{username}@example.org"))
    return created
