"""Reading the index's entries from the projections: all of them at start-up, or a few identities.

At start-up, one query returns every account with every span of its identity on its
platform, ordered by identity (a merge of two indexes, no sort), and another what strikes and
probations depend on besides the spans (lifts, granted appeals, violations, probations). A
refresh of a few identities reads both in one statement. From them each account's entry is
packed: the spans that end after the horizon, and the strike marks that can still count, by
the rule of ``reprieve.domain.strikes``.

Accounts are never deleted and only move from an identity to another by a link (after which
the survivor is re-read), so re-reading the identities an event touched is enough to bring
their accounts up to date.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from reprieve.domain.strikes import Probation, strikes_made
from reprieve.domain.time import END_OF_TIME, to_micros
from reprieve.enforcement.entries import KIND_CODE, PackedSpan, pack, pack_one
from reprieve.enforcement.index import EnforcementIndex, PlatformSlot
from reprieve.enforcement.items import ItemSpan, ItemTable, kind_code, mask_of, pack_item
from reprieve.store import content_index, eventlog, queries
from reprieve.store import enforcement as store
from reprieve.store.db import Database
from reprieve.store.due_process import probation_of

_KIND_CODE = {kind.value: code for kind, code in KIND_CODE.items()}
_WARNING = "warning"
_CHUNK = 500


@dataclass(slots=True)
class StrikeContext:
    """What the strikes and probations of the identities being read depend on, besides spans."""

    lifted: dict[str, int]  #: sanction -> its first lift
    granted: dict[str, int]  #: sanction -> when an appeal against it was first granted
    by_violation: set[str]  #: sanctions a violation's ladder imposed: no strike of their own
    reported: dict[tuple[str, str], list[tuple[int, int | None, str | None]]]  #: violations
    probations: dict[tuple[str, str], tuple[Probation, ...]]  #: (identity, platform) -> those not over

    @classmethod
    def of_rows(cls, rows: Iterable[Sequence[Any]], entries: list[Row] | None = None) -> StrikeContext:
        """The context of tagged rows (``store.enforcement``); rows of the entries query (tag e), in
        a refresh, are appended to ``entries`` without their tag."""
        lifted: dict[str, int] = {}
        granted: dict[str, int] = {}
        by_violation: set[str] = set()
        reported: dict[tuple[str, str], list[tuple[int, int | None, str | None]]] = {}
        probations: dict[tuple[str, str], list[Probation]] = {}
        for row in rows:
            tag = row[0]
            if tag == "e":
                assert entries is not None
                entries.append(row[1:])
            elif tag == "r":
                reported.setdefault((row[1], row[2]), []).append((row[5], row[6], row[4]))
            elif tag == "b":
                by_violation.add(row[4])
            elif tag == "l":
                lifted[row[4]] = row[5]
            elif tag == "g":
                granted[row[4]] = row[5]
            else:
                probations.setdefault((row[1], row[2]), []).append(probation_of(row[3], row[5], row[6], row[7], row[4]))
        return cls(
            lifted=lifted,
            granted=granted,
            by_violation=by_violation,
            reported=reported,
            probations={k: tuple(v) for k, v in probations.items()},
        )

    def simple(self, identity: str, platform_id: str, sid: str) -> bool:
        """Whether an account's only sanction makes a plain strike: never lifted, no appeal
        granted, not a violation's, no violation and no probation on its platform."""
        return (
            sid not in self.lifted
            and sid not in self.granted
            and sid not in self.by_violation
            and (not self.reported or (identity, platform_id) not in self.reported)
            and (not self.probations or (identity, platform_id) not in self.probations)
        )


#: A row of the entries query: identity, platform, account, then the span's sanction id, from,
#: until, kind and, for a restriction, what it denies (the others deny everything but appeal).
Row = Sequence[Any]


def build_index(db: Database, *, now: datetime) -> EnforcementIndex:
    """An index of every account, answering for instants from ``now`` on."""
    with db.read() as conn:
        # The head first: the projections read next are at least as recent, and the
        # follower re-reads whatever the events after it touched.
        seq, _ = eventlog.head(conn)
        platforms = queries.all_platforms(conn)
        # Not before the last identity link: the index holds identities as they are now.
        horizon = max(to_micros(now), store.last_link(conn) or 0)
        index = EnforcementIndex(horizon=horizon, seq=seq, platforms=platforms)
        _refresh_held(conn, index, None)
        context = StrikeContext.of_rows(store.strike_rows(conn, index.horizon))
        # What the build keeps (bytes and strings) is never in a reference cycle, and what it
        # drops is freed by reference counting: collections would only rescan rows in flight.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with _raw_rows(conn, index.horizon) as rows:
                load_rows(conn, index, rows, context, put=_put_unfiltered)
            with content_index.items_cursor(conn, index.horizon) as cursor:
                load_items(conn, index, _prefetched(cursor), put=_put_item_unfiltered)
        finally:
            if collecting:
                gc.enable()
    for slot in index.slots.values():
        slot.resize_filter()
        slot.items.resize_filter()
    return index


