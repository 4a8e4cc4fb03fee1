"""The audit log: reading it, verifying its chain, and rebuilding projections from it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from sqlalchemy import delete

from reprieve.domain.errors import ValidationError
from reprieve.domain.events import parse_json
from reprieve.store import eventlog, tables
from reprieve.store.bulk import secondary_indexes_set_aside
from reprieve.store.db import Database
from reprieve.store.eventlog import Verification
from reprieve.store.projector import Applied, Projector


def list_events(
    db: Database, *, after: int = 0, limit: int = 100, operator: str | None = None
) -> dict[str, Any]:
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")
    if after < 0:
        raise ValidationError("must be 0 or more", field="after")
    with db.read() as conn:
        page = eventlog.read_events(conn, after=after, limit=limit, operator=operator)
    return {
        "items": [e.to_dict() for e in page],
        "next_cursor": str(page[-1].seq) if len(page) == limit else None,
    }


def verify_audit_log(db: Database) -> Verification:
    return eventlog.verify_chain(db.engine)


def rebuild_projections(
    db: Database, *, batch: int = 5_000, on_progress: Callable[[int], None] | None = None
) -> int:
    """Empty every projection and replay the whole log into them, in one transaction."""
    count = 0
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        eventlog.lock_head(conn)
        for table in reversed(tables.PROJECTIONS):
            conn.execute(delete(table))
        projector = Projector(conn)
        # On SQLite, readers keep seeing the last committed projections whatever this transaction
        # does, so their indexes can be built once at the end; on PostgreSQL dropping them would
        # lock readers out until the rebuild commits.
        with secondary_indexes_set_aside(conn, tables.PROJECTIONS) if db.dialect == "sqlite" else nullcontext():
            after = 0
            while True:
                page = eventlog.replay_page(conn, after=after, limit=batch)
                if not page:
                    break
                projector.apply([Applied(seq, type_, effective_at, parse_json(data))
                                 for seq, type_, effective_at, data in page])
                after = page[-1][0]
                count += len(page)
                if on_progress is not None:
                    on_progress(count)
    db._platforms.clear()
    return count
