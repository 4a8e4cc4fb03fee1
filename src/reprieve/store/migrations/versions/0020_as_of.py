"""as_of: the event log by recording instant

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07

Issue 22, items 1 and 2: a read ``as_of`` an instant uses the events recorded by then, a prefix
of the log (the recording instants never go backwards). ``store/asof.py`` finds its last seq by
this index in a probe or two, instead of walking the log.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_at_seq", "events", ["at", "seq"])


def downgrade() -> None:
    op.drop_index("ix_events_at_seq", table_name="events")
