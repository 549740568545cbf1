"""Departments and teams as managed lists, team membership, and routing tasks to a team.

A complaint names its department by name (Complaint.department), as it did when the field
was free text: the list only constrains what can be chosen. That name is the department's
English one; a department also has a French name (name_fr), which French readers see
wherever a department is shown (labels, name_of, choices); a department named in one
language only reads the same in both. A team usually belongs to one
department; a user task whose diagram says `team="department"` goes to the team of the
complaint's department (Task.team_id), and the inbox's "my team" scope reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from time import monotonic
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, event, false
from sqlalchemy.orm import Session

from services import audit, roles
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import AuditEvent, Complaint, Department, Task, Team, TeamMember, User

# The BPMN user-task property naming the team a task goes to.
TEAM_PROPERTY = "team"
# Its value meaning "the team of the complaint's department".
BY_DEPARTMENT = "department"
# The demo complaints' departments (services.demo), in English and French, and a team for two.
DEMO_DEPARTMENTS = (
    ("Customer service", "Service client"),
    ("Logistics", "Logistique"),
    ("Billing", "Facturation"),
    ("Stores", "Magasins"),
)
DEMO_TEAMS = (
    ("Customer service team", "Customer service", ("supervisor", "investigator")),
    ("Logistics team", "Logistics", ("investigator",)),
)


def administers(user: User) -> bool:
    """Administrators keep the lists of departments and teams."""
    return user.active and user.has_role(roles.ADMINISTRATOR)


def require_administers(user: User) -> User:
    """The user if they administer the organisation, else NotAllowed."""
    if not administers(user):
        raise NotAllowed("Only administrators change the organisation's settings.")
    return user


# --- departments ------------------------------------------------------------------------------


def all_departments() -> list[Department]:
    """Every department, active ones first, by name."""
    return list(
        db.session.scalars(
            db.select(Department).order_by(Department.active.desc(), Department.name)
        )
    )


def names(*, keep: str = "") -> list[str]:
    """The active departments' names for a select; `keep` (a stored value) stays offered."""
    found = list(
        db.session.scalars(
            db.select(Department.name).where(Department.active.is_(True)).order_by(Department.name)
        )
    )
    if keep and keep not in found:
        found.append(keep)
    return found


def get(department_id: int) -> Department:
    """A department by id, or NotFound."""
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound("No such department.")
    return department


# --- names in the reader's language -----------------------------------------------------------

# What is read of departments and teams on hot paths (the routing of every task a save opens,
# the French names on every page that lists complaints or tasks) changes rarely. So it is
# read once per database and process, dropped at once when this process writes a team or
# department (_forget), and read again after KEEP_SECONDS to catch another process's changes.
KEEP_SECONDS = 30.0
T = TypeVar("T")
_KEPT: dict[tuple[str, str], tuple[Any, float]] = {}


def _kept(what: str, load: Callable[[], T]) -> T:
    """`load()`'s answer for this database, read at most once in KEEP_SECONDS."""
    key = (what, str(db.engine.url))
    cached = _KEPT.get(key)
    if cached is not None and monotonic() - cached[1] < KEEP_SECONDS:
        return cached[0]
    value = load()
    _KEPT[key] = (value, monotonic())
    return value


def _read_french_names() -> dict[str, str]:
    with db.session.no_autoflush:
        rows = db.session.execute(db.select(Department.name, Department.name_fr)).all()
    return {name: name_fr or name for name, name_fr in rows}


def _french_names() -> dict[str, str]:
    """Department name -> its French name."""
    return _kept("french names", _read_french_names)


def name_of(name: str | None, language: str | None) -> str:
    """A department (as complaints name it) in `language` ("fr", "en"); a name no department
    has (typed before the list existed) as it is."""
    if not name:
        return ""
    if language != "fr":
        return name
    return _french_names().get(name, name)


def recorded_name(
    language: str | None,
    name: str | None = None,
    name_fr: str | None = None,
    department_id: int | None = None,
) -> str | None:
    """A department as an audit event recorded it, in `language`, resolved when it is read.

    Events name a department by its English name as it was (`name`), since the French one
    exists by its French name too (`name_fr`), and often by its id. The name it had then is
    what the line says: its French name then when recorded; else, for an event written
    before, the department's French name now if it still has that English name (found by its
    id, or by that name); renamed since, the English name it had. Recorded by its id alone:
    its name now in `language`, or None once it is deleted (the caller says so)."""
    if language == "fr" and name_fr:
        return name_fr
    if name:
        if language != "fr":
            return name
        if department_id is not None:
            found = db.session.get(Department, department_id)
            if found is None or found.name != name:
                return name  # deleted or renamed since: the name it had
            return found.name_fr or name
        return name_of(name, language)
    if department_id is not None:
        found = db.session.get(Department, department_id)
        return found.name_in(language) if found is not None else None
    return name_fr or None


