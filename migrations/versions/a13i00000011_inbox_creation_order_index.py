"""Inbox in creation order and by reference: two more indexes on open tasks.

ix_task_open_created is ix_task_open_due's twin for the "newest" and "oldest" orders: a page of
a role's open tasks in creation order reads its rows in order from the index and stops (page
10 read 250 entries, not the role's 10,000 to sort them), with the same INCLUDE columns on
PostgreSQL so the filters and the four-eyes rule need no table page. ix_task_open_reference
finds the open tasks of a reference typed in the search box without reading the role's.

Revision ID: a13i00000011
Revises: a13c00000010
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13i00000011"
down_revision = "a13c00000010"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
# What the inbox's filters, scopes, search and four-eyes rule read (as in a13h30000001).
INBOX_COLUMNS = [
    "confidential", "assignee_id", "team_id", "not_by", "complaint_id", "category", "severity",
    "channel", "case_status", "department", "reference", "complainant_name", "at_risk_at",
]


def upgrade():
    op.create_index(
        "ix_task_open_created",
        "task",
        ["role", "created_at", "id"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
        postgresql_include=INBOX_COLUMNS,
    )
    op.create_index(
        "ix_task_open_reference",
        "task",
        ["reference"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade():
    op.drop_index(
        "ix_task_open_reference", table_name="task", postgresql_where=OPEN, sqlite_where=OPEN
    )
    op.drop_index(
        "ix_task_open_created", table_name="task", postgresql_where=OPEN, sqlite_where=OPEN
    )
