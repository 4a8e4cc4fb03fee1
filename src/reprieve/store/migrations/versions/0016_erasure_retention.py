"""erasure and retention of personal data: the requester's row keeps hashes once blanked; the
operator's retention period

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

Issue 21, items 3 and 4: an erasure blanks a requester's name and e-mail in ``appeal_requesters``
(the name becomes nullable) and keeps their SHA-256, when and by whom; ``worker_settings`` gains
the operator's ``retention`` (an ISO 8601 duration; null: the default), and its appeal target
becomes nullable (a row may set the retention only).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_OLD_COMMENT = "Operator settings of the worker; without a row the appeal target is P14D."
_NEW_COMMENT = (
    "Operator settings of the worker; without a value the appeal target is P14D, the retention "
    "the longest complaint window of the operator's platforms."
)


def upgrade() -> None:
    with op.batch_alter_table("appeal_requesters", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=200), nullable=True, comment="null once erased")
        batch_op.add_column(
            sa.Column("name_sha256", sa.String(length=64), nullable=True, comment="SHA-256 of the name, once erased")
        )
        batch_op.add_column(
            sa.Column("email_sha256", sa.String(length=64), nullable=True, comment="SHA-256 of the e-mail, once erased")
        )
        batch_op.add_column(sa.Column("erased_at", sa.BigInteger(), nullable=True, comment="µs; null: not erased"))
        batch_op.add_column(sa.Column("erased_by", sa.String(length=200), nullable=True, comment="the actor, by id"))
    with op.batch_alter_table("worker_settings", schema=None) as batch_op:
        batch_op.alter_column("appeal_target", existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(
            sa.Column(
                "retention",
                sa.String(length=40),
                nullable=True,
                comment="ISO 8601 duration: closed cases' personal data is purged that long after; null: default",
            )
        )
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.create_table_comment("worker_settings", _NEW_COMMENT, existing_comment=_OLD_COMMENT)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_table_comment("worker_settings", _OLD_COMMENT, existing_comment=_NEW_COMMENT)
    with op.batch_alter_table("worker_settings", schema=None) as batch_op:
        batch_op.drop_column("retention")
        batch_op.alter_column("appeal_target", existing_type=sa.String(length=40), nullable=False)
    with op.batch_alter_table("appeal_requesters", schema=None) as batch_op:
        batch_op.drop_column("erased_by")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("email_sha256")
        batch_op.drop_column("name_sha256")
        batch_op.alter_column("name", existing_type=sa.String(length=200), nullable=False, comment=None)
