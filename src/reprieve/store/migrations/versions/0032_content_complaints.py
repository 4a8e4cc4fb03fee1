"""complaints about content decisions; a restored content decision's strike keeps its own expiry

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07

Issue 25, item 3. An appeal names a sanction or a content decision, exactly one of them
(``appeals.sanction_id`` becomes nullable, ``appeals.content_decision_id`` is new). A violation
that is a content decision's strike keeps the expiry its policy gave it (``strike_expiry``) apart
from the end the decision's first restoration put in ``strike_expires_at``, and the event that
recorded that restoration (``strike_ended_seq``): a read as of an instant before the
restoration was recorded sees the strike as it was then known (PRODUCT.md section 8).

The existing rows get ``strike_expiry = strike_expires_at``. A strike ended by a restoration
before this revision lost its own expiry: ``reprieve audit rebuild`` recomputes it from the log.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMENT_OLD = "Complaints (DSA art. 20) and reinstatement requests against sanctions."
_COMMENT_NEW = "Complaints (DSA art. 20) and reinstatement requests against sanctions, complaints about content."
_ONE_TARGET = "(sanction_id IS NULL) <> (content_decision_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.alter_column("sanction_id", existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(
            sa.Column(
                "content_decision_id",
                sa.String(length=40),
                nullable=True,
                comment="the content decision (cd_...) complained about; null: an appeal against a sanction",
            )
        )
        batch_op.create_foreign_key(
            "fk_appeals_content_decision_id_content_decisions", "content_decisions", ["content_decision_id"], ["id"]
        )
        batch_op.create_index("ix_appeals_content_decision_state", ["content_decision_id", "state"], unique=False)
        batch_op.create_check_constraint("ck_appeals_one_target", _ONE_TARGET)
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "strike_expiry",
                sa.BigInteger(),
                nullable=True,
                comment="µs; null: never. The strike's own expiry, which a restoration of its content decision "
                "leaves as it was",
            )
        )
        batch_op.add_column(
            sa.Column(
                "strike_ended_seq",
                sa.BigInteger(),
                nullable=True,
                comment="the event (seq) of its content decision's first restoration, which ended the strike at "
                "strike_expires_at; null: none did",
            )
        )
    op.execute("UPDATE violations SET strike_expiry = strike_expires_at")
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.create_table_comment("appeals", _COMMENT_NEW, existing_comment=_COMMENT_OLD)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_table_comment("appeals", _COMMENT_OLD, existing_comment=_COMMENT_NEW)
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.drop_column("strike_ended_seq")
        batch_op.drop_column("strike_expiry")
    if op.get_bind().execute(sa.text("SELECT 1 FROM appeals WHERE sanction_id IS NULL LIMIT 1")).first():
        raise RuntimeError("complaints about content decisions are recorded: revision 0031 cannot hold them")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_constraint("ck_appeals_one_target", type_="check")
        batch_op.drop_index("ix_appeals_content_decision_state")
        batch_op.drop_constraint("fk_appeals_content_decision_id_content_decisions", type_="foreignkey")
        batch_op.drop_column("content_decision_id")
        batch_op.alter_column("sanction_id", existing_type=sa.String(length=40), nullable=False)
