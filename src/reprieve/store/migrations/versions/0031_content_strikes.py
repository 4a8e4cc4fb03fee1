"""strikes from content decisions: a violation names the content decision whose strike it is

Revision ID: 0031
Revises: 0027
Create Date: 2026-12-07

Issue 25, item 1. A content decision that counts as a strike records its strike as a violation
(``violations``), which now names the decision (``content_decision_id``); a restoration of the
decision ends the strike (``strike_expires_at``, whose comment says so). No data moves: no
content decision counted as a strike before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EXPIRY_OLD = "µs; null: never"
_EXPIRY_NEW = "µs; null: never. Its expiry, or the first restoration of its content decision if earlier"


def upgrade() -> None:
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "content_decision_id",
                sa.String(length=40),
                nullable=True,
                comment="the content decision (cd_...) whose strike this is; null: a violation about no item",
            )
        )
        batch_op.create_index("ix_violations_content_decision_id", ["content_decision_id"], unique=False)
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.alter_column(
            "violations",
            "strike_expires_at",
            existing_type=sa.BigInteger(),
            existing_nullable=True,
            comment=_EXPIRY_NEW,
            existing_comment=_EXPIRY_OLD,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "violations",
            "strike_expires_at",
            existing_type=sa.BigInteger(),
            existing_nullable=True,
            comment=_EXPIRY_OLD,
            existing_comment=_EXPIRY_NEW,
        )
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.drop_index("ix_violations_content_decision_id")
        batch_op.drop_column("content_decision_id")