def refresh_items(conn: Connection, index: EnforcementIndex, keys: Sequence[tuple[str, str]]) -> None:
    """Re-read the entries of the items ``keys`` ((platform, item) pairs)."""
    if keys:
        load_items(conn, index, content_index.item_rows(conn, index.horizon, keys), put=ItemTable.put)


def load_items(
    conn: Connection, index: EnforcementIndex, rows: Iterable[Row], *, put: Callable[[ItemTable, str, bytes], None]
) -> None:
    """Pack the rows of the items query (``store.content_index``), grouped by platform and item,
    into one entry per item: its author and its spans, by start."""
    slots = index.slots
    code_of = kind_code
    countries_mask = mask_of
    current: tuple[str, str] | None = None
    author = ""
    spans: list[ItemSpan] = []
    table: ItemTable | None = None
    for platform_id, item, account, did, start, end, kind, countries in rows:
        if current is None or item != current[1] or platform_id != current[0]:
            if current is not None and table is not None:
                put(table, current[1], pack_item(author, sorted(spans) if len(spans) > 1 else spans))
            slot = slots.get(platform_id) or _slot(conn, index, platform_id)
            table = slot.items
            current, author, spans = (platform_id, item), account, []
        if did is not None:
            spans.append(ItemSpan(start, end, code_of(kind), countries_mask(countries), did))
    if current is not None and table is not None:
        put(table, current[1], pack_item(author, sorted(spans) if len(spans) > 1 else spans))


def _put_item_unfiltered(table: ItemTable, item: str, entry: bytes) -> None:
    table.entries[item] = entry  # the filters are sized once the build is done


def refresh_identities(conn: Connection, index: EnforcementIndex, identities: Sequence[str]) -> None:
    """Re-read the entries of every account of ``identities``: one statement per 500 identities."""
    unique = sorted(set(identities))
    _refresh_held(conn, index, unique)
    for i in range(0, len(unique), _CHUNK):
        entries: list[Row] = []
        context = StrikeContext.of_rows(store.identity_rows(conn, index.horizon, unique[i : i + _CHUNK]), entries)
        entries.sort(key=_identity_of)  # grouped by identity, as load_rows takes them
        load_rows(conn, index, entries, context, put=PlatformSlot.put)


def _refresh_held(conn: Connection, index: EnforcementIndex, identities: Sequence[str] | None) -> None:
    """Re-read the sanctions held until their review of ``identities`` (None: of all)."""
    if identities is None:
        index.held = {s.id: s for s in queries.held_sanctions(conn)}
        return
    among = set(identities)
    for sanction_id in [i for i, s in index.held.items() if s.identity in among]:
        del index.held[sanction_id]
    for i in range(0, len(identities), _CHUNK):
        index.held.update((s.id, s) for s in queries.held_sanctions(conn, identities[i : i + _CHUNK]))


def _identity_of(row: Row) -> Any:
    return row[0]


def load_rows(
    conn: Connection,
    index: EnforcementIndex,
    rows: Iterable[Row],
    context: StrikeContext,
    *,
    put: Callable[[PlatformSlot, str, bytes], None],
) -> None:
    """Pack the rows of the entries query, ordered by identity, into one entry per account."""
    horizon = index.horizon
    slots = index.slots
    kind_code = _KIND_CODE
    lifted, granted, by_violation = context.lifted, context.granted, context.by_violation
    # Without violations or probations among the identities read, ``context.simple`` is
    # these three lookups, made inline.
    plain = not context.reported and not context.probations
    probations = index.probations
    current: str | None = None
    group: list[Row] = []
    for row in rows:
        identity = row[0]
        if identity == current:
            group.append(row)
            continue
        if len(group) == 1:  # the common case: one account, at most one span
            _, platform_id, account, sid, start, end, kind, denies = group[0]
            slot = slots.get(platform_id) or _slot(conn, index, platform_id)
            if (
                sid is not None
                and start <= horizon < end
                and kind != _WARNING
                and slot.strike_expiry is None
                and sid not in lifted
                and sid not in granted
                and sid not in by_violation
                and (plain or context.simple(current or "", platform_id, sid))
            ):
                put(slot, account, pack_one(current or "", start, end, slot.mask_of(denies), kind_code[kind], sid, 1))
                if probations:
                    probations.pop((platform_id, account), None)
            else:
                _load_account(index, slot, current or "", account, group, context, put)
        elif group:
            _load_identity(conn, index, current or "", group, context, put)
        current = identity
        group = [row]
    if len(group):
        _load_identity(conn, index, current or "", group, context, put)


