"""Staff accounts: creation, passwords, API tokens, demo users.

Passwords follow NIST SP 800-63B: at least 12 characters (up to 128), no composition
rules, and not the user name, the email address or a password from the shipped list of
common ones (common_passwords.txt). Optionally (off unless PWNED_PASSWORDS_URL is set), not a
password known from data breaches, asked with k-anonymity: only the first five characters of
its SHA-1 leave the server (the "Pwned Passwords" range API).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from services import api_tokens
from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import User, UserRole
from services.roles import keys as role_keys

MIN_PASSWORD = 12
MAX_PASSWORD = 128
BREACHED = "This password appeared in a data breach; choose another."
# Werkzeug's hash method for new passwords (PASSWORD_HASH_METHOD): scrypt with N = 2^13,
# r = 8, p = 10 in production, the strength OWASP lists as equal to Werkzeug's default
# (N = 2^15, p = 1) with 8 MiB of scratch memory instead of 32: a sign-in no longer lifts a web
# worker 32 MiB above its size. The tests choose a cheap one. A stored hash names its own
# method, so a password hashed with another method (the former default) still verifies.
DEFAULT_HASH_METHOD = "scrypt:8192:8:10"
_hash_method = DEFAULT_HASH_METHOD
logger = logging.getLogger(__name__)


def configure(hash_method: str) -> None:
    """Take PASSWORD_HASH_METHOD ("scrypt:8192:8:10", "pbkdf2:sha256:600000", …) from the
    config."""
    global _hash_method
    if hash_method.partition(":")[0] not in ("scrypt", "pbkdf2"):
        raise ValueError(f"Unknown password hash method {hash_method!r}: use scrypt or pbkdf2.")
    _hash_method = hash_method


def hash_password(password: str) -> str:
    """The password's salted hash with the configured method."""
    return generate_password_hash(password, method=_hash_method)


