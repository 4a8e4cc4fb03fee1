"""Idempotency keys: a retried request gets the first answer instead of acting twice.

A key is reserved before the request runs (so that two copies sent at once do not both act),
completed with the answer, or released when the request failed in a way worth retrying.
Keys belong to one caller (``scope``) and are forgotten after ``KEY_LIFETIME``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.time import to_micros
from reprieve.store import idempotency as store
from reprieve.store.db import Database

#: How long a first answer is kept for retries.
KEY_LIFETIME = timedelta(hours=24)
#: A reservation this old belongs to a request that died with its process: it may be taken over.
ABANDONED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status: int
    content_type: str | None
    body: str


def reserve_key(db: Database, *, scope: str, key: str, fingerprint: str, now: datetime) -> StoredAnswer | None:
    """Reserve ``key`` for a request; returns the first answer if the request was already made.

    Raises ValidationError if the key was used for a different request, ConflictError if the
    first request with this key is still running.
    """
    now_us = to_micros(now)
    for _ in range(2):  # a second round only after taking over a stale or expired key
        with store.writing(db) as conn:
            row = store.key_row(conn, scope, key)
            if row is None:
                if not store.insert_key(conn, scope=scope, key=key, fingerprint=fingerprint, created_at=now_us):
                    continue  # inserted by a concurrent copy of this request: look again
                return None
            expired = row.created_at <= now_us - to_micros_delta(KEY_LIFETIME)
            abandoned = row.status is None and row.created_at <= now_us - to_micros_delta(ABANDONED_AFTER)
            if expired or abandoned:
                store.take_over_key(conn, scope=scope, key=key, fingerprint=fingerprint, created_at=now_us)
                return None
            if row.fingerprint != fingerprint:
                raise ValidationError(
                    "this Idempotency-Key was already used for a different request; use a new key for a new request",
                    field="Idempotency-Key",
                )
            if row.status is None:
                raise ConflictError("a request with this Idempotency-Key is still being processed; retry later")
            return StoredAnswer(int(row.status), row.content_type, row.body or "")
    raise ConflictError("a request with this Idempotency-Key is still being processed; retry later")


def complete_key(db: Database, *, scope: str, key: str, answer: StoredAnswer) -> None:
    """Keep the first answer to the request that reserved ``key``."""
    store.complete_key(
        db, scope=scope, key=key, status=answer.status, content_type=answer.content_type, body=answer.body
    )


def release_key(db: Database, *, scope: str, key: str) -> None:
    """Forget a reservation, so that a retry runs the request again (after a server error)."""
    store.release_key(db, scope=scope, key=key)


def forget_expired_keys(db: Database, *, now: datetime) -> int:
    """Delete the keys older than ``KEY_LIFETIME``; returns how many. The ``Idempotency``
    middleware calls it at most once a minute."""
    cutoff = to_micros(now) - to_micros_delta(KEY_LIFETIME)
    return store.forget_keys(db, created_until=cutoff)


def to_micros_delta(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
