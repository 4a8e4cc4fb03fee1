"""reviews and amnesties of content decisions: a review names a sanction or a content decision,
exactly one; an amnesty counts the content decisions it matched and restored

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07

Issue 25, item 3. A review re-examines a sanction or, now, a content decision: ``sanction_id``
becomes nullable, ``content_decision_id`` names the decision, and a check keeps exactly one of
the two. An amnesty whose filter covers content freezes its content decisions after its
sanctions (``amnesty_targets``) and counts them (``amnesties.content_matched``,
``content_restored``). No data moves: every review and amnesty before this one is of sanctions.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
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
    with op.batch_alter_table("amnesties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "content_matched",
                sa.BigInteger(),
                nullable=False,
                server_default="0",
                comment="of matched, the content decisions (their targets come after the sanctions')",
            )
        )
        batch_op.add_column(
            sa.Column(
                "content_restored",
                sa.BigInteger(),
                nullable=False,
                server_default="0",
                comment="content.restored events recorded so far by the amnesty",
            )
        )
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.create_table_comment("reviews", _COMMENT_NEW, existing_comment=_COMMENT_OLD)
        op.alter_column(
            "amnesties",
            "matched",
            existing_type=sa.BigInteger(),
            existing_nullable=False,
            comment="sanctions and content decisions matched (and frozen) at the start",
            existing_comment="sanctions matched (and frozen) at the start",
        )
        op.alter_column(
            "amnesty_targets",
            "sanction_id",
            existing_type=sa.String(length=40),
            existing_nullable=False,
            comment="the sanction, or the content decision (cd_...) for positions after the sanctions'",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_table_comment("reviews", _COMMENT_OLD, existing_comment=_COMMENT_NEW)
        op.alter_column(
            "amnesties",
            "matched",
            existing_type=sa.BigInteger(),
            existing_nullable=False,
            comment="sanctions matched (and frozen) at the start",
        )
        op.alter_column("amnesty_targets", "sanction_id", existing_type=sa.String(length=40), comment=None)
    with op.batch_alter_table("amnesties", schema=None) as batch_op:
        batch_op.drop_column("content_restored")
        batch_op.drop_column("content_matched")
    op.execute("DELETE FROM review_assessments WHERE review_id IN (SELECT id FROM reviews WHERE sanction_id IS NULL)")
    op.execute("DELETE FROM reviews WHERE sanction_id IS NULL")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_constraint("ck_reviews_one_subject", type_="check")
        batch_op.drop_index("ix_reviews_content_decision_id")
        batch_op.drop_column("content_decision_id")
        batch_op.alter_column("sanction_id", existing_type=sa.String(length=40), nullable=False, comment=None)
