"""Process versions: validate and deploy diagrams, keep each distinct content once, compare
versions, download one, make an earlier one active again.

Every change of the active version is recorded as an audit event "version_activated"
(complaint_id NULL) with who, when, which version, the previous one and the comment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from forms.text import N_, Text
from services import audit, bpmnlint, diagram_rules, engine, form_definitions, permissions, roles
from services.db import db
from services.errors import Conflict, DeployRefused, NotFound
from services.models import AuditEvent, Complaint, ProcessInstance, ProcessVersion, User
from services.versions import VersionDiff, diff_files

DEFAULT_PROCESS_ID = "complaint_handling"
DIAGRAM_SUFFIXES = (".bpmn", ".dmn")
ACTIVATED = "version_activated"


@dataclass(frozen=True)
class DeployResult:
    """The version now active, whether this deploy created it, and non-blocking warnings."""

    version: ProcessVersion
    created: bool
    warnings: list[engine.Problem] = field(default_factory=list)


def read_directory(directory: Path) -> dict[str, bytes]:
    """The BPMN and DMN files of a directory by file name, its choice lists (choices.toml)
    and its forms/*.toml definitions."""
    files = {
        path.name: path.read_bytes()
        for path in sorted(directory.iterdir())
        if path.suffix in DIAGRAM_SUFFIXES and path.is_file()
    }
    lists = directory / form_definitions.LISTS_FILE
    if lists.is_file():
        files[form_definitions.LISTS_FILE] = lists.read_bytes()
    forms_dir = directory / "forms"
    if forms_dir.is_dir():
        for path in sorted(forms_dir.glob(f"*{form_definitions.SUFFIX}")):
            files[form_definitions.file_name(path.stem)] = path.read_bytes()
    return files


def file_order(name: str) -> tuple[int, str]:
    """Diagrams first, then decision tables, the choice lists, then form definitions."""
    rank = (
        2
        if name == form_definitions.LISTS_FILE
        else 3
        if name.endswith(".toml")
        else 1
        if name.endswith(".dmn")
        else 0
    )
    return rank, name


def content_hash(files: Mapping[str, bytes]) -> str:
    """A hash of the file names and contents, independent of their order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def validate(
    files: Mapping[str, bytes], process_id: str = DEFAULT_PROCESS_ID
) -> engine.ParseResult:
    """Parse and check diagram and form files without storing anything (the editor's
    "Validate"). Forms the files do not define are the shipped ones (form_definitions).

    `problems` block a deploy: the form definitions and the names the procedure reads
    (services.form_definitions.check), the engine's parse and lint (form keys, lanes as roles,
    restricted expressions, ISO 8601 timers and dueIn), services.diagram_rules (gateway
    flows without condition, a user task drawn in another lane than its own) and bpmnlint's
    recommended "error" rules. `warnings` do not: bpmnlint's "warn" rules, and a notice
    when bpmnlint cannot run. Each engine.Problem names its file, a readable element label
    and the `element_id` to highlight. `specs` is None whenever there is a problem.
    """
    files = form_definitions.with_shipped(files)
    forms, form_problems = form_definitions.check(files)
    diagrams = {name: content for name, content in files.items() if name.endswith(DIAGRAM_SUFFIXES)}
    parsed = engine.parse_process(
        diagrams, process_id, known_form_keys=forms, known_roles=roles.lane_keys(fresh=True)
    )
    problems, warnings = list(parsed.problems) + form_problems, list[engine.Problem]()
    for name, content in sorted(files.items()):
        if name.endswith(".dmn"):
            dmn = diagram_rules.parse(content)
            if dmn is not None:
                problems.extend(diagram_rules.decision_output_overflows(name, dmn))
            continue
        root = diagram_rules.parse(content) if name.endswith(".bpmn") else None
        if root is None:
            continue  # not well-formed: the engine has reported it
        own = diagram_rules.check(name, root)
        flagged = {p.element_id for p in own}
        # Ours say the same as the engine's terse parse error on these elements, in more words.
        problems = [p for p in problems if not (p.file == name and p.element_id in flagged)]
        problems.extend(own)
        labels = diagram_rules.element_names(root)
        refused, doubtful = _assignment_findings(name, root, labels)
        problems.extend(refused)
        warnings.extend(doubtful)
        for finding in bpmnlint.run(content, name):
            if finding.rule == "conditional-flows" and finding.element_id in flagged:
                continue  # our own gateway rule said it already, in more words
            label = labels.get(finding.element_id, finding.element)
            finding = dataclasses.replace(finding, element=label)
            (problems if finding.severity == "error" else warnings).append(finding)
    problems = [_with_file(p, files) for p in problems]
    return engine.ParseResult(None if problems else parsed.specs, problems, warnings)


def _assignment_findings(
    file: str, root: etree._Element, labels: Mapping[str, str]
) -> tuple[list[engine.Problem], list[engine.Problem]]:
    """A user task whose `assignTo` names a person in quotes: refused when that person does
    not hold the lane's role (the task would sit in the inbox of someone not entitled to it);
    a warning when no active staff member has that user name yet, since the task then waits
    in its role's queue (as it does at run time whenever the person may not take it)."""
    refused, doubtful = [], []
    for task_id, lane, username in diagram_rules.assignments(root):
        if not lane:
            continue  # a user task outside a lane is refused for that already
        element = labels.get(task_id, task_id)
        user = db.session.scalar(db.select(User).where(User.username == username))
        if user is None or not user.active:
            message = N_(
                "assignTo names '%(username)s', who is not an active staff member: the task "
                "will wait in the %(role)s queue",
                username=username,
                role=lane,
            )
            doubtful.append(engine.Problem(file, element, message, task_id, "warning"))
        elif not user.has_role(lane):
            message = N_(
                "assignTo names '%(username)s', who does not hold the role of the task's lane "
                "(%(role)s)",
                username=username,
                role=lane,
            )
            refused.append(engine.Problem(file, element, message, task_id))
    return refused, doubtful


def assignment_fallbacks(limit: int = 20) -> list[tuple[AuditEvent, int]]:
    """The latest tasks the diagram gave to a person (assignTo) that went to their role's queue
    instead, each with the version its complaint runs on: what the process owner fixes in the
    diagram or has an administrator fix in the roles. No complaint is named (the events'
    data say the step, the person and why)."""
    rows = db.session.execute(
        db.select(AuditEvent, ProcessVersion.version)
        .join(ProcessInstance, ProcessInstance.complaint_id == AuditEvent.complaint_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(AuditEvent.kind == "assignment_fell_back")
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return [(event, version) for event, version in rows]


def _with_file(problem: engine.Problem, files: Mapping[str, bytes]) -> engine.Problem:
    """Name the file of a finding the engine could only place by element id (DMN cells)."""
    if problem.file or not problem.element_id:
        return problem
    marker = f'id="{problem.element_id}"'.encode()
    name = next((n for n, content in sorted(files.items()) if marker in content), "")
    return dataclasses.replace(problem, file=name)


def _joined(texts: list[str]) -> Text:
    """The texts joined by "; ", each still translated for its reader (a msgid of
    placeholders alone, which the catalogue leaves as it is)."""
    return Text(
        "; ".join(f"%(p{i})s" for i in range(len(texts))),
        {f"p{i}": text for i, text in enumerate(texts)},
    )


def deploy(
    files: Mapping[str, bytes],
    *,
    process_id: str = DEFAULT_PROCESS_ID,
    actor: User | None = None,
    comment: str = "",
) -> DeployResult:
    """Validate and store the files as the active version; unchanged content reuses its version.

    Raises DeployRefused, naming file and element, when any check fails; the active version
    then stays as it was. Its details hold "problems" (one text each) and "items" (each
    engine.Problem.as_dict(), with element_id, for an editor). An actor, when given, must
    be a process owner (NotAllowed otherwise); the CLI deploys as the system (None).
    """
    if actor is not None:
        permissions.require_manages_processes(actor)
    if not any(name.endswith(DIAGRAM_SUFFIXES) for name in files):
        raise DeployRefused(N_("No BPMN or DMN files to deploy."))
    files = form_definitions.with_shipped(files)  # a version holds every form it uses
    digest = content_hash(files)
    existing = db.session.scalar(
        db.select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.content_hash == digest
        )
    )
    if existing is not None:
        if existing.active:
            return DeployResult(existing, created=False)
        _activate(existing, actor, comment or "redeployed unchanged content", "deploy")
        return DeployResult(existing, created=False)
    parsed = validate(files, process_id)
    if parsed.specs is None:
        problems = [str(p) for p in parsed.problems]
        raise DeployRefused(
            # A Text, as each problem is: said in the reader's language, the problems too.
            N_("The diagrams were refused: %(problems)s", problems=_joined(problems)),
            details={
                "problems": problems,
                "items": [p.as_dict() for p in parsed.problems],
                "warnings": [p.as_dict() for p in parsed.warnings],
            },
        )
    _lock_versions(process_id)  # concurrent deploys number their versions in turn
    number = (
        db.session.scalar(
            db.select(func.max(ProcessVersion.version)).where(
                ProcessVersion.process_id == process_id
            )
        )
        or 0
    ) + 1
    version = ProcessVersion(
        process_id=process_id,
        version=number,
        content_hash=digest,
        files={name: content.decode("utf-8") for name, content in files.items()},
        spec=engine.specs_to_dict(parsed.specs),
        comment=comment,
        created_by=actor,
    )
    db.session.add(version)
    _activate(version, actor, comment, "deploy")
    return DeployResult(version, created=True, warnings=list(parsed.warnings))


def _activate(version: ProcessVersion, actor: User | None, comment: str, via: str) -> None:
    """Make `version` the one new complaints start on, and record who did it and why.

    The process's versions are locked first (PostgreSQL; SQLite has one writer anyway), so
    concurrent activations take turns and the last one wins; the old version is switched
    off before the new one on. Should the partial unique index still refuse (two first
    deploys at once), the loser gets a Conflict, not a database error.
    """
    try:
        _lock_versions(version.process_id)
        previous = db.session.scalar(
            db.select(ProcessVersion).where(
                ProcessVersion.process_id == version.process_id, ProcessVersion.active.is_(True)
            )
        )
        db.session.execute(
            db.update(ProcessVersion)
            .where(ProcessVersion.process_id == version.process_id, ProcessVersion.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session="fetch")
        )
        db.session.flush()
        version.active = True
        db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Another version of this process was activated at the same time; reload and retry."
        ) from exc
    verb = "deployed" if via == "deploy" else "made active again"
    audit.record(
        None,
        ACTIVATED,
        actor=actor,
        summary=f"Version {version.version} of {version.process_id} {verb}",
        data={
            "process_id": version.process_id,
            "version": version.version,
            "version_id": version.id,
            "previous_version": previous.version if previous is not None else None,
            "via": via,
            "comment": comment,
        },
    )
    db.session.flush()


def _lock_versions(process_id: str) -> None:
    """SELECT ... FOR UPDATE the process's versions until the transaction ends."""
    db.session.execute(
        db.select(ProcessVersion.id)
        .where(ProcessVersion.process_id == process_id)
        .with_for_update()
    ).all()


def active_version(process_id: str = DEFAULT_PROCESS_ID) -> ProcessVersion:
    """The version new complaints start on."""
    version = db.session.scalar(
        db.select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.active.is_(True)
        )
    )
    if version is None:
        raise NotFound(f"No version of process '{process_id}' is deployed: run flask deploy.")
    return version


def versions(process_id: str = DEFAULT_PROCESS_ID) -> list[ProcessVersion]:
    """Every version of a process, newest first."""
    return list(
        db.session.scalars(
            db.select(ProcessVersion)
            .where(ProcessVersion.process_id == process_id)
            .order_by(ProcessVersion.version.desc())
        )
    )


def specs_of(version: ProcessVersion) -> engine.Specs:
    """The parsed spec of a version (restored once per process, then cached)."""
    return engine.specs_from_dict((version.id, version.content_hash), lambda: version.spec)


def get_version(number: int, process_id: str = DEFAULT_PROCESS_ID) -> ProcessVersion:
    """The version with this number (1, 2...) of a process, or NotFound."""
    version = db.session.scalar(
        db.select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.version == number
        )
    )
    if version is None:
        raise NotFound(f"Process '{process_id}' has no version {number}.")
    return version


def rollback(version_id: int, actor: User | None, comment: str = "") -> ProcessVersion:
    """Make an earlier version active again: new complaints start on it from now on.

    Complaints already running stay on their version (move them with
    services.instance_migration). Recorded as a "version_activated" audit event with the
    actor and comment. Raises NotFound, NotAllowed (actor not a process owner), or
    Conflict when the version is already the active one.
    """
    if actor is not None:
        permissions.require_manages_processes(actor)
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("No such process version.")
    if version.active:
        raise Conflict(
            "Version %(version)s is already the active version.",
            params={"version": str(version.version)},
        )
    _activate(version, actor, comment, "rollback")
    return version


def activations(process_id: str = DEFAULT_PROCESS_ID) -> list[AuditEvent]:
    """When each version became active, by whom and why, newest first (audit events)."""
    return [
        event
        for event in db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.complaint_id.is_(None), AuditEvent.kind == ACTIVATED)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
        if (event.data or {}).get("process_id") == process_id
    ]


def diff(old_version: ProcessVersion, new_version: ProcessVersion) -> VersionDiff:
    """What changed from one version to another: elements added, removed and changed.

    Per element id: its type and name, and which name, attributes, conditions, timers,
    properties, scripts and lanes changed; per decision table: hit policy, columns, and
    rows added, removed or changed (cell by cell) or reordered; and which files' layout
    moved. See services.versions.VersionDiff (`.lines()` gives readable text).
    """
    return diff_files(
        old_version.files,
        new_version.files,
        old_version=old_version.version,
        new_version=new_version.version,
    )


def archive_name(version: ProcessVersion) -> str:
    """A download file name for a version's archive."""
    return f"{version.process_id}-v{version.version}.zip"


def version_archive(version: ProcessVersion) -> bytes:
    """A zip of the version's BPMN and DMN files, as deployed (for download)."""
    buffer = io.BytesIO()
    stamp = version.created_at.timetuple()[:6] if version.created_at else (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(version.files):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, version.files[name].encode("utf-8"))
    return buffer.getvalue()


def version_list(process_id: str = DEFAULT_PROCESS_ID) -> list[ProcessVersion]:
    """Every version of a process, newest first, with their files (the API names them) but
    not their parsed specs."""
    return list(
        db.session.scalars(
            db.select(ProcessVersion)
            .options(undefer(ProcessVersion.files))
            .where(ProcessVersion.process_id == process_id)
            .order_by(ProcessVersion.version.desc())
        )
    )


def running_counts(viewer: User, process_id: str = DEFAULT_PROCESS_ID) -> dict[int, int]:
    """Version id -> how many complaints still run on it that the viewer may know of (one
    query; confidential complaints count only for those who see them)."""
    query = (
        db.select(ProcessInstance.process_version_id, func.count())
        .join(Complaint, Complaint.id == ProcessInstance.complaint_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(ProcessVersion.process_id == process_id, ProcessInstance.completed.is_(False))
        .group_by(ProcessInstance.process_version_id)
    )
    if not permissions.sees_confidential(viewer):
        query = query.where(Complaint.confidential.is_(False))
    return {version_id: count for version_id, count in db.session.execute(query)}
