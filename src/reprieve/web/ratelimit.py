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

from reprieve.services.ratelimit import DatabaseRateLimiter, Decision

__all__ = ["DatabaseRateLimiter", "Decision", "RateLimiter"]


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
