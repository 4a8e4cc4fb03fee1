"""issued_documents: statements of reasons issued once per decision and kept as issued

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

Issue 23, item 1 (PRODUCT.md section 8, "A statement of reasons is a document issued once per
decision"): each decision that needs a statement issues one, stored here as issued (its JSON,
compressed, with the SHA-256 of its text) and never updated; its pages (issued_renderings) are
made from it when first asked for and kept as made. An erasure of the person may blank the texts
and keeps the hashes. Outside the chain, like ``personal_data``: the ``statement.issued``
event carries the id and the hashes only. Nothing is filled from the past: decisions recorded
before this migration issued nothing (their statement can be previewed, not fetched as issued).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_documents",
        sa.Column("id", sa.String(length=40), nullable=False, comment="stm_... for a statement of reasons"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=20),
            nullable=False,
            comment="statement (later: the other messages, PRODUCT.md s. 11)",
        ),
        sa.Column("sanction_id", sa.String(length=40), nullable=False, comment="the sanction the decision is about"),
        sa.Column(
            "decision_seq", sa.BigInteger(), nullable=False, comment="the event of the decision it was issued for"
        ),
        sa.Column(
            "issued_at",
            sa.BigInteger(),
            nullable=False,
            comment="µs; the recording instant of that decision's unit of work",
        ),
        sa.Column(
            "language",
            sa.String(length=10),
            nullable=False,
            comment="the platform's default (en) until accounts have one",
        ),
        sa.Column("format_version", sa.Integer(), nullable=False, comment="the version of the document's layout"),
        sa.Column(
            "document",
            sa.LargeBinary(),
            nullable=True,
            comment="the JSON as issued, byte for byte, as packing says; null once erased",
        ),
        sa.Column(
            "packing",
            sa.SmallInteger(),
            nullable=False,
            comment="how document is kept: 0 = as it is (UTF-8), 1 = zlib with the preset dictionary issued_1.zdict",
        ),
        sa.Column(
            "sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of document's UTF-8 bytes, kept after erasure",
        ),
        sa.Column("erased_at", sa.BigInteger(), nullable=True, comment="µs; null: not erased"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        comment="Documents issued to people (statements of reasons first), stored once and never updated but "
        "to blank them on erasure: outside the chain, each recorded by an event carrying its id and hash. "
        "Not rebuilt from the log.",
    )
    op.create_index("ix_issued_documents_sanction", "issued_documents", ["sanction_id", "issued_at"])
    op.create_table(
        "issued_renderings",
        sa.Column("document_id", sa.String(length=40), nullable=False),
        sa.Column(
            "language",
            sa.String(length=10),
            nullable=False,
            comment="its language: the issue's own, or a translation",
        ),
        sa.Column("rendered_at", sa.BigInteger(), nullable=False, comment="µs; when it was first asked for and made"),
        sa.Column(
            "document",
            sa.LargeBinary(),
            nullable=True,
            comment="the JSON in that language, compressed (packing); null in the issue's own language (the issued "
            "JSON is the text) and once erased",
        ),
        sa.Column(
            "page",
            sa.LargeBinary(),
            nullable=True,
            comment="the HTML page as first made, byte for byte, compressed (packing); null once erased",
        ),
        sa.Column("packing", sa.SmallInteger(), nullable=False, comment="as issued_documents.packing"),
        sa.Column(
            "sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the JSON in that language, kept after erasure",
        ),
        sa.Column(
            "page_sha256", sa.String(length=64), nullable=False, comment="SHA-256 of the page, kept after erasure"
        ),
        sa.Column("erased_at", sa.BigInteger(), nullable=True, comment="µs; null: not erased"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["issued_documents.id"],
            name=op.f("fk_issued_renderings_document_id_issued_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", "language", name=op.f("pk_issued_renderings")),
        comment="Renderings of issued documents: the page in the issue's language, and other languages (a "
        "translation is another rendering of the same issue), made from the issued JSON the first time each is "
        "asked for and kept as made: never rewritten but to blank them on erasure.",
    )


def downgrade() -> None:
    op.drop_table("issued_renderings")
    op.drop_index("ix_issued_documents_sanction", table_name="issued_documents")
    op.drop_table("issued_documents")
