"""The audit log: reading it, verifying its chain, and rebuilding projections from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from reprieve.domain.errors import ValidationError
from reprieve.domain.events import LogCheckpointed, NewEvent, RecordedEvent, parse_event, parse_json
from reprieve.domain.filters import EventFilter
from reprieve.domain.personal import REF_TEXT
from reprieve.domain.time import format_instant
from reprieve.services.callers import CLI_ACTOR, Caller, cli_actor, member_actor, token_actor
from reprieve.services.viewing import Page
from reprieve.store import audit as store
from reprieve.store import cutover, eventlog, keys, personal, tables
from reprieve.store.bulk import IN_PLACE, secondary_indexes_set_aside
from reprieve.store.connection import Connection, Table
from reprieve.store.db import Database
from reprieve.store.eventlog import Verification
from reprieve.store.projector import Applied, Projector


@dataclass(frozen=True, slots=True)
class EventView:
    """An event of the log as it was hashed into the chain: ``at`` and ``effective_at`` are the
    log's own text (hashed, so never reformatted), ``data`` its payload."""

    seq: int
    type: str
    at: str
    effective_at: str
    actor: str
    operator: str | None
    data: Mapping[str, Any]
    prev_hash: str
    hash: str
    #: who acted, by name, resolved outside the chain (``actor_names``); the actor as it is when
    #: it names no member or token (an old event's, the worker's)
    actor_name: str = ""

    @classmethod
    def of(cls, event: RecordedEvent, names: Mapping[str, str] | None = None) -> EventView:
        return cls(
            event.seq,
            event.type,
            event.at,
            event.effective_at,
            event.actor,
            event.operator,
            event.payload(),
            event.prev_hash,
            event.hash,
            (names or {}).get(event.actor, event.actor),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "at": self.at,
            "effective_at": self.effective_at,
            "actor": self.actor,
            "actor_name": self.actor_name,
            "operator": self.operator,
            "data": dict(self.data),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


#: One page of the log.
AuditPage = Page[EventView]


def _views(conn: Connection, events: Sequence[RecordedEvent]) -> tuple[EventView, ...]:
    names = actor_names(conn, {e.actor for e in events})
    return tuple(EventView.of(e, names) for e in events)


def actor_names(conn: Connection, actors: Iterable[str]) -> dict[str, str]:
    """The name of each actor that is a member or a token (``member:<id>``, ``cli:member:<id>``,
    ``token:<id>``), read from the members and tokens tables, or a name the cut-over moved out of
    an old event (``ref:pd_...``, read from ``personal_data``; erased: ``(erased)``), outside the
    chain. Actors that name none (``cli``, ``system:...``, an old event's name before the
    cut-over) are left out: shown as they are."""
    actors = set(actors)
    members: dict[str, list[str]] = {}
    tokens: dict[str, list[str]] = {}
    # An old event's name, moved out of the chain by the cut-over (``ref:pd_...``).
    names: dict[str, str] = personal.names_of(conn, actors)
    for actor in actors:
        kind, _, rest = actor.rpartition(":")
        if kind in ("member", "cli:member"):
            members.setdefault(rest, []).append(actor)
        elif kind == "token":
            tokens.setdefault(rest, []).append(actor)
    for table, wanted in ((tables.members, members), (tables.tokens, tokens)):
        if wanted:
            for id_, name in store.names_of(conn, table, list(wanted)):
                for actor in wanted[id_]:
                    names[actor] = f"cli:{name}" if actor.startswith("cli:") else name
    return names


def actors_named(conn: Connection, part: str) -> tuple[str, ...]:
    """The actors (``member:<id>``, ``cli:member:<id>``, ``token:<id>``, and ``ref:pd_...`` for a
    name the cut-over moved) whose name holds ``part``."""
    found = [a for m in store.ids_named(conn, tables.members, part) for a in (member_actor(m), cli_actor(m))]
    found += [token_actor(t) for t in store.ids_named(conn, tables.tokens, part)]
    # An old event's name the cut-over moved out of the chain: its actor is ``ref:pd_...``.
    return tuple(found + [REF_TEXT + ref for ref in store.moved_names(conn, part)])


def resolve_actors(db: Database, actors: Iterable[str]) -> dict[str, str]:
    """``actor_names`` in a read of its own."""
    with db.read() as conn:
        return actor_names(conn, actors)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The hash chain recomputed: ``events`` counted and its ``head``; where it breaks, if it does
    (``first_bad`` and ``problem``, only then on the wire)."""

    ok: bool
    events: int
    head: str
    first_bad: int | None = None
    problem: str | None = None
    #: the events 1 to ``proven`` are proven by the cut-over's signed checkpoint made ``proven_at``
    #: (``reprieve audit cut-over``), not by recomputing their hashes; 0 without one
    proven: int = 0
    proven_at: str | None = None
    #: events recorded at an instant earlier than one before them (a log written before issue 22
    #: raised recording instants; docs/time.md): the chain holds, past reads are by prefix
    out_of_order: int = 0

    @classmethod
    def of(cls, verified: Verification) -> ChainCheck:
        proof = verified.checkpoint
        return cls(
            verified.ok,
            verified.events,
            verified.head,
            verified.first_bad,
            verified.problem,
            proof.head_seq if proof else 0,
            proof.at if proof else None,
            verified.out_of_order,
        )

    @property
    def proof(self) -> str | None:
        """How the prefix is proven, in a sentence; None without a checkpoint."""
        if not self.proven:
            return None
        return f"events 1 to {self.proven} are proven by the checkpoint of {self.proven_at}"

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"ok": self.ok, "events": self.events, "head": self.head}
        if self.proven:
            result["checkpoint"] = {"events": self.proven, "at": self.proven_at}
        if self.out_of_order:
            result["out_of_order"] = self.out_of_order
        if not self.ok:
            result["first_bad_seq"] = self.first_bad
            result["problem"] = self.problem
        return result


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")


def _operator_seen(caller: Caller | None, operator: str | None) -> str | None:
    """The operator a read of the log is restricted to: ``operator`` if the caller sees it, else
    the caller's own; None: every operator's (caller None: the installation)."""
    if caller is None:
        return operator
    if operator is not None:
        caller.ensure_sees(operator, "operator", operator)
        return operator
    if caller.operators is None:
        return None
    if len(caller.operators) != 1:
        raise ValidationError("name the operator whose events are wanted", field="operator")
    return caller.operators[0]


def list_events(
    db: Database, *, after: int = 0, limit: int = 100, operator: str | None = None, caller: Caller | None = None
) -> AuditPage:
    """Events after seq ``after``, oldest first, of ``operator`` (if given) among those the caller sees."""
    _check_limit(limit)
    if after < 0:
        raise ValidationError("must be 0 or more", field="after")
    operator = _operator_seen(caller, operator)
    with db.read() as conn:
        page = eventlog.read_events(conn, after=after, limit=limit, operator=operator)
        views = _views(conn, page)
    return Page(views, str(page[-1].seq) if len(page) == limit else None)


def latest_events(
    db: Database, *, limit: int = 100, operator: str | None = None, caller: Caller | None = None
) -> AuditPage:
    """The ``limit`` newest events (of ``operator``, among those the caller sees), newest first; no next page."""
    _check_limit(limit)
    operator = _operator_seen(caller, operator)
    with db.read() as conn:
        page = eventlog.read_latest_events(conn, limit=limit, operator=operator)
        views = _views(conn, page)
    return Page(views, None)


def search_events(
    db: Database,
    where: EventFilter,
    *,
    caller: Caller | None = None,
    cursor: int | None = None,
    newest_first: bool = True,
    limit: int = 100,
) -> AuditPage:
    """One page of the events matching ``where`` (the audit page's filters) among those the caller
    sees, newest first by default; ``next_cursor`` is the seq to pass as ``cursor`` for the next
    page, None at the end."""
    _check_limit(limit)
    where = replace(where, operator=_operator_seen(caller, where.operator))
    with db.read() as conn:
        if where.actor:  # new events name members and tokens by id: a name asked for matches them too
            where = replace(where, actors=actors_named(conn, where.actor))
        page = eventlog.search_events(conn, where, cursor=cursor, newest_first=newest_first, limit=limit)
        views = _views(conn, page)
    return Page(views, page[-1].seq if len(page) == limit else None)


def verify_audit_log(db: Database, *, caller: Caller | None = None) -> ChainCheck:
    """The whole chain recomputed. A caller who sees one operator (an operator's auditor) gets it
    as that operator sees it: the count of its own events, and the hash of its latest one as the
    head (empty if it has none); nothing of other operators but ``ok`` and, when the chain is
    broken, where (one operator's events are only as sound as the chain holding them).
    caller None, or one who sees every operator: the count of every event and the chain's head."""
    whole = eventlog.verify_chain(db.engine)
    if caller is None or caller.operators is None:
        return ChainCheck.of(whole)
    operator = _operator_seen(caller, None)
    assert operator is not None
    with db.read() as conn:
        count, head = store.operator_events(conn, operator)
    checked = ChainCheck.of(whole)
    return replace(checked, events=count, head=head or "")


def referenced_projections() -> tuple[Table, ...]:
    """The projections that rows of other tables point to (tokens, members, webhook endpoints and
    worker settings point to ``operators``), and the projections those point to in turn.

    ``rebuild_projections`` cannot empty them without orphaning rows the log does not rebuild:
    it replays the log into them in place instead."""
    projections = set(tables.PROJECTIONS)
    held: set[Table] = set()
    for table in tables.metadata.tables.values():
        if table not in projections:
            held.update(fk.column.table for fk in table.foreign_keys if fk.column.table in projections)
    frontier = list(held)
    while frontier:
        for fk in frontier.pop().foreign_keys:
            target = fk.column.table
            if target in projections and target not in held:
                held.add(target)
                frontier.append(target)
    return tuple(table for table in tables.PROJECTIONS if table in held)


def rebuild_projections(db: Database, *, batch: int = 5_000, on_progress: Callable[[int], None] | None = None) -> int:
    """Recompute every projection from the whole log, in one transaction (all or nothing).

    Only the projections are touched: tokens, members, sessions, webhook endpoints, the outbox,
    idempotency keys, the amnesties' work lists, appeal requesters... stay as they are. The
    projections nothing else points to are emptied and replayed; those other tables point to
    (``referenced_projections``: the operators) are replayed in place, each row the log creates
    replacing the row of the same key, and a row the log does not create removed. If such a row
    is still referenced (a token of an operator the log does not know), nothing is changed and
    ``StorageError`` says which.
    """
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        eventlog.lock_head(conn)
        count = _replay_projections(conn, db.dialect, batch=batch, on_progress=on_progress)
    db._platforms.clear()
    return count


def _replay_projections(
    conn: Connection, dialect: str, *, batch: int, on_progress: Callable[[int], None] | None
) -> int:
    """``rebuild_projections`` in the caller's transaction, which holds the head's lock."""
    count = 0
    in_place = referenced_projections()
    replayed: dict[str, set[tuple[Any, ...]]] = {table.name: set() for table in in_place}
    for table in reversed(tables.PROJECTIONS):
        if table not in in_place:
            store.empty(conn, table)
    conn.execution_options(**{IN_PLACE: replayed})
    projector = Projector(conn)
    # On SQLite, readers keep seeing the last committed projections whatever this transaction
    # does, so their indexes can be built once at the end; on PostgreSQL dropping them would
    # lock readers out until the rebuild commits.
    with secondary_indexes_set_aside(conn, tables.PROJECTIONS) if dialect == "sqlite" else nullcontext():
        after = 0
        while True:
            page = eventlog.replay_page(conn, after=after, limit=batch)
            if not page:
                break
            projector.apply(
                # Each payload read into its class once, whichever version of it the log holds.
                [
                    Applied(seq, effective_at, parse_event(type_, parse_json(data)))
                    for seq, type_, effective_at, data in page
                ]
            )
            after = page[-1][0]
            count += len(page)
            if on_progress is not None:
                on_progress(count)
    conn.execution_options(**{IN_PLACE: None})
    for table in reversed(in_place):
        store.remove_unreplayed(conn, table, replayed[table.name])
    return count


@dataclass(frozen=True, slots=True)
class CutOverResult:
    """What ``cut_over`` did (or, ``dry_run``, would do): ``events`` of the prefix 1 to ``head``
    rewritten, ``moved`` texts and names put in ``personal_data``, the checkpoint's event (None:
    nothing to cut over, or a dry run)."""

    head: int
    events: int
    moved: int
    checkpoint_seq: int | None
    at: str | None
    dry_run: bool
    #: the cut-over had already run: its checkpoint's event
    already: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "head": self.head,
            "events": self.events,
            "moved": self.moved,
            "checkpoint_seq": self.checkpoint_seq,
            "at": self.at,
            "dry_run": self.dry_run,
            "already": self.already,
        }


def cut_over(
    db: Database,
    *,
    now: datetime,
    dry_run: bool = False,
    batch: int = 5_000,
    on_progress: Callable[[str, int], None] | None = None,
) -> CutOverResult:
    """The one-time cut-over of a history already chained (issue 21): in one transaction under
    the head's lock, move the personal texts and names of every event up to the head into
    ``personal_data`` (``store.cutover``), sign a checkpoint of the prefix, keep it in
    ``log_checkpoints`` and chain it in a ``log.checkpointed`` event, and rebuild the projections
    so that they hold references as new events' do. Stored hashes never change. Nothing to do
    (no such event, or the cut-over already ran): nothing is written. ``dry_run``: all of it is
    done and rolled back."""
    ring = keys.require_key_ring(db.engine.url) if not dry_run else None
    with db.engine.connect().execution_options(reprieve_write=True) as conn:
        transaction = conn.begin()
        try:
            head_seq, head_hash = eventlog.lock_head(conn)
            done = cutover.checkpoint(conn)
            if done is not None:
                return CutOverResult(head_seq, 0, 0, None, None, dry_run, already=done.event_seq)
            rewritten = cutover.rewrite_prefix(
                db,
                conn,
                head_seq=head_seq,
                now=now,
                batch=batch,
                on_progress=None if on_progress is None else lambda seq: on_progress("read", seq),
            )
            if rewritten.events == 0 or dry_run:
                return CutOverResult(head_seq, rewritten.events, rewritten.moved, None, None, dry_run)
            assert ring is not None
            at = format_instant(now)
            assert at is not None
            facts = (head_seq, head_hash, rewritten.events, rewritten.digest, at)
            event = LogCheckpointed(
                head_seq=head_seq,
                head_hash=head_hash,
                rewritten=rewritten.events,
                digest=rewritten.digest,
                signature=cutover.sign(ring.checkpoint_keys()[0], *facts),
            )
            recorded = eventlog.chain(
                [NewEvent.of(event, at, None)], head=(head_seq, head_hash), at=at, actor=CLI_ACTOR
            )
            eventlog.append(conn, recorded)
            eventlog.move_head(conn, recorded[-1].seq, recorded[-1].hash)
            cutover.save_checkpoint(
                conn,
                cutover.Checkpoint(
                    recorded[-1].seq, head_seq, head_hash, rewritten.events, rewritten.digest, event.signature, at
                ),
            )
            _replay_projections(
                conn,
                db.dialect,
                batch=batch,
                on_progress=None if on_progress is None else lambda n: on_progress("replayed", n),
            )
            transaction.commit()
        finally:
            if transaction.is_active:
                transaction.rollback()
    db._platforms.clear()
    return CutOverResult(head_seq, rewritten.events, rewritten.moved, recorded[-1].seq, at, dry_run)