def _load_identity(
    conn: Connection,
    index: EnforcementIndex,
    identity: str,
    rows: list[Row],
    context: StrikeContext,
    put: Callable[[PlatformSlot, str, bytes], None],
) -> None:
    accounts: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        accounts.setdefault((row[1], row[2]), []).append(row)
    for (platform_id, account), spans in accounts.items():
        slot = _slot(conn, index, platform_id)
        _load_account(index, slot, identity, account, spans, context, put)


def _load_account(
    index: EnforcementIndex,
    slot: PlatformSlot,
    identity: str,
    account: str,
    rows: list[Row],
    context: StrikeContext,
    put: Callable[[PlatformSlot, str, bytes], None],
) -> None:
    put(slot, account, _entry(slot, identity, rows, context, index.horizon))
    probations = context.probations.get((identity, slot.platform.id))
    if probations:
        index.probations[slot.platform.id, account] = probations
    elif index.probations:
        index.probations.pop((slot.platform.id, account), None)


def _entry(slot: PlatformSlot, identity: str, rows: list[Row], context: StrikeContext, horizon: int) -> bytes:
    """The entry of one account from every span of its identity on its platform.

    Spans that end after the horizon are kept. Strikes follow ``reprieve.domain.strikes``; a
    sanction's ``starts_at`` comes from its spans: every sanction not lifted at its start has
    a span on each platform of its scope, the first one from its ``starts_at``.
    """
    live: list[PackedSpan] = []
    starts: dict[str, int] = {}
    mask_of = slot.mask_of
    for _, _, _, sid, start, end, kind, denies in rows:
        if sid is None:
            continue
        if start < starts.get(sid, END_OF_TIME):
            starts[sid] = start
        if end > horizon and kind != _WARNING:
            live.append(PackedSpan(start, end, mask_of(denies), _KIND_CODE[kind], sid))
    if len(live) > 1:
        live.sort(key=_span_order)
    # The rule of store.due_process.marks_of, over plain tuples rather than its records: a
    # refresh makes one per violation of the identities it reads.
    lifted, granted, by_violation = context.lifted, context.granted, context.by_violation
    ends = strikes_made(
        ((start, lifted.get(sid), granted.get(sid)) for sid, start in starts.items() if sid not in by_violation),
        (
            (occurred, expires, lifted.get(sid), granted.get(sid)) if sid else (occurred, expires, None, None)
            for occurred, expires, sid in context.reported.get((identity, slot.platform.id), ())
        ),
        slot.strike_expiry,
    )
    constant = 0
    varying: list[tuple[int, int]] = []
    for start, end in ends:
        if end <= horizon or end <= start:
            continue  # counts at no instant from the horizon on
        if start <= horizon and end >= END_OF_TIME:
            constant += 1
        else:
            varying.append((start, end))
    varying.sort()
    return pack(identity, live, constant, varying)


def _span_order(span: PackedSpan) -> tuple[int, str]:
    return span.start, span.sanction_id


def _put_unfiltered(slot: PlatformSlot, account: str, entry: bytes) -> None:
    slot.accounts[account] = entry  # the filters are sized once the build is done


@contextmanager
def _raw_rows(conn: Connection, horizon: int) -> Iterator[Iterable[Row]]:
    """The whole entries query, its rows fetched ahead by a thread (``_prefetched``)."""
    with store.entries_cursor(conn) as cursor:
        yield _prefetched(cursor)


def _prefetched(cursor: Any, size: int = 20_000) -> Iterator[Row]:
    """The cursor's rows, the next batch fetched by a thread while the caller packs this one,
    so that the database and this process work at the same time."""
    batches: queue.Queue[list[Row] | BaseException | None] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                batch = cursor.fetchmany(size)
                _offer(batches, batch or None, stop)
                if not batch:
                    return
        except BaseException as exc:  # handed to the caller, raised there
            _offer(batches, exc, stop)

    thread = threading.Thread(target=fetch, name="reprieve-index-build-fetch", daemon=True)
    thread.start()
    try:
        while (batch := batches.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield from batch
    finally:
        stop.set()
        thread.join()


def _offer(batches: queue.Queue[Any], item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            batches.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _slot(conn: Connection, index: EnforcementIndex, platform_id: str) -> PlatformSlot:
    slot = index.slots.get(platform_id)
    if slot is None:
        slot = index.add_platform(queries.existing_platform(conn, platform_id))
    return slot
