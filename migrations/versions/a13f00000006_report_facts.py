"""report facts (one narrow row per complaint, for views filtered on several dimensions) and
the recurring problems' snapshot

Revision ID: a13f00000006
Revises: a13e00000005
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "a13f00000006"
down_revision = "a13e00000005"
branch_labels = None
depends_on = None

DIMENSIONS = ("category", "channel", "department", "severity", "route", "handler_id")
EVENTS = (
    "received_at",
    "acknowledged_at",
    "responded_at",
    "closed_at",
    "escalated_at",
    "reopened_at",
    "appeal_requested_at",
    "surveyed_at",
)
COPIED = (
    "confidential",
    "category",
    "channel",
    "department",
    "severity",
    "route",
    "handler_id",
    *EVENTS,
    "satisfaction_score",
    "outcome",
    "root_cause_category",
    "escalation_target",
    "compensation_paid",
    "breaches",
    "ack_working_seconds",
    "resolve_working_seconds",
    "close_working_seconds",
)


def upgrade():
    op.create_table(
        "report_fact",
        sa.Column("complaint_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("route", sa.String(length=20), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("surveyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("satisfaction_score", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=60), nullable=True),
        sa.Column("root_cause_category", sa.String(length=40), nullable=True),
        sa.Column("escalation_target", sa.String(length=40), nullable=True),
        sa.Column("compensation_paid", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("ack_working_seconds", sa.Integer(), nullable=True),
        sa.Column("resolve_working_seconds", sa.Integer(), nullable=True),
        sa.Column("close_working_seconds", sa.Integer(), nullable=True),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_report_fact_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_report_fact")),
    )
    # The complaints there are now, in order of receipt (services.reporting.write_facts).
    postgresql = op.get_bind().dialect.name == "postgresql"
    latest = "greatest" if postgresql else "max"
    joined = "string_agg" if postgresql else "group_concat"
    events = ", ".join(f"coalesce({name}, received_at)" for name in EVENTS)
    columns = ", ".join(COPIED)
    op.execute(
        f"INSERT INTO report_fact (complaint_id, {columns}, until_at, codes) "  # noqa: S608
        f"SELECT id, {columns}, CASE WHEN closed_at IS NULL THEN NULL "
        f"ELSE {latest}({events}) END, coalesce((SELECT {joined}(kind || ':' || code, ' ') "
        "FROM complaint_code WHERE complaint_id = complaint.id AND kind IN "
        "('resolution_code', 'remedy', 'clock_met', 'clock_breached')), '') "
        "FROM complaint ORDER BY received_at, id"
    )
    op.create_index("ix_report_fact_received", "report_fact", ["received_at"], unique=False)
    op.create_index("ix_report_fact_until", "report_fact", ["until_at"], unique=False)
    for name in DIMENSIONS:
        op.create_index(f"ix_report_fact_{name}", "report_fact", [name], unique=False)
    op.create_table(
        "recurring_snapshot",
        sa.Column("clearance", sa.Boolean(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("newest_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("clearance", name=op.f("pk_recurring_snapshot")),
    )


def downgrade():
    op.drop_table("recurring_snapshot")
    for name in DIMENSIONS:
        op.drop_index(f"ix_report_fact_{name}", table_name="report_fact")
    op.drop_index("ix_report_fact_until", table_name="report_fact")
    op.drop_index("ix_report_fact_received", table_name="report_fact")
    op.drop_table("report_fact")
