"""api_token.parent_id: the token that minted this one through the API, so that revoking a
leaked token revokes what it minted too (ON DELETE CASCADE, down the whole chain).

Revision ID: a13n00000016
Revises: a13m00000015
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13n00000016"
down_revision = "a13m00000015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_token_parent_id_api_token"),
            "api_token",
            ["parent_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_api_token_parent_id"), ["parent_id"])


def downgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.drop_index(op.f("ix_api_token_parent_id"))
        batch.drop_constraint(op.f("fk_api_token_parent_id_api_token"), type_="foreignkey")
        batch.drop_column("parent_id")
