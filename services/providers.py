"""Support services complainants can be referred to, maintained by administrators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services import audit, roles
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import AuditEvent, ServiceProvider, User

KINDS = ("medical", "psychosocial", "legal", "shelter", "police", "other")
FIELDS = ("name", "kind", "contact")
# The admin change log's sentence of each kind of event (app/audit_text.py translates them).
PROVIDER_SUMMARIES = {
    "provider_added": "Service provider added: %(name)s",
    "provider_changed": "Service provider changed: %(name)s",
    "provider_activated": "Service provider activated: %(name)s",
    "provider_deactivated": "Service provider deactivated: %(name)s",
}
DEMO_PROVIDERS = (
    ("Centre de santé communautaire", "medical", "+221 33 000 00 01 · 8 h–18 h"),
    ("Écoute et soutien psychosocial", "psychosocial", "Ligne gratuite 800 00 00 02"),
    ("Clinique juridique des femmes", "legal", "juridique@example.org · +221 33 000 00 03"),
    ("Maison d'accueil temporaire", "shelter", "+221 77 000 00 04 (24 h/24)"),
)


def manages_providers(user: User) -> bool:
    """Administrators maintain the list of service providers."""
    return user.active and user.has_role(roles.ADMINISTRATOR)


def require_manages_providers(user: User) -> User:
    """The user if they may maintain service providers, else NotAllowed."""
    if not manages_providers(user):
        raise NotAllowed("Only administrators maintain the service providers.")
    return user


def all_providers() -> list[ServiceProvider]:
    """Every provider, active ones first, by name."""
    return list(
        db.session.scalars(
            db.select(ServiceProvider).order_by(
                ServiceProvider.active.desc(), ServiceProvider.name, ServiceProvider.id
            )
        )
    )


def choices() -> list[tuple[int, str]]:
    """The active providers as (id, "name (kind)"), for the referral form."""
    rows = db.session.scalars(
        db.select(ServiceProvider)
        .where(ServiceProvider.active.is_(True))
        .order_by(ServiceProvider.name, ServiceProvider.id)
    )
    return [(p.id, f"{p.name} ({p.kind})") for p in rows]


def get(provider_id: int) -> ServiceProvider:
    """A provider by id, or NotFound."""
    provider = db.session.get(ServiceProvider, provider_id)
    if provider is None:
        raise NotFound("No such service provider.")
    return provider


def get_active(provider_id: int) -> ServiceProvider:
    """An active provider by id, or InvalidInput (a referral cannot go to an inactive one)."""
    provider = db.session.get(ServiceProvider, provider_id)
    if provider is None or not provider.active:
        raise InvalidInput(
            "Choose an active support service.", details={"provider": ["Not a valid choice."]}
        )
    return provider


def add(actor: User, data: Mapping[str, Any]) -> ServiceProvider:
    """Add a provider and record it in the audit trail."""
    require_manages_providers(actor)
    provider = ServiceProvider(**_values(data), active=True)
    db.session.add(provider)
    db.session.flush()
    _audit(actor, "provider_added", provider)
    return provider


def update(actor: User, provider_id: int, data: Mapping[str, Any]) -> ServiceProvider:
    """Change a provider's name, kind or contact; audited with the values before and after."""
    require_manages_providers(actor)
    provider = get(provider_id)
    before = {name: getattr(provider, name) for name in FIELDS}
    for name, value in _values(data).items():
        setattr(provider, name, value)
    db.session.flush()
    _audit(actor, "provider_changed", provider, before=before)
    return provider


def set_active(actor: User, provider_id: int, active: bool) -> ServiceProvider:
    """Deactivate (or reactivate) a provider: inactive ones are no longer offered."""
    require_manages_providers(actor)
    provider = get(provider_id)
    provider.active = active
    db.session.flush()
    _audit(actor, "provider_activated" if active else "provider_deactivated", provider)
    return provider


def ensure_demo_providers() -> None:
    """Add the demo providers once (seed-demo)."""
    if db.session.scalar(db.select(db.func.count()).select_from(ServiceProvider)):
        return
    for name, kind, contact in DEMO_PROVIDERS:
        db.session.add(ServiceProvider(name=name, kind=kind, contact=contact, active=True))
    db.session.flush()


def history() -> list[AuditEvent]:
    """The audit events about providers, newest first."""
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.kind.like("provider_%"), AuditEvent.complaint_id.is_(None))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: str(data.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, list[str]] = {}
    if not values["name"]:
        errors["name"] = ["Give the name of the service."]
    if values["kind"] not in KINDS:
        errors["kind"] = ["Choose one of: " + ", ".join(KINDS) + "."]
    if errors:
        raise InvalidInput("Please correct the highlighted fields.", details=errors)
    return values


def _audit(
    actor: User, kind: str, provider: ServiceProvider, before: Mapping[str, Any] | None = None
) -> None:
    data: dict[str, Any] = {"provider_id": provider.id, "active": provider.active}
    data.update({name: getattr(provider, name) for name in FIELDS})
    if before is not None:
        data["before"] = dict(before)
    audit.record(
        None,
        kind,
        actor=actor,
        message=PROVIDER_SUMMARIES[kind],
        params={"name": provider.name},
        data=data,
    )
