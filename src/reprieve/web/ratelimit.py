"""Per-client rate limits for the public pages, with an injectable clock.

Each key (a client's IP address) may act ``limit`` times in any ``window`` seconds (a sliding
window: the instants of its recent hits are kept). A refused hit is not counted, and the answer
says how long to wait before the oldest counted hit leaves the window: the ``Retry-After``.

``RateLimiter`` counts in memory, per process (cheap: page loads). ``DatabaseRateLimiter`` counts
in the database (``rate_limit_hits``), so that its limit holds across processes, machines and
restarts (the appeal form's filings); its clock is wall time, in seconds.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, text

from reprieve.store import tables
from reprieve.store.db import Database


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a hit is allowed, and if not, after how many whole seconds it would be."""

    allowed: bool
    retry_after: int = 0


class RateLimiter:
    """``limit`` hits per key in any ``window`` seconds. ``clock`` returns seconds (monotonic).

    At most ``max_keys`` keys are remembered: beyond that the least recently seen is forgotten, so
    that a flood of addresses cannot grow the process without bound.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("a rate limit needs limit >= 1, window > 0 and max_keys >= 1")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        """Count a hit of ``key`` if the limit allows it."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque()
                while len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return Decision(False, max(1, math.ceil(hits[0] + self.window - now)))
            hits.append(now)
            return Decision(True)

    def reset(self) -> None:
        """Forget every key (for a test, or an operator who lifted a block by hand)."""
        with self._lock:
            self._hits.clear()


class DatabaseRateLimiter:
    """``limit`` hits per key in any ``window`` seconds, counted in ``rate_limit_hits`` under
    ``bucket``. ``clock`` returns seconds since the epoch (wall time: the count outlives the
    process). Each hit is one short write transaction, which also deletes the hits that have
    left the window."""

    def __init__(self, bucket: str, limit: int, window: float, *, clock: Callable[[], float] = time.time) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.bucket = bucket
        self.limit = limit
        self.window = window
        self.clock = clock

    def hit(self, db: Database, key: str) -> Decision:
        """Count a hit of ``key`` if the limit allows it (blocking: call it off the event loop)."""
        hits = tables.rate_limit_hits
        now = round(self.clock() * 1_000_000)
        start = now - round(self.window * 1_000_000)
        key = key[:128]
        with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
            _lock(conn, db)
            mine = (hits.c.bucket == self.bucket) & (hits.c.key == key)
            # Every key's hits that left the window go: the table holds one window's worth.
            conn.execute(delete(hits).where(hits.c.bucket == self.bucket, hits.c.at <= start))
            count, oldest = conn.execute(select(func.count(), func.min(hits.c.at)).where(mine)).one()
            if count >= self.limit:
                # Allowed again when the hit ``limit`` places from the newest leaves the window.
                nth = (
                    conn.execute(
                        select(hits.c.at).where(mine).order_by(hits.c.at.desc()).offset(self.limit - 1).limit(1)
                    ).scalar()
                    or oldest
                )
                return Decision(False, max(1, math.ceil((nth - start) / 1_000_000)))
            conn.execute(insert(hits).values(bucket=self.bucket, key=key, at=now))
        return Decision(True)

    def reset(self, db: Database) -> None:
        """Forget every key of this limit."""
        with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
            conn.execute(delete(tables.rate_limit_hits).where(tables.rate_limit_hits.c.bucket == self.bucket))


def _lock(conn: Connection, db: Database) -> None:
    """On PostgreSQL, serialise the limit's transactions (SQLite's BEGIN IMMEDIATE does already)."""
    if db.dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x5245_5052_4C49_4D54})
