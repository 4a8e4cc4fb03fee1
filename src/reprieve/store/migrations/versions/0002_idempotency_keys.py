"""idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column(
            "scope",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the bearer secret: keys are per token",
        ),
        sa.Column("key", sa.String(length=255), nullable=False, comment="the client's Idempotency-Key header"),
        sa.Column(
            "fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of method, path, query and body",
        ),
        sa.Column(
            "status",
            sa.Integer(),
            nullable=True,
            comment="HTTP status of the first answer; null while it runs",
        ),
        sa.Column("content_type", sa.String(length=100), nullable=True, comment="content type of the first answer"),
        sa.Column("body", sa.Text(), nullable=True, comment="body of the first answer, replayed to retries"),
        sa.Column(
            "created_at",
            sa.BigInteger(),
            nullable=False,
            comment="µs since epoch; keys are forgotten after a day",
        ),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
        comment="First answers to POSTs sent with an Idempotency-Key. Not an event: a cache of replies.",
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_created_at")
    op.drop_table("idempotency_keys")
