"""What the health probes and ``/metrics`` read: the log's head and the outbox's depth."""

from __future__ import annotations

from reprieve.store import eventlog, outbox
from reprieve.store.db import Database


def log_head(db: Database, *, after: int | None = None) -> tuple[int, str | None]:
    """The log's head (its last seq), and when the first event after ``after`` was recorded
    (None: no ``after``, or nothing after it)."""
    with db.read() as conn:
        head, _ = eventlog.head(conn)
        if after is None or head <= after:
            return head, None
        oldest = eventlog.read_events(conn, after=after, limit=1)
    return head, oldest[0].at if oldest else None


def outbox_depth(db: Database) -> tuple[int, float | None]:
    """Messages not delivered yet, and the age in seconds of the oldest (None: none)."""
    with db.read() as conn:
        return outbox.depth(conn)
