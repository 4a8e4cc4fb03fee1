"""reviews of content decisions: a review names a sanction or a content decision, exactly one

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-07

Issue 25, item 3. A review re-examines a sanction or, now, a content decision: ``sanction_id``
becomes nullable, ``content_decision_id`` names the decision, and a check keeps exactly one of
the two. No data moves: every review before this one is of a sanction.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONE = "(sanction_id IS NULL) <> (content_decision_id IS NULL)"
_COMMENT_OLD = "Reviews of sanctions by a panel of reviewers."
_COMMENT_NEW = "Reviews of sanctions and of content decisions (exactly one of the two) by a panel of reviewers."


def upgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "content_decision_id",
                sa.String(length=40),
                nullable=True,
                comment="the content decision (cd_...) reviewed; null: a review of a sanction",
            )
        )
        batch_op.alter_column(
            "sanction_id",
            existing_type=sa.String(length=40),
            nullable=True,
            comment="the sanction reviewed; null: a review of a content decision",
        )
        batch_op.create_index("ix_reviews_content_decision_id", ["content_decision_id"], unique=False)
        batch_op.create_check_constraint("ck_reviews_one_subject", _ONE)
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.create_table_comment("reviews", _COMMENT_NEW, existing_comment=_COMMENT_OLD)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_table_comment("reviews", _COMMENT_OLD, existing_comment=_COMMENT_NEW)
    op.execute("DELETE FROM review_assessments WHERE review_id IN (SELECT id FROM reviews WHERE sanction_id IS NULL)")
    op.execute("DELETE FROM reviews WHERE sanction_id IS NULL")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_constraint("ck_reviews_one_subject", type_="check")
        batch_op.drop_index("ix_reviews_content_decision_id")
        batch_op.drop_column("content_decision_id")
        batch_op.alter_column("sanction_id", existing_type=sa.String(length=40), nullable=False, comment=None)
