"""The staff roles: a list an administrator manages (the role table).

Each role has a key (what user_role and a diagram's lanes name), a name in English and in
French, a lane flag (it handles cases: it may be a lane of the procedure, and its holders
have an inbox and read complaints) and a confidential clearance flag (its holders see
confidential complaints). The roles the code names below are built in: never deleted, their
key and lane flag never changed, and the confidential focal point always keeps clearance.

Clearance and the lane flag are read with the signed-in user (UserRole.definition, joined
into the SELECT that loads the user's roles), never from a per-process cache: a change must
hold at once in every process. Names and the lists of keys come from a cache per database and
process that a write here drops and that is re-read after CACHE_SECONDS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from time import monotonic
from typing import Any

from sqlalchemy import Select, event, func, select
from sqlalchemy.orm import Session

from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import ProcessVersion, Role, Task, User, UserRole

INTAKE_AGENT = "intake_agent"
SUPERVISOR = "supervisor"
COMPLAINT_MANAGER = "complaint_manager"
MANAGER = "manager"
LEGAL_COUNSEL = "legal_counsel"
CONFIDENTIAL_FOCAL_POINT = "confidential_focal_point"
SENIOR_MANAGEMENT = "senior_management"
# Refers escalated cases to the police and records their answer (not a police officer).
POLICE_LIAISON = "police_liaison"
PROCESS_OWNER = "process_owner"
QUALITY_ANALYST = "quality_analyst"
ADMINISTRATOR = "administrator"

# The roles the migration seeds, in the order lists show them (others follow by name).
ROLES: tuple[str, ...] = (
    INTAKE_AGENT,
    SUPERVISOR,
    COMPLAINT_MANAGER,
    MANAGER,
    LEGAL_COUNSEL,
    CONFIDENTIAL_FOCAL_POINT,
    SENIOR_MANAGEMENT,
    POLICE_LIAISON,
    PROCESS_OWNER,
    QUALITY_ANALYST,
    ADMINISTRATOR,
)

# Roles the code names (permissions, reports, intake, the procedure editor, administration).
BUILT_IN: frozenset[str] = frozenset(
    {
        INTAKE_AGENT,
        MANAGER,
        CONFIDENTIAL_FOCAL_POINT,
        SENIOR_MANAGEMENT,
        PROCESS_OWNER,
        QUALITY_ANALYST,
        ADMINISTRATOR,
    }
)

# Read complaints without handling cases.
NON_LANE_READERS: frozenset[str] = frozenset({QUALITY_ANALYST, ADMINISTRATOR})

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class RoleInfo:
    """A role as lists and labels need it (a cached copy of its row)."""

    key: str
    name_en: str
    name_fr: str
    description: str
    handles_cases: bool
    confidential_clearance: bool
    built_in: bool

    def name_in(self, language: str) -> str:
        """The role's name in `language` (French or English)."""
        return self.name_fr if language == "fr" and self.name_fr else self.name_en


# --- reading ----------------------------------------------------------------------------------


def _order(role: Role | RoleInfo) -> tuple[int, str]:
    return (ROLES.index(role.key) if role.key in ROLES else len(ROLES), role.name_en.lower())


def all_roles() -> list[Role]:
    """Every role row, the seeded ones first in their usual order, then by English name."""
    return sorted(db.session.scalars(select(Role)), key=_order)


_CACHE: dict[str, tuple[float, tuple[RoleInfo, ...]]] = {}


def definitions() -> tuple[RoleInfo, ...]:
    """Every role (cached per database and process; see the module's docstring)."""
    key = str(db.engine.url)
    cached = _CACHE.get(key)
    if cached is not None and monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    found = tuple(
        RoleInfo(
            r.key,
            r.name_en,
            r.name_fr,
            r.description or "",
            bool(r.handles_cases),
            bool(r.confidential_clearance),
            bool(r.built_in),
        )
        for r in all_roles()
    )
    _CACHE[key] = (monotonic(), found)
    return found


def invalidate() -> None:
    """Forget this process's cached roles."""
    _CACHE.clear()


@event.listens_for(Session, "after_flush")
def _forget(session: Session, _context: Any) -> None:
    if any(isinstance(o, Role) for o in (*session.new, *session.dirty, *session.deleted)):
        _CACHE.clear()


def keys(*, fresh: bool = False) -> frozenset[str]:
    """The keys of every role (cached; `fresh` reads the table: what a user may be given)."""
    if fresh:
        return frozenset(db.session.scalars(select(Role.key)))
    return frozenset(r.key for r in definitions())


