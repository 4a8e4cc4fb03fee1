"""Decisions on content (PRODUCT.md section 9): the ``items``, ``content_decisions`` and
``content_spans`` projections of the ``content.*`` events, and their reads.

Registered in ``reprieve.store.projector``: live writes and ``rebuild_projections`` alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, delete, or_, select, update

from reprieve.domain.content import (
    ContentChange,
    ContentChangeType,
    ContentDecision,
    ContentKind,
    Item,
    content_spans,
)
from reprieve.domain.events import ContentAmended, ContentDecided, ContentRestored
from reprieve.domain.personal import ref_id
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.sanctions import Imported
from reprieve.domain.time import END_OF_TIME, from_micros, parse_instant, to_micros
from reprieve.store import tables
from reprieve.store.bulk import IN_PLACE, column_json, insert_rows
from reprieve.store.raw import fetch_all, placeholders

if TYPE_CHECKING:
    from reprieve.store.projector import Applied, Handler, Projector

IT = tables.items.c
CD = tables.content_decisions.c
CS = tables.content_spans.c

DECISION_COLUMNS = (
    "id",
    "operator_id",
    "platform_id",
    "item_id",
    "author_account",
    "kind",
    "kind_other",
    "territorial_scope",
    "starts_at",
    "ends_at",
    "restored_at",
    "category",
    "reason",
    "automated",
    "strike",
    "changes",
    "created_seq",
    "updated_seq",
)
SPAN_COLUMNS = ("decision_id", "active_from", "active_until", "platform_id", "item_id", "kind", "countries")
ITEM_COLUMNS = (
    "platform_id",
    "item_id",
    "operator_id",
    "author_account",
    "content_type",
    "content_date",
    "language",
    "created_seq",
)


def decided_change(seq: int, event: ContentDecided) -> ContentChange:
    """The creation ``event`` records, as the decision's first change."""
    return ContentChange(
        ContentChangeType.DECIDED,
        seq,
        parse_instant(event.starts_at),
        ContentKind(event.kind),
        parse_instant(event.ends_at) if event.ends_at else None,
        tuple(event.territorial_scope),
        backdated_ref=ref_id(event.backdated_reason),
        imported=Imported.from_dict(event.extra["imported"]) if "imported" in event.extra else None,
    )


def decision_of_decided(seq: int, event: ContentDecided) -> ContentDecision:
    """The decision ``event`` (recorded at ``seq``) makes, as ``load_decision`` reads it back once
    projected, for an event this process has just built from a checked command."""
    return ContentDecision(
        id=event.id,
        operator=event.operator,
        item=Item.from_dict(event.item),
        starts_at=parse_instant(event.starts_at),
        reason=Reason.as_recorded(event.reason),
        automated=Automation.from_dict(event.automated),
        kind_other=event.kind_other,
        strike=bool(event.strike),
        changes=[decided_change(seq, event)],
    )


def _span_rows(decision_id: str, item: tuple[str, str], changes: Sequence[ContentChange]) -> list[tuple[Any, ...]]:
    return [
        (decision_id, s.start, s.end, item[0], item[1], s.kind.value, " ".join(s.countries))
        for s in content_spans(decision_id, changes)
    ]


class DecidedRows:
    """The rows of ``content.decided`` events in the ``items``, ``content_decisions`` and
    ``content_spans`` projections, gathered (``add``) for one insert per table (``write``): what the
    projector writes, and what a bulk import writes itself as it makes the events
    (``services.content_import``, through ``UnitOfWork.record_written``)."""

    __slots__ = ("decisions", "items", "spans")

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.decisions: list[tuple[Any, ...]] = []
        self.spans: list[tuple[Any, ...]] = []

    def add(self, seq: int, event: ContentDecided) -> None:
        """The rows of ``event``, recorded as ``seq``."""
        # Unpacked at once, and the stored change written out (``decided_change(...).to_stored()``
        # makes the same): a bulk import projects one per decision.
        (
            decision_id,
            operator,
            item,
            kind,
            starts_at,
            ends_at,
            reason,
            automated,
            kind_other,
            scope,
            strike,
            backdated,
            extra,
        ) = event
        dumps = orjson.dumps
        platform_id, item_id, author = item["platform"], item["item"], item["account"]
        key = (platform_id, item_id)
        if key not in self.items:
            self.items[key] = (
                platform_id,
                item_id,
                operator,
                author,
                dumps(list(item.get("content_type") or ())).decode(),
                item["content_date"],
                item.get("language"),
                seq,
            )
        starts = to_micros(parse_instant(starts_at))
        ends = to_micros(parse_instant(ends_at)) if ends_at else None
        countries = list(scope)
        change: dict[str, Any] = {
            "type": "decided",
            "seq": seq,
            "effective_at": starts_at,
            "kind": kind,
            "ends_at": ends_at,
            "territorial_scope": countries,
        }
        if backdated is not None:
            change["backdated_ref"] = ref_id(backdated)
        if "imported" in extra:
            change["imported"] = extra["imported"]
        self.decisions.append(
            (
                decision_id,
                operator,
                platform_id,
                item_id,
                author,
                kind,
                kind_other,
                dumps(countries).decode(),
                starts,
                ends,
                None,
                reason["category"],
                column_json(reason),
                column_json(automated),
                bool(strike),
                dumps([change]).decode(),
                seq,
                seq,
            )
        )
        until = END_OF_TIME if ends is None else ends
        if until > starts:
            self.spans.append((decision_id, starts, until, platform_id, item_id, kind, " ".join(countries)))

    def write(self, conn: Connection) -> None:
        """Insert the rows gathered; an item recorded already keeps its first description."""
        items = self.items
        # On SQLite the insert leaves the items recorded already out itself (no query to find them
        # first); PostgreSQL's COPY, and a rebuild's upsert in place, cannot, and get the new ones.
        in_place = conn.get_execution_options().get(IN_PLACE)
        if conn.dialect.name == "sqlite" and (in_place is None or "items" not in in_place):
            insert_rows(conn, tables.items, ITEM_COLUMNS, list(items.values()), or_ignore=True)
        else:
            known = {(row[0], row[1]) for row in _items_among(conn, items, "platform_id, item_id")}
            insert_rows(conn, tables.items, ITEM_COLUMNS, [row for key, row in items.items() if key not in known])
        insert_rows(conn, tables.content_decisions, DECISION_COLUMNS, self.decisions)
        insert_rows(conn, tables.content_spans, SPAN_COLUMNS, self.spans)