@functools.cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """Why a new password is refused (an English sentence), or None when it is fine."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters; a few words in a row are easy to remember."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    folded = password.casefold().strip()
    personal = {v.casefold() for v in (username, email, email.partition("@")[0]) if v}
    if folded in personal or (len(username) >= 4 and username.casefold() in folded):
        return "Do not use your user name or email address in your password."
    if folded in _common_passwords() or len(set(folded)) < 4:
        return "This password is too common; choose another."
    return None


def breached(password: str, range_url: str, timeout: float = 3.0) -> bool | None:
    """True when the range API at `range_url` knows the password from a breach; None when it
    cannot be asked (the check is advisory: an unreachable service does not block anyone)."""
    digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
    prefix, suffix = digest[:5], digest[5:]
    request = urllib.request.Request(  # noqa: S310 - the URL comes from the operator's settings
        f"{range_url.rstrip('/')}/{prefix}", headers={"Add-Padding": "true"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(2_000_000).decode("ascii", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("breached-password check unavailable: %s", exc)
        return None
    for line in body.splitlines():
        found, _, count = line.strip().partition(":")
        if found.upper() == suffix and count.strip() not in ("", "0"):
            return True
    return False


def check_password(
    password: str, *, username: str = "", email: str = "", breach_url: str = ""
) -> None:
    """InvalidInput (on field `password`) when the password does not follow the rules; with
    `breach_url` (the range API's address), also when it is known from a data breach."""
    problem = password_problem(password, username=username, email=email)
    if problem is None and breach_url and breached(password, breach_url):
        problem = BREACHED
    if problem:
        raise InvalidInput(problem, details={"password": [problem]})


def create_user(
    username: str,
    name: str,
    password: str,
    roles: Iterable[str],
    email: str = "",
    *,
    breach_url: str = "",
) -> User:
    """Add a staff member with the given roles."""
    roles = list(roles)
    unknown = sorted(set(roles) - role_keys(fresh=True))
    if unknown:
        raise InvalidInput(f"Unknown role(s): {', '.join(unknown)}.")
    check_password(password, username=username, email=email, breach_url=breach_url)
    if db.session.scalar(db.select(User).where(User.username == username)) is not None:
        raise InvalidInput("Taken.", details={"username": ["Another user has this user name."]})
    user = User(
        username=username,
        name=name,
        email=email,
        password_hash=hash_password(password),
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
    stored = user.password_hash if user is not None else _dummy_hash(_hash_method)
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches or user.service_account:
        return None
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued to the user (sign-out, password change)."""
    user.session_version = (user.session_version or 0) + 1


def by_session_id(session_id: str) -> User | None:
    """The active user for a session id "user id:session version", if still current."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    # Every signed-in request runs this: one SELECT with the roles joined.
    user = db.session.get(User, int(user_id), options=[joinedload(User.roles)])
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def set_phone(user: User, phone: str) -> None:
    """Record the telephone number the response letters the user drafts give complainants."""
    user.phone = phone.strip()[:50]  # the column's size; the form refuses longer
    db.session.flush()


def by_username(username: str) -> User | None:
    """The user with this user name, active or not."""
    return db.session.scalar(db.select(User).where(User.username == username))


def issue_api_token(user: User, name: str = "cli") -> str:
    """A new API token for the user with every scope their roles allow, replacing their token
    of the same name (shown once; only its hash is kept). See services.api_tokens."""
    return api_tokens.issue(user, name)


def create_service_account(username: str, name: str, roles: Iterable[str]) -> User:
    """A program's account: the given roles, API tokens only, no password that can sign in."""
    user = create_user(username, name, secrets.token_urlsafe(24) + "!Aa1", roles)
    user.password_hash = unusable_password()
    user.service_account = True
    db.session.flush()
    return user


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


# --- administration (issue 12): the administrator's user management ---------------------------


def set_password(user: User, password: str) -> None:
    """Store a new password (already checked) and end the user's other sessions."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def unusable_password() -> str:
    """A hash no password matches: an invited user has none until they follow the link."""
    return hash_password(secrets.token_urlsafe(32))


def search(text: str = "", role: str = "", active: bool | None = None) -> list[User]:
    """Users matching a name, user name or email fragment, a role and a status, by name."""
    query = db.select(User)
    if text:
        pattern = f"%{text.strip().lower()}%"
        query = query.where(
            db.or_(
                db.func.lower(User.name).like(pattern),
                db.func.lower(User.username).like(pattern),
                db.func.lower(User.email).like(pattern),
            )
        )
    if role:
        query = query.where(User.roles.any(UserRole.role == role))
    if active is not None:
        query = query.where(User.active.is_(active))
    return list(db.session.scalars(query.order_by(User.name, User.id)))


def get(user_id: int) -> User:
    """A user by id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def choices() -> list[tuple[int, str]]:
    """Active users as (id, "name (user name)"), for team membership."""
    rows = db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.name))
    return [(u.id, f"{u.name} ({u.username})") for u in rows]


def _check_email(email: str, exclude: int | None = None) -> str:
    email = (email or "").strip()
    if not email:
        return email
    query = db.select(User.id).where(db.func.lower(User.email) == email.lower())
    if exclude is not None:
        query = query.where(User.id != exclude)
    if db.session.scalar(query.limit(1)) is not None:
        raise InvalidInput("Taken.", details={"email": ["Another user has this email address."]})
    return email


def _snapshot(user: User) -> dict[str, object]:
    from services import departments

    return {
        "name": user.name,
        "email": user.email,
        "roles": sorted(user.role_names),
        "confidential_clearance": bool(user.confidential_clearance),
        "teams": sorted(departments.team_ids_of(user)),
        "active": user.active,
    }


