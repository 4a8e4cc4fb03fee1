"""notice_cases, notices, notice_notifiers: notices (DSA art. 16) and the cases they form

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-07

Issue 26, part 1 (PRODUCT.md section 10): the notices received (``notice.received``) and the
cases they form (``case.opened``), projections rebuilt from the log, and the notifiers' names and
e-mail addresses beside the log (not rebuilt). Columns for the decisions of part 2 (a case's
decision, a reply per notice, the art. 17(3)(b) disclosure decision) are there, empty. Empty at
first: no notice existed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_cases",
        sa.Column("id", sa.String(length=40), nullable=False, comment="cas_..."),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("about_kind", sa.String(length=16), nullable=False, comment="item or account"),
        sa.Column(
            "about_id", sa.String(length=200), nullable=False, comment="the platform's id of the item or the account"
        ),
        sa.Column("state", sa.String(length=16), nullable=False, comment="open or decided"),
        sa.Column("opened_at", sa.BigInteger(), nullable=False, comment="µs: when its first notice was received"),
        sa.Column("notices", sa.Integer(), nullable=False, comment="how many notices it gathers"),
        sa.Column(
            "decided_at", sa.BigInteger(), nullable=True, comment="µs; null: not decided (decisions: issue 26 part 2)"
        ),
        sa.Column("decision", sa.Text(), nullable=True, comment="JSON of the case's decision; null: not decided"),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_cases")),
        comment="Cases: the notices about one item or one account open at the same time, decided together.",
    )
    op.create_index(op.f("ix_notice_cases_operator_id"), "notice_cases", ["operator_id"])
    op.create_index("ix_notice_cases_subject", "notice_cases", ["platform_id", "about_kind", "about_id", "state"])
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=40), nullable=False, comment="ntc_..., in the order received"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False, comment="the case it joined"),
        sa.Column("about_kind", sa.String(length=16), nullable=False, comment="item or account"),
        sa.Column("about_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, comment="open or decided"),
        sa.Column(
            "category",
            sa.String(length=80),
            nullable=False,
            comment="STATEMENT_CATEGORY_* (may be NOT_SPECIFIED_NOTICE)",
        ),
        sa.Column(
            "illegal", sa.Boolean(), nullable=False, comment="alleges illegal content (else a breach of the terms)"
        ),
        sa.Column("channel", sa.String(length=16), nullable=False, comment="api, web, email or letter"),
        sa.Column(
            "source", sa.String(length=32), nullable=False, comment="article_16 (trusted_flagger: a later issue)"
        ),
        sa.Column(
            "notifier", sa.String(length=40), nullable=False, comment="reference into notice_notifiers (personal data)"
        ),
        sa.Column("notifier_kind", sa.String(length=16), nullable=False, comment="individual or entity"),
        sa.Column("received_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column(
            "receipt_id", sa.String(length=40), nullable=False, comment="rcp_...: the receipt recorded for the notifier"
        ),
        sa.Column("receipt_language", sa.String(length=8), nullable=False),
        sa.Column("receipt_text", sa.Text(), nullable=False, comment="the receipt (art. 16(4)): no personal data"),
        sa.Column("explanation_ref", sa.String(length=40), nullable=False, comment="reference into personal_data"),
        sa.Column("location_ref", sa.String(length=40), nullable=False, comment="reference into personal_data"),
        sa.Column(
            "legal_ground_ref",
            sa.String(length=40),
            nullable=True,
            comment="reference into personal_data; null: not illegal",
        ),
        sa.Column("decided_at", sa.BigInteger(), nullable=True, comment="µs (decisions: issue 26 part 2)"),
        sa.Column(
            "reply_ref",
            sa.String(length=40),
            nullable=True,
            comment="the reply to the notifier (personal_data), part 2",
        ),
        sa.Column(
            "disclose_notifier", sa.Boolean(), nullable=True, comment="art. 17(3)(b) decision; null: not decided"
        ),
        sa.Column(
            "disclosure_reason_ref",
            sa.String(length=40),
            nullable=True,
            comment="why disclosed (personal_data), part 2",
        ),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        comment="Notices (DSA art. 16): ids, codes and references; the notifier's data is beside the log.",
    )
    op.create_index(op.f("ix_notices_case_id"), "notices", ["case_id"])
    op.create_index(
        "ix_notices_platform_category", "notices", ["platform_id", "category", "received_at", "created_seq"]
    )
    op.create_index("ix_notices_operator_state", "notices", ["operator_id", "state", "received_at", "created_seq"])
    op.create_table(
        "notice_notifiers",
        sa.Column("id", sa.String(length=40), nullable=False, comment="the reference the events carry (ntf_...)"),
        sa.Column("notice_id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "name", sa.String(length=200), nullable=True, comment="null when not given (art. 16(2)(c)) or erased"
        ),
        sa.Column("email", sa.String(length=320), nullable=True, comment="null when not given or erased"),
        sa.Column("created_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("name_sha256", sa.String(length=64), nullable=True, comment="SHA-256 of the name, once erased"),
        sa.Column("email_sha256", sa.String(length=64), nullable=True, comment="SHA-256 of the e-mail, once erased"),
        sa.Column("erased_at", sa.BigInteger(), nullable=True, comment="µs; null: not erased"),
        sa.Column("erased_by", sa.String(length=200), nullable=True, comment="the actor, by id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_notifiers")),
        comment="Personal data of notifiers: never in the event log, exports, webhooks or logs. "
        "Written beside the event that references it; not rebuilt from the log.",
    )
    op.create_index("ix_notice_notifiers_operator_email", "notice_notifiers", ["operator_id", "email"])
    op.create_index(op.f("ix_notice_notifiers_notice_id"), "notice_notifiers", ["notice_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_notifiers_notice_id"), table_name="notice_notifiers")
    op.drop_index("ix_notice_notifiers_operator_email", table_name="notice_notifiers")
    op.drop_table("notice_notifiers")
    op.drop_index("ix_notices_operator_state", table_name="notices")
    op.drop_index("ix_notices_platform_category", table_name="notices")
    op.drop_index(op.f("ix_notices_case_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_notice_cases_subject", table_name="notice_cases")
    op.drop_index(op.f("ix_notice_cases_operator_id"), table_name="notice_cases")
    op.drop_table("notice_cases")