def contents_decided(projector: Projector, events: list[Applied[ContentDecided]]) -> None:
    rows = DecidedRows()
    add = rows.add
    for seq, _, event in events:
        add(seq, event)
    rows.write(projector.conn)


def contents_changed(projector: Projector, events: list[Applied[ContentAmended | ContentRestored]]) -> None:
    conn = projector.conn
    for e in events:
        row = conn.execute(select(CD.id, CD.platform_id, CD.item_id, CD.changes).where(CD.id == e.event.id)).one()
        changes = [ContentChange.from_stored(c) for c in json.loads(row.changes)]
        effective = parse_instant(e.effective_at)
        d = e.event
        backdated = ref_id(d.backdated_reason)
        if isinstance(d, ContentRestored):
            changes.append(ContentChange(ContentChangeType.RESTORED, e.seq, effective, backdated_ref=backdated))
        else:
            changes.append(
                ContentChange(
                    ContentChangeType.AMENDED,
                    e.seq,
                    effective,
                    ContentKind(d.kind),
                    parse_instant(d.ends_at) if d.ends_at else None,
                    tuple(d.territorial_scope),
                    backdated_ref=backdated,
                )
            )
        terms = sorted(
            (c for c in changes if c.type is not ContentChangeType.RESTORED), key=lambda c: (c.effective_at, c.seq)
        )
        latest = terms[-1]
        restorations = [c.effective_at for c in changes if c.type is ContentChangeType.RESTORED]
        assert latest.kind is not None
        conn.execute(
            update(tables.content_decisions)
            .where(CD.id == row.id)
            .values(
                kind=latest.kind.value,
                territorial_scope=json.dumps(list(latest.territorial_scope)),
                ends_at=None if latest.ends_at is None else to_micros(latest.ends_at),
                restored_at=to_micros(min(restorations)) if restorations else None,
                changes=json.dumps([c.to_stored() for c in changes]),
                updated_seq=e.seq,
            )
        )
        if isinstance(d, ContentRestored):
            _end_strike(conn, row.id, to_micros(min(restorations)), e.seq)
            if "amnesty" in d.extra:  # an amnesty's restoration (issue 25): counted on the amnesty
                AM = tables.amnesties.c
                conn.execute(
                    update(tables.amnesties)
                    .where(AM.id == d.extra["amnesty"])
                    .values(content_restored=AM.content_restored + 1, updated_seq=e.seq)
                )
        conn.execute(delete(tables.content_spans).where(CS.decision_id == row.id))
        insert_rows(
            conn, tables.content_spans, SPAN_COLUMNS, _span_rows(row.id, (row.platform_id, row.item_id), changes)
        )


def _end_strike(conn: Connection, decision_id: str, restored: int, seq: int) -> None:
    """The decision's strike, if it counts as one, stops counting at its first restoration
    (``reprieve.domain.strikes``): its violation's strike ends then, unless it ended before. Its
    own expiry stays in ``strike_expiry``, and ``strike_ended_seq`` says which event ended it:
    a read as of before that event was recorded sees the strike as it was then known."""
    V = tables.violations.c
    conn.execute(
        update(tables.violations)
        .where(
            V.content_decision_id == decision_id,
            or_(V.strike_expires_at.is_(None), V.strike_expires_at > restored),
        )
        # before its start: counts nowhere (``strike_end``)
        .values(strike_expires_at=restored, strike_ended_seq=seq)
    )


