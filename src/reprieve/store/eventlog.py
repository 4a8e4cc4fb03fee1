"""The event log: appending under the chain head's lock, reading, and verifying the chain."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select

from reprieve.domain.errors import StorageError
from reprieve.domain.events import (
    GENESIS_HASH,
    EventType,
    NewEvent,
    RecordedEvent,
    canonical_json,
    chain_hash,
    envelope_json,
)
from reprieve.domain.filters import EventFilter
from reprieve.domain.time import parse_instant
from reprieve.store import cutover, keys, outbox, tables
from reprieve.store.bulk import insert_rows
from reprieve.store.raw import execute, fetch_all, placeholders

_EVENT_COLUMNS = ("seq", "type", "at", "effective_at", "actor", "operator_id", "data", "prev_hash", "hash")


def lock_head(conn: Connection) -> tuple[int, str]:
    """Read the chain head, locking it until the transaction ends (PostgreSQL: FOR UPDATE)."""
    # On the driver's cursor, as move_head: once per write transaction, which a group commit
    # of violations makes hundreds of times a second.
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    rows = fetch_all(conn, f"SELECT seq, hash FROM chain_head WHERE id = 1{lock}")
    if not rows:
        raise StorageError("the chain head is missing: this database was not created by Reprieve")
    seq, digest = rows[0]
    return int(seq), str(digest)


def recorded_at(conn: Connection, seq: int) -> str | None:
    """When event ``seq`` was recorded (its ``at``); None if there is none (an empty log).

    Read in a statement of its own once the head is locked: PostgreSQL's FOR UPDATE returns the
    head as the writer before us committed it, but a subquery of that statement would still read
    the events as they were when the statement began, without the head event.
    """
    rows = fetch_all(conn, f"SELECT at FROM events WHERE seq = {placeholders(conn, 1)}", [seq])
    return str(rows[0][0]) if rows else None


#: An event whose payload is written already (canonical JSON), for ``UnitOfWork.record_written``:
#: ``(type, effective_at, operator, payload, None)``, a ``NewEvent`` without its typed event.
Written = tuple[EventType, str, "str | None", str, None]


def chain(
    events: Sequence[NewEvent] | Sequence[Written], *, head: tuple[int, str], at: str, actor: str
) -> list[RecordedEvent]:
    """Give each new event its seq and hash, continuing the chain from ``head``."""
    seq, prev = head
    recorded = []
    for type_member, effective_at, operator, payload, _ in events:
        seq += 1
        # _value_, not value: the enum property is two Python calls (3.11), once per event of an import.
        type_: str = type_member._value_
        # A payload may come written already (a bulk import writes each as it builds it, so that
        # no dict of it stays alive until the chunk is recorded): canonical JSON, as hashed.
        data = payload if payload.__class__ is str else canonical_json(payload)
        envelope = envelope_json(seq, type_, at, effective_at, actor, operator, data)
        digest = chain_hash(prev, envelope)
        # tuple.__new__: a named tuple's generated __new__ would be one more Python call per event.
        recorded.append(
            tuple.__new__(RecordedEvent, (seq, type_, at, effective_at, actor, operator, data, prev, digest))
        )
        prev = digest
    return recorded


def append(conn: Connection, recorded: Sequence[RecordedEvent]) -> None:
    insert_rows(conn, tables.events, _EVENT_COLUMNS, recorded)  # its fields are the columns, in order
    # The outbox rows of webhooks and the broker, in the same transaction: none if nobody consumes.
    outbox.enqueue(conn, recorded)


def move_head(conn: Connection, seq: int, digest: str) -> None:
    execute(
        conn,
        f"UPDATE chain_head SET seq = {placeholders(conn, 1)}, hash = {placeholders(conn, 1)} WHERE id = 1",
        [seq, digest],
    )


def read_events(
    conn: Connection,
    *,
    after: int = 0,
    limit: int = 100,
    operator: str | None = None,
    types: Sequence[str] | None = None,
) -> list[RecordedEvent]:
    e = tables.events.c
    query = select(tables.events).where(e.seq > after).order_by(e.seq).limit(limit)
    if operator is not None:
        query = query.where(e.operator_id == operator)
    if types:
        query = query.where(e.type.in_(types))
    return [_from_row(row._mapping) for row in conn.execute(query)]


def read_latest_events(conn: Connection, *, limit: int = 100, operator: str | None = None) -> list[RecordedEvent]:
    """The ``limit`` newest events (of ``operator``), newest first."""
    e = tables.events.c
    query = select(tables.events).order_by(e.seq.desc()).limit(limit)
    if operator is not None:
        query = query.where(e.operator_id == operator)
    return [_from_row(row._mapping) for row in conn.execute(query)]


_TYPES = tuple(t.value for t in EventType)
#: A subject account names at most this many sanctions in the filter (the newest first).
SUBJECT_SANCTIONS = 200


def _like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with ``\\`` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_events(
    conn: Connection,
    where: EventFilter,
    *,
    cursor: int | None = None,
    newest_first: bool = True,
    limit: int = 100,
) -> list[RecordedEvent]:
    """One page of the log matching ``where``, newest first (``seq`` below ``cursor``) or oldest
    first (``seq`` above it), in SQL on either backend.

    The page walks the primary key (``seq``) in the asked order, or ``ix_events_operator_seq``
    for one operator's desk, filtering along the walk; a rare type or a past date range is found
    through ``ix_events_operator_type_seq`` or ``ix_events_operator_at`` (migration 0014). The
    actor and the subject are parts of texts: they filter along the walk, which for a filter
    matching few events means reading much of the log.
    """
    e = tables.events.c
    query = select(tables.events)
    if where.operator is not None:
        query = query.where(e.operator_id == where.operator)
    if where.type:
        # The known types it begins (and itself, exactly): an IN list that ix_events_operator_type_seq answers.
        query = query.where(e.type.in_(sorted({t for t in _TYPES if t.startswith(where.type)} | {where.type})))
    if where.actor:
        part = func.lower(e.actor).like("%" + _like_literal(where.actor.lower()) + "%", escape="\\")
        query = query.where(or_(part, e.actor.in_(where.actors)) if where.actors else part)
    if where.since:
        query = query.where(e.at >= where.since)
    if where.until:
        query = query.where(e.at < where.until)
    if where.subject:
        query = query.where(
            or_(
                *(
                    and_(*(e.data.like("%" + _like_literal(part) + "%", escape="\\") for part in parts))
                    for parts in _subject_fragments(conn, where)
                )
            )
        )
    if cursor is not None:
        query = query.where(e.seq < cursor if newest_first else e.seq > cursor)
    query = query.order_by(e.seq.desc() if newest_first else e.seq).limit(limit)
    return [_from_row(row._mapping) for row in conn.execute(query)]


def _subject_fragments(conn: Connection, where: EventFilter) -> list[tuple[str, ...]]:
    """The texts of ``data`` that name the subject, each tuple's texts all together: the id itself,
    quoted; for an account, its ``"account"`` and ``"platform"`` keys (its registration, the
    subject of its sanctions, the links of its identity) or the id of one of its sanctions."""
    subject = where.subject.strip()
    if "/" not in subject:
        return [(canonical_json(subject),)]
    platform, _, account = subject.partition("/")
    s = tables.sanctions.c
    query = select(s.id).where(s.subject_account == account, s.subject_platform == platform)
    if where.operator is not None:
        query = query.where(s.operator_id == where.operator)
    ids = conn.execute(query.order_by(s.id.desc()).limit(SUBJECT_SANCTIONS)).scalars().all()
    return [
        (f'"account":{canonical_json(account)}', f'"platform":{canonical_json(platform)}'),
        *((canonical_json(str(i)),) for i in ids),
    ]


def replay_page(conn: Connection, *, after: int, limit: int) -> list[tuple[int, str, str, str]]:
    """``(seq, type, effective_at, data)`` of the events after ``after``: what a replay needs."""
    e = tables.events.c
    query = select(e.seq, e.type, e.effective_at, e.data).where(e.seq > after).order_by(e.seq).limit(limit)
    return [tuple(row) for row in conn.execute(query)]


def iter_events(engine: Engine, *, batch: int = 10_000) -> Iterator[RecordedEvent]:
    """Every event in order, read in batches so that memory stays flat."""
    after = 0
    while True:
        with engine.connect() as conn:
            page = read_events(conn, after=after, limit=batch)
        if not page:
            return
        yield from page
        after = page[-1].seq


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(tables.chain_head.c.seq, tables.chain_head.c.hash)).first()
    if row is None:
        raise StorageError("the chain head is missing: this database was not created by Reprieve")
    return int(row.seq), str(row.hash)


def count_events(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


def _from_row(row: Any) -> RecordedEvent:
    return RecordedEvent(
        seq=row["seq"],
        type=row["type"],
        at=row["at"],
        effective_at=row["effective_at"],
        actor=row["actor"],
        operator=row["operator_id"],
        data=row["data"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of recomputing the chain: ``first_bad`` names the first event that fails."""

    ok: bool
    events: int
    head: str
    first_bad: int | None = None
    problem: str | None = None
    #: the checkpoint that proves the events up to its ``head_seq`` (``reprieve audit cut-over``)
    checkpoint: cutover.Checkpoint | None = None
    #: events recorded at an instant earlier than an event before them: written before recording
    #: instants were raised to the head's (issue 22); reads ``as_of`` treat the log as a prefix
    #: (``store.asof``, docs/time.md)
    out_of_order: int = 0

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"ok": self.ok, "events": self.events, "head": self.head}
        if self.checkpoint is not None:
            result["checkpoint"] = {"events": self.checkpoint.head_seq, "at": self.checkpoint.at}
        if not self.ok:
            result["first_bad_seq"] = self.first_bad
            result["problem"] = self.problem
        return result


