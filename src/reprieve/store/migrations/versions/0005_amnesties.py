"""amnesties: bulk lifts that can be previewed, resumed and reverted

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "amnesties",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, comment="running, completed, reverting or reverted"),
        sa.Column("filter", sa.Text(), nullable=False, comment="JSON filter, as recorded in amnesty.started"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("effective_at", sa.BigInteger(), nullable=False, comment="µs; when its lifts take effect"),
        sa.Column("matched", sa.BigInteger(), nullable=False, comment="sanctions matched (and frozen) at the start"),
        sa.Column("lifted", sa.BigInteger(), nullable=False, comment="lift events recorded so far"),
        sa.Column(
            "skipped", sa.BigInteger(), nullable=True, comment="targets no longer active when reached; set at the end"
        ),
        sa.Column("restored", sa.BigInteger(), nullable=False, comment="sanctions re-imposed by the revert so far"),
        sa.Column(
            "left_alone", sa.BigInteger(), nullable=True, comment="lifted ones the revert left alone; set at the end"
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("finished_at", sa.BigInteger(), nullable=True, comment="µs; when the last batch of lifts committed"),
        sa.Column("revert_reason", sa.Text(), nullable=True),
        sa.Column("reverted_by", sa.String(length=200), nullable=True),
        sa.Column("revert_started_at", sa.BigInteger(), nullable=True, comment="µs"),
        sa.Column(
            "reverted_at", sa.BigInteger(), nullable=True, comment="µs; when the last batch of the revert committed"
        ),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_amnesties_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amnesties")),
        comment="Amnesties, rebuilt from amnesty.* events and the sanction.lifted events that name them.",
    )
    op.create_index(op.f("ix_amnesties_operator_id"), "amnesties", ["operator_id"], unique=False)
    op.create_table(
        "amnesty_targets",
        sa.Column("amnesty_id", sa.String(length=40), nullable=False),
        sa.Column(
            "position", sa.BigInteger(), autoincrement=False, nullable=False, comment="1, 2, ... in sanction id order"
        ),
        sa.Column("sanction_id", sa.String(length=40), nullable=False),
        sa.Column(
            "restored_id", sa.String(length=40), nullable=True, comment="the sanction the revert imposed in its place"
        ),
        sa.PrimaryKeyConstraint("amnesty_id", "position", name=op.f("pk_amnesty_targets")),
        comment="The sanctions an amnesty matched, frozen at its start: the work list of its batches. "
        "Written with the events of each batch; not rebuilt from the log.",
    )
    op.create_table(
        "amnesty_lift_ranges",
        sa.Column("amnesty_id", sa.String(length=40), nullable=False),
        sa.Column(
            "first_seq", sa.BigInteger(), autoincrement=False, nullable=False, comment="first lift event of a batch"
        ),
        sa.Column("last_seq", sa.BigInteger(), nullable=False, comment="last lift event of the batch"),
        sa.PrimaryKeyConstraint("amnesty_id", "first_seq", name=op.f("pk_amnesty_lift_ranges")),
        comment="The seqs of each batch's lift events (a batch's events are consecutive in the log): a sanction "
        "whose updated_seq falls in one was lifted by the amnesty and changed by nothing since.",
    )
    op.create_table(
        "amnesty_runs",
        sa.Column("amnesty_id", sa.String(length=40), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False, comment="lift or revert"),
        sa.Column("position", sa.BigInteger(), nullable=False, comment="targets up to this position are done"),
        sa.Column("total", sa.BigInteger(), nullable=False, comment="last position of the targets"),
        sa.Column("processed", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False, comment="lift: no longer active; revert: left alone"),
        sa.Column("done", sa.Integer(), nullable=False, comment="1 once the last batch committed"),
        sa.Column("claimed_by", sa.String(length=200), nullable=True, comment="the process working on it"),
        sa.Column("lease_until", sa.BigInteger(), nullable=True, comment="µs; another process may take over after it"),
        sa.Column("started_at", sa.BigInteger(), nullable=False, comment="µs, wall clock: rate and ETA count from it"),
        sa.Column("updated_at", sa.BigInteger(), nullable=False, comment="µs, wall clock of the last batch"),
        sa.Column("resumed_at", sa.BigInteger(), nullable=True, comment="µs; the last take-over after a stop"),
        sa.Column("resumed_from", sa.BigInteger(), nullable=True, comment="processed when it was last taken over"),
        sa.Column("error", sa.Text(), nullable=True, comment="why the last attempt stopped, if it failed"),
        sa.PrimaryKeyConstraint("amnesty_id", "phase", name=op.f("pk_amnesty_runs")),
        comment="Where each pass of an amnesty stands: its cursor, moved in the transaction of each batch, "
        "and its lease. Working state, not rebuilt from the log.",
    )
    op.create_index(
        "ix_sanctions_amnesty_match",
        "sanctions",
        ["operator_id", "id", "kind", "starts_at", "ends_at", "lifted_at", "created_seq", "updated_seq", "category"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_sanctions_amnesty_match", table_name="sanctions")
    op.drop_table("amnesty_runs")
    op.drop_table("amnesty_lift_ranges")
    op.drop_table("amnesty_targets")
    op.drop_index(op.f("ix_amnesties_operator_id"), table_name="amnesties")
    op.drop_table("amnesties")
