"""tdb endpoint and runs: submission state keyed by endpoint and puid; submission runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

``tdb_submissions`` was keyed by puid alone: a statement accepted by any endpoint counted as sent,
so a submission elsewhere kept it from the real database. Its rows already carry their endpoint;
the primary key becomes (endpoint, puid), every existing row kept as it is.

``tdb_runs`` records the submission runs the API and the CLI request, and the worker runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tdb_submissions", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_tdb_submissions", type_="primary")
        batch_op.alter_column(
            "endpoint",
            existing_type=sa.String(length=500),
            existing_nullable=False,
            comment="the Transparency Database it was sent to (REPRIEVE_TDB_URL)",
            existing_comment="where it was sent",
        )
        batch_op.create_primary_key("pk_tdb_submissions", ["endpoint", "puid"])
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.create_table_comment(
            "tdb_submissions",
            "Statements of reasons sent to the DSA Transparency Database, so that no puid is sent twice to the "
            "same database (keyed by endpoint and puid). Working state of the submitter, not rebuilt from the log.",
            existing_comment="Statements of reasons sent to the DSA Transparency Database, so that no puid is "
            "sent twice. Working state of the submitter, not rebuilt from the log.",
        )
    op.create_table(
        "tdb_runs",
        sa.Column("id", sa.String(length=40), nullable=False, comment="tdbr_<ULID>"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False, comment="REPRIEVE_TDB_URL when it was requested"),
        sa.Column("period_from", sa.BigInteger(), nullable=True, comment="µs since epoch, included; NULL: no bound"),
        sa.Column("period_to", sa.BigInteger(), nullable=True, comment="µs since epoch, excluded; NULL: no bound"),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, comment="queued, running, done or failed"),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.BigInteger(), nullable=False, comment="µs since epoch, wall clock"),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=True, comment="the worker (or command) running it"),
        sa.Column("leased_until", sa.BigInteger(), nullable=True, comment="µs since epoch: the owner's lease"),
        sa.Column("not_before", sa.BigInteger(), nullable=True, comment="µs since epoch: not taken up again before"),
        sa.Column(
            "progress", sa.Text(), nullable=False, comment="JSON: batches, accepted, already_there, rejected, ..."
        ),
        sa.Column(
            "error",
            sa.String(length=200),
            nullable=True,
            comment="a short class (HTTP 4xx, timeout, ...), never a body",
        ),
        sa.Column("status", sa.Integer(), nullable=True, comment="the HTTP status of the answer that stopped it"),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tdb_runs")),
        comment="Transparency Database submission runs: requested through the API or the CLI, run by the worker.",
    )
    with op.batch_alter_table("tdb_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tdb_runs_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index("ix_tdb_runs_state_requested", ["state", "requested_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tdb_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_tdb_runs_state_requested")
        batch_op.drop_index(batch_op.f("ix_tdb_runs_operator_id"))
    op.drop_table("tdb_runs")
    # A puid sent to several endpoints keeps one row: the one recorded last.
    op.execute(
        "DELETE FROM tdb_submissions WHERE EXISTS (SELECT 1 FROM tdb_submissions t2 WHERE t2.puid = "
        "tdb_submissions.puid AND (t2.updated_at > tdb_submissions.updated_at OR (t2.updated_at = "
        "tdb_submissions.updated_at AND t2.endpoint > tdb_submissions.endpoint)))"
    )
    with op.batch_alter_table("tdb_submissions", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_tdb_submissions", type_="primary")
        batch_op.create_primary_key("pk_tdb_submissions", ["puid"])
