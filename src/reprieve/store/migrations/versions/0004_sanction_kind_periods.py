"""sanction_kind_periods: which kind a sanction amended to another kind shows when

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reprieve.domain.sanctions import Change, kind_periods

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sanction_kind_periods",
        sa.Column("sanction_id", sa.String(length=40), nullable=False),
        sa.Column("shown_from", sa.BigInteger(), autoincrement=False, nullable=False, comment="µs, inclusive"),
        sa.Column("shown_until", sa.BigInteger(), nullable=False, comment="µs, exclusive; END_OF_TIME if none"),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="the kind the sanction shows then"),
        sa.ForeignKeyConstraint(
            ["sanction_id"], ["sanctions.id"], name=op.f("fk_sanction_kind_periods_sanction_id_sanctions")
        ),
        sa.PrimaryKeyConstraint("sanction_id", "shown_from", name=op.f("pk_sanction_kind_periods")),
        comment="Only for sanctions amended to another kind: which kind each shows when. "
        "Others show sanctions.kind at every instant.",
    )
    # Sanctions amended before this table existed: derive their periods from their history.
    conn = op.get_bind()
    periods = sa.table(
        "sanction_kind_periods",
        sa.column("sanction_id"),
        sa.column("shown_from"),
        sa.column("shown_until"),
        sa.column("kind"),
    )
    rows = conn.execute(sa.text("SELECT id, changes FROM sanctions WHERE created_seq <> updated_seq"))
    for sanction_id, changes in rows:
        found = kind_periods([Change.from_dict(c) for c in json.loads(changes)])
        if found:
            conn.execute(
                periods.insert(),
                [{"sanction_id": sanction_id, "shown_from": a, "shown_until": b, "kind": k.value} for a, b, k in found],
            )


def downgrade() -> None:
    op.drop_table("sanction_kind_periods")
