"""sanctions by account: one index for an account's sanctions, in the order lists are read

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

``GET /v1/sanctions?account=`` and the console's account page read an operator's sanctions of one
account, in id order. ``ix_sanctions_subject`` (platform, account) served neither well: a filter
on the account alone could not use it, and SQLite, which keeps no statistics unless told to,
preferred to walk the operator's whole index in id order rather than sort the account's few
rows — 40 to 60 ms at 100,000 sanctions, growing with the table, for one account.

``ix_sanctions_account`` (account, platform, id) answers both filters, already in id order.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sanctions_account", "sanctions", ["subject_account", "subject_platform", "id"])
    op.drop_index("ix_sanctions_subject", table_name="sanctions")


def downgrade() -> None:
    op.create_index("ix_sanctions_subject", "sanctions", ["subject_platform", "subject_account"])
    op.drop_index("ix_sanctions_account", table_name="sanctions")
