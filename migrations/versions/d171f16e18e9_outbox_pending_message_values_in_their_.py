"""Outbox: a pending message's template variables in their own column (not in html_body).

Revision ID: d171f16e18e9
Revises: c1e6155e77a9
Create Date: 2026-11-28

"""

import sqlalchemy as sa
from alembic import op

revision = "d171f16e18e9"
down_revision = "c1e6155e77a9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_values", sa.JSON(), nullable=True))
    # Rows not written yet kept their snapshot in html_body: move it.
    cast = "CAST(html_body AS JSON)" if op.get_bind().dialect.name == "postgresql" else "html_body"
    op.execute(
        f"UPDATE notification SET pending_values = {cast}, html_body = '' "
        "WHERE subject = '' AND html_body LIKE '{%'"
    )


def downgrade():
    op.execute(
        "UPDATE notification SET html_body = CAST(pending_values AS TEXT) "
        "WHERE pending_values IS NOT NULL"
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("pending_values")
