"""The organisation's settings an administrator keeps: name, logo, address, complaints email,
signature block, the recourse body (ombudsman, mediator) and the service-level preset.

One row (OrganisationSettings, id 1). An empty value means "not set here": the letters then
use the deployment's configuration (ORG_*, OMBUDSMAN_*), so a fresh install still prints a
letterhead. Letters read the row when they are written (services.documents,
services.preset_letters). Every change is audited (complaint_id None, kinds organisation_*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services import attachments, audit, departments, presets
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput
from services.models import AuditEvent, OrganisationSettings, User

# Form field -> column; the letterhead's name for each column.
TEXT_FIELDS = (
    "name",
    "name_fr",
    "postal_address",
    "phone",
    "complaints_email",
    "signature",
    "signature_fr",
    "ombudsman_name",
    "ombudsman_address",
    "ombudsman_phone",
    "ombudsman_email",
    "ombudsman_website",
)
LETTERHEAD = {
    "name": "name",
    "postal_address": "address",
    "phone": "phone",
    "complaints_email": "email",
    "signature": "signature",
    "name_fr": "name_fr",
    "signature_fr": "signature_fr",
}
LOGO_TYPES = frozenset({"image/png", "image/jpeg"})
LOGO_MAX_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Logo:
    """The organisation's logo as stored."""

    content: bytes
    content_type: str


def row() -> OrganisationSettings | None:
    """The settings row, or None when nothing was ever saved."""
    return db.session.get(OrganisationSettings, 1)


def _row_or_new() -> OrganisationSettings:
    found = row()
    if found is None:
        found = OrganisationSettings(id=1)
        for name in TEXT_FIELDS:
            setattr(found, name, "")
        found.logo_type = ""
        db.session.add(found)
    return found


def values() -> dict[str, str]:
    """Every text setting as saved ("" when not set)."""
    found = row()
    return {name: (getattr(found, name) or "") if found else "" for name in TEXT_FIELDS}


def letterhead_overrides() -> dict[str, str]:
    """The letterhead fields set here (services.documents.Letterhead names), non-empty only."""
    saved = values()
    return {field: saved[column] for column, field in LETTERHEAD.items() if saved[column]}


def ombudsman() -> dict[str, str]:
    """The recourse body's contact fields set here (presets.CONTACT_FIELDS), non-empty only."""
    saved = values()
    return {
        key: saved[f"ombudsman_{key}"]
        for key in presets.CONTACT_FIELDS
        if saved.get(f"ombudsman_{key}")
    }


def logo() -> Logo | None:
    """The uploaded logo, or None."""
    found = row()
    if found is None or not found.logo:
        return None
    return Logo(bytes(found.logo), found.logo_type)


def logo_problem(upload: attachments.Upload) -> str | None:
    """Why a logo file is refused (checked like the public uploads, PNG or JPEG only)."""
    content = upload.data()
    problem = attachments.problem_with(upload.filename, content, upload.declared_type)
    if problem is not None:
        return problem.message
    if attachments.detect(content) not in LOGO_TYPES:
        return "The logo must be a PNG or JPEG image."
    if len(content) > LOGO_MAX_SIZE:
        return "The logo must be smaller than 1 MB."
    return None


def update(
    actor: User,
    data: Mapping[str, Any],
    *,
    logo_upload: attachments.Upload | None = None,
    remove_logo: bool = False,
) -> OrganisationSettings:
    """Save the settings (and the logo); audited with the fields that changed."""
    departments.require_administers(actor)
    if logo_upload is not None:
        problem = logo_problem(logo_upload)
        if problem:
            raise InvalidInput(problem, details={"logo": [problem]})
    settings = _row_or_new()
    before = {name: getattr(settings, name) or "" for name in TEXT_FIELDS}
    for name in TEXT_FIELDS:
        setattr(settings, name, str(data.get(name) or "").strip())
    changes: dict[str, Any] = {
        name: [before[name], getattr(settings, name)]
        for name in TEXT_FIELDS
        if before[name] != getattr(settings, name)
    }
    if logo_upload is not None:
        content = logo_upload.data()
        settings.logo = content
        settings.logo_type = attachments.detect(content) or ""
        changes["logo"] = attachments.clean_filename(logo_upload.filename)
    elif remove_logo and settings.logo:
        settings.logo = None
        settings.logo_type = ""
        changes["logo"] = None
    settings.updated_at = utcnow()
    settings.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        None,
        "organisation_changed",
        actor=actor,
        message="Organisation settings changed: %(fields)s",
        params={"fields": list(changes)},
        data={"changes": changes},
    )
    return settings


def set_preset(actor: User, name: str) -> presets.Preset:
    """Choose the service-level preset new clocks follow (as the process owner can); audited."""
    departments.require_administers(actor)
    if name not in {p.id for p in presets.available()}:
        raise InvalidInput("Unknown preset.", details={"preset": ["Not a valid choice."]})
    return presets.set_active(name, actor)


def history() -> list[AuditEvent]:
    """Changes to the organisation settings and the preset, newest first, at most 50."""
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(
                AuditEvent.kind.in_(("organisation_changed", "preset_changed")),
                AuditEvent.complaint_id.is_(None),
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(50)
        )
    )
