"""personal data out of the chain: the personal_data table, and the projections' references to it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Issue 21: new events carry ``{"ref": "pd_..."}`` where they carried a person's text (an appeal's
statement and reply, a dispute's body and summary, an account's display name); the text sits in
``personal_data``, outside the chain, where an erasure blanks it and keeps its SHA-256. The
projections keep the reference beside the old text column (which old events still fill).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REF = "reference into personal_data (new events); else the text column holds an old event's text"
_REFS = (
    ("appeals", "statement_ref"),
    ("appeals", "reply_ref"),
    ("appeal_disputes", "body_ref"),
    ("appeal_disputes", "summary_ref"),
    ("accounts", "display_name_ref"),
)


def upgrade() -> None:
    op.create_table(
        "personal_data",
        sa.Column("id", sa.String(length=40), nullable=False, comment='the reference events carry: {"ref": id}'),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=40),
            nullable=False,
            comment="e.g. appeal.statement, appeal.reply, account.display_name",
        ),
        sa.Column(
            "subject",
            sa.String(length=300),
            nullable=False,
            comment="what an erasure names: a requester reference, an account",
        ),
        sa.Column("value", sa.Text(), nullable=True, comment="the text; null once erased"),
        sa.Column("sha256", sa.String(length=64), nullable=False, comment="SHA-256 of the text, kept after erasure"),
        sa.Column("created_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("erased_at", sa.BigInteger(), nullable=True, comment="µs; null: not erased"),
        sa.Column("erased_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data")),
        comment="Personal data referenced by events, outside the chain: blanked on erasure, its hash kept. "
        "Written beside the event that references it; not rebuilt from the log.",
    )
    op.create_index("ix_personal_data_operator_subject", "personal_data", ["operator_id", "subject"])
    for table, column in _REFS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.String(length=40), nullable=True, comment=_REF))


def downgrade() -> None:
    for table, column in reversed(_REFS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    op.drop_index("ix_personal_data_operator_subject", table_name="personal_data")
    op.drop_table("personal_data")
