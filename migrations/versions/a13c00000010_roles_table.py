"""roles as a managed list: the role table (names in English and French, lane flag,
confidential clearance, built-in), seeded with today's roles; user_role.role refers to it

Revision ID: a13c00000010
Revises: a13h30000001
Create Date: 2026-11-29

The eight roles that handle cases are the lanes, as services.roles.LANE_ROLES said; the
confidential focal point is the one cleared role. A role some user holds that is not among
them (none should exist) is kept as a role of that key, neither lane nor cleared.
"""

from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "a13c00000010"
down_revision = "a13h30000001"
branch_labels = None
depends_on = None

# key, English, French, lane, clearance, built-in (the code names it)
ROLES = (
    ("intake_agent", "Intake agent", "Agent d'accueil", True, False, True),
    ("supervisor", "Supervisor", "Superviseur", True, False, False),
    (
        "complaint_manager",
        "Complaint manager",
        "Gestionnaire des réclamations",
        True,
        False,
        False,
    ),
    ("manager", "Manager", "Responsable", True, False, True),
    ("legal_counsel", "Legal counsel", "Conseiller juridique", True, False, False),
    (
        "confidential_focal_point",
        "Confidential focal point",
        "Point focal confidentiel",
        True,
        True,
        True,
    ),
    ("senior_management", "Senior management", "Direction générale", True, False, True),
    ("police_liaison", "Police liaison", "Référent·e police", True, False, False),
    ("process_owner", "Process owner", "Propriétaire du processus", False, False, True),
    ("quality_analyst", "Quality analyst", "Analyste qualité", False, False, True),
    ("administrator", "Administrator", "Administrateur", False, False, True),
)


@contextmanager
def sqlite_foreign_keys_off():
    """On SQLite, foreign keys off while a batch operation copies the user_role table.
    (The pragma is ignored inside a transaction: set it between two.)"""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if sqlite:
            with op.get_context().autocommit_block():
                op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    with sqlite_foreign_keys_off():
        _upgrade()


def _upgrade():
    role = op.create_table(
        "role",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("name_fr", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("handles_cases", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("confidential_clearance", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("built_in", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_role")),
    )
    now = datetime.now(UTC)
    rows = [
        {
            "key": key,
            "name_en": name_en,
            "name_fr": name_fr,
            "description": "",
            "handles_cases": lane,
            "confidential_clearance": cleared,
            "built_in": built_in,
            "created_at": now,
        }
        for key, name_en, name_fr, lane, cleared, built_in in ROLES
    ]
    user_role = sa.table("user_role", sa.column("role", sa.String))
    known = {key for key, *_rest in ROLES}
    held = op.get_bind().execute(sa.select(user_role.c.role).distinct()).scalars()
    for key in sorted(set(held) - known):
        rows.append(
            {
                "key": key,
                "name_en": key,
                "name_fr": key,
                "description": "",
                "handles_cases": False,
                "confidential_clearance": False,
                "built_in": False,
                "created_at": now,
            }
        )
    op.bulk_insert(role, rows)
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f("fk_user_role_role_role"), "role", ["role"], ["key"])


def downgrade():
    with sqlite_foreign_keys_off():
        _downgrade()


def _downgrade():
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_user_role_role_role"), type_="foreignkey")
    op.drop_table("role")