def _read_aliases() -> dict[str, str]:
    with db.session.no_autoflush:
        rows = db.session.execute(
            db.select(Department.name, Department.name_fr).where(Department.active.is_(True))
        ).all()
    english = {name for name, _fr in rows}
    # A French name that is another department's English name means that department.
    return {fr: name for name, fr in rows if fr and fr != name and fr not in english}


def french_aliases() -> dict[str, str]:
    """The active departments' French names -> the name complaints carry (English): what
    the intake takes beside the English name, for the same department. Exact, as the
    English name is matched."""
    return dict(_kept("aliases", _read_aliases))


def names_in(language: str | None) -> dict[str, str]:
    """Every department's name as complaints carry it -> its name in `language` (a table to
    name many rows with: an export, a report)."""
    if language != "fr":
        return {}
    return dict(_french_names())


def labels(names: Iterable[str], language: str | None) -> list[tuple[str, str]]:
    """(name as complaints carry it, name in `language`) of each department named, in the
    reader's alphabetical order: what a select or a filter offers."""
    pairs = [(name, name_of(name, language)) for name in names]
    return sorted(pairs, key=lambda pair: (pair[1].casefold(), pair[0]))


def choices(language: str | None, *, keep: str = "") -> list[tuple[str, str]]:
    """The active departments as (name, name in `language`) for a select; `keep` (a stored
    value) stays offered."""
    return labels(names(keep=keep), language)


# --- changing the list ------------------------------------------------------------------------


