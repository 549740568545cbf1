"""export jobs (large XLSX exports built in the background, offered on /exports)

Revision ID: a13800000008
Revises: a13a00000001
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13800000008"
down_revision = "a13a00000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["user.id"],
            name=op.f("fk_export_job_requester_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    op.create_index("ix_export_job_requester", "export_job", ["requester_id", "created_at"])
    op.create_index("ix_export_job_status", "export_job", ["status", "id"])


def downgrade():
    op.drop_index("ix_export_job_status", table_name="export_job")
    op.drop_index("ix_export_job_requester", table_name="export_job")
    op.drop_table("export_job")
