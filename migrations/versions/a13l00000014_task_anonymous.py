"""task.anonymous: an open task's row carries whether its complaint is anonymous, like the
other complaint columns the inbox shows, so that listing the inbox loads no complaint.

Revision ID: a13l00000014
Revises: a13k00000013
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13l00000014"
down_revision = "a13k00000013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task") as batch:
        batch.add_column(
            sa.Column("anonymous", sa.Boolean(), server_default="0", nullable=False)
        )
    op.get_bind().execute(
        sa.text(
            "UPDATE task SET anonymous = :yes WHERE complaint_id IN "
            "(SELECT id FROM complaint WHERE anonymous = :yes)"
        ),
        {"yes": True},
    )


def downgrade():
    with op.batch_alter_table("task") as batch:
        batch.drop_column("anonymous")
