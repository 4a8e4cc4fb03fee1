"""issued_renderings: an issued statement's other languages, kept the first time each is made

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-07

Issue 23, item 2 (PRODUCT.md section 8, "a translation is another rendering of the same issue"):
``GET /v1/statements/{id}?lang=fr`` words the issued statement's stored JSON in French the first
time it is asked and keeps that rendering here, so that it is the same bytes on every later read
whatever the code of the day says. Outside the chain, like ``issued_documents``: blanked with
them on erasure (their SHA-256 kept). Nothing is filled from the past: a rendering is made when asked.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_renderings",
        sa.Column("document_id", sa.String(length=40), nullable=False, comment="the issued document (stm_...)"),
        sa.Column("language", sa.String(length=10), nullable=False, comment="another language than the issue's"),
        sa.Column("rendered_at", sa.BigInteger(), nullable=False, comment="µs; when it was first asked and made"),
        sa.Column("document", sa.Text(), nullable=True, comment="the JSON in that language; null once erased"),
        sa.Column("page", sa.Text(), nullable=True, comment="the HTML page in that language; null once erased"),
        sa.Column("sha256", sa.String(length=64), nullable=False, comment="SHA-256 of document, kept after erasure"),
        sa.Column("page_sha256", sa.String(length=64), nullable=False, comment="SHA-256 of page, kept after erasure"),
        sa.Column("erased_at", sa.BigInteger(), nullable=True, comment="µs; null: not erased"),
        sa.PrimaryKeyConstraint("document_id", "language", name=op.f("pk_issued_renderings")),
        comment="An issued document in another language (a translation is another rendering of the same issue), "
        "made from its stored JSON the first time it is asked and never updated but to blank it on erasure.",
    )


def downgrade() -> None:
    op.drop_table("issued_renderings")