def _clean_name(name: str, field: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Give a name.", details={field: ["Give a name."]})
    if len(name) > 100:
        raise InvalidInput("Too long.", details={field: ["At most 100 characters."]})
    return name


def _clean_names(name: str, name_fr: str) -> tuple[str, str]:
    """A department's names in English and French: at least one; the one left blank reads
    like the other."""
    name, name_fr = " ".join((name or "").split()), " ".join((name_fr or "").split())
    if not name and not name_fr:
        message = "Give a name in English or in French."
        raise InvalidInput(message, details={"name": [message]})
    for field, value in (("name", name), ("name_fr", name_fr)):
        if len(value) > 100:
            raise InvalidInput("Too long.", details={field: ["At most 100 characters."]})
    return name or name_fr, name_fr or name


def _taken(model: Any, name: str, exclude: int | None = None, column: str = "name") -> bool:
    query = db.select(model.id).where(db.func.lower(getattr(model, column)) == name.lower())
    if exclude is not None:
        query = query.where(model.id != exclude)
    return db.session.scalar(query.limit(1)) is not None


def _check_unique(name: str, name_fr: str, exclude: int | None = None) -> None:
    """Each language's name is unique (whatever the case)."""
    errors = {}
    if _taken(Department, name, exclude):
        errors["name"] = ["There is already a department of that name."]
    if _taken(Department, name_fr, exclude, column="name_fr"):
        errors["name_fr"] = ["There is already a department of that French name."]
    if errors:
        raise InvalidInput("Taken.", details=errors)


def add_department(actor: User, name: str, name_fr: str = "") -> Department:
    """Add a department named in English, French or both; audited."""
    require_administers(actor)
    name, name_fr = _clean_names(name, name_fr)
    _check_unique(name, name_fr)
    department = Department(name=name, name_fr=name_fr, active=True)
    db.session.add(department)
    db.session.flush()
    _audit(
        actor,
        "department_added",
        ("Department added: %(name)s", {"name": name}),
        {"department_id": department.id, "name": name, "name_fr": name_fr},
    )
    return department


def rename_department(
    actor: User, department_id: int, name: str, name_fr: str | None = None
) -> Department:
    """Rename a department in English, French or both (`name_fr` None: its French name
    stays); its complaints and their open tasks follow the new English name."""
    require_administers(actor)
    department = get(department_id)
    name, name_fr = _clean_names(name, department.name_fr if name_fr is None else name_fr)
    _check_unique(name, name_fr, exclude=department.id)
    before, before_fr = department.name, department.name_fr
    if (before, before_fr) == (name, name_fr):
        return department
    department.name, department.name_fr = name, name_fr
    if before != name:
        db.session.execute(
            db.update(Complaint).where(Complaint.department == before).values(department=name)
        )
        db.session.execute(db.update(Task).where(Task.department == before).values(department=name))
    db.session.flush()
    _audit(
        actor,
        "department_renamed",
        ("Department renamed: %(before)s -> %(name)s", {"before": before, "name": name})
        if before != name
        else (
            "Department renamed in French: %(before)s -> %(name)s",
            {"before": before_fr, "name": name_fr},
        ),
        {
            "department_id": department.id,
            "before": before,
            "name": name,
            "before_fr": before_fr,
            "name_fr": name_fr,
        },
    )
    return department


def set_department_active(actor: User, department_id: int, active: bool) -> Department:
    """Offer a department again, or no longer (complaints keep it); audited."""
    require_administers(actor)
    department = get(department_id)
    department.active = active
    db.session.flush()
    kind = "department_activated" if active else "department_deactivated"
    _audit(
        actor,
        kind,
        (
            "Department activated: %(name)s" if active else "Department deactivated: %(name)s",
            {"name": department.name},
        ),
        # Both names as they are now: the line reads in either language whatever comes later.
        {"department_id": department.id, "name": department.name, "name_fr": department.name_fr},
    )
    return department


# --- teams ------------------------------------------------------------------------------------


def all_teams() -> list[Team]:
    """Every team, active ones first, by name."""
    return list(db.session.scalars(db.select(Team).order_by(Team.active.desc(), Team.name)))


def team_choices() -> list[tuple[int, str]]:
    """The active teams as (id, name), for a user's membership."""
    rows = db.session.scalars(db.select(Team).where(Team.active.is_(True)).order_by(Team.name))
    return [(t.id, t.name) for t in rows]


def get_team(team_id: int) -> Team:
    """A team by id, or NotFound."""
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team.")
    return team


def _department_id(value: int | None) -> int | None:
    if not value:
        return None
    if db.session.get(Department, value) is None:
        raise InvalidInput("Unknown.", details={"department": ["Not a valid choice."]})
    return value


def _active_users(user_ids: Iterable[int]) -> list[User]:
    ids = sorted(set(user_ids))
    found = list(db.session.scalars(db.select(User).where(User.id.in_(ids)))) if ids else []
    if len(found) != len(ids):
        raise InvalidInput("Unknown.", details={"members": ["Not a valid choice."]})
    return found


def add_team(
    actor: User, name: str, department_id: int | None, member_ids: Iterable[int] = ()
) -> Team:
    """Add a team, with its department and members; audited."""
    require_administers(actor)
    name = _clean_name(name)
    if _taken(Team, name):
        raise InvalidInput("Taken.", details={"name": ["There is already a team of that name."]})
    team = Team(name=name, department_id=_department_id(department_id), active=True)
    team.members = _active_users(member_ids)
    db.session.add(team)
    db.session.flush()
    _audit(actor, "team_added", ("Team added: %(name)s", {"name": name}), _team_data(team))
    return team


def update_team(
    actor: User, team_id: int, name: str, department_id: int | None, member_ids: Iterable[int]
) -> Team:
    """Change a team's name, department and members; audited with the values before."""
    require_administers(actor)
    team = get_team(team_id)
    name = _clean_name(name)
    if _taken(Team, name, exclude=team.id):
        raise InvalidInput("Taken.", details={"name": ["There is already a team of that name."]})
    before = _team_data(team)
    team.name = name
    team.department_id = _department_id(department_id)
    team.members = _active_users(member_ids)
    db.session.flush()
    db.session.refresh(team)
    _audit(
        actor,
        "team_changed",
        ("Team changed: %(name)s", {"name": name}),
        {**_team_data(team), "before": before},
    )
    return team


def set_team_active(actor: User, team_id: int, active: bool) -> Team:
    """Route tasks to a team again, or no longer; audited."""
    require_administers(actor)
    team = get_team(team_id)
    team.active = active
    db.session.flush()
    kind = "team_activated" if active else "team_deactivated"
    _audit(
        actor,
        kind,
        (
            "Team activated: %(name)s" if active else "Team deactivated: %(name)s",
            {"name": team.name},
        ),
        {"team_id": team.id},
    )
    return team


def _team_data(team: Team) -> dict[str, Any]:
    return {
        "team_id": team.id,
        "name": team.name,
        "department_id": team.department_id,
        "members": sorted(u.id for u in team.members),
    }


# --- membership -------------------------------------------------------------------------------


def teams_of(user: User) -> list[Team]:
    """The active teams the user belongs to, by name."""
    return list(
        db.session.scalars(
            db.select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.user_id == user.id, Team.active.is_(True))
            .order_by(Team.name)
        )
    )


def team_ids_of(user: User) -> set[int]:
    """The ids of the active teams the user belongs to (the inbox's "my team" scope)."""
    return {team.id for team in teams_of(user)}


def my_team_filter(user: User) -> ColumnElement[bool]:
    """Tasks routed to one of the user's teams (SQL), false() when they have none."""
    ids = team_ids_of(user)
    return Task.team_id.in_(sorted(ids)) if ids else false()


def members_of_teams(team_ids: Iterable[int]) -> list[User]:
    """The active members of these teams, by name, each once."""
    ids = sorted(set(team_ids))
    if not ids:
        return []
    return list(
        db.session.scalars(
            db.select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id.in_(ids), User.active.is_(True))
            .distinct()
            .order_by(User.name)
        )
    )


