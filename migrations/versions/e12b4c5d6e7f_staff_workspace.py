"""staff workspace: internal notes, mentions, task drafts, staff attachments

Revision ID: e12b4c5d6e7f
Revises: e12a0d1f2a3b
Create Date: 2026-11-28

"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "e12b4c5d6e7f"
down_revision = "e12a0d1f2a3b"
branch_labels = None
depends_on = None


@contextmanager
def sqlite_foreign_keys_off():
    """On SQLite, foreign keys off while batch operations copy a table (user, task,
    attachment): dropping the old copy would otherwise fail, or cascade to the rows that
    refer to it. (The pragma is ignored inside a transaction: set it between two.)"""
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
    with sqlite_foreign_keys_off():
        _upgrade()


def _upgrade():
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
            name=op.f("fk_case_note_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_case_note_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    with op.batch_alter_table("case_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_note_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "note_mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["case_note.id"],
            name=op.f("fk_note_mention_note_id_case_note"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_note_mention_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_mention")),
        sa.UniqueConstraint("note_id", "user_id", name=op.f("uq_note_mention_note_id_user_id")),
    )
    with op.batch_alter_table("note_mention", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_mention_user_id"), ["user_id"], unique=False)

    op.create_table(
        "task_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_draft_task_id_task"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_task_draft_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_draft")),
        sa.UniqueConstraint("user_id", "task_id", name=op.f("uq_task_draft_user_id_task_id")),
    )
    with op.batch_alter_table("task_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_draft_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_attachment_task_id"), ["task_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_attachment_task_id_task"),
            "task",
            ["task_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with sqlite_foreign_keys_off():
        _downgrade()


def _downgrade():
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_attachment_task_id_task"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_attachment_task_id"))
        batch_op.drop_column("task_id")
    with op.batch_alter_table("task_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_draft_task_id"))
    op.drop_table("task_draft")
    with op.batch_alter_table("note_mention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_mention_user_id"))
    op.drop_table("note_mention")
    with op.batch_alter_table("case_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_note_complaint_id"))
    op.drop_table("case_note")