def lane_keys(*, fresh: bool = False) -> frozenset[str]:
    """The keys of the roles that handle cases: what a lane may be named. `fresh` reads the
    table rather than the cache (a deploy checks against what is stored now)."""
    if fresh:
        return frozenset(db.session.scalars(select(Role.key).where(Role.handles_cases.is_(True))))
    return frozenset(r.key for r in definitions() if r.handles_cases)


def lane_keys_query() -> Select[tuple[str]]:
    """The lane roles' keys as a subquery (a filter on UserRole.role or Task.role)."""
    return select(Role.key).where(Role.handles_cases.is_(True))


def labels(language: str) -> dict[str, str]:
    """Role key -> its name in `language`, in list order (cached)."""
    return {r.key: r.name_in(language) for r in definitions()}


def name_of(key: str, language: str) -> str:
    """A role's name in `language`; the key itself for a role that no longer exists."""
    return labels(language).get(key, key)


def choices(language: str, *, lanes_only: bool = False) -> list[tuple[str, str]]:
    """(key, name in `language`) of every role, or of the lane roles, in list order (cached).
    What a select or a checklist of roles offers."""
    return [
        (r.key, r.name_in(language)) for r in definitions() if r.handles_cases or not lanes_only
    ]


def get(key: str) -> Role:
    """A role by key, or NotFound."""
    role = db.session.get(Role, key)
    if role is None:
        raise NotFound("No such role.")
    return role


def holders() -> dict[str, list[User]]:
    """Role key -> the users holding it (active or not), by name; every role has an entry."""
    found: dict[str, list[User]] = {r.key: [] for r in all_roles()}
    rows = db.session.execute(
        select(UserRole.role, User).join(User, User.id == UserRole.user_id).order_by(User.name)
    )
    for key, user in rows:
        found.setdefault(key, []).append(user)
    return found


def lanes_in_use() -> dict[str, list[str]]:
    """Lane name -> the processes whose active version has a lane of that name."""
    from services import diagram_rules  # it imports the engine, which needs no roles

    found: dict[str, list[str]] = {}
    versions = db.session.execute(
        select(ProcessVersion.process_id, ProcessVersion.files).where(
            ProcessVersion.active.is_(True)
        )
    )
    for process_id, files in versions:
        for name, content in sorted((files or {}).items()):
            if not name.endswith(".bpmn"):
                continue
            root = diagram_rules.parse(content.encode() if isinstance(content, str) else content)
            if root is None:
                continue
            for node in root.iter():
                if isinstance(node.tag, str) and node.tag.endswith("}lane"):
                    lane = (node.get("name") or "").strip()
                    if lane and process_id not in found.setdefault(lane, []):
                        found[lane].append(process_id)
    return found


# --- administration ---------------------------------------------------------------------------


def administers(user: User) -> bool:
    """Administrators keep the list of roles."""
    return user.active and user.has_role(ADMINISTRATOR)


