"""The audit log: reading it, verifying its chain, and rebuilding projections from it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from sqlalchemy import delete, func, select

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


def verify_audit_log_for(db: Database, operator: str) -> Verification:
    """The whole chain verified (one operator's events are only as sound as the chain holding
    them), reported as that operator sees it: the count of its own events, and the hash of its
    latest one as the head (empty if it has none). Nothing of other operators but ``ok`` and,
    when the chain is broken, where."""
    whole = eventlog.verify_chain(db.engine)
    e = tables.events.c
    with db.read() as conn:
        count = int(conn.execute(select(func.count()).where(e.operator_id == operator)).scalar_one())
        head = conn.execute(
            select(e.hash).where(e.operator_id == operator).order_by(e.seq.desc()).limit(1)
        ).scalar_one_or_none()
    return Verification(whole.ok, count, head or "", whole.first_bad, whole.problem)


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