def verify_chain(engine: Engine, *, batch: int = 10_000) -> Verification:
    """Recompute every hash, check the links and the sequence, and compare with the head."""
    with engine.connect() as conn:
        # The head and the events are read in one snapshot: a writer committing meanwhile must
        # not look like a log that runs past its head.
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            return _verify_snapshot(conn, batch)


def _snapshot_events(conn: Connection, batch: int) -> Iterator[RecordedEvent]:
    after = 0
    while page := read_events(conn, after=after, limit=batch):
        yield from page
        after = page[-1].seq


def _checkpoint_problem(
    conn: Connection, found: cutover.Checkpoint | None, events: Sequence[RecordedEvent]
) -> tuple[int, str] | None:
    """Where and why the cut-over's checkpoint does not hold (its row against its chained event,
    and its signature), or None."""
    if found is None:
        return events[0].seq, f"event {events[0].seq} is a checkpoint that log_checkpoints does not hold"
    named = [e for e in events if e.seq == found.event_seq]
    if not named or len(events) != 1:
        return found.event_seq, f"the checkpoint names event {found.event_seq}, which is not the log's one checkpoint"
    event = named[0]
    facts = (found.head_seq, found.head_hash, found.rewritten, found.digest, found.signature, found.at)
    data = event.payload()
    chained = (
        data.get("head_seq"),
        data.get("head_hash"),
        data.get("rewritten"),
        data.get("digest"),
        data.get("signature"),
        event.at,
    )
    if facts != chained:
        return event.seq, f"the checkpoint in log_checkpoints does not match its event {event.seq}"
    ring = keys.key_ring(conn.engine.url)
    if ring is None or not ring.keys:
        return (
            event.seq,
            f"no key to check the signature of the checkpoint of event {event.seq}: "
            f"{keys.ENV} or the key file is missing",
        )
    if not cutover.signature_checks(ring.checkpoint_keys(), found.signature, *facts[:4], found.at):
        return (
            event.seq,
            f"the signature of the checkpoint of event {event.seq} does not check under this installation's keys",
        )
    return None


