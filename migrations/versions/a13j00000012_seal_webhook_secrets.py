"""Webhook signing secrets sealed in the database (services.sealing), no longer in clear.

Each stored secret is encrypted with Fernet under a key HKDF derives from SECRET_KEY (the
derivation is repeated here: a migration must not change when the code does). The downgrade
opens them again. Without a SECRET_KEY (a bare `flask db upgrade` in a test) there is nothing
to seal with, and rows stay as they are: the application reads a value without the "sealed:"
mark as clear text.

Revision ID: a13j00000012
Revises: a13i00000011
Create Date: 2026-11-29

"""

import base64

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "a13j00000012"
down_revision = "a13i00000011"
branch_labels = None
depends_on = None

PREFIX = "sealed:"


def _fernet():
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret_key = str(current_app.config.get("SECRET_KEY") or "")
    if not secret_key:
        return None
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"complaintflow stored secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _rewrite(change):
    fernet = _fernet()
    if fernet is None:
        return
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, secret FROM webhook_subscription")).all()
    for row_id, secret in rows:
        new = change(fernet, secret)
        if new != secret:
            bind.execute(
                sa.text("UPDATE webhook_subscription SET secret = :s WHERE id = :i"),
                {"s": new, "i": row_id},
            )


def upgrade():
    _rewrite(
        lambda fernet, secret: secret
        if secret.startswith(PREFIX)
        else PREFIX + fernet.encrypt(secret.encode()).decode()
    )


def downgrade():
    _rewrite(
        lambda fernet, secret: fernet.decrypt(secret[len(PREFIX) :].encode()).decode()
        if secret.startswith(PREFIX)
        else secret
    )