def team_members_of(user: User) -> list[User]:
    """Everyone who shares an active team with the user (the user included)."""
    return members_of_teams(team_ids_of(user))


def set_user_teams(user: User, team_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """Make the user a member of exactly these teams; the ids before and after (for audit)."""
    wanted = set(team_ids)
    if wanted and len(
        list(db.session.scalars(db.select(Team.id).where(Team.id.in_(wanted))))
    ) != len(wanted):
        raise InvalidInput("Unknown.", details={"teams": ["Not a valid choice."]})
    current = set(
        db.session.scalars(db.select(TeamMember.team_id).where(TeamMember.user_id == user.id))
    )
    for team_id in current - wanted:
        db.session.execute(
            db.delete(TeamMember).where(
                TeamMember.team_id == team_id, TeamMember.user_id == user.id
            )
        )
    for team_id in wanted - current:
        db.session.add(TeamMember(team_id=team_id, user_id=user.id))
    db.session.flush()
    return sorted(current), sorted(wanted)


# --- routing ----------------------------------------------------------------------------------


def team_for_department(name: str) -> Team | None:
    """The active team of the department named `name` (the first by name), or None."""
    if not name:
        return None
    return db.session.scalar(
        db.select(Team)
        .join(Department, Department.id == Team.department_id)
        .where(Department.name == name, Team.active.is_(True))
        .order_by(Team.name, Team.id)
        .limit(1)
    )


def team_for(properties: Mapping[str, str], department: str) -> Team | None:
    """The team a task with these diagram properties goes to, for a complaint's department."""
    wanted = (properties.get(TEAM_PROPERTY) or "").strip()
    if not wanted:
        return None
    if wanted == BY_DEPARTMENT:
        return team_for_department(department)
    return db.session.scalar(
        db.select(Team).where(Team.name == wanted, Team.active.is_(True)).limit(1)
    )


@dataclass(frozen=True)
class _Routing:
    """Who gets a new task: team ids by department name and by team name (active teams)."""

    by_department: Mapping[str, int]
    by_name: Mapping[str, int]


def _routing() -> _Routing:
    return _kept("routing", _read_routing)


def _read_routing() -> _Routing:
    rows = db.session.execute(
        db.select(Team.id, Team.name, Department.name)
        .outerjoin(Department, Department.id == Team.department_id)
        .where(Team.active.is_(True))
        .order_by(Team.name.desc(), Team.id.desc())  # the first by name wins below
    ).all()
    by_department = {dept: team_id for team_id, _name, dept in rows if dept}
    by_name = {name: team_id for team_id, name, _dept in rows}
    return _Routing(by_department, by_name)


@event.listens_for(Session, "after_flush")
def _forget(session: Session, _context: Any) -> None:
    if any(
        isinstance(o, Team | Department) for o in (*session.new, *session.dirty, *session.deleted)
    ):
        _KEPT.clear()


def route_task(task: Task, properties: Mapping[str, str]) -> None:
    """Set the task's team from its diagram properties (call when its row is created)."""
    wanted = (properties.get(TEAM_PROPERTY) or "").strip()
    if not wanted:
        task.team_id = None
        return
    routing = _routing()
    if wanted == BY_DEPARTMENT:
        department = task.department or (task.complaint.department if task.complaint else "")
        task.team_id = routing.by_department.get(department) if department else None
    else:
        task.team_id = routing.by_name.get(wanted)


# --- demo and history -------------------------------------------------------------------------


def ensure_demo_organisation() -> None:
    """The demo departments and teams, once (seed-demo)."""
    if db.session.scalar(db.select(db.func.count()).select_from(Team)):
        return
    for name, name_fr in DEMO_DEPARTMENTS:
        if not _taken(Department, name):
            db.session.add(Department(name=name, name_fr=name_fr, active=True))
    db.session.flush()
    for team_name, department_name, usernames in DEMO_TEAMS:
        department = db.session.scalar(
            db.select(Department).where(Department.name == department_name)
        )
        members = list(db.session.scalars(db.select(User).where(User.username.in_(usernames))))
        db.session.add(Team(name=team_name, department=department, active=True, members=members))
    db.session.flush()


def history() -> list[AuditEvent]:
    """Audit events about departments and teams, newest first."""
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(
                db.or_(AuditEvent.kind.like("department_%"), AuditEvent.kind.like("team_%")),
                AuditEvent.complaint_id.is_(None),
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(50)
        )
    )


def _audit(
    actor: User, kind: str, summary: tuple[str, Mapping[str, Any]], data: Mapping[str, Any]
) -> None:
    """Record an admin change; `summary` is its msgid and params (shown translated)."""
    message, params = summary
    audit.record(None, kind, actor=actor, message=message, params=params, data=data)
