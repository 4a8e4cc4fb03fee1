"""The transactional outbox: a row per event and consumer, written in the event's own transaction.

``enqueue`` is called by ``eventlog.append`` for every event. It writes rows only where someone
will consume them: the active webhook endpoints of the event's operator whose types match, and
the broker once one is enabled. Which consumers there are is cached per process and checked
against ``outbox_consumers.version``, read in the writing transaction: every change of consumers
bumps it under the chain head's lock, so no process misses an endpoint registered before its
event. Delivery (``claim``, ``settle``) leases rows so that several workers share the work and
a later row of one target and subject waits while an earlier one is pending.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, and_, delete, func, or_, select, update

from reprieve.domain.events import RecordedEvent, parse_json
from reprieve.domain.time import parse_instant, to_micros
from reprieve.store import tables
from reprieve.store.bulk import insert_rows
from reprieve.store.raw import fetch_all

#: The target of the rows the broker publishes.
BROKER = "nats"
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATES = (PENDING, DELIVERED, DEAD)
_COLUMNS = ("seq", "target", "operator_id", "subject", "state", "attempts", "created_at", "next_attempt_at")


@dataclass(frozen=True, slots=True)
class Consumers:
    """Who consumes events, as of ``version``: endpoints by operator, each with its types (None: all)."""

    version: int
    broker: bool
    endpoints: dict[str | None, list[tuple[str, frozenset[str] | None]]] = field(default_factory=dict)

    def targets(self, operator: str | None, type_: str) -> list[str]:
        found = [id_ for id_, types in self.endpoints.get(operator, ()) if types is None or type_ in types]
        if self.broker:
            found.append(BROKER)
        return found

    @property
    def empty(self) -> bool:
        return not self.broker and not self.endpoints


_cache: WeakKeyDictionary[Engine, Consumers] = WeakKeyDictionary()


def consumers(conn: Connection) -> Consumers:
    """The consumers as of this transaction: one read of the version, the list from memory when current."""
    # On the driver's cursor: read in every write transaction that records events.
    rows = fetch_all(conn, "SELECT version, broker FROM outbox_consumers WHERE id = 1")
    if not rows:  # a database made before the outbox existed: nobody consumes
        return Consumers(0, False)
    version, broker = rows[0]
    cached = _cache.get(conn.engine)
    if cached is not None and cached.version == version:
        return cached
    w = tables.webhook_endpoints.c
    endpoints: dict[str | None, list[tuple[str, frozenset[str] | None]]] = {}
    for id_, operator, types in conn.execute(
        select(w.id, w.operator_id, w.event_types).where(w.state == "active").order_by(w.id)
    ):
        names = frozenset(json.loads(types))
        endpoints.setdefault(operator, []).append((id_, None if "*" in names else names))
    loaded = Consumers(int(version), bool(broker), endpoints)
    _cache[conn.engine] = loaded
    return loaded


def bump_version(conn: Connection, *, broker: bool | None = None) -> None:
    """Tell every process that the consumers changed; call under the chain head's lock (a unit of work)."""
    c = tables.outbox_consumers.c
    values: dict[str, Any] = {"version": c.version + 1}
    if broker is not None:
        values["broker"] = int(broker)
    conn.execute(update(tables.outbox_consumers).where(c.id == 1).values(**values))


def subject_of(type_: str, data: dict[str, Any]) -> str:
    """The ordering key of an event: its sanction (a complaint about content: its content decision,
    as the decision's own events), else its account, else what it names."""
    sanction = data.get("sanction")
    if isinstance(sanction, str):
        return f"sanction:{sanction}"
    if type_.startswith("sanction.") and isinstance(data.get("id"), str):
        return f"sanction:{data['id']}"
    content_decision = data.get("content_decision")
    if type_.startswith("appeal.") and isinstance(content_decision, str):  # a complaint about content
        return f"content:{content_decision}"
    notice = data.get("notice")
    if type_.startswith("appeal.") and isinstance(notice, str):  # a notifier's complaint: with its case's events
        return f"notice:{notice}"
    if isinstance(data.get("platform"), str) and isinstance(data.get("account"), str):
        return f"account:{data['platform']}/{data['account']}"
    return f"{type_.split('.', 1)[0]}:{data.get('id', '')}"[:300]


