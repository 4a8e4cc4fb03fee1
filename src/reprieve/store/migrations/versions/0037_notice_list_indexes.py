"""indexes of the notices list and the case page: in the list's order under each filter

Revision ID: 0037
Revises: 0035
Create Date: 2026-12-07

Issue 26 (speed): the notices list is in the order received (``received_at``, ``created_seq``),
of the caller's operator, filtered by state, platform or category; a case's notices are paged in
the same order. Each filter gets an index in that order, so that a page (the first, or one deep
behind a cursor) reads its rows in order instead of sorting every notice that matches: the
operator's (no filter), the platform's, the operator's by category, and the case's (in place of
the index on ``case_id`` alone). Indexes only: nothing to rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_notices_operator_received", "notices", ["operator_id", "received_at", "created_seq"])
    op.create_index("ix_notices_platform_received", "notices", ["platform_id", "received_at", "created_seq"])
    op.create_index(
        "ix_notices_operator_category", "notices", ["operator_id", "category", "received_at", "created_seq"]
    )
    op.create_index("ix_notices_case_received", "notices", ["case_id", "received_at", "created_seq"])
    op.drop_index("ix_notices_case_id", table_name="notices")


def downgrade() -> None:
    op.create_index("ix_notices_case_id", "notices", ["case_id"])
    op.drop_index("ix_notices_case_received", table_name="notices")
    op.drop_index("ix_notices_operator_category", table_name="notices")
    op.drop_index("ix_notices_platform_received", table_name="notices")
    op.drop_index("ix_notices_operator_received", table_name="notices")
