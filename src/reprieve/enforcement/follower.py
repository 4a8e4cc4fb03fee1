"""Keeping the index current: read the events after the last one applied, re-read what they touched.

The follower polls the log every ``interval`` seconds; on PostgreSQL it also LISTENs on
``reprieve_events`` (the unit of work NOTIFYs on commit), so a write is usually seen within
milliseconds and at worst within one interval, in every process on every machine.

Events are appended under the chain head's lock, so they commit in ``seq`` order: once an event
is visible every earlier one is. Projections are read after the events, so they are at least
as recent; re-reading an identity twice is harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from reprieve.domain.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    AccountRegistered,
    AppealDecided,
    ContentAmended,
    ContentDecided,
    ContentRestored,
    Event,
    EventType,
    IdentitiesLinked,
    PlatformCreated,
    ProbationStarted,
    ReviewDecided,
    SanctionAmended,
    SanctionImposed,
    SanctionLifted,
    ViolationRecorded,
)
from reprieve.enforcement.index import EnforcementIndex
from reprieve.enforcement.loader import Row, refresh_identities, refresh_items
from reprieve.store import queries
from reprieve.store.db import Database
from reprieve.store.enforcement import driver_rows, last_link

log = logging.getLogger(__name__)

#: The channel the unit of work notifies on PostgreSQL after each commit that records events.
CHANNEL = "reprieve_events"

#: The event classes that can change a standing, its strikes or its probations, each with its
#: field that names what it touches: an identity, a sanction, or (for a platform) its id.
_TOUCHED_BY: dict[type[Event], str] = {
    PlatformCreated: "id",
    AccountRegistered: "identity",
    IdentitiesLinked: "identity",
    SanctionImposed: "identity",
    ViolationRecorded: "identity",
    ProbationStarted: "identity",
    SanctionAmended: "id",
    SanctionLifted: "id",
    AppealDecided: "sanction",  # a granted appeal voids the sanction's strike
    ReviewDecided: "sanction",
}
assert all(field in cls._fields for cls, field in _TOUCHED_BY.items())
#: The same by recorded type: the database reads the field from the payloads (see ``_page_sql``).
_TOUCHES = {EVENT_TYPES[cls]: field for cls, field in _TOUCHED_BY.items()}
_BY_SANCTION = tuple(EVENT_TYPES[cls] for cls in (SanctionAmended, SanctionLifted, AppealDecided, ReviewDecided))
#: Events about items: each touches one item, named ``"platform item"`` (neither holds a space).
_TOUCHED_ITEM: dict[type[Event], str] = {ContentDecided: "item", ContentAmended: "id", ContentRestored: "id"}
_ITEM_EVENTS = frozenset(EVENT_TYPES[cls] for cls in _TOUCHED_ITEM)
_TOUCHES.update({EVENT_TYPES[cls]: field for cls, field in _TOUCHED_ITEM.items()})
#: The rest are skipped.
AFFECTING = tuple(t.value for t in _TOUCHES)
_PAGE = 1_000


def _page_sql(field: str, item_field: str, after: str, limit: str) -> str:
    """The head (type NULL), and ``(seq, type, what it touches)`` of the next page of affecting
    events after ``after``: an identity, for a sanction's event the identity the sanction has
    now, for a platform's its id. The database reads the payloads, so that this process does
    not parse them. ``field`` gives a payload's text field by key; ``after`` and ``limit`` are
    the parameters' placeholders. An event about an item touches ``"platform item"``;
    ``item_field`` gives a field of the payload's ``item`` by key; a restoration of a decision
    that is a strike touches its author's identity too (``"platform item identity"``)."""

    def touched(event: EventType) -> str:
        value = field.format(key=_TOUCHES[event])
        if event is EVENT_TYPES[ContentDecided]:
            return f"{item_field.format(key='platform')} || ' ' || {item_field.format(key='item')}"
        if event is EVENT_TYPES[ContentRestored]:
            # A restoration ends the decision's strike, if it is one: its author's identity too.
            author = f"(SELECT ' ' || v.identity_id FROM violations v WHERE v.content_decision_id = {value})"
            return (
                f"(SELECT c.platform_id || ' ' || c.item_id || COALESCE({author}, '') "
                f"FROM content_decisions c WHERE c.id = {value})"
            )
        if event in _ITEM_EVENTS:
            return f"(SELECT c.platform_id || ' ' || c.item_id FROM content_decisions c WHERE c.id = {value})"
        if event is EVENT_TYPES[AppealDecided]:
            # A granted complaint about a content decision ends its strike: its author's identity.
            strike = field.format(key="content_decision")
            return (
                f"COALESCE((SELECT s.identity_id FROM sanctions s WHERE s.id = {value}), "
                f"(SELECT v.identity_id FROM violations v WHERE v.content_decision_id = {strike}))"
            )
        if event in _BY_SANCTION:
            return f"(SELECT s.identity_id FROM sanctions s WHERE s.id = {value})"
        return value

    types = ", ".join(f"'{event.value}'" for event in _TOUCHES)
    cases = "\n".join(f"         WHEN '{event.value}' THEN {touched(event)}" for event in _TOUCHES)
    return f"""
SELECT h.seq, CAST(NULL AS TEXT), CAST(NULL AS TEXT) FROM chain_head h
UNION ALL
SELECT * FROM (
  SELECT e.seq, e.type, CASE e.type
{cases}
         END
    FROM events e WHERE e.seq > {after} AND e.type IN ({types})
   ORDER BY e.seq LIMIT {limit}
) page
"""


