"""access to personal data is logged: the personal_data_access table; events.actor says actors are ids

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

Issue 21, item 5: revealing a requester's e-mail (the console's button, the API's single-appeal
read) is recorded outside the chain: who, when, which appeal and requester, which field. The
comment of ``events.actor`` now says what new events hold there: an id, never a name.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTOR = (
    "who did it, by id: token:<id>, member:<id>, cli, cli:member:<id>, system:worker, system:public-form "
    "(older events: a token or member name)"
)
_OLD_ACTOR = "who did it: a token or member name"


def upgrade() -> None:
    op.create_table(
        "personal_data_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "actor",
            sa.String(length=200),
            nullable=False,
            comment="who read it: member:<id>, token:<id>, cli, cli:member:<id>",
        ),
        sa.Column("via", sa.String(length=16), nullable=False, comment="console, api or cli"),
        sa.Column("appeal_id", sa.String(length=40), nullable=False),
        sa.Column(
            "subject", sa.String(length=40), nullable=False, comment="the requester's reference (appeal_requesters.id)"
        ),
        sa.Column("fields", sa.String(length=100), nullable=False, comment="what was shown, comma-separated: email"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_access")),
        comment="Who was shown a requester's e-mail, when, of which appeal; outside the event log, "
        "pruned after REPRIEVE_ACCESS_LOG_DAYS.",
    )
    op.create_index("ix_personal_data_access_at", "personal_data_access", ["at"])
    op.create_index("ix_personal_data_access_operator_at", "personal_data_access", ["operator_id", "at"])
    _comment_actor(_ACTOR, _OLD_ACTOR)


def downgrade() -> None:
    _comment_actor(_OLD_ACTOR, _ACTOR)
    op.drop_index("ix_personal_data_access_operator_at", table_name="personal_data_access")
    op.drop_index("ix_personal_data_access_at", table_name="personal_data_access")
    op.drop_table("personal_data_access")


def _comment_actor(comment: str, existing: str) -> None:
    # SQLite keeps no column comments, and a batch copy of the log's table would be for nothing.
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            "events",
            "actor",
            existing_type=sa.String(length=200),
            existing_nullable=False,
            comment=comment,
            existing_comment=existing,
        )
