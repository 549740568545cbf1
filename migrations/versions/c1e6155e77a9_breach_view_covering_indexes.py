"""Breach view covering indexes: the counts and the page read the task table's indexes alone.

Revision ID: c1e6155e77a9
Revises: 3cde743c29b6
Create Date: 2026-11-28

"""

import sqlalchemy as sa
from alembic import op

revision = "c1e6155e77a9"
down_revision = "3cde743c29b6"
branch_labels = None
depends_on = None

AT_RISK = sa.text("status = 'open' AND at_risk_at IS NOT NULL")
# The columns the breach view's counts read, carried in the index on PostgreSQL.
COUNT_COLUMNS = [
    "id", "due_at", "confidential", "clock", "name", "role", "department", "assignee_id", "title",
]


def upgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_task_open_at_risk", postgresql_where=AT_RISK, sqlite_where=AT_RISK
        )
        batch_op.create_index(
            "ix_task_open_at_risk",
            ["at_risk_at"],
            unique=False,
            postgresql_where=AT_RISK,
            sqlite_where=AT_RISK,
            postgresql_include=COUNT_COLUMNS,
        )
        batch_op.create_index(
            "ix_task_open_at_risk_due",
            ["due_at", "id"],
            unique=False,
            postgresql_where=AT_RISK,
            sqlite_where=AT_RISK,
            postgresql_include=["at_risk_at", "confidential"],
        )


def downgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_task_open_at_risk_due", postgresql_where=AT_RISK, sqlite_where=AT_RISK
        )
        batch_op.drop_index(
            "ix_task_open_at_risk", postgresql_where=AT_RISK, sqlite_where=AT_RISK
        )
        batch_op.create_index(
            "ix_task_open_at_risk",
            ["at_risk_at"],
            unique=False,
            postgresql_where=AT_RISK,
            sqlite_where=AT_RISK,
        )
