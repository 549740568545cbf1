"""organisation_settings.name_fr and signature_fr: the name and signature block French letters
print (empty: the English ones, as before).

Revision ID: a13o00000017
Revises: a13n00000016
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13o00000017"
down_revision = "a13n00000016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation_settings") as batch:
        batch.add_column(sa.Column("name_fr", sa.String(200), server_default="", nullable=False))
        batch.add_column(sa.Column("signature_fr", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("organisation_settings") as batch:
        batch.drop_column("signature_fr")
        batch.drop_column("name_fr")
