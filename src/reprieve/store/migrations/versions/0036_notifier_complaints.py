"""appeals.notice_id: notifiers' complaints about the decision on their notice (DSA art. 20(1))

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07

Issue 26, part 2 (PRODUCT.md section 10): a notifier may complain about the decision taken on
their notice, "no action" included. An appeal names exactly one of a sanction, a content decision
and a notice (``ck_appeals_one_target`` is widened). Rebuilt from the log like the rest of
``appeals`` (``appeal.filed`` carries ``notice``). Empty at first: no such complaint existed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TWO_TARGETS = "(sanction_id IS NULL) <> (content_decision_id IS NULL)"
_THREE_TARGETS = (
    "(CASE WHEN sanction_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN content_decision_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN notice_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "notice_id",
                sa.String(length=40),
                nullable=True,
                comment="the notice (ntc_...) whose decision its notifier complains about (art. 20(1)); null: not one",
            )
        )
        batch_op.create_index("ix_appeals_notice_state", ["notice_id", "state"], unique=False)
        batch_op.drop_constraint("ck_appeals_one_target", type_="check")
        batch_op.create_check_constraint("ck_appeals_one_target", _THREE_TARGETS)


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_constraint("ck_appeals_one_target", type_="check")
        batch_op.create_check_constraint("ck_appeals_one_target", _TWO_TARGETS)
        batch_op.drop_index("ix_appeals_notice_state")
        batch_op.drop_column("notice_id")
