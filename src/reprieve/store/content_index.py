"""What the enforcement index reads of items: every item with its author and the spans of its
decisions that end after the horizon, for the build (all of them) or a refresh (a few).

Rows: platform, item, author, then the span's decision id, from, until, kind and countries (all
None for an item none of whose spans ends after the horizon), ordered by platform and item.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, and_, select

from reprieve.store import tables

IT = tables.items.c
CS = tables.content_spans.c

_ALL_ITEMS = """
SELECT i.platform_id, i.item_id, i.author_account,
       s.decision_id, s.active_from, s.active_until, s.kind, s.countries
  FROM items i LEFT JOIN content_spans s
    ON s.platform_id = i.platform_id AND s.item_id = i.item_id AND s.active_until > {horizon}
 ORDER BY i.platform_id, i.item_id
"""
_CHUNK = 500


@contextmanager
def items_cursor(conn: Connection, horizon: int) -> Iterator[Any]:
    """A cursor over every item's rows (server-side on PostgreSQL), without SQLAlchemy's per-row work."""
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        # Both tables are indexed by (platform, item): a merge of the two in that order needs
        # no sort and no hash table of a million rows.
        raw.execute("SET LOCAL enable_hashjoin = off")
        raw.execute("SET LOCAL enable_sort = off")
        cursor = raw.cursor(name="reprieve_item_index_build", binary=True)
    else:
        cursor = raw.cursor()
    cursor.execute(_ALL_ITEMS.format(horizon=int(horizon)))
    try:
        yield cursor
    finally:
        cursor.close()


def item_rows(conn: Connection, horizon: int, keys: Sequence[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """The rows of the items ``keys`` ((platform, item) pairs), ordered by platform and item."""
    by_platform: dict[str, list[str]] = {}
    for platform, item in sorted(set(keys)):
        by_platform.setdefault(platform, []).append(item)
    rows: list[tuple[Any, ...]] = []
    joined = tables.items.outerjoin(
        tables.content_spans,
        and_(CS.platform_id == IT.platform_id, CS.item_id == IT.item_id, CS.active_until > horizon),
    )
    for platform, items in by_platform.items():
        for i in range(0, len(items), _CHUNK):
            statement = (
                select(
                    IT.platform_id,
                    IT.item_id,
                    IT.author_account,
                    CS.decision_id,
                    CS.active_from,
                    CS.active_until,
                    CS.kind,
                    CS.countries,
                )
                .select_from(joined)
                .where(IT.platform_id == platform, IT.item_id.in_(items[i : i + _CHUNK]))
                .order_by(IT.item_id)
            )
            rows.extend(tuple(row) for row in conn.execute(statement))
    return rows