def enqueue(conn: Connection, recorded: Sequence[RecordedEvent]) -> None:
    """Write the outbox rows of ``recorded`` (one insert for them all); nothing if nobody consumes."""
    if not recorded:
        return
    found = consumers(conn)
    if found.empty:
        return
    created = to_micros(parse_instant(recorded[0].at))
    rows: list[tuple[Any, ...]] = []
    for event in recorded:
        targets = found.targets(event.operator, event.type)
        if not targets:
            continue
        subject = subject_of(event.type, parse_json(event.data))
        rows.extend((event.seq, t, event.operator, subject, PENDING, 0, created, created) for t in targets)
    insert_rows(conn, tables.outbox, _COLUMNS, rows)


def depth(conn: Connection, now: float | None = None) -> tuple[int, float | None]:
    """Pending deliveries, and the age in seconds of the oldest (None when there is none)."""
    o = tables.outbox.c
    count, oldest = conn.execute(
        select(func.count(), func.min(o.created_at)).select_from(tables.outbox).where(o.state == PENDING)
    ).one()
    if not count:
        return 0, None
    current = time.time() if now is None else now
    return int(count), max(0.0, current - int(oldest) / 1_000_000)


class Claimed(NamedTuple):
    """A row leased for delivery, with its event."""

    id: int
    target: str
    attempts: int
    created_at: int
    seq: int
    type: str
    at: str
    effective_at: str
    operator: str | None
    data: str
    hash: str


#: Pages of rows due that one lease reads at most.
_PAGES = 5


