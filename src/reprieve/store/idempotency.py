"""Idempotency keys (``idempotency_keys``): a request's first answer, kept for its retries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from reprieve.store import tables
from reprieve.store.db import Database

K = tables.idempotency_keys.c


@contextmanager
def writing(db: Database) -> Iterator[Connection]:
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        yield conn


def key_row(conn: Connection, scope: str, key: str) -> Any:
    """The key's row, or None."""
    return conn.execute(select(tables.idempotency_keys).where(K.scope == scope, K.key == key)).first()


def insert_key(conn: Connection, *, scope: str, key: str, fingerprint: str, created_at: int) -> bool:
    """Reserve the key; False if a concurrent request inserted it first."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(tables.idempotency_keys).values(
                    scope=scope,
                    key=key,
                    fingerprint=fingerprint,
                    created_at=created_at,
                )
            )
    except IntegrityError:
        return False
    return True


def take_over_key(conn: Connection, *, scope: str, key: str, fingerprint: str, created_at: int) -> None:
    """Reserve an expired or abandoned key again, for a new request."""
    conn.execute(
        update(tables.idempotency_keys)
        .where(K.scope == scope, K.key == key)
        .values(fingerprint=fingerprint, status=None, content_type=None, body=None, created_at=created_at)
    )


def complete_key(db: Database, *, scope: str, key: str, status: int, content_type: str | None, body: str) -> None:
    with writing(db) as conn:
        conn.execute(
            update(tables.idempotency_keys)
            .where(K.scope == scope, K.key == key)
            .values(status=status, content_type=content_type, body=body)
        )


def release_key(db: Database, *, scope: str, key: str) -> None:
    with writing(db) as conn:
        conn.execute(delete(tables.idempotency_keys).where(K.scope == scope, K.key == key))


def forget_keys(db: Database, *, created_until: int) -> int:
    """Delete the keys created at or before ``created_until``; how many."""
    with writing(db) as conn:
        result = conn.execute(delete(tables.idempotency_keys).where(K.created_at <= created_until))
    return int(result.rowcount)
