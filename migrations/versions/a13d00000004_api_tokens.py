"""api tokens: several named tokens per user with scopes and expiry; service accounts

Revision ID: a13d00000004
Revises: a13000000000
Create Date: 2026-11-29

Each user's single token (user.api_token_hash) becomes an api_token row named "legacy" with
every scope (authentication still never grants more than the user's roles allow).
"""

from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "a13d00000004"
down_revision = "a13000000000"
branch_labels = None
depends_on = None

ALL_SCOPES = "read tasks intake admin"


@contextmanager
def sqlite_foreign_keys_off():
    """On SQLite, foreign keys off while batch operations copy the user table: dropping the
    old copy would otherwise fail, or cascade to the rows that refer to it. (The pragma is
    ignored inside a transaction: set it between two.)"""
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
    api_token = op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_api_token_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_api_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_api_token_user_id_name")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    connection = op.get_bind()
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("api_token_hash", sa.String))
    rows = connection.execute(
        sa.select(user.c.id, user.c.api_token_hash).where(user.c.api_token_hash.is_not(None))
    ).all()
    if rows:
        now = datetime.now(UTC)
        for user_id, token_hash in rows:
            connection.execute(
                api_token.insert().values(
                    user_id=user_id,
                    name="legacy",
                    prefix="",
                    token_hash=token_hash,
                    scopes=ALL_SCOPES,
                    created_at=now,
                )
            )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("service_account", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("uq_user_api_token_hash"), type_="unique")
        batch_op.drop_column("api_token_hash")


def downgrade():
    with sqlite_foreign_keys_off():
        _downgrade()


def _downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_user_api_token_hash"), ["api_token_hash"])
        batch_op.drop_column("service_account")
    # Each user keeps one token: the one used last (or created last).
    connection = op.get_bind()
    api_token = sa.table(
        "api_token",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("token_hash", sa.String),
    )
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("api_token_hash", sa.String))
    kept: dict[int, str] = {}
    for user_id, token_hash in connection.execute(
        sa.select(api_token.c.user_id, api_token.c.token_hash).order_by(api_token.c.id)
    ):
        kept[user_id] = token_hash
    for user_id, token_hash in kept.items():
        connection.execute(
            user.update().where(user.c.id == user_id).values(api_token_hash=token_hash)
        )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
    op.drop_table("api_token")
