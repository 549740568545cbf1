"""API tokens: several named tokens per user, each with scopes and an optional expiry.

Only a SHA-256 hash of a token is stored, with its first characters (the prefix) so that its
owner can tell tokens apart; the secret is shown once, when it is created. A token's scopes
narrow what its user may do through the API and never widen it: the roles still decide, and
the admin scope works only for users whose roles administer something (the organisation or
the procedure). Service accounts are users that never sign in with a password; an
administrator creates their tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from forms.text import N_
from services import audit, roles
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import ApiToken, User

READ, TASKS, INTAKE, ADMIN = "read", "tasks", "intake", "admin"
# The scopes a token may carry; an API operation names the one it needs.
SCOPES: tuple[str, ...] = (READ, TASKS, INTAKE, ADMIN)
# Roles whose holders may be given the admin scope: they administer the organisation (users,
# service accounts, webhooks) or the procedure (deploying process versions).
ADMIN_ROLES = frozenset({roles.ADMINISTRATOR, roles.PROCESS_OWNER})
MAX_NAME = 80
MAX_DAYS = 3650
PREFIX_LENGTH = 10  # "cf_" and 7 characters of the secret
SECRET_PREFIX = "cf_"  # noqa: S105 - a marker (secret scanners find it), not a secret
# last_used_at is written at most this often per token, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=1)
CLI_NAME = "cli"


@dataclass(frozen=True)
class Authenticated:
    """Who a request's token belongs to, which token it is and what it may do now."""

    user: User
    token: ApiToken
    scopes: frozenset[str]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def allowed_scopes(user: User) -> tuple[str, ...]:
    """The scopes a token of this user may carry (admin only with an administering role)."""
    if user.role_names & ADMIN_ROLES:
        return SCOPES
    return tuple(s for s in SCOPES if s != ADMIN)


def may_manage_others(user: User) -> bool:
    """Administrators list and revoke anyone's tokens and create service accounts' tokens."""
    return user.active and user.has_role(roles.ADMINISTRATOR)


