"""The staff roles; the lanes of a diagram must be named after one of these."""

from __future__ import annotations

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

# Roles that handle cases and so may be a lane of the procedure.
LANE_ROLES: frozenset[str] = frozenset(ROLES[:8])
