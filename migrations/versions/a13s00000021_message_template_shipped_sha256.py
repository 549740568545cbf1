"""message_template.shipped_sha256: the SHA-256 of the shipped file's wording a version copies
or was edited beside, so that a template nobody edited follows the shipped file when it
changes, and an edited one says that it changed. The versions a deploy seeded (no author) are
copies of the file shipped then: each gets its own wording's hash. Administrators' versions
stay NULL (services.message_templates reads the newest seeded version before them).

The hash is services.message_templates.source_hash's, written out here (a migration keeps the
code of its day): subject, text and HTML, CRLF as LF, each stripped, joined by "\\n\\x1e\\n".

Revision ID: a13s00000021
Revises: a13r00000020
Create Date: 2026-11-30

"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "a13s00000021"
down_revision = "a13r00000020"
branch_labels = None
depends_on = None


def _hash(subject, body_text, body_html):
    parts = (subject or "", body_text or "", body_html or "")
    text = "\n\x1e\n".join(part.replace("\r\n", "\n").strip() for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade():
    with op.batch_alter_table("message_template") as batch:
        batch.add_column(sa.Column("shipped_sha256", sa.String(length=64), nullable=True))
    table = sa.table(
        "message_template",
        sa.column("id", sa.Integer),
        sa.column("subject", sa.Text),
        sa.column("body_text", sa.Text),
        sa.column("body_html", sa.Text),
        sa.column("created_by_id", sa.Integer),
        sa.column("shipped_sha256", sa.String),
    )
    connection = op.get_bind()
    seeded = connection.execute(
        sa.select(table.c.id, table.c.subject, table.c.body_text, table.c.body_html).where(
            table.c.created_by_id.is_(None)
        )
    ).all()
    for row_id, subject, body_text, body_html in seeded:
        connection.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(shipped_sha256=_hash(subject, body_text, body_html))
        )


def downgrade():
    with op.batch_alter_table("message_template") as batch:
        batch.drop_column("shipped_sha256")
