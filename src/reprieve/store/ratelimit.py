"""The hits of the database's rate limits (``rate_limit_hits``), one sliding window per bucket."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select, text

from reprieve.store import tables
from reprieve.store.db import Database


def take_hit(db: Database, bucket: str, key: str, *, now_us: int, start_us: int, limit: int) -> int | None:
    """Count a hit of ``key`` at ``now_us`` unless it has ``limit`` hits after ``start_us`` already;
    None if counted, else the instant of the hit ``limit`` places from the newest. Every key's hits
    at or before ``start_us`` are deleted on the way: the table holds one window's worth."""
    hits = tables.rate_limit_hits
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        _lock(conn, db)
        mine = (hits.c.bucket == bucket) & (hits.c.key == key)
        conn.execute(delete(hits).where(hits.c.bucket == bucket, hits.c.at <= start_us))
        count, oldest = conn.execute(select(func.count(), func.min(hits.c.at)).where(mine)).one()
        if count >= limit:
            nth: int = (
                conn.execute(
                    select(hits.c.at).where(mine).order_by(hits.c.at.desc()).offset(limit - 1).limit(1)
                ).scalar()
                or oldest
            )
            return nth
        conn.execute(insert(hits).values(bucket=bucket, key=key, at=now_us))
    return None


def forget_hits(db: Database, bucket: str) -> None:
    """Forget every key of ``bucket``."""
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(delete(tables.rate_limit_hits).where(tables.rate_limit_hits.c.bucket == bucket))


def _lock(conn: Connection, db: Database) -> None:
    """On PostgreSQL, serialise the limit's transactions (SQLite's BEGIN IMMEDIATE does already)."""
    if db.dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x5245_5052_4C49_4D54})
