"""the cut-over's checkpoint: log_checkpoints

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

Issue 21, histories already chained: ``reprieve audit cut-over`` moves the personal data of events
recorded before issue 21 into ``personal_data`` and records here (and in a ``log.checkpointed``
event) a signed digest of the rewritten prefix, which ``audit verify`` checks instead of the
prefix's hashes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "log_checkpoints",
        sa.Column(
            "event_seq", sa.BigInteger(), autoincrement=False, nullable=False, comment="the log.checkpointed event"
        ),
        sa.Column("head_seq", sa.BigInteger(), nullable=False, comment="the last event of the prefix it proves"),
        sa.Column("head_hash", sa.String(length=64), nullable=False, comment="that event's stored hash"),
        sa.Column(
            "rewritten",
            sa.BigInteger(),
            nullable=False,
            comment="events of the prefix whose personal fields were moved",
        ),
        sa.Column(
            "digest",
            sa.String(length=64),
            nullable=False,
            comment="running SHA-256 over the prefix as stored after the cut-over",
        ),
        sa.Column(
            "signature",
            sa.String(length=64),
            nullable=False,
            comment="HMAC-SHA-256 of the above under the checkpoint key",
        ),
        sa.Column("at", sa.String(length=40), nullable=False, comment="when the cut-over ran (the event's at)"),
        sa.PrimaryKeyConstraint("event_seq", name=op.f("pk_log_checkpoints")),
        comment="The cut-over's checkpoint (issue 21): proves the events whose personal data was moved out of "
        "the chain; the same facts are chained in its log.checkpointed event.",
    )


def downgrade() -> None:
    op.drop_table("log_checkpoints")
