"""complaint.timers_set_aside_at: when the timer rounds set a complaint aside because
evaluating its timers ended the timer process (the diagram-code backstop) time after time;
and on PostgreSQL the rounds' attempt ledger, timer_attempt, which they write outside their
own transaction (services/timer_attempts.py; on SQLite it is a file beside the database).

Revision ID: a13t00000022
Revises: a13s00000021
Create Date: 2026-11-30

"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "a13t00000022"
down_revision = "a13s00000021"
branch_labels = None
depends_on = None


@contextmanager
def sqlite_foreign_keys_off():
    """On SQLite, foreign keys off while a batch operation copies the complaint table: dropping
    the old copy would otherwise cascade to every complaint's tasks, messages and history.
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
    with sqlite_foreign_keys_off(), op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("timers_set_aside_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_complaint_timers_set_aside_at",
        "complaint",
        ["timers_set_aside_at"],
        postgresql_where=sa.text("timers_set_aside_at IS NOT NULL"),
        sqlite_where=sa.text("timers_set_aside_at IS NOT NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_table(
            "timer_attempt",
            sa.Column("complaint_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_timer_attempt")),
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("timer_attempt")
    op.drop_index("ix_complaint_timers_set_aside_at", table_name="complaint")
    with sqlite_foreign_keys_off(), op.batch_alter_table("complaint") as batch:
        batch.drop_column("timers_set_aside_at")
