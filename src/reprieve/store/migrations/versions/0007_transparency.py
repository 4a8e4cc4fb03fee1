"""transparency: DSA Transparency Database submissions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tdb_submissions",
        sa.Column("puid", sa.String(length=500), nullable=False, comment="the statement's platform unique identifier"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("sanction_id", sa.String(length=40), nullable=False),
        sa.Column(
            "state",
            sa.String(length=16),
            nullable=False,
            comment="sending (written before the POST), accepted, or rejected (422 for this statement)",
        ),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="POSTs that carried this statement"),
        sa.Column("errors", sa.Text(), nullable=True, comment="JSON: the database's per-field errors, when rejected"),
        sa.Column("endpoint", sa.String(length=500), nullable=False, comment="where it was sent"),
        sa.Column("updated_at", sa.BigInteger(), nullable=False, comment="µs since epoch, wall clock"),
        sa.PrimaryKeyConstraint("puid", name=op.f("pk_tdb_submissions")),
        comment="Statements of reasons sent to the DSA Transparency Database, so that no puid is sent twice. "
        "Working state of the submitter, not rebuilt from the log.",
    )
    with op.batch_alter_table("tdb_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tdb_submissions_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tdb_submissions_sanction_id"), ["sanction_id"], unique=False)
        batch_op.create_index("ix_tdb_submissions_operator_state", ["operator_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tdb_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_tdb_submissions_operator_state")
        batch_op.drop_index(batch_op.f("ix_tdb_submissions_sanction_id"))
        batch_op.drop_index(batch_op.f("ix_tdb_submissions_operator_id"))
    op.drop_table("tdb_submissions")
