"""staff workspace: internal notes, mentions, task drafts, staff attachments

Revision ID: e12b4c5d6e7f
Revises: e12a0d1f2a3b
Create Date: 2026-11-28

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "e12b4c5d6e7f"
down_revision = "e12a0d1f2a3b"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
