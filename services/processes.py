"""Process versions: deploy the diagrams in processes/, keep each distinct content once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func

from services import engine
from services.db import db
from services.errors import DeployRefused, NotFound
from services.models import ProcessVersion, User
from services.roles import LANE_ROLES

DEFAULT_PROCESS_ID = "complaint_handling"
DIAGRAM_SUFFIXES = (".bpmn", ".dmn")


@dataclass(frozen=True)
class DeployResult:
    """The version now active, and whether this deploy created it."""

    version: ProcessVersion
    created: bool


def read_directory(directory: Path) -> dict[str, bytes]:
    """The BPMN and DMN files of a directory, by file name."""
    return {
        path.name: path.read_bytes()
        for path in sorted(directory.iterdir())
        if path.suffix in DIAGRAM_SUFFIXES and path.is_file()
    }


def content_hash(files: Mapping[str, bytes]) -> str:
    """A hash of the file names and contents, independent of their order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def validate(
    files: Mapping[str, bytes], form_keys: Iterable[str], process_id: str = DEFAULT_PROCESS_ID
) -> engine.ParseResult:
    """Parse and check diagram files without storing anything."""
    return engine.parse_process(
        files, process_id, known_form_keys=form_keys, known_roles=LANE_ROLES
    )


def deploy(
    files: Mapping[str, bytes],
    form_keys: Iterable[str],
    *,
    process_id: str = DEFAULT_PROCESS_ID,
    actor: User | None = None,
    comment: str = "",
) -> DeployResult:
    """Validate and store the files as the active version; unchanged content reuses its version.

    Raises DeployRefused, naming file and element, when any check fails; the active version
    then stays as it was.
    """
    if not files:
        raise DeployRefused("No BPMN or DMN files to deploy.")
    digest = content_hash(files)
    existing = db.session.scalar(
        db.select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.content_hash == digest
        )
    )
    if existing is not None:
        if existing.active:
            return DeployResult(existing, created=False)
        _activate(existing)
        return DeployResult(existing, created=False)
    parsed = validate(files, form_keys, process_id)
    if parsed.specs is None:
        problems = [str(p) for p in parsed.problems]
        raise DeployRefused(
            "The diagrams were refused: " + "; ".join(problems), details={"problems": problems}
        )
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
    _activate(version)
    return DeployResult(version, created=True)


def _activate(version: ProcessVersion) -> None:
    db.session.execute(
        db.update(ProcessVersion)
        .where(ProcessVersion.process_id == version.process_id, ProcessVersion.active.is_(True))
        .values(active=False)
    )
    version.active = True
    db.session.flush()


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
    return engine.specs_from_dict(version.id, version.spec)