def create(
    actor: User,
    owner: User,
    name: str,
    scopes: Iterable[str],
    *,
    expires_at: datetime | None = None,
    via: Authenticated | None = None,
    expiry_field: str = "expires_at",
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token of `owner`, created by `actor`; returns it and its secret (shown once).

    One creates one's own tokens; an administrator also creates a service account's. `via`
    is the token the request came with (the API; None on the account page): a token never
    mints a stronger one nor one that outlives it, so its scopes bound the new token's, and
    the new token expires at the latest when it does (without an expiry, then). InvalidInput
    names the field: name (empty, too long, taken), scopes (none, unknown, beyond the owner's
    roles or `via`'s), `expiry_field` (not in the future, after `via` expires).
    """
    now = now or utcnow()
    not_after = as_utc(via.token.expires_at) if via is not None else None
    if owner.id != actor.id and not (may_manage_others(actor) and owner.service_account):
        raise NotAllowed("Only an administrator creates tokens for a service account.")
    if not owner.active:
        raise InvalidInput("This account is deactivated.")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = [N_("Give a name of 1 to %(most)d characters.", most=MAX_NAME)]
    elif db.session.scalar(
        db.select(ApiToken.id).where(ApiToken.user_id == owner.id, ApiToken.name == name)
    ):
        errors["name"] = [N_("A token of this account already has this name.")]
    chosen = list(dict.fromkeys(scopes))
    allowed = set(allowed_scopes(owner))
    if via is not None:
        allowed &= set(via.scopes)
    if not chosen:
        errors["scopes"] = [N_("Choose at least one scope.")]
    elif set(chosen) - set(SCOPES):
        errors["scopes"] = [N_("Choose among: %(values)s.", values=", ".join(SCOPES))]
    elif set(chosen) - allowed:
        errors["scopes"] = [
            N_("This token may only carry: %(scopes)s.", scopes=", ".join(sorted(allowed)))
        ]
    expires_at = as_utc(expires_at)
    if expires_at is None:
        expires_at = not_after
    if expires_at is not None and expires_at <= now:
        errors[expiry_field] = [N_("Give a time in the future.")]
    elif not_after is not None and expires_at is not None and expires_at > not_after:
        errors[expiry_field] = [N_("A token cannot outlive the token that creates it.")]
    if errors:
        raise InvalidInput("Please correct the token's details.", details=errors)
    token, secret = _new(owner, name, chosen, expires_at, actor, now)
    if via is not None:
        token.parent_id = via.token.id  # revoked with it (ON DELETE CASCADE)
    audit.record(
        None,
        "api_token_created",
        actor=actor,
        summary=f"API token created: {owner.username} / {name}",
        data={"user_id": owner.id, "token_id": token.id, "name": name, "scopes": chosen},
    )
    return token, secret


def _new(
    owner: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None,
    actor: User | None,
    now: datetime,
) -> tuple[ApiToken, str]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    ordered = [s for s in SCOPES if s in set(scopes)]
    token = ApiToken(
        user=owner,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=_digest(secret),
        scopes=" ".join(ordered),
        created_at=now,
        created_by=actor,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def issue(
    user: User,
    name: str = CLI_NAME,
    scopes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A token issued by the operator (`flask issue-token`), replacing the user's token of the
    same name; without scopes, every scope the user's roles allow. Returns the secret."""
    chosen = list(scopes) if scopes is not None else list(allowed_scopes(user))
    unknown = set(chosen) - set(allowed_scopes(user))
    if not chosen or unknown:
        raise InvalidInput(f"Choose among: {', '.join(allowed_scopes(user))}.")
    previous = db.session.scalar(
        db.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name)
    )
    if previous is not None:
        db.session.delete(previous)
        db.session.flush()
    _, secret = _new(user, name, chosen, as_utc(expires_at), None, utcnow())
    return secret


def owned(user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(
        db.session.scalars(
            db.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(actor: User, token_id: int) -> ApiToken:
    """Delete a token: one's own, or anyone's for an administrator; NotFound otherwise.
    The tokens it minted through the API go with it, down the chain (ON DELETE CASCADE)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not may_manage_others(actor)):
        raise NotFound("No such API token.")
    audit.record(
        None,
        "api_token_revoked",
        actor=actor,
        summary=f"API token revoked: {token.user.username} / {token.name}",
        data={
            "user_id": token.user_id,
            "token_id": token.id,
            "name": token.name,
            "minted": minted(token.id),
        },
    )
    db.session.delete(token)
    db.session.flush()  # the database deletes its chain (only ids of it were read)
    return token


def minted(token_id: int) -> list[int]:
    """The ids of the tokens minted, directly or down the chain, by the token `token_id`."""
    found: list[int] = []
    frontier = [token_id]
    while frontier:
        frontier = list(
            db.session.scalars(db.select(ApiToken.id).where(ApiToken.parent_id.in_(frontier)))
        )
        found += frontier
    return found


def revoke_all(user: User) -> None:
    """Delete every token of the user (a deactivated account: its programs stop too)."""
    db.session.execute(db.delete(ApiToken).where(ApiToken.user_id == user.id))


def authenticate(secret: str, now: datetime | None = None) -> Authenticated | None:
    """The active user a token belongs to, the token and its scopes now; None when the token
    is unknown, expired or its user deactivated. Scopes the user's roles no longer allow
    are dropped. Records the time of use, at most once a minute (the caller commits)."""
    if not secret or len(secret) > 200:
        return None
    now = now or utcnow()
    # One round trip per API request: the token, its user and the user's roles.
    token = (
        db.session.scalars(_token_select(), {"token_hash": _digest(secret)}).unique().one_or_none()
    )
    if token is None or not token.user.active:
        return None
    expires_at = as_utc(token.expires_at)
    if expires_at is not None and expires_at <= now:
        return None
    last_used = as_utc(token.last_used_at)
    if last_used is None or now - last_used >= TOUCH_EVERY:
        token.last_used_at = now
    scopes = frozenset(token.scope_names) & frozenset(allowed_scopes(token.user))
    return Authenticated(token.user, token, scopes)


@cache
def _token_select() -> Any:
    # Built once, not per request: building it and its cache key was 1.6% of a completion.
    return (
        db.select(ApiToken)
        .options(joinedload(ApiToken.user).joinedload(User.roles))
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


def expiry(days: int | None, now: datetime | None = None) -> datetime | None:
    """The expiry `days` days from now (None: never); InvalidInput beyond the bounds."""
    if days is None:
        return None
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            "Please correct the token's details.",
            details={"expires_in_days": [f"Give a number of days from 1 to {MAX_DAYS}."]},
        )
    return (now or utcnow()) + timedelta(days=days)


def service_accounts() -> list[User]:
    """The service accounts, by user name."""
    return list(
        db.session.scalars(
            db.select(User).where(User.service_account.is_(True)).order_by(User.username)
        )
    )
