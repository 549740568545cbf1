"""api_token and webhook_subscription never reuse an id on SQLite (AUTOINCREMENT): a retried
DELETE /tokens/{id} or /webhooks/{id} revoked or removed the token or subscription made
since with the deleted one's id (SQLite gives a new row the largest id + 1, so deleting the
last row freed its id). PostgreSQL's sequences never reuse one: nothing to do there.

Revision ID: a13p00000018
Revises: a13o00000017
Create Date: 2026-11-29

"""

from contextlib import contextmanager

from alembic import op

revision = "a13p00000018"
down_revision = "a13o00000017"
branch_labels = None
depends_on = None

TABLES = ("api_token", "webhook_subscription")


@contextmanager
def sqlite_foreign_keys_off():
    """Foreign keys off while a batch operation copies a table (dropping the old one would
    otherwise cascade to the rows that refer to it). The pragma is ignored inside a
    transaction: set it between two."""
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with sqlite_foreign_keys_off():
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
            ):
                pass


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
