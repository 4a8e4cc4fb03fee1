"""identity_links: the history of identity links, so that a past standing uses the links then

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-07

Issue 22, item 3 (PRODUCT.md section 8): a link merges identities in place (the rows of the
merged identities are moved to the survivor), so a standing at an instant before a link used to
see it. ``identity_links`` keeps, for each link, every account it moved, from which identity to
which, and when it took effect. Filled here from the ``identities.linked`` events already in the
log: the identities they merged are replayed from the ``account.registered`` events of their
operators (few have links). And a partial index of the sanctions with a review: the enforcement
index's build reads those held until their review through it (PRODUCT.md section 8: a standing
says ``pending_review``), and the reviews due are found by it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.create_table(
        "identity_links",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False, comment="the identities.linked event"),
        sa.Column("platform_id", sa.String(length=63), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False, comment="an account the link moved"),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "from_identity", sa.String(length=40), nullable=False, comment="the identity it was in before the link"
        ),
        sa.Column("to_identity", sa.String(length=40), nullable=False, comment="the identity the link put it in"),
        sa.Column(
            "identity_id", sa.String(length=40), nullable=False, comment="its identity now (as accounts.identity_id)"
        ),
        sa.Column(
            "effective_at", sa.BigInteger(), nullable=False, comment="µs; when the link took effect (its recording)"
        ),
        sa.PrimaryKeyConstraint("seq", "platform_id", "account_id", name=op.f("pk_identity_links")),
        comment="Every account each link moved from one identity to another: the links in both clocks "
        "(PRODUCT.md section 8). identity_id follows later links, as the other tables' do.",
    )
    op.create_index("ix_identity_links_identity", "identity_links", ["identity_id", "effective_at"])
    op.create_index("ix_identity_links_from", "identity_links", ["from_identity"])
    op.create_index(
        "ix_sanctions_review_at",
        "sanctions",
        ["review_at"],
        sqlite_where=sa.text("review_at IS NOT NULL"),
        postgresql_where=sa.text("review_at IS NOT NULL"),
    )
    _fill(op.get_bind())


def _fill(conn: sa.Connection) -> None:
    links = list(
        conn.execute(
            sa.text("SELECT seq, effective_at, data FROM events WHERE type = 'identities.linked' ORDER BY seq")
        )
    )
    if not links:
        return
    operators = sorted({json.loads(data)["operator"] for _, _, data in links})
    identity: dict[tuple[str, str], str] = {}
    for operator in operators:
        registered = conn.execute(
            sa.text("SELECT data FROM events WHERE operator_id = :o AND type = 'account.registered' ORDER BY seq"),
            {"o": operator},
        )
        for (data,) in registered:
            payload = json.loads(data)
            identity[(payload["platform"], payload["account"])] = payload["identity"]
    now = {(p, a): i for p, a, i in conn.execute(sa.text("SELECT platform_id, account_id, identity_id FROM accounts"))}
    insert = sa.text(
        "INSERT INTO identity_links (seq, platform_id, account_id, operator_id, from_identity, to_identity,"
        " identity_id, effective_at) VALUES (:seq, :p, :a, :o, :f, :t, :i, :e)"
    )
    for seq, effective_at, data in links:
        payload = json.loads(data)
        survivor, merged = payload["identity"], set(payload["merged"])
        effective = (datetime.fromisoformat(effective_at) - _EPOCH) // timedelta(microseconds=1)
        for (platform, account), was in sorted(identity.items()):
            if was in merged:
                identity[(platform, account)] = survivor
                conn.execute(
                    insert,
                    {
                        "seq": seq,
                        "p": platform,
                        "a": account,
                        "o": payload["operator"],
                        "f": was,
                        "t": survivor,
                        "i": now.get((platform, account), survivor),
                        "e": effective,
                    },
                )


def downgrade() -> None:
    op.drop_index("ix_sanctions_review_at", table_name="sanctions")
    op.drop_index("ix_identity_links_from", table_name="identity_links")
    op.drop_index("ix_identity_links_identity", table_name="identity_links")
    op.drop_table("identity_links")
