"""ix_issued_documents_export: the kept export fields of the statements, read from an index

Revision ID: 0038
Revises: 0035
Create Date: 2026-12-07

Issue 24, the export's speed: on SQLite a statement's row holds its document in line (some
3.5 KB, a page of its own, about), so reading the kept export fields (``export_fields``, migration
0028) from the rows steps through a page a statement. This index holds them beside the statement's
decision, kind and seq, so that the export reads them from it alone
(``store.transparency.content_export_chunks``), about eight statements a page. Built here from the
rows there are (SQLite maintains it from then on); nothing to rebuild from the log (issued
documents are kept beside it). On PostgreSQL the export reads the rows (their documents are kept
apart, and a btree entry is limited to some 2.7 KB where the fields may reach 8 KB): the index
is empty there, by its condition.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_issued_documents_export",
        "issued_documents",
        ["sanction_id", "kind", "decision_seq", "export_fields"],
        unique=False,
        postgresql_where=sa.text("false"),
    )


def downgrade() -> None:
    op.drop_index("ix_issued_documents_export", table_name="issued_documents")
