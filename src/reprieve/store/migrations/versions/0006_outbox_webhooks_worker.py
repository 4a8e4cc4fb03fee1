"""outbox, webhook endpoints and deliveries, worker leases and announcements

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The worker's work partitions: one per kind of announcement.
PARTITIONS = ("sanction.started", "sanction.ended", "review.due", "appeal.overdue", "probation.ended")


def _id_type() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    consumers = op.create_table(
        "outbox_consumers",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="always 1"),
        sa.Column(
            "version", sa.BigInteger(), nullable=False, comment="bumped whenever an endpoint or the broker changes"
        ),
        sa.Column("broker", sa.Integer(), nullable=False, comment="1 once a broker (NATS) publishes every event"),
        sa.Column(
            "fallback_key",
            sa.String(length=64),
            nullable=False,
            comment="Fernet key for webhook secrets when REPRIEVE_SECRET_KEY is not set",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_consumers")),
        comment="Who consumes the outbox; its version lets each process cache the endpoint list.",
    )
    op.bulk_insert(
        consumers,
        [
            {
                "id": 1,
                "version": 1,
                "broker": 0,
                "fallback_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            }
        ],
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False, comment="http(s) URL the deliveries are POSTed to"),
        sa.Column("event_types", sa.Text(), nullable=False, comment='JSON list of event types; ["*"]: every type'),
        sa.Column("secret", sa.Text(), nullable=False, comment="the signing secret, encrypted (Fernet)"),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, comment="active or disabled"),
        sa.Column("created_at", sa.String(length=32), nullable=False, comment="RFC 3339"),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False, comment="event that last changed it"),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_webhook_endpoints_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        comment="Webhook endpoints of operators. Recorded by events, not rebuilt from them.",
    )
    op.create_index(op.f("ix_webhook_endpoints_operator_id"), "webhook_endpoints", ["operator_id"])
    op.create_table(
        "outbox",
        sa.Column("id", _id_type(), autoincrement=True, nullable=False, comment="the delivery id"),
        sa.Column("seq", sa.BigInteger(), nullable=False, comment="the event to deliver"),
        sa.Column("target", sa.String(length=40), nullable=False, comment="a webhook endpoint id, or 'nats'"),
        sa.Column("operator_id", sa.String(length=63), nullable=True),
        sa.Column(
            "subject",
            sa.String(length=300),
            nullable=False,
            comment="ordering key (a sanction, an account): a later row for the same target and subject waits",
        ),
        sa.Column("state", sa.String(length=16), nullable=False, comment="pending, delivered or dead"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False, comment="µs since epoch"),
        sa.Column("leased_until", sa.BigInteger(), nullable=True, comment="µs; a worker is delivering it until then"),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("last_attempt_at", sa.BigInteger(), nullable=True, comment="µs"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True, comment="µs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        comment="Transactional outbox: one row per event and consumer, written with the event.",
    )
    op.create_index("ix_outbox_state_next", "outbox", ["state", "next_attempt_at"])
    # The rows due, oldest first: read in the order of this index, not sorted each time.
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])
    op.create_index("ix_outbox_target_subject", "outbox", ["target", "subject", "state", "id"])
    op.create_index("ix_outbox_target_state", "outbox", ["target", "state", "id"])
    partitions = op.create_table(
        "worker_partitions",
        sa.Column("name", sa.String(length=40), nullable=False, comment="a kind of announcement, e.g. sanction.ended"),
        sa.Column("owner", sa.String(length=80), nullable=True, comment="the worker holding the lease"),
        sa.Column("leased_until", sa.BigInteger(), nullable=True, comment="µs"),
        sa.Column(
            "scanned_until", sa.BigInteger(), nullable=False, comment="µs: what fell due up to then is announced"
        ),
        sa.Column("scanned_seq", sa.BigInteger(), nullable=False, comment="changes up to this event are scanned"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_partitions")),
        comment="Work partitions of the worker's announcements, each leased to one worker at a time.",
    )
    op.bulk_insert(partitions, [{"name": name, "scanned_until": 0, "scanned_seq": 0} for name in PARTITIONS])
    op.create_table(
        "announcements",
        sa.Column("key", sa.String(length=200), nullable=False, comment="e.g. sanction.ended:<id>:<µs>: made once"),
        sa.Column("seq", sa.BigInteger(), nullable=False, comment="the event that made it"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_announcements")),
        comment="Announcements made by the worker, one row each: what makes them exactly once.",
    )
    op.create_table(
        "worker_settings",
        sa.Column("operator_id", sa.String(length=63), nullable=False),
        sa.Column(
            "appeal_target",
            sa.String(length=40),
            nullable=False,
            comment="ISO 8601 duration; an open appeal older is late",
        ),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_worker_settings_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_worker_settings")),
        comment="Operator settings of the worker; without a row the appeal target is P14D.",
    )


def downgrade() -> None:
    op.drop_table("worker_settings")
    op.drop_table("announcements")
    op.drop_table("worker_partitions")
    op.drop_index("ix_outbox_target_state", table_name="outbox")
    op.drop_index("ix_outbox_target_subject", table_name="outbox")
    op.drop_index("ix_outbox_state_id", table_name="outbox")
    op.drop_index("ix_outbox_state_next", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_webhook_endpoints_operator_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_table("outbox_consumers")
