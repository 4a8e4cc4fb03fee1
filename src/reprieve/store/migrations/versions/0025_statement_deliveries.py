"""statement_deliveries: the first delivery receipt of each issued statement

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

Issue 23, item 3 (PRODUCT.md section 8, "The user is informed"): ``POST /v1/statements/{id}/delivery``
records a ``statement.delivered`` event (statement, sanction, ``delivered_at``, channel; no
personal data) and this projection of it, read by the complaint window (art. 20(2): six months
from the day the user was informed). Rebuilt from the log; empty at first (no receipt existed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statement_deliveries",
        sa.Column(
            "statement_id", sa.String(length=40), nullable=False, comment="the issued statement (issued_documents.id)"
        ),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("sanction_id", sa.String(length=40), nullable=False, comment="the sanction the statement is about"),
        sa.Column(
            "delivered_at",
            sa.BigInteger(),
            nullable=False,
            comment="µs; when the platform says its user received it",
        ),
        sa.Column(
            "channel", sa.String(length=32), nullable=False, comment="how: in_app, email, post, other... (a short code)"
        ),
        sa.Column(
            "recorded_seq", sa.BigInteger(), nullable=False, comment="the statement.delivered event (for as_of reads)"
        ),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_statement_deliveries")),
        comment="The first delivery receipt of each issued statement (PRODUCT.md section 8, 'The user is "
        "informed'): the day the complaint window runs from. Rebuilt from the statement.delivered events.",
    )
    op.create_index("ix_statement_deliveries_sanction", "statement_deliveries", ["sanction_id"])


def downgrade() -> None:
    op.drop_index("ix_statement_deliveries_sanction", table_name="statement_deliveries")
    op.drop_table("statement_deliveries")
