"""API tokens (``tokens``): their secrets kept as hashes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from reprieve.store import tables

T = tables.tokens.c


def insert_token(conn: Connection, **values: Any) -> None:
    conn.execute(insert(tables.tokens).values(**values))


def token_row(conn: Connection, token_id: str) -> Any:
    """The token's row, or None."""
    return conn.execute(select(tables.tokens).where(T.id == token_id)).first()


def token_by_secret_hash(conn: Connection, digest: str) -> Any:
    """The row of the token whose secret hashes to ``digest``, or None."""
    return conn.execute(select(tables.tokens).where(T.secret_hash == digest)).first()


def set_revoked(conn: Connection, token_id: str, revoked_at: str) -> None:
    conn.execute(update(tables.tokens).where(T.id == token_id).values(revoked_at=revoked_at))