HANDLERS: dict[type[Any], Handler] = {
    ContentDecided: contents_decided,
    ContentAmended: contents_changed,
    ContentRestored: contents_changed,
}


# --- reads ---------------------------------------------------------------------------------


def item_from_row(row: Any) -> Item:
    return Item(
        row.platform_id,
        row.item_id,
        row.author_account,
        tuple(json.loads(row.content_type)),
        row.content_date,
        row.language,
    )


def load_item(conn: Connection, platform: str, item: str) -> Item | None:
    row = conn.execute(select(tables.items).where(IT.platform_id == platform, IT.item_id == item)).one_or_none()
    return None if row is None else item_from_row(row)


#: Items one statement of ``_items_among`` looks for at most (its parameters stay far below every limit).
_ITEMS_PER_QUERY = 2000


def _items_among(conn: Connection, keys: Iterable[tuple[str, str]], columns: str) -> list[tuple[Any, ...]]:
    """``columns`` of the rows of ``items`` among ``keys`` (platform, item, without duplicates), in
    one statement per ``_ITEMS_PER_QUERY``: each platform's items looked up by the primary key
    (``platform_id = ? AND item_id IN (...)``, OR-ed: both databases search the index per term,
    where a row-value IN over a VALUES list makes SQLite scan the table). Written by hand: a
    bulk import's chunk asks it twice, and SQLAlchemy's compiling of the expanding INs cost more
    than the query."""
    by_platform: dict[str, list[str]] = {}
    for platform, item in keys:
        by_platform.setdefault(platform, []).append(item)
    mark = placeholders(conn, 1)
    found: list[tuple[Any, ...]] = []
    terms: list[str] = []
    params: list[str] = []

    def flush() -> None:
        found.extend(fetch_all(conn, f"SELECT {columns} FROM items WHERE {' OR '.join(terms)}", params))
        terms.clear()
        params.clear()

    for platform, items in by_platform.items():
        for start in range(0, len(items), _ITEMS_PER_QUERY):
            part = items[start : start + _ITEMS_PER_QUERY]
            terms.append(f"(platform_id = {mark} AND item_id IN ({placeholders(conn, len(part))}))")
            params.append(platform)
            params.extend(part)
            if len(params) >= _ITEMS_PER_QUERY:
                flush()
    if terms:
        flush()
    return found


def items_recorded(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Item]:
    """The items among ``keys`` (platform, item) recorded already, as first recorded: one query
    for a bulk import's chunk."""
    rows = _items_among(
        conn, dict.fromkeys(keys), "platform_id, item_id, author_account, content_type, content_date, language"
    )
    return {
        (platform, item): Item(platform, item, author, tuple(orjson.loads(types)), date, language)
        for platform, item, author, types, date, language in rows
    }


def decision_from_row(row: Any, item: Item) -> ContentDecision:
    """A decision from its ``content_decisions`` row and its item (backdated reasons not filled in)."""
    return ContentDecision(
        id=row.id,
        operator=row.operator_id,
        item=item,
        starts_at=from_micros(row.starts_at),
        reason=Reason.from_dict(json.loads(row.reason), stored=True),
        automated=Automation.from_dict(json.loads(row.automated)),
        kind_other=row.kind_other,
        strike=bool(row.strike),
        changes=[ContentChange.from_stored(c) for c in json.loads(row.changes)],
    )


def load_decision(conn: Connection, decision_id: str) -> ContentDecision | None:
    row = conn.execute(select(tables.content_decisions).where(CD.id == decision_id)).one_or_none()
    if row is None:
        return None
    item = load_item(conn, row.platform_id, row.item_id)
    assert item is not None
    return decision_from_row(row, item)


def load_decisions(conn: Connection, rows: Iterable[Any]) -> list[ContentDecision]:
    """Decisions from their rows, their items read once each."""
    rows = list(rows)
    keys = {(r.platform_id, r.item_id) for r in rows}
    items: dict[tuple[str, str], Item] = {}
    for platform in {k[0] for k in keys}:
        wanted = [k[1] for k in keys if k[0] == platform]
        for item_row in conn.execute(select(tables.items).where(IT.platform_id == platform, IT.item_id.in_(wanted))):
            items[(platform, item_row.item_id)] = item_from_row(item_row)
    return [decision_from_row(r, items[(r.platform_id, r.item_id)]) for r in rows]


def recorded_at(conn: Connection, decision: ContentDecision) -> datetime:
    """When the decision was recorded (its ``content.decided`` event)."""
    first = min(c.seq for c in decision.changes if c.type is ContentChangeType.DECIDED)
    at = conn.execute(select(tables.events.c.at).where(tables.events.c.seq == first)).scalar_one()
    return parse_instant(at)


def item_decisions(conn: Connection, platform: str, item: str) -> list[ContentDecision]:
    """Every decision about an item, in id order."""
    rows = conn.execute(
        select(tables.content_decisions).where(CD.platform_id == platform, CD.item_id == item).order_by(CD.id)
    )
    return load_decisions(conn, rows)