#: By dialect, with each driver's parameters (sqlite3: named; psycopg: pyformat).
_PAGE_SQL = {
    "sqlite": _page_sql("json_extract(e.data, '$.{key}')", "json_extract(e.data, '$.item.{key}')", ":after", ":limit"),
    "postgresql": _page_sql(
        "(CAST(e.data AS json) ->> '{key}')", "(CAST(e.data AS json) -> 'item' ->> '{key}')", "%(after)s", "%(limit)s"
    ),
}


class IndexFollower:
    """Applies the log to ``index``: ``poll()`` once, or ``start()`` a thread that keeps at it."""

    def __init__(self, index: EnforcementIndex, db: Database, *, interval: float = 0.1, listen: bool = True) -> None:
        self.index = index
        self.db = db
        self.interval = interval
        self.listen = listen and db.dialect == "postgresql"
        self.head = index.seq  #: the log's head at the last poll
        self.last_poll: float | None = None  #: time.monotonic() of the last successful poll
        self.errors = 0  #: polls that failed (the database was unreachable, ...)
        self._ended_at = 0.0  #: time.monotonic() when the last poll of any thread ended
        self._lock = threading.Lock()
        #: Polls begun (counted once the lock is taken), and what waits for one to end.
        self._polls = threading.Lock()
        self._begun = 0
        self._waiting: list[tuple[int, Callable[[], object]]] = []
        #: Set by ``after_next_poll``, cleared by the catch-up thread as it begins a poll for it.
        self._asked = threading.Condition()
        self._requested = False
        self._catch_up: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lag(self) -> int:
        """Events in the log, as of the last poll, that the index has not applied yet."""
        return max(0, self.head - self.index.seq)

    @property
    def staleness(self) -> float:
        """Seconds since the last successful poll (infinite before the first): for readiness."""
        return float("inf") if self.last_poll is None else time.monotonic() - self.last_poll

    def poll(self) -> int:
        """Apply every event recorded so far; returns how many affecting events were applied."""
        with self._lock:
            with self._polls:
                self._begun += 1
                this = self._begun
            try:
                return self._poll()
            finally:
                self._ended_at = time.monotonic()
                self._ended_poll(this)

    def after_next_poll(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` (from a polling thread) once a poll begun after this call has ended,
        successfully or not: everything committed before this call is then in the index.

        The poll is run at once by the follower's catch-up thread (not the one that waits for
        the next interval or NOTIFY); callers asking while one is queued or running share the
        next one, so writers answered together cost one or two polls, not one each."""
        with self._polls:
            self._waiting.append((self._begun + 1, callback))
        with self._asked:
            self._requested = True
            self._asked.notify()

    @property
    def running(self) -> bool:
        """Whether the polling threads run (``after_next_poll`` needs them)."""
        return all(t is not None and t.is_alive() for t in (self._thread, self._catch_up))

    def _serve_catch_up(self) -> None:
        while True:
            with self._asked:
                while not self._requested and not self._stop.is_set():
                    self._asked.wait()
                if self._stop.is_set():
                    return
                self._requested = False  # before the poll begins: later askers ask again
            try:
                self.poll()
            except Exception:  # _ended_poll has let the waiters go; the next poll retries
                self.errors += 1
                log.exception("the enforcement index could not catch up with the event log")

    def _ended_poll(self, this: int) -> None:
        """Call back those waiting for poll ``this`` or an earlier one (every one when stopping)."""
        with self._polls:
            due = [cb for target, cb in self._waiting if target <= this]
            if due:
                self._waiting = [(target, cb) for target, cb in self._waiting if target > this]
        for callback in due:
            try:
                callback()
            except Exception:  # a waiter gone (its event loop closed) must not stop the others
                log.exception("a caller waiting for the enforcement index could not be told")

    def _poll(self) -> int:
        applied = 0
        while True:
            # No transaction: each statement is consistent by itself (the head with the page of
            # events; a refresh's rows of its identities), and one read later is at least as
            # recent. On SQLite that saves a BEGIN and a COMMIT through SQLAlchemy per poll.
            with self.db.engine.connect() as conn:
                rows = driver_rows(conn, _PAGE_SQL, {"after": self.index.seq, "limit": _PAGE})
                head = max((seq for seq, type_, _ in rows if type_ is None), default=0)
                events = [row for row in rows if row[1] is not None]
                last = max((seq for seq, _, _ in events), default=0)
                self.head = max(head, last)
                if events:
                    self._apply(conn, events)
                    applied += len(events)
                if len(events) < _PAGE:
                    # Every affecting event up to the head read with them is among these.
                    self.index.seq = max(self.index.seq, self.head)
                    break
                self.index.seq = last
        self.last_poll = time.monotonic()
        return applied

    def _apply(self, conn: Connection, events: list[Row]) -> None:
        identities: set[str] = set()
        items: set[tuple[str, str]] = set()
        links: list[int] = []
        for seq, type_, touched in events:
            if type_ in _ITEM_EVENTS:
                if touched is not None:
                    platform, _, item = touched.partition(" ")
                    item, _, identity = item.partition(" ")  # an identity: a restored strike's author
                    items.add((platform, item))
                    if identity:
                        identities.add(identity)
            elif EVENT_CLASSES[type_] is PlatformCreated:
                self.index.add_platform(queries.existing_platform(conn, touched))
            elif touched is not None:  # None: a sanction that is not there (nothing to re-read)
                identities.add(touched)
            if EVENT_CLASSES[type_] is IdentitiesLinked:
                links.append(seq)
        refresh_identities(conn, self.index, sorted(identities))
        refresh_items(conn, self.index, sorted(items))
        linked = last_link(conn, links)
        if linked is not None and linked > self.index.horizon:
            # The index now holds the linked identity: an instant before the link is the database's.
            self.index.horizon = linked

    # --- the background thread -------------------------------------------------------------

    def start(self) -> IndexFollower:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="reprieve-index-follower", daemon=True)
            self._thread.start()
            self._catch_up = threading.Thread(target=self._serve_catch_up, name="reprieve-index-catch-up", daemon=True)
            self._catch_up.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        with self._asked:
            self._asked.notify_all()
        for thread in (self._thread, self._catch_up):
            if thread is not None:
                thread.join(timeout)
        self._thread = self._catch_up = None
        self._ended_poll(self._begun + 1)  # nobody waits for a follower that has stopped

    def wake(self) -> None:
        """Poll now rather than at the end of the interval (e.g. after a write in this process)."""
        self._wake.set()

    def __enter__(self) -> IndexFollower:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        with self._notifications() as wait:
            while not self._stop.is_set():
                try:
                    self.poll()
                except Exception:  # keep following: the next poll retries from the same seq
                    self.errors += 1
                    log.exception("the enforcement index could not follow the event log")
                # Until a NOTIFY or wake(), or an interval in which no thread polled: after each
                # write answered here the catch-up thread has just read what this poll would.
                while not wait(self._ended_at + self.interval - time.monotonic()):
                    if self._stop.is_set() or time.monotonic() >= self._ended_at + self.interval:
                        break
                self._wake.clear()

    @contextmanager
    def _notifications(self) -> Iterator[Any]:
        """A ``wait(seconds)`` that returns early, and True, on a NOTIFY (PostgreSQL) or on ``wake()``."""
        if not self.listen:
            yield self._wake.wait
            return
        raw = None
        try:
            raw = self.db.engine.raw_connection()
            driver: Any = raw.driver_connection
            driver.autocommit = True
            driver.execute(f"LISTEN {CHANNEL}")
        except Exception:
            log.exception("LISTEN failed; the enforcement index falls back to polling")
            if raw is not None:
                raw.invalidate()
            yield self._wake.wait
            return

        broken = False

        def wait(seconds: float) -> bool:
            nonlocal broken
            deadline = time.monotonic() + seconds
            # In short slices, so that wake() and stop() are heard within a quarter second.
            while not broken and not self._wake.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    if any(True for _ in driver.notifies(timeout=min(remaining, 0.25), stop_after=1)):
                        return True
                except Exception:
                    log.exception("lost the LISTEN connection; the enforcement index polls only")
                    broken = True
            if broken:
                return self._wake.wait(max(0.0, deadline - time.monotonic()))
            return True  # woken

        try:
            yield wait
        finally:
            raw.invalidate()  # a connection that LISTENs goes back to no pool
