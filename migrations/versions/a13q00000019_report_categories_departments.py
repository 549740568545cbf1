"""The complaints received by category and by department (the dashboard's and the management
review's tables "categories" and "departments"): ReportCodeDay kinds "category" and
"department" counted on the day of receipt, as "channel" is. A code may now hold a
department's name, so ReportCodeDay.code widens to 100 characters. Every day already rolled up
is marked stale, so the report round counts the new kinds a week per round (or
`flask rebuild-reports` at once); until a period's days are done, its tables of categories
and departments are incomplete.

Revision ID: a13q00000019
Revises: a13p00000018
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13q00000019"
down_revision = "a13p00000018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_code_day") as batch:
        batch.alter_column("code", existing_type=sa.String(length=60), type_=sa.String(length=100))
    op.execute(
        "INSERT INTO report_stale_day (day) SELECT DISTINCT day FROM report_day "
        "WHERE day NOT IN (SELECT day FROM report_stale_day)"
    )


def downgrade():
    op.execute("DELETE FROM report_code_day WHERE kind IN ('category', 'department')")
    with op.batch_alter_table("report_code_day") as batch:
        batch.alter_column("code", existing_type=sa.String(length=100), type_=sa.String(length=60))
