"""statements of decisions on content; the operator's evidence retention

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07

Issue 24, items 3 and 4. A statement of reasons of a decision on content is kept in
``issued_documents`` like a sanction's, its ``sanction_id`` holding the content decision's id
(``cd_...``; a sanction's is ``snc_...``), and so are its delivery receipt
(``statement_deliveries``) and its submission to the Transparency Database (``tdb_submissions``):
the column names what the decision is about, and its comment says so. No data moves: no content
decision existed before. ``worker_settings`` gains the operator's ``evidence_retention`` (an
ISO 8601 duration; null: the default, P1Y).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, old comment, new comment) of each ``sanction_id`` column that now names either.
_COMMENTS = (
    (
        "issued_documents",
        "the sanction the decision is about",
        "what the decision is about: a sanction (snc_...) or a content decision (cd_...)",
    ),
    (
        "statement_deliveries",
        "the sanction the statement is about",
        "what the statement is about: a sanction (snc_...) or a content decision (cd_...)",
    ),
    ("tdb_submissions", None, "the decision's sanction (snc_...) or content decision (cd_...)"),
)


def upgrade() -> None:
    with op.batch_alter_table("worker_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evidence_retention",
                sa.String(length=40),
                nullable=True,
                comment="ISO 8601 duration: content decisions' evidence is kept at least that long after the "
                "decision, and while a complaint or dispute about the item is possible or open; null: the default, P1Y",
            )
        )
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        for table, old, new in _COMMENTS:
            op.alter_column(
                table,
                "sanction_id",
                existing_type=sa.String(length=40),
                existing_nullable=False,
                comment=new,
                existing_comment=old,
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, old, new in _COMMENTS:
            op.alter_column(
                table,
                "sanction_id",
                existing_type=sa.String(length=40),
                existing_nullable=False,
                comment=old,
                existing_comment=new,
            )
    with op.batch_alter_table("worker_settings", schema=None) as batch_op:
        batch_op.drop_column("evidence_retention")
