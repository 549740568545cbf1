"""department.name_fr: a department's name for French readers, beside its name (English, the
one complaints carry). Filled from the name, so every department reads as before until an
administrator gives its French name; unique like the name.

Revision ID: a13r00000020
Revises: a13q00000019
Create Date: 2026-11-30

"""

import sqlalchemy as sa
from alembic import op

revision = "a13r00000020"
down_revision = "a13q00000019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("department") as batch:
        batch.add_column(sa.Column("name_fr", sa.String(length=100), nullable=True))
    op.execute("UPDATE department SET name_fr = name")
    with op.batch_alter_table("department") as batch:
        batch.alter_column("name_fr", existing_type=sa.String(length=100), nullable=False)
        batch.create_unique_constraint(batch.f("uq_department_name_fr"), ["name_fr"])


def downgrade():
    with op.batch_alter_table("department") as batch:
        batch.drop_constraint(batch.f("uq_department_name_fr"), type_="unique")
        batch.drop_column("name_fr")
