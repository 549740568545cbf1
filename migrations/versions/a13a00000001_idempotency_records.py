"""idempotency records: the answers to POSTs sent with an Idempotency-Key

Revision ID: a13a00000001
Revises: a13f00000006
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13a00000001"
down_revision = "a13f00000006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("work_committed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint(
            "principal", "key", name=op.f("uq_idempotency_record_principal_key")
        ),
    )
    op.create_index(
        op.f("ix_idempotency_record_expires_at"),
        "idempotency_record",
        ["expires_at"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_idempotency_record_expires_at"), table_name="idempotency_record")
    op.drop_table("idempotency_record")
