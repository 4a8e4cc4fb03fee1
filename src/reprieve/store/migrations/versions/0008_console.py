"""console: members, sessions and sign-in attempts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=True, comment="null for an instance-admin"),
        sa.Column("email", sa.String(length=320), nullable=False, comment="lower-cased; the sign-in name"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False, comment="a Role value, as for tokens"),
        sa.Column("password_hash", sa.Text(), nullable=False, comment="argon2id, with its parameters and salt"),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("disabled_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_members_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("email", name=op.f("uq_members_email")),
        comment="People who sign in to the console. Recorded by events, not rebuilt from them.",
    )
    op.create_index(op.f("ix_members_operator_id"), "members", ["operator_id"], unique=False)
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), nullable=False, comment="SHA-256 of the cookie's secret"),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.Column("expires_at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_console_sessions_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        comment="Signed-in console sessions; the cookie's secret itself is never stored.",
    )
    op.create_index(op.f("ix_console_sessions_member_id"), "console_sessions", ["member_id"], unique=False)
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False, comment="as typed, lower-cased"),
        sa.Column("at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.Column("succeeded", sa.Integer(), nullable=False, comment="1 or 0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
        comment="Sign-in attempts, for the lock-out after repeated failures.",
    )
    op.create_index("ix_sign_in_attempts_email_at", "sign_in_attempts", ["email", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempts_email_at", table_name="sign_in_attempts")
    op.drop_table("sign_in_attempts")
    op.drop_index(op.f("ix_console_sessions_member_id"), table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index(op.f("ix_members_operator_id"), table_name="members")
    op.drop_table("members")
