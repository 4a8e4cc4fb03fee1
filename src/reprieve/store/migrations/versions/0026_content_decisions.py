"""items, content_decisions, content_spans, content_evidence: decisions on content

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

Issue 24 (PRODUCT.md section 9): items (pieces of content, with their author as first recorded),
the decisions about them with their whole history of terms (``content.decided``, ``content.amended``,
``content.restored``), the spans the enforcement index loads, and the evidence (a reference to the
platform's snapshot and its SHA-256, outside the chain). The first three are projections rebuilt
from the log; empty at first (no content decision existed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False, comment="the platform's own id of the item"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "author_account",
            sa.String(length=200),
            nullable=False,
            comment="its author on the platform, as first recorded",
        ),
        sa.Column(
            "content_type", sa.Text(), nullable=False, comment="JSON list of CONTENT_TYPE_* codes, as first recorded"
        ),
        sa.Column("content_date", sa.String(length=10), nullable=False, comment="YYYY-MM-DD, as first recorded"),
        sa.Column("language", sa.String(length=20), nullable=True, comment="ISO 639-1 code, as first recorded"),
        sa.Column(
            "created_seq", sa.BigInteger(), nullable=False, comment="the content.decided event that first named it"
        ),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name=op.f("fk_items_platform_id_platforms")),
        sa.PrimaryKeyConstraint("platform_id", "item_id", name=op.f("pk_items")),
        comment="Items (pieces of content) decided about, as the first decision described them: an item keeps "
        "its author. Never the content itself.",
    )
    op.create_index("ix_items_author", "items", ["platform_id", "author_account"])
    op.create_table(
        "content_decisions",
        sa.Column("id", sa.String(length=40), nullable=False, comment="cd_..."),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("author_account", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="kind of the latest term"),
        sa.Column("kind_other", sa.Text(), nullable=True, comment="what a decision of kind other does"),
        sa.Column(
            "territorial_scope",
            sa.Text(),
            nullable=False,
            comment="JSON list of EEA codes of the latest term; []: everywhere",
        ),
        sa.Column("starts_at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.Column("ends_at", sa.BigInteger(), nullable=True, comment="end of the latest term; null: indefinite"),
        sa.Column("restored_at", sa.BigInteger(), nullable=True, comment="earliest restoration; null: never restored"),
        sa.Column("category", sa.String(length=80), nullable=False, comment="STATEMENT_CATEGORY_* of the reason"),
        sa.Column("reason", sa.Text(), nullable=False, comment="JSON reason (DSA fields)"),
        sa.Column("automated", sa.Text(), nullable=False, comment="JSON {detection, decision}"),
        sa.Column("strike", sa.Boolean(), nullable=False, comment="counts as a strike against the author"),
        sa.Column("changes", sa.Text(), nullable=False, comment="JSON list of creation, amendments and restorations"),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False, comment="event that last changed it (its version)"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_decisions")),
        comment="Decisions on items, with their whole history of terms.",
    )
    op.create_index(op.f("ix_content_decisions_operator_id"), "content_decisions", ["operator_id"])
    op.create_index("ix_content_decisions_item", "content_decisions", ["platform_id", "item_id", "id"])
    op.create_index("ix_content_decisions_author", "content_decisions", ["platform_id", "author_account", "id"])
    op.create_table(
        "content_spans",
        sa.Column("decision_id", sa.String(length=40), nullable=False),
        sa.Column("active_from", sa.BigInteger(), autoincrement=False, nullable=False, comment="µs, inclusive"),
        sa.Column("active_until", sa.BigInteger(), nullable=False, comment="µs, exclusive; END_OF_TIME if none"),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "countries", sa.String(length=120), nullable=False, comment="EEA codes joined by spaces; empty: everywhere"
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["content_decisions.id"], name=op.f("fk_content_spans_decision_id_content_decisions")
        ),
        sa.PrimaryKeyConstraint("decision_id", "active_from", name=op.f("pk_content_spans")),
        comment="When each content decision is in force, as which kind, and where: what the index loads.",
    )
    op.create_index("ix_content_spans_item", "content_spans", ["platform_id", "item_id"])
    op.create_table(
        "content_evidence",
        sa.Column("decision_id", sa.String(length=40), nullable=False, comment="the content decision it supports"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column(
            "reference",
            sa.Text(),
            nullable=True,
            comment="the platform's reference of its snapshot; null once forgotten",
        ),
        sa.Column(
            "sha256", sa.String(length=64), nullable=True, comment="SHA-256 of the snapshot; null once forgotten"
        ),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("forgotten_at", sa.BigInteger(), nullable=True, comment="µs; null: still kept"),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_content_evidence")),
        comment="Evidence of content decisions: a reference to the platform's snapshot of the item and its "
        "SHA-256, never the content; outside the chain, kept while a complaint or dispute is possible, then "
        "forgotten. Not rebuilt from the log.",
    )
    op.create_index("ix_content_evidence_item", "content_evidence", ["platform_id", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_content_evidence_item", table_name="content_evidence")
    op.drop_table("content_evidence")
    op.drop_index("ix_content_spans_item", table_name="content_spans")
    op.drop_table("content_spans")
    op.drop_index("ix_content_decisions_author", table_name="content_decisions")
    op.drop_index("ix_content_decisions_item", table_name="content_decisions")
    op.drop_index(op.f("ix_content_decisions_operator_id"), table_name="content_decisions")
    op.drop_table("content_decisions")
    op.drop_index("ix_items_author", table_name="items")
    op.drop_table("items")
