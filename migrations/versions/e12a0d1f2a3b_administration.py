"""administration: departments, teams, organisation settings, user invitations

Revision ID: e12a0d1f2a3b
Revises: 7dbfe788a1b7
Create Date: 2026-11-28

"""

import datetime
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "e12a0d1f2a3b"
down_revision = "7dbfe788a1b7"
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
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
    )
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_team_department_id_department"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_department_id"), ["department_id"], unique=False)
    op.create_table(
        "team_member",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_team_member_team_id_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_team_member_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_member")),
    )
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_member_user_id"), ["user_id"], unique=False)
    op.create_table(
        "user_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_user_token_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_token_token_hash")),
    )
    with op.batch_alter_table("user_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_token_user_id"), ["user_id"], unique=False)
    op.create_table(
        "organisation_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("postal_address", sa.Text(), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=50), server_default="", nullable=False),
        sa.Column("complaints_email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("signature", sa.Text(), server_default="", nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=50), server_default="", nullable=False),
        sa.Column("ombudsman_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("ombudsman_address", sa.Text(), server_default="", nullable=False),
        sa.Column("ombudsman_phone", sa.String(length=50), server_default="", nullable=False),
        sa.Column("ombudsman_email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("ombudsman_website", sa.String(length=300), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_organisation_settings_updated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_settings")),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confidential_clearance", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_task_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_task_team_id_team"), "team", ["team_id"], ["id"], ondelete="SET NULL"
        )

    # Departments were free text: each distinct value becomes a managed department, so the
    # complaints keep their department (Complaint.department stores the department's name).
    connection = op.get_bind()
    names = connection.execute(
        sa.text(
            "SELECT DISTINCT department FROM complaint WHERE department <> '' ORDER BY department"
        )
    ).scalars()
    seen: set[str] = set()
    rows = []
    for name in names:
        name = name.strip()[:100]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            rows.append({"name": name, "active": True, "created_at": _now()})
    if rows:
        department = sa.table(
            "department",
            sa.column("name", sa.String()),
            sa.column("active", sa.Boolean()),
            sa.column("created_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(department, rows)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def downgrade():
    with sqlite_foreign_keys_off():
        _downgrade()


def _downgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_task_team_id_team"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_task_team_id"))
        batch_op.drop_column("team_id")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("confidential_clearance")
    op.drop_table("organisation_settings")
    with op.batch_alter_table("user_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_token_user_id"))
    op.drop_table("user_token")
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_member_user_id"))
    op.drop_table("team_member")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_department_id"))
    op.drop_table("team")
    op.drop_table("department")
