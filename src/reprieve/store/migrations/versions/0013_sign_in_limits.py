"""sign-in limits: the client address of each attempt, the security log, limits kept in the
database, and the key of the console's CSRF tokens

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

* ``sign_in_attempts.client``: who tried (the socket's address, or the one a trusted proxy
  forwarded), so that the back-off counts per e-mail *and* per client address, and a client's
  failures across e-mails can be limited (password spraying). ``sign_in_attempts.email`` holds
  an HMAC of the e-mail from now on (no stranger's typed address is stored); the attempts
  recorded before are deleted (a day of failures at most: the back-off starts afresh).
* ``security_log``: failed sign-ins and refusals, outside the hash-chained event log, kept for a
  set period (``REPRIEVE_SECURITY_LOG_DAYS``).
* ``rate_limit_hits``: the public appeal form's filing limit, shared by every process.
* ``web_secrets``: the key that binds the console's CSRF tokens to their cookie and session.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Attempts keep the e-mail as an HMAC from now on; those recorded before (plain e-mails, at
    # most a day of failures) are forgotten: their e-mails would not match anyway.
    op.execute("DELETE FROM sign_in_attempts")
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.add_column(
            sa.Column(
                "client",
                sa.String(length=64),
                nullable=True,
                comment="the client address; null for attempts recorded before 0013",
            )
        )
        batch.alter_column(
            "email",
            existing_type=sa.String(length=320),
            existing_nullable=False,
            comment="HMAC-SHA256 of the e-mail as typed, lower-cased (plain before 0013)",
            existing_comment="as typed, lower-cased",
        )
    op.create_index("ix_sign_in_attempts_client_at", "sign_in_attempts", ["client", "at"], unique=False)
    op.create_index("ix_sign_in_attempts_at", "sign_in_attempts", ["at"], unique=False)
    op.create_table(
        "security_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.Column(
            "event",
            sa.String(length=32),
            nullable=False,
            comment="sign_in_failed, sign_in_refused (back-off or client limit), password_failed",
        ),
        sa.Column("client", sa.String(length=64), nullable=False, comment="the client address"),
        sa.Column("member_id", sa.String(length=40), nullable=True, comment="the member, when the e-mail is one"),
        sa.Column(
            "email_digest",
            sa.String(length=64),
            nullable=True,
            comment="HMAC-SHA256 of an e-mail that is no member's: never the e-mail itself",
        ),
        sa.Column("retry_after", sa.Integer(), nullable=True, comment="seconds, for a refusal"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_log")),
        comment="Failed sign-ins and refusals, outside the event log; pruned after REPRIEVE_SECURITY_LOG_DAYS.",
    )
    op.create_index("ix_security_log_at", "security_log", ["at"], unique=False)
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False, comment="which limit, e.g. appeal-filing"),
        sa.Column("key", sa.String(length=128), nullable=False, comment="who is counted: a client address"),
        sa.Column("at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
        comment="Counted hits of the rate limits that every process shares.",
    )
    op.create_index("ix_rate_limit_hits_bucket_key_at", "rate_limit_hits", ["bucket", "key", "at"], unique=False)
    op.create_table(
        "web_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_web_secrets")),
        comment="Keys of the web pages (the CSRF tokens' HMAC), made at first use.",
    )


def downgrade() -> None:
    op.drop_table("web_secrets")
    op.drop_index("ix_rate_limit_hits_bucket_key_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
    op.drop_index("ix_security_log_at", table_name="security_log")
    op.drop_table("security_log")
    op.drop_index("ix_sign_in_attempts_at", table_name="sign_in_attempts")
    op.drop_index("ix_sign_in_attempts_client_at", table_name="sign_in_attempts")
    op.execute("DELETE FROM sign_in_attempts")
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.drop_column("client")
        batch.alter_column(
            "email",
            existing_type=sa.String(length=320),
            existing_nullable=False,
            comment="as typed, lower-cased",
            existing_comment="HMAC-SHA256 of the e-mail as typed, lower-cased (plain before 0013)",
        )