def add_user(
    actor: User,
    *,
    username: str,
    name: str,
    email: str,
    roles: Iterable[str],
    clearance: bool = False,
    team_ids: Iterable[int] = (),
    password: str | None = None,
    breach_url: str = "",
) -> User:
    """An administrator adds a user: with a password, or none yet (to invite them); audited."""
    from services import audit, departments

    departments.require_administers(actor)
    email = _check_email(email)
    if password is None:
        if not email:
            raise InvalidInput(
                "No email.", details={"email": ["Give an email address to send the invitation to."]}
            )
        user = create_user(username, name, secrets.token_urlsafe(24), roles, email)
        user.password_hash = unusable_password()
    else:
        user = create_user(username, name, password, roles, email, breach_url=breach_url)
    user.confidential_clearance = clearance
    departments.set_user_teams(user, team_ids)
    db.session.flush()
    audit.record(
        None,
        "user_created",
        actor=actor,
        message="User created: %(username)s (%(name)s)",
        params={"username": user.username, "name": user.name},
        data={"user_id": user.id, "username": user.username, **_snapshot(user)},
    )
    return user


def update_user(
    actor: User,
    user_id: int,
    *,
    name: str,
    email: str,
    roles: Iterable[str],
    clearance: bool,
    team_ids: Iterable[int],
) -> User:
    """An administrator changes a user's name, email, roles, clearance and teams; audited.
    A new email address withdraws the password links sent to the old one."""
    from services import audit, departments, invitations
    from services.roles import ADMINISTRATOR

    departments.require_administers(actor)
    user = get(user_id)
    roles = set(roles)
    unknown = sorted(roles - role_keys(fresh=True))
    if unknown:
        raise InvalidInput("Unknown role.", details={"roles": ["Not a valid choice."]})
    if user.id == actor.id and ADMINISTRATOR not in roles:
        raise InvalidInput(
            "Own role.", details={"roles": ["You cannot remove your own administrator role."]}
        )
    before = _snapshot(user)
    user.name = name.strip() or user.name
    user.email = _check_email(email, exclude=user.id)
    current = {r.role: r for r in user.roles}
    for role in set(current) - roles:
        user.roles.remove(current[role])
    for role in sorted(roles - set(current)):
        user.roles.append(UserRole(role=role))
    user.confidential_clearance = clearance
    departments.set_user_teams(user, team_ids)
    db.session.flush()
    after = _snapshot(user)
    if (
        before["roles"] != after["roles"]
        or before["confidential_clearance"] != after["confidential_clearance"]
    ):
        end_sessions(user)  # fewer rights take effect now, not at their next sign-in
    if (before["email"] or "").casefold() != (after["email"] or "").casefold():
        # A password link sent to the old address must not outlive the change of address.
        invitations.withdraw(user)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit.record(
        None,
        "user_changed",
        actor=actor,
        message="User changed: %(username)s (%(fields)s)",
        params={"username": user.username, "fields": list(changed)},
        data={"user_id": user.id, "changes": changed},
    )
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate a user (they cannot sign in, their sessions end) or reactivate; audited."""
    from services import audit, departments

    departments.require_administers(actor)
    user = get(user_id)
    if user.id == actor.id and not active:
        raise InvalidInput("Yourself.", details={"active": ["You cannot deactivate yourself."]})
    user.active = active
    if not active:
        end_sessions(user)
        api_tokens.revoke_all(user)  # a program using their tokens stops too
    db.session.flush()
    kind = "user_reactivated" if active else "user_deactivated"
    audit.record(
        None,
        kind,
        actor=actor,
        message="User reactivated: %(username)s" if active else "User deactivated: %(username)s",
        params={"username": user.username},
        data={"user_id": user.id},
    )
    return user


def history(user_id: int | None = None) -> list[object]:
    """Audit events about users (one user's, or all), newest first, at most 50."""
    from services.models import AuditEvent

    kinds = (
        "user_created",
        "user_changed",
        "user_deactivated",
        "user_reactivated",
        "user_invited",
        "password_reset_sent",
        "password_set",
    )
    query = db.select(AuditEvent).where(
        AuditEvent.kind.in_(kinds), AuditEvent.complaint_id.is_(None)
    )
    if user_id is not None:
        query = query.where(AuditEvent.data["user_id"].as_integer() == user_id)
    return list(
        db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(50))
    )
