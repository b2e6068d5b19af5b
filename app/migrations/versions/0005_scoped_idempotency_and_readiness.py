"""idempotency keys scoped to the API key that sent them, claimed before the write; a readiness row;
the secret that turns memory ids into the ids clients see (``app.store.ids``); on SQLite, memory ids
that are never reused

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The old table's key was the header value alone, shared by every tenant. Its rows are only a
retry window (MEMNN_IDEMPOTENCY_HOURS) and name no API key, so they are dropped: a retry that
spans this upgrade writes again.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # ids never reused (tables.Memory); env.py turns FKs off meanwhile
        with op.batch_alter_table("memories", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass
    op.drop_table("idempotency_keys")
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("first_position", sa.BigInteger(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    readiness = op.create_table(
        "readiness",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.bulk_insert(readiness, [{"id": 1, "checked_at": None}])
    service_secrets = op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.bulk_insert(service_secrets, [{"name": "memory_ids", "value": secrets.token_hex(48)}])


def downgrade() -> None:
    op.drop_table("service_secrets")
    op.drop_table("readiness")
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    op.drop_table("idempotency_keys")
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
