"""Rate limits counted in the database (``rate_limit_hits``), so that a limit holds across
processes, machines and restarts (the appeal form's filings). ``web.ratelimit`` counts in memory."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from reprieve.store import ratelimit as store
from reprieve.store.db import Database


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a hit is allowed, and if not, after how many whole seconds it would be."""

    allowed: bool
    retry_after: int = 0


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
        now = round(self.clock() * 1_000_000)
        start = now - round(self.window * 1_000_000)
        nth = store.take_hit(db, self.bucket, key[:128], now_us=now, start_us=start, limit=self.limit)
        if nth is None:
            return Decision(True)
        # Allowed again when the hit ``limit`` places from the newest leaves the window.
        return Decision(False, max(1, math.ceil((nth - start) / 1_000_000)))

    def reset(self, db: Database) -> None:
        """Forget every key of this limit."""
        store.forget_hits(db, self.bucket)