def require_administers(user: User) -> User:
    """The user if they may change the roles, else NotAllowed."""
    if not administers(user):
        raise NotAllowed("Only administrators change the roles.")
    return user


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _check_names(name_en: str, name_fr: str, exclude: str | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, column, value in (
        ("name_en", Role.name_en, name_en),
        ("name_fr", Role.name_fr, name_fr),
    ):
        if not value:
            errors[field] = ["Give a name."]
        elif len(value) > 100:
            errors[field] = ["At most 100 characters."]
        else:
            query = select(Role.key).where(func.lower(column) == value.lower())
            if exclude is not None:
                query = query.where(Role.key != exclude)
            if db.session.scalar(query.limit(1)) is not None:
                errors[field] = ["There is already a role of that name."]
    return errors


def _check_key(key: str, exclude: str | None) -> list[str]:
    if not KEY_PATTERN.match(key):
        return [
            "2 to 50 characters: lower-case letters, digits and underscores, "
            "starting with a letter."
        ]
    if key != exclude and db.session.get(Role, key) is not None:
        return ["There is already a role with that key."]
    return []


def _refuse(errors: Mapping[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, details=dict(errors))


def _data(role: Role) -> dict[str, Any]:
    return {
        "key": role.key,
        "name_en": role.name_en,
        "name_fr": role.name_fr,
        "description": role.description or "",
        "handles_cases": bool(role.handles_cases),
        "confidential_clearance": bool(role.confidential_clearance),
    }


def create(
    actor: User,
    key: str,
    name_en: str,
    name_fr: str,
    *,
    description: str = "",
    handles_cases: bool = False,
    confidential_clearance: bool = False,
) -> Role:
    """Add a role; audited. InvalidInput (field -> messages) leaves nothing written."""
    require_administers(actor)
    key = (key or "").strip()
    name_en, name_fr = _clean(name_en), _clean(name_fr)
    description = (description or "").strip()
    errors = _check_names(name_en, name_fr, None)
    if key_errors := _check_key(key, None):
        errors["key"] = key_errors
    if len(description) > 1000:
        errors["description"] = ["At most 1000 characters."]
    _refuse(errors)
    role = Role(
        key=key,
        name_en=name_en,
        name_fr=name_fr,
        description=description,
        handles_cases=handles_cases,
        confidential_clearance=confidential_clearance,
        built_in=False,
    )
    db.session.add(role)
    db.session.flush()
    _audit(actor, "role_added", "Role added: %(name)s", role, _data(role))
    return role


# Why a role cannot go away, stop being a lane, or change its key (fixed, translated texts).
HELD = "Users hold this role: take it from them first."
LANE = "The active procedure has a lane of this role: deploy one without it first."
OPEN_TASKS = "Open tasks are in this role's lane: they must be done first."


def in_use(key: str) -> list[str]:
    """Why the role is in use (HELD, LANE, OPEN_TASKS); empty when nothing uses it."""
    reasons = []
    held = db.session.scalar(select(UserRole.user_id).where(UserRole.role == key).limit(1))
    if held is not None:
        reasons.append(HELD)
    if key in lanes_in_use():
        reasons.append(LANE)
    open_task = db.session.scalar(
        select(Task.id).where(Task.role == key, Task.status == "open").limit(1)
    )
    if open_task is not None:
        reasons.append(OPEN_TASKS)
    return reasons


def update(
    actor: User,
    key: str,
    *,
    new_key: str | None = None,
    name_en: str,
    name_fr: str,
    description: str = "",
    handles_cases: bool,
    confidential_clearance: bool,
) -> Role:
    """Change a role's names, description and flags, and (for a role nobody holds nor uses)
    its key; audited with the values before. InvalidInput leaves nothing written."""
    require_administers(actor)
    role = get(key)
    new_key = (new_key or key).strip()
    name_en, name_fr = _clean(name_en), _clean(name_fr)
    description = (description or "").strip()
    errors = _check_names(name_en, name_fr, role.key)
    if len(description) > 1000:
        errors["description"] = ["At most 1000 characters."]
    if new_key != role.key:
        if role.built_in:
            errors["key"] = ["The key of a built-in role cannot change."]
        elif key_errors := _check_key(new_key, role.key):
            errors["key"] = key_errors
        elif reasons := in_use(role.key):
            errors["key"] = reasons
    if role.built_in and bool(handles_cases) != bool(role.handles_cases):
        errors["handles_cases"] = ["The code relies on this built-in role's lane flag."]
    if role.key == CONFIDENTIAL_FOCAL_POINT and not confidential_clearance:
        errors["confidential_clearance"] = [
            "The confidential focal point runs confidential cases: it keeps its clearance."
        ]
    if role.handles_cases and not handles_cases and "handles_cases" not in errors:
        if role.key in lanes_in_use():
            errors["handles_cases"] = [LANE]
    _refuse(errors)
    before = _data(role)
    if new_key != role.key:
        # Nobody holds it (checked): the row can take its new primary key.
        role.key = new_key
    role.name_en, role.name_fr, role.description = name_en, name_fr, description
    role.handles_cases = bool(handles_cases)
    role.confidential_clearance = bool(confidential_clearance)
    db.session.flush()
    _audit(actor, "role_changed", "Role changed: %(name)s", role, {**_data(role), "before": before})
    return role


def delete(actor: User, key: str) -> None:
    """Delete a role nobody holds, with no open task in its lane and no lane of its name in
    an active procedure; InvalidInput naming why otherwise. Built-in roles stay."""
    require_administers(actor)
    role = get(key)
    if role.built_in:
        raise InvalidInput(
            "A built-in role cannot be deleted.",
            details={"key": ["A built-in role cannot be deleted."]},
        )
    reasons = in_use(role.key)
    if reasons:
        raise InvalidInput(reasons[0], details={"key": reasons})
    data = _data(role)
    db.session.delete(role)
    db.session.flush()
    _audit(actor, "role_deleted", "Role deleted: %(name)s", role, data)


def history() -> list[Any]:
    """Audit events about roles, newest first."""
    from services.models import AuditEvent

    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.kind.like("role_%"), AuditEvent.complaint_id.is_(None))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(50)
        )
    )


def _audit(actor: User, kind: str, message: str, role: Role, data: Mapping[str, Any]) -> None:
    from services import audit  # audit is imported by modules this one serves

    audit.record(None, kind, actor=actor, message=message, params={"name": role.name_en}, data=data)
