"""administration: departments, teams, organisation settings, user invitations

Revision ID: e12a0d1f2a3b
Revises: d171f16e18e9
Create Date: 2026-11-28

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "e12a0d1f2a3b"
down_revision = "d171f16e18e9"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
