"""Unit of work: one write transaction holding the chain head, in which events are appended
and their projections updated together. Nothing is visible to others until it commits.

Its instant (``now``, ``at``) is the one its events are recorded at, and recording instants never
go backwards along the log (PRODUCT.md section 8): once the head is locked, the instant (a
clock's reading, read then, or an instant given as such) is raised to the head event's recording
instant if it is earlier, and so is each command's of a group (``command``) and each run's of
``record_runs``. Two processes whose clocks disagree, a request that waited for the lock, a caller
telling history out of order (an import, a test's fixed instant): the log stays in the order of
its recording instants, so that "recorded by T" is a prefix of it (``store.asof``), and a change
is judged against the state as it is at the instant it is recorded. A caller writing history
says when each thing happened in the world with the events' own instants (``effective_at``, a
creation's ``starts_at``), not with the recording instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType

from sqlalchemy import Connection

from reprieve.domain.events import EVENT_CLASSES, Event, NewEvent, RecordedEvent
from reprieve.domain.time import format_instant, parse_instant
from reprieve.store import eventlog, raw
from reprieve.store.db import Database
from reprieve.store.projector import Applied, Projector

#: A clock: the instant it is when called.
Clock = Callable[[], datetime]


def instant_of(now: datetime | Clock) -> datetime:
    """``now`` itself, or the clock's reading (outside a unit of work: a read, a check)."""
    return now if isinstance(now, datetime) else now()


class UnitOfWork:
    """``with UnitOfWork(db, actor=..., now=...) as uow: ... uow.record(events)``; commits on exit.

    ``now``: an instant or a clock (read once the head is locked); either way never earlier than
    the head event's recording instant (see the module docstring): read ``uow.now`` inside.
    """

    def __init__(self, db: Database, *, actor: str, now: datetime | Clock) -> None:
        self.db = db
        self.actor = actor
        self._clock = None if isinstance(now, datetime) else now
        self.now = instant_of(now)  # settled again once the head is locked
        self.at = format_instant(self.now) or ""
        self.recorded_count = 0
        self.last_event: RecordedEvent | None = None
        self._savepoints = 0
        #: When the head event was recorded: an instant earlier than that is raised to it.
        self._floor: datetime | None = None
        self._floor_text = ""  #: its text

    def __enter__(self) -> UnitOfWork:
        self._conn = self.db.engine.connect().execution_options(reprieve_write=True)
        try:
            self._tx = self._conn.begin()
            self._head = eventlog.lock_head(self._conn)
            head_at = eventlog.recorded_at(self._conn, self._head[0])
        except BaseException:
            self._conn.close()
            raise
        if head_at is not None:
            self._floor, self._floor_text = parse_instant(head_at), head_at
        self._settle(self._clock() if self._clock is not None else self.now)
        self.projector = Projector(self._conn, known=self.db.known_platform)
        return self

    def _settle(self, now: datetime) -> None:
        """Take ``now`` as this unit's instant, raised to the head's if earlier."""
        self.now = self.stamp(now)
        self.at = format_instant(self.now) or ""

    def stamp(self, now: datetime) -> datetime:
        """``now``, or the head's recording instant if that is later: the instant events are
        recorded at next (a command of a batch recorded with ``record_runs`` builds its events with
        it, and keeps its commands' instants in order itself)."""
        if self._floor is not None and now < self._floor:
            return self._floor
        return now

    def _raised(self, at: str) -> str:
        """``at`` (a recording instant's text) raised to the head's, which it then is."""
        if self._floor is None:
            self._floor, self._floor_text = parse_instant(at), at
            return at
        if at == self._floor_text:
            return at
        # Text order is time order between seconds: only an instant of the head's second is compared as one.
        if at[:19] > self._floor_text[:19] or parse_instant(at) > self._floor:
            self._floor, self._floor_text = parse_instant(at), at
            return at
        return self._floor_text

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
        self.actor = actor
        self._settle(now)
        if not savepoint:
            yield self
            return
        saved = (self._head, self.recorded_count, self.last_event, self._floor, self._floor_text)
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
            self._head, self.recorded_count, self.last_event, self._floor, self._floor_text = saved
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
        if self.now != self._floor:
            self._floor, self._floor_text = self.now, self.at
        # tuple.__new__: Applied's generated __new__ would be one more Python call per event.
        self.projector.apply(
            [tuple.__new__(Applied, (r.seq, r.effective_at, e.event)) for r, e in zip(recorded, events, strict=True)]
        )
        self._head = (recorded[-1].seq, recorded[-1].hash)
        self.recorded_count += len(recorded)
        self.last_event = recorded[-1]
        return recorded

    def record_written(self, events: Sequence[eventlog.Written]) -> list[RecordedEvent]:
        """Append ``events``, each ``(type, effective_at, operator, payload, None)`` with its
        payload written already as canonical JSON, to the log, in this transaction, and project
        **nothing**: the caller writes their projections itself, as ``record`` would have them (a
        bulk import, which builds each event's projection rows in the pass that builds its
        payload; ``next_seq`` gives the seq of the first)."""
        if not events:
            return []
        recorded = eventlog.chain(events, head=self._head, at=self.at, actor=self.actor)
        eventlog.append(self._conn, recorded)
        if self.now != self._floor:
            self._floor, self._floor_text = self.now, self.at
        self._head = (recorded[-1].seq, recorded[-1].hash)
        self.recorded_count += len(recorded)
        self.last_event = recorded[-1]
        return recorded

    def record_runs(
        self, runs: Sequence[tuple[str, str, Sequence[NewEvent]]], *, order: Sequence[str]
    ) -> list[RecordedEvent]:
        """Record the events of several commands at once: each run ``(actor, at, events)`` is
        chained in turn with its own actor and instant (raised to the one before it if earlier: the
        caller should have built it with ``stamp``), all are appended in one insert, and the
        projections are applied type by type in ``order`` (one insert per table), which the
        caller may ask only of event types whose projections are independent of one another.
        """
        recorded: list[RecordedEvent] = []
        applied: list[Applied[Event]] = []
        head = self._head
        for actor, at, events in runs:
            if not events:
                continue
            at = self._raised(at)
            chained = eventlog.chain(events, head=head, at=at, actor=actor)
            recorded.extend(chained)
            applied.extend(Applied(r.seq, r.effective_at, e.event) for r, e in zip(chained, events, strict=True))
            head = (chained[-1].seq, chained[-1].hash)
        if not recorded:
            return recorded
        rank = {EVENT_CLASSES[type_]: i for i, type_ in enumerate(order)}
        assert all(type(a.event) in rank for a in applied), "record_runs: an event type outside ``order``"
        eventlog.append(self._conn, recorded)
        self.projector.apply(sorted(applied, key=lambda a: rank[type(a.event)]))  # sorted(): stable, seq order kept
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
