"""Unit of work: one write transaction holding the chain head, in which events are appended
and their projections updated together. Nothing is visible to others until it commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType

from sqlalchemy import Connection

from reprieve.domain.events import NewEvent, RecordedEvent
from reprieve.domain.time import format_instant
from reprieve.store import eventlog, raw
from reprieve.store.db import Database
from reprieve.store.projector import Applied, Projector


class UnitOfWork:
    """``with UnitOfWork(db, actor=..., now=...) as uow: ... uow.record(events)``; commits on exit."""

    def __init__(self, db: Database, *, actor: str, now: datetime) -> None:
        self.db = db
        self.actor = actor
        self.now = now
        self.at = format_instant(now) or ""
        self.recorded_count = 0
        self.last_event: RecordedEvent | None = None
        self._savepoints = 0

    def __enter__(self) -> UnitOfWork:
        self._conn = self.db.engine.connect().execution_options(reprieve_write=True)
        try:
            self._tx = self._conn.begin()
            self._head = eventlog.lock_head(self._conn)
        except BaseException:
            self._conn.close()
            raise
        self.projector = Projector(self._conn, known=self.db.known_platform)
        return self

    @property
    def conn(self) -> Connection:
        return self._conn

    def next_seq(self) -> int:
        """The seq the next recorded event will get (the head is locked, so it is certain)."""
        return self._head[0] + 1

    @contextmanager
    def command(self, *, actor: str, now: datetime, savepoint: bool = True) -> Iterator[UnitOfWork]:
        """One command of a group sharing this transaction, under a SAVEPOINT and its own actor and
        instant: if it raises, only its own changes are undone and the chain head is as before.
        Without ``savepoint``, the caller must undo the whole transaction if it raises."""
        self.actor, self.now, self.at = actor, now, format_instant(now) or ""
        if not savepoint:
            yield self
            return
        saved = (self._head, self.recorded_count, self.last_event)
        # On the driver's cursor: SQLAlchemy's begin_nested() compiles and tracks each SAVEPOINT
        # and RELEASE, which cost a group commit of violations more than the statements.
        self._savepoints += 1
        name = f"reprieve_command_{self._savepoints}"
        raw.execute(self._conn, f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            raw.execute(self._conn, f"ROLLBACK TO SAVEPOINT {name}")
            raw.execute(self._conn, f"RELEASE SAVEPOINT {name}")
            self._head, self.recorded_count, self.last_event = saved
            # Its cache may hold what the savepoint just undid.
            self.projector = Projector(self._conn, known=self.db.known_platform)
            raise
        raw.execute(self._conn, f"RELEASE SAVEPOINT {name}")

    def record(self, events: Sequence[NewEvent]) -> list[RecordedEvent]:
        """Append ``events`` to the log and apply them to the projections, in this transaction."""
        if not events:
            return []
        recorded = eventlog.chain(events, head=self._head, at=self.at, actor=self.actor)
        eventlog.append(self._conn, recorded)
        self.projector.apply(
            [Applied(r.seq, r.type, r.effective_at, e.data) for r, e in zip(recorded, events, strict=True)]
        )
        self._head = (recorded[-1].seq, recorded[-1].hash)
        self.recorded_count += len(recorded)
        self.last_event = recorded[-1]
        return recorded

    def record_runs(
        self, runs: Sequence[tuple[str, str, Sequence[NewEvent]]], *, order: Sequence[str]
    ) -> list[RecordedEvent]:
        """Record the events of several commands at once: each run ``(actor, at, events)`` is
        chained in turn with its own actor and instant, all are appended in one insert, and the
        projections are applied type by type in ``order`` (one insert per table), which the
        caller may ask only of event types whose projections are independent of one another.
        """
        recorded: list[RecordedEvent] = []
        applied: list[Applied] = []
        head = self._head
        for actor, at, events in runs:
            if not events:
                continue
            chained = eventlog.chain(events, head=head, at=at, actor=actor)
            recorded.extend(chained)
            applied.extend(Applied(r.seq, r.type, r.effective_at, e.data) for r, e in zip(chained, events, strict=True))
            head = (chained[-1].seq, chained[-1].hash)
        if not recorded:
            return recorded
        rank = {type_: i for i, type_ in enumerate(order)}
        assert all(a.type in rank for a in applied), "record_runs: an event type outside ``order``"
        eventlog.append(self._conn, recorded)
        self.projector.apply(sorted(applied, key=lambda a: rank[a.type]))  # sorted() is stable: seq order kept
        self._head = head
        self.recorded_count += len(recorded)
        self.last_event = recorded[-1]
        return recorded

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                if self.recorded_count:
                    eventlog.move_head(self._conn, *self._head)
                    if self._conn.dialect.name == "postgresql":
                        # Delivered on commit: wakes the enforcement index followers at once.
                        self._conn.exec_driver_sql("NOTIFY reprieve_events")
                self._tx.commit()
            else:
                self._tx.rollback()
        finally:
            self._conn.close()
