"""due process: reviews, assessments, appeals and their requesters, disputes, violations, probation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeal_requesters",
        sa.Column("id", sa.String(length=40), nullable=False, comment="the reference the events carry"),
        sa.Column("appeal_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_requesters")),
        comment="Personal data of appeal requesters: never in the event log, exports, webhooks or logs. "
        "Written beside the event that references it; not rebuilt from the log.",
    )
    with op.batch_alter_table("appeal_requesters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_requesters_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "probations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("identity_id", sa.String(length=40), nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("until", sa.BigInteger(), nullable=False, comment="µs, exclusive"),
        sa.Column("ladder", sa.Text(), nullable=False, comment="JSON ladder that applies to violations meanwhile"),
        sa.Column("sanction_id", sa.String(length=40), nullable=True, comment="the sanction whose lift began it"),
        sa.Column("source", sa.String(length=60), nullable=False, comment="review:<id> or appeal:<id>"),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "platform_id", name=op.f("pk_probations")),
        comment="Probation after reinstatement, per platform of the lifted sanction's scope.",
    )
    with op.batch_alter_table("probations", schema=None) as batch_op:
        batch_op.create_index("ix_probations_identity_platform", ["identity_id", "platform_id"], unique=False)

    op.create_table(
        "violations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False, comment="the platform's own violation id"),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("identity_id", sa.String(length=40), nullable=False),
        sa.Column("policy", sa.String(length=500), nullable=False, comment="the platform's rule that was broken"),
        sa.Column("severity", sa.String(length=16), nullable=False, comment="low, moderate, high or severe"),
        sa.Column("category", sa.String(length=80), nullable=False, comment="STATEMENT_CATEGORY_*"),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False, comment="µs; the strike counts from then"),
        sa.Column("strike_expires_at", sa.BigInteger(), nullable=True, comment="µs; null: never"),
        sa.Column("strike_count", sa.Integer(), nullable=False, comment="strikes counting once this one was added"),
        sa.Column("ladder", sa.String(length=16), nullable=False, comment="standard or probation"),
        sa.Column("sanction_id", sa.String(length=40), nullable=True, comment="what the ladder imposed, if anything"),
        sa.Column("probation_id", sa.String(length=40), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False, comment="JSON: the first answer, repeated to retries"),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_violations_operator_id_operators")),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name=op.f("fk_violations_platform_id_platforms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violations")),
        comment="Violations reported by platforms, each with its strike.",
    )
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.create_index("ix_violations_identity_platform", ["identity_id", "platform_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_violations_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_violations_sanction_id"), ["sanction_id"], unique=False)
        batch_op.create_index("uq_violations_platform_external", ["platform_id", "external_id"], unique=True)

    op.create_table(
        "appeals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("sanction_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="complaint or reinstatement"),
        sa.Column("state", sa.String(length=24), nullable=False, comment="open, granted, partially_granted or denied"),
        sa.Column(
            "requester",
            sa.String(length=40),
            nullable=False,
            comment="reference into appeal_requesters (personal data)",
        ),
        sa.Column("relation", sa.String(length=16), nullable=False, comment="subject or representative"),
        sa.Column("channel", sa.String(length=16), nullable=False, comment="web, letter, email or api"),
        sa.Column("meeting_requested", sa.Integer(), nullable=False, comment="1 if the requester asks for a meeting"),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False, comment="µs; may be backdated for letters"),
        sa.Column("deadline_at", sa.BigInteger(), nullable=True, comment="a complaint's window closed then, µs"),
        sa.Column("review_id", sa.String(length=40), nullable=True, comment="the review it was attached to"),
        sa.Column("decided_at", sa.BigInteger(), nullable=True, comment="when the decision took effect, µs"),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True, comment="the answer sent to the requester"),
        sa.Column("handling_seconds", sa.BigInteger(), nullable=True, comment="from received_at to the decision"),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_appeals_operator_id_operators")),
        sa.ForeignKeyConstraint(["sanction_id"], ["sanctions.id"], name=op.f("fk_appeals_sanction_id_sanctions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        comment="Complaints (DSA art. 20) and reinstatement requests against sanctions.",
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_sanction_id"), ["sanction_id"], unique=False)
        batch_op.create_index("ix_appeals_sanction_state", ["sanction_id", "state"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("sanction_id", sa.String(length=40), nullable=False),
        sa.Column(
            "state",
            sa.String(length=16),
            nullable=False,
            comment="open or decided (due reviews are computed, not stored)",
        ),
        sa.Column("panel", sa.Text(), nullable=False, comment="JSON list of reviewers: token names or member ids"),
        sa.Column("quorum", sa.Integer(), nullable=False, comment="assessments a decision needs"),
        sa.Column("reason", sa.Text(), nullable=False, comment="why the review was opened"),
        sa.Column("due_at", sa.BigInteger(), nullable=True, comment="the review_at it answers (µs); null: ad hoc"),
        sa.Column("opened_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True, comment="lift, extend, uphold, terminate or reduce"),
        sa.Column("decided_at", sa.BigInteger(), nullable=True, comment="when the decision took effect, µs"),
        sa.Column(
            "decision",
            sa.Text(),
            nullable=True,
            comment="JSON: rationale, decided_by, ends_at, next_review_at, probation",
        ),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_reviews_operator_id_operators")),
        sa.ForeignKeyConstraint(["sanction_id"], ["sanctions.id"], name=op.f("fk_reviews_sanction_id_sanctions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        comment="Reviews of sanctions by a panel of reviewers.",
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_sanction_id"), ["sanction_id"], unique=False)
        batch_op.create_index("ix_reviews_state_sanction", ["state", "sanction_id"], unique=False)

    op.create_table(
        "appeal_disputes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("appeal_id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "body", sa.String(length=300), nullable=False, comment="the certified out-of-court dispute settlement body"
        ),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("decided_at", sa.BigInteger(), nullable=True, comment="µs"),
        sa.Column("outcome", sa.String(length=32), nullable=False, comment="pending, in_favour_of_requester, ..."),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeals.id"], name=op.f("fk_appeal_disputes_appeal_id_appeals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_disputes")),
        comment="Out-of-court disputes (DSA art. 21) about appeals.",
    )
    with op.batch_alter_table("appeal_disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_disputes_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "review_assessments",
        sa.Column("review_id", sa.String(length=40), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False, comment="the panel entry that filed it"),
        sa.Column("risk", sa.String(length=16), nullable=False, comment="none, low, moderate, high or severe"),
        sa.Column("factors", sa.Text(), nullable=False, comment="JSON list of tags, e.g. ongoing_violence"),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.BigInteger(), nullable=False, comment="µs"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name=op.f("fk_review_assessments_review_id_reviews")),
        sa.PrimaryKeyConstraint("review_id", "reviewer", name=op.f("pk_review_assessments")),
        comment="One assessment of risk per panel member and review.",
    )


def downgrade() -> None:
    op.drop_table("review_assessments")
    with op.batch_alter_table("appeal_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_disputes_appeal_id"))

    op.drop_table("appeal_disputes")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_state_sanction")
        batch_op.drop_index(batch_op.f("ix_reviews_sanction_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_operator_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_sanction_state")
        batch_op.drop_index(batch_op.f("ix_appeals_sanction_id"))
        batch_op.drop_index(batch_op.f("ix_appeals_operator_id"))

    op.drop_table("appeals")
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.drop_index("uq_violations_platform_external")
        batch_op.drop_index(batch_op.f("ix_violations_sanction_id"))
        batch_op.drop_index(batch_op.f("ix_violations_operator_id"))
        batch_op.drop_index("ix_violations_identity_platform")

    op.drop_table("violations")
    with op.batch_alter_table("probations", schema=None) as batch_op:
        batch_op.drop_index("ix_probations_identity_platform")

    op.drop_table("probations")
    with op.batch_alter_table("appeal_requesters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_requesters_appeal_id"))

    op.drop_table("appeal_requesters")
