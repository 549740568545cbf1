"""Inbox covering index: the page's ids and every count read the open tasks' index alone.

ix_task_open_due gains `id` as its last key (the inbox's due order ends on it, so a page stops
after its 25 rows) and, on PostgreSQL, the columns the inbox filters on as INCLUDE columns: the
total, the tab counts and the page's ids are index-only scans, and only the page's rows are
read from the table (at a million complaints a role's open tasks lie on as many table pages).
ix_task_open_not_by holds the few open tasks with a four-eyes rule, which the inbox's filter
looks up once per query; ix_task_open_name_trgm serves the name search among open tasks
(trigrams on PostgreSQL, whose pg_trgm extension 15f7ee65c7cd created; a plain index on SQLite).

Revision ID: a13h30000001
Revises: a13800000008
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13h30000001"
down_revision = "a13800000008"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
FOUR_EYES = sa.text("status = 'open' AND not_by <> ''")
# What the inbox's filters, scopes, search and four-eyes rule read (services.models).
INBOX_COLUMNS = [
    "confidential", "assignee_id", "team_id", "not_by", "complaint_id", "category", "severity",
    "channel", "case_status", "department", "reference", "complainant_name", "at_risk_at",
]


def upgrade():
    op.drop_index("ix_task_open_due", table_name="task", postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index(
        "ix_task_open_due",
        "task",
        ["role", "due_at", "created_at", "id"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
        postgresql_include=INBOX_COLUMNS,
    )
    op.create_index(
        "ix_task_open_not_by",
        "task",
        ["role"],
        unique=False,
        postgresql_where=FOUR_EYES,
        sqlite_where=FOUR_EYES,
        postgresql_include=["id", "complaint_id", "not_by"],
    )
    op.create_index(
        "ix_task_open_name_trgm",
        "task",
        ["complainant_name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"complainant_name": "gin_trgm_ops"},
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade():
    op.drop_index(
        "ix_task_open_name_trgm",
        table_name="task",
        postgresql_using="gin",
        postgresql_ops={"complainant_name": "gin_trgm_ops"},
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.drop_index(
        "ix_task_open_not_by", table_name="task", postgresql_where=FOUR_EYES, sqlite_where=FOUR_EYES
    )
    op.drop_index("ix_task_open_due", table_name="task", postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index(
        "ix_task_open_due",
        "task",
        ["role", "due_at", "created_at"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