def _queue_heads(conn: Connection, queues: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The id of the first pending row of each ``(target, subject)`` queue."""
    o = tables.outbox.c
    heads: dict[tuple[str, str], int] = {}
    ordered = sorted(queues)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        for target, subject, first in conn.execute(
            select(o.target, o.subject, func.min(o.id))
            .where(o.target.in_({t for t, _ in chunk}), o.subject.in_({s for _, s in chunk}), o.state == PENDING)
            .group_by(o.target, o.subject)
        ):
            heads[(target, subject)] = first
    return heads


def claim(
    conn: Connection,
    *,
    owner: str,
    now_us: int,
    lease_us: int,
    limit: int,
    targets: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
) -> list[Claimed]:
    """Lease up to ``limit`` rows due now, the earliest pending one per target and subject, in
    this (write) transaction. ``targets`` restricts to those targets; ``exclude`` leaves some out."""
    o = tables.outbox.c
    free = or_(o.leased_until.is_(None), o.leased_until < now_us)
    # Rows due, oldest first; then, in a second query that an index on (target, subject, state, id)
    # answers, the first pending row of each of their queues: a row goes only if it heads its queue.
    # (One correlated NOT EXISTS did the same, but PostgreSQL planned it badly on a young table.)
    base = select(o.id, o.target, o.subject).where(o.state == PENDING, o.next_attempt_at <= now_us, free)
    if targets is not None:
        base = base.where(o.target.in_(list(targets)))
    excluded = list(exclude)
    if excluded:
        base = base.where(o.target.not_in(excluded))
    ids: list[int] = []
    after = 0
    # A page may hold only rows waiting behind others (a queue's head not due yet): read on, a
    # few pages at most, so that one crowded queue does not hold up every other.
    for _ in range(_PAGES):
        candidates = list(conn.execute(base.where(o.id > after).order_by(o.id).limit(limit)))
        if not candidates:
            break
        heads = _queue_heads(conn, {(c.target, c.subject) for c in candidates})
        ids.extend(c.id for c in candidates if heads.get((c.target, c.subject)) == c.id)
        if len(ids) >= limit or len(candidates) < limit:
            break
        after = candidates[-1].id
    ids = ids[:limit]
    if not ids:
        return []
    until = now_us + lease_us
    conn.execute(
        update(tables.outbox)
        .where(o.id.in_(ids), o.state == PENDING, free)
        .values(lease_owner=owner, leased_until=until)
    )
    ev = tables.events.c
    rows = conn.execute(
        select(
            o.id,
            o.target,
            o.attempts,
            o.created_at,
            ev.seq,
            ev.type,
            ev.at,
            ev.effective_at,
            ev.operator_id,
            ev.data,
            ev.hash,
        )
        .join_from(tables.outbox, tables.events, ev.seq == o.seq)
        .where(o.id.in_(ids), o.lease_owner == owner, o.leased_until == until)
        .order_by(o.id)
    )
    return [Claimed._make(row) for row in rows]


def settle(
    conn: Connection,
    *,
    owner: str,
    now_us: int,
    delivered: Sequence[int],
    retries: Sequence[tuple[int, int, str]],
    dead: Sequence[tuple[int, str]],
) -> None:
    """Record what became of leased rows: delivered, to retry at ``(id, next_at, error)``, or dead."""
    o = tables.outbox.c
    mine = and_(o.lease_owner == owner, o.state == PENDING)
    if delivered:
        conn.execute(
            update(tables.outbox)
            .where(o.id.in_(list(delivered)), mine)
            .values(
                state=DELIVERED,
                attempts=o.attempts + 1,
                delivered_at=now_us,
                last_attempt_at=now_us,
                leased_until=None,
                last_error=None,
            )
        )
    for id_, next_at, error in retries:
        row = conn.execute(select(o.target, o.subject).where(o.id == id_, mine)).first()
        if row is None:
            continue
        conn.execute(
            update(tables.outbox)
            .where(o.id == id_)
            .values(
                attempts=o.attempts + 1,
                next_attempt_at=next_at,
                last_attempt_at=now_us,
                leased_until=None,
                last_error=error[:500],
            )
        )
        # The rows queued behind it cannot go before it: not due before it is (so that they do
        # not fill the next leases' pages).
        conn.execute(
            update(tables.outbox)
            .where(
                o.target == row.target,
                o.subject == row.subject,
                o.state == PENDING,
                o.id > id_,
                o.next_attempt_at < next_at,
            )
            .values(next_attempt_at=next_at)
        )
    for id_, error in dead:
        conn.execute(
            update(tables.outbox)
            .where(o.id == id_, mine)
            .values(
                state=DEAD,
                attempts=o.attempts + 1,
                last_attempt_at=now_us,
                leased_until=None,
                last_error=error[:500],
            )
        )


def requeue(conn: Connection, delivery_id: int, *, now_us: int) -> None:
    """Deliver a row again from now on, with a fresh retry window (manual redelivery)."""
    o = tables.outbox.c
    conn.execute(
        update(tables.outbox)
        .where(o.id == delivery_id)
        .values(
            state=PENDING,
            attempts=0,
            created_at=now_us,
            next_attempt_at=now_us,
            leased_until=None,
            lease_owner=None,
            delivered_at=None,
        )
    )


def prune(conn: Connection, *, before_us: int, limit: int = 10_000) -> int:
    """Forget up to ``limit`` delivered rows last scheduled before ``before_us`` (by the index on
    state and next_attempt_at); dead and pending rows stay."""
    o = tables.outbox.c
    old = select(o.id).where(o.state == DELIVERED, o.next_attempt_at < before_us).limit(limit)
    return int(conn.execute(delete(tables.outbox).where(o.id.in_(old.scalar_subquery()))).rowcount)


def maintain(conn: Connection, *, before_us: int) -> int:
    """What the worker does once a minute: ``prune``, and on PostgreSQL refresh the table's
    statistics: on a young, fast-changing outbox the planner otherwise believes it holds a few
    rows and reads every pending row for each lease (30 ms per 1,000 at 40,000, growing)."""
    pruned = prune(conn, before_us=before_us)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE outbox")
    return pruned


def broker_enabled(conn: Connection) -> bool:
    """Whether every event is written to the outbox for the broker too."""
    return bool(conn.execute(tables.outbox_consumers.select().where(tables.outbox_consumers.c.id == 1)).one().broker)
