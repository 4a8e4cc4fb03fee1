"""amnesty speed: room on the pages of sanctions and their spans, for updates in place

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21

An amnesty rewrites every row it lifts: its sanction (``lifted_at``, ``changes``, ``updated_seq``)
and the spans cut at the lift (``active_until``). On PostgreSQL a new row version goes on the
page of the old one only if that page has room, and only then may it skip the indexes (a HOT
update, for a change to no indexed column: the spans' ``active_until``). Bulk-loaded pages are
full, so every version went to a new page, with a new entry in every index.

- ``sanction_spans``: fillfactor 50. A batch updates every span of its pages in one transaction,
  so a page must hold a second version of each: the lift's span updates become HOT (no index
  entries, a seventh of the WAL).
- ``sanctions``: fillfactor 85. Its rows are wide (about 1 kB) and a lift changes indexed columns,
  so its updates are never HOT; the room keeps a new version on its page more often.

The setting applies to pages written from now on (``VACUUM FULL`` or a reload applies it to the
existing rows). SQLite has no such setting: nothing to do there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sanction_spans SET (fillfactor = 50)")
        op.execute("ALTER TABLE sanctions SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sanctions RESET (fillfactor)")
        op.execute("ALTER TABLE sanction_spans RESET (fillfactor)")
