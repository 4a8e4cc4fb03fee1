"""keys out of the database: the webhook secrets' fallback key goes, appeal codes become keyed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Until now, without ``REPRIEVE_SECRET_KEY``, the webhook signing secrets were encrypted under a
key kept in ``outbox_consumers.fallback_key``: a copy of the database decrypted them. The key
ring (``store/keys.py``) now comes from ``REPRIEVE_SECRET_KEY`` or, for SQLite, a key file beside
the database. This migration re-encrypts every stored secret under the key ring's newest key
and drops the column:

* ``REPRIEVE_SECRET_KEY`` set (either backend): re-encrypted under its first key.
* SQLite without it: the key file ``<database>.key`` is created (mode 0600) with a fresh key,
  and the secrets are re-encrypted under it. The old key is not copied to the file: every
  backup made so far holds it, and it would otherwise keep decrypting (and derive appeal codes).
  The file is written before the transaction commits, so a failed migration loses nothing.
* PostgreSQL without it, and secrets stored: refused, changing nothing. There is no safe place
  to write a key on the database server's behalf; the message says what to set.

Appeal codes are now an HMAC under the key ring; the sanctions that exist now keep the code
derived from their creation event's hash, already printed on statements (``appeal_code_legacy``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from reprieve.domain.errors import StorageError
from reprieve.store import keys

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = (
    "migration 0012 moves the key of the webhook signing secrets out of the database, and "
    f"{keys.ENV} is not set: set it (a long random string, the same for every process, e.g. the "
    "output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))') and run reprieve "
    "migrate again; nothing was changed"
)

_consumers = sa.table("outbox_consumers", sa.column("id", sa.Integer()), sa.column("fallback_key", sa.String()))
_endpoints = sa.table("webhook_endpoints", sa.column("id", sa.String()), sa.column("secret", sa.Text()))


def _reencrypt(conn: sa.Connection, old: MultiFernet, new: MultiFernet) -> None:
    for id_, token in conn.execute(sa.select(_endpoints.c.id, _endpoints.c.secret)).all():
        try:
            plain = old.decrypt(token.encode())
        except InvalidToken:
            continue  # undecryptable already (a changed REPRIEVE_SECRET_KEY): left as it was
        conn.execute(sa.update(_endpoints).where(_endpoints.c.id == id_).values(secret=new.encrypt(plain).decode()))


def upgrade() -> None:
    conn = op.get_bind()
    url = conn.engine.url
    fallback = conn.execute(sa.select(_consumers.c.fallback_key).where(_consumers.c.id == 1)).scalar()
    stored = conn.execute(sa.select(sa.func.count()).select_from(_endpoints)).scalar_one()
    if stored:
        ring = keys.key_ring(url, create=True)
        if ring is None:
            raise StorageError(REFUSED)
        old = [Fernet(fallback.encode())] if fallback else []
        _reencrypt(conn, MultiFernet([*old, *(Fernet(key) for key in ring.keys)]), ring.fernet())
    with op.batch_alter_table("outbox_consumers") as batch:
        batch.drop_column("fallback_key")

    legacy = op.create_table(
        "appeal_code_legacy",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="always 1"),
        sa.Column(
            "until_seq",
            sa.BigInteger(),
            nullable=False,
            comment="sanctions created up to this event keep the code derived from their event's hash",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_code_legacy")),
        comment="Appeal codes printed before codes were keyed (migration 0012) keep working.",
    )
    until = conn.execute(sa.text("SELECT MAX(seq) FROM events")).scalar()
    op.bulk_insert(legacy, [{"id": 1, "until_seq": int(until or 0)}])


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_table("appeal_code_legacy")
    fallback = Fernet.generate_key()
    with op.batch_alter_table("outbox_consumers") as batch:
        batch.add_column(
            sa.Column(
                "fallback_key",
                sa.String(length=64),
                nullable=False,
                server_default=fallback.decode(),
                comment="Fernet key for webhook secrets when REPRIEVE_SECRET_KEY is not set",
            )
        )
    with op.batch_alter_table("outbox_consumers") as batch:
        batch.alter_column("fallback_key", server_default=None)
    ring = keys.key_ring(conn.engine.url)
    if ring is not None and not keys.configured_keys():
        _reencrypt(conn, ring.fernet(), MultiFernet([Fernet(fallback)]))