def _verify_snapshot(conn: Connection, batch: int) -> Verification:
    head_seq, head_hash = head(conn)
    proof = cutover.checkpoint(conn)
    proof_events = cutover.checkpoint_events(conn) if proof is not None or head_seq else []
    if proof is not None or proof_events:
        problem = _checkpoint_problem(conn, proof, proof_events)
        if problem is not None:
            return Verification(False, 0, GENESIS_HASH, problem[0], problem[1], proof)
    # Events up to the checkpoint's head are proven by its digest (their content no longer
    # recomputes to their stored hashes: the cut-over moved their personal data out); their links
    # are still checked. The events after it recompute as ever.
    proven = proof.head_seq if proof is not None else 0
    digest = hashlib.sha256()
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    latest = ""  # the latest recording instant so far, as text
    out_of_order = 0
    for event in _snapshot_events(conn, batch):
        # Text order is time order between seconds; within one (``...07Z`` sorts after ``...07.5Z``) as instants.
        at, second = event.at, event.at[:19]
        if at != latest:
            if second > latest[:19] or (second == latest[:19] and parse_instant(at) >= parse_instant(latest)):
                latest = at
            else:
                out_of_order += 1

        def bad(problem: str, seq: int = event.seq, count: int = count, prev: str = prev) -> Verification:
            return Verification(False, count, prev, seq, problem, proof)

        if event.seq != expected_seq:
            return bad(f"event {expected_seq} is missing (the next one is {event.seq})", expected_seq)
        if event.prev_hash != prev:
            return bad(f"event {event.seq} does not link to the event before it")
        if event.seq <= proven:
            digest.update(cutover.prefix_line(event))
            if event.seq == proven and (event.hash != proof.head_hash or digest.hexdigest() != proof.digest):  # type: ignore[union-attr]
                return bad(
                    f"events 1 to {proven} do not match the checkpoint of {proof.at}: one was modified",  # type: ignore[union-attr]
                    1,
                )
        else:
            envelope = envelope_json(
                event.seq, event.type, event.at, event.effective_at, event.actor, event.operator, event.data
            )
            if chain_hash(prev, envelope) != event.hash:
                return bad(f"event {event.seq} was modified: its content does not match its hash")
        prev = event.hash
        expected_seq += 1
        count += 1
    if count != head_seq or prev != head_hash:
        if count < head_seq:
            return Verification(
                False,
                count,
                prev,
                count + 1,
                f"events {count + 1} to {head_seq} are missing from the end of the log",
                proof,
            )
        first_bad = head_seq + 1 if count > head_seq else head_seq
        return Verification(False, count, prev, first_bad, "the log does not end where its head says", proof)
    return Verification(True, count, prev, checkpoint=proof, out_of_order=out_of_order)
