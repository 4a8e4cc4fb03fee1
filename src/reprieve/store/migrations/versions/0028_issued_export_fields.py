"""issued_documents.export_fields: what the Transparency Database export takes of a content statement

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07

Issue 24, the export's speed: a content decision's statement of reasons is some 3.5 KB of JSON,
of which the Transparency Database export takes some twenty values. They are kept beside it, as
issued, in a compact JSON array (``dsa.tdb.content_export_fields``), written when the statement is
issued and blanked with its text on an erasure; the export parses the array and never the
document. Filled here for the content statements issued before (their texts not erased); a row
left null is exported from its document, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

from reprieve.dsa.tdb import content_export_fields
from reprieve.store.issued import unpacked

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Statements read and filled per round trip.
_CHUNK = 1000


def upgrade() -> None:
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "export_fields",
                sa.LargeBinary(),
                nullable=True,
                comment="a content decision's statement: what the Transparency Database export takes of document, "
                "as a compact JSON array (dsa.tdb.content_export_fields); null for other documents, and once erased",
            )
        )
    conn = op.get_bind()
    docs = sa.table(
        "issued_documents",
        sa.column("id"),
        sa.column("kind"),
        sa.column("sanction_id"),
        sa.column("document", sa.LargeBinary()),
        sa.column("packing"),
        sa.column("export_fields", sa.LargeBinary()),
    )
    c = docs.c
    fill = docs.update().where(c.id == sa.bindparam("doc_id")).values(export_fields=sa.bindparam("fields"))
    after = ""
    while True:  # by id, a chunk at a time: memory stays flat however many there are
        rows = conn.execute(
            sa.select(c.id, c.document, c.packing)
            .where(
                c.kind == "statement",
                c.sanction_id.like("cd\\_%", escape="\\"),
                c.document.is_not(None),
                c.id > after,
            )
            .order_by(c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        conn.execute(
            fill,
            [
                {
                    "doc_id": doc_id,
                    "fields": orjson.dumps(content_export_fields(orjson.loads(unpacked(document, packing) or ""))),
                }
                for doc_id, document, packing in rows
            ],
        )
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.drop_column("export_fields")
