"""task.has_drafts: completing a task deletes drafts only when there are some

Revision ID: a13000000000
Revises: e12b4c5d6e7f
Create Date: 2026-11-29

"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "a13000000000"
down_revision = "e12b4c5d6e7f"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a constant default: no table copy, also on SQLite.
    op.add_column(
        "task", sa.Column("has_drafts", sa.Boolean(), server_default="0", nullable=False)
    )
    op.execute(
        "UPDATE task SET has_drafts = "
        + ("true" if op.get_bind().dialect.name == "postgresql" else "1")
        + " WHERE id IN (SELECT task_id FROM task_draft)"
    )


@contextmanager
def sqlite_foreign_keys_off():
    """On SQLite, foreign keys off while a batch operation copies the task table (dropping
    the old copy would otherwise cascade to the rows that refer to it)."""
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


def downgrade():
    with sqlite_foreign_keys_off(), op.batch_alter_table("task") as batch:
        batch.drop_column("has_drafts")
