"""Reading the index's entries from the projections: all of them at start-up, or a few identities.

One query, ordered by identity, returns each identity's accounts, its spans that end after the
horizon and its strike marks that can still count; each account's entry is packed from its
identity's rows on the account's platform. Accounts are never deleted and only move from an
identity to another by a link (after which the survivor is re-read), so re-reading the
identities an event touched is enough to bring their accounts up to date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from reprieve.domain.time import to_micros
from reprieve.enforcement.entries import KIND_CODE, PackedSpan, fold_marks, pack
from reprieve.enforcement.index import EnforcementIndex, PlatformSlot
from reprieve.store import eventlog, tables
from reprieve.store.db import Database, platform_from_row

_KIND_CODE = {kind.value: code for kind, code in KIND_CODE.items()}
_CHUNK = 500

_ACCOUNTS, _SPANS, _MARKS = 0, 1, 2
_ENTRIES_SQL = """
SELECT identity_id, 0 AS src, platform_id, account_id AS name,
       CAST(NULL AS BIGINT) AS a, CAST(NULL AS BIGINT) AS b,
       CAST(NULL AS VARCHAR(16)) AS kind, CAST(NULL AS TEXT) AS denies
  FROM accounts WHERE {accounts}
UNION ALL
SELECT identity_id, 1, platform_id, sanction_id, active_from, active_until, kind, denies
  FROM sanction_spans WHERE active_until > :horizon AND kind <> 'warning' AND {spans}
UNION ALL
SELECT s.identity_id, 2, sc.platform_id, NULL, s.starts_at, s.lifted_at, NULL, NULL
  FROM sanctions s JOIN sanction_scope sc ON sc.sanction_id = s.id
 WHERE (s.lifted_at IS NULL OR s.lifted_at > :horizon) AND {marks}
ORDER BY 1
"""
_ALL = text(_ENTRIES_SQL.format(accounts="1 = 1", spans="1 = 1", marks="1 = 1"))
_SOME = text(
    _ENTRIES_SQL.format(
        accounts="identity_id IN :ids", spans="identity_id IN :ids", marks="s.identity_id IN :ids"
    )
).bindparams(bindparam("ids", expanding=True))


def build_index(db: Database, *, now: datetime) -> EnforcementIndex:
    """An index of every account, answering for instants from ``now`` on."""
    with db.read() as conn:
        # The head first: the projections read next are at least as recent, and the
        # follower re-reads whatever the events after it touched.
        seq, _ = eventlog.head(conn)
        platforms = [platform_from_row(r._mapping) for r in conn.execute(select(tables.platforms))]
        index = EnforcementIndex(horizon=to_micros(now), seq=seq, platforms=platforms)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        rows = conn.execution_options(stream_results=True, yield_per=20_000).execute(
            _ALL, {"horizon": index.horizon}
        )
        for slot, account, entry in entries_from_rows(conn, index, rows):
            slot.accounts[account] = entry
    for slot in index.slots.values():
        slot.resize_filter()
    return index


def refresh_identities(conn: Connection, index: EnforcementIndex, identities: Sequence[str]) -> int:
    """Re-read the entries of every account of ``identities``; returns how many were replaced."""
    count = 0
    unique = sorted(set(identities))
    for i in range(0, len(unique), _CHUNK):
        rows = conn.execute(_SOME, {"horizon": index.horizon, "ids": unique[i : i + _CHUNK]})
        for slot, account, entry in entries_from_rows(conn, index, rows):
            slot.put(account, entry)
            count += 1
    return count


def entries_from_rows(
    conn: Connection, index: EnforcementIndex, rows: Any
) -> Iterator[tuple[PlatformSlot, str, bytes]]:
    """Pack the rows of the entries query, grouped by identity, into one entry per account."""
    horizon = index.horizon
    for identity, group in groupby(rows, key=itemgetter(0)):
        accounts: list[tuple[str, str]] = []
        spans: dict[str, list[Any]] = {}
        marks: dict[str, list[tuple[int, int | None]]] = {}
        for row in group:
            source = row[1]
            if source == _ACCOUNTS:
                accounts.append((row[2], row[3]))
            elif source == _SPANS:
                spans.setdefault(row[2], []).append(row)
            else:
                marks.setdefault(row[2], []).append((row[4], row[5]))
        for platform_id, account in accounts:
            slot = index.slots.get(platform_id) or _load_platform(conn, index, platform_id)
            packed = sorted(
                (
                    PackedSpan(r[4], r[5], slot.mask_of(r[7]), _KIND_CODE[r[6]], r[3])
                    for r in spans.get(platform_id, ())
                ),
                key=lambda s: (s.start, s.sanction_id),
            )
            constant, varying = fold_marks(marks.get(platform_id, ()), horizon)
            yield slot, account, pack(identity, packed, constant, varying)


def _load_platform(conn: Connection, index: EnforcementIndex, platform_id: str) -> PlatformSlot:
    row = conn.execute(select(tables.platforms).where(tables.platforms.c.id == platform_id)).one()
    return index.add_platform(platform_from_row(row._mapping))
