"""The enforcement index's reads, on the driver's own cursor: every account's entry rows at
start-up, and what strikes and probations depend on (all of it, or a few identities')."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

Row = Sequence[Any]

_ENTRIES_SQL = """
SELECT a.identity_id, a.platform_id, a.account_id,
       sp.sanction_id, sp.active_from, sp.active_until, sp.kind,
       CASE WHEN sp.kind = 'restriction' THEN sp.denies END
  FROM accounts a
  LEFT JOIN sanction_spans sp ON sp.identity_id = a.identity_id AND sp.platform_id = a.platform_id
{where}
 ORDER BY a.identity_id
"""
_ALL_ENTRIES = _ENTRIES_SQL.format(where="")
#: What strikes and probations depend on besides the spans (reprieve.domain.strikes), as rows of
#: one shape, tagged: lifts (l), granted appeals (g), sanctions a violation imposed (b),
#: violations (r) and probations (p). Columns: tag, identity, platform, a text, sanction id, two
#: integers, two texts; the entries query's rows take the same shape (e), so that a refresh is
#: one statement. For a refresh, each is filtered on the identity of its sanction, violation,
#: probation or account ({s}, {v}, {p}, {a}).
_STRIKE_SQL = """
SELECT 'l', CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), s.id, s.lifted_at,
       CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)
  FROM sanctions s WHERE s.lifted_at IS NOT NULL {s}
UNION ALL
SELECT 'g', NULL, NULL, NULL, ap.sanction_id, MIN(ap.decided_at), NULL, NULL, NULL
  FROM appeals ap JOIN sanctions s ON s.id = ap.sanction_id WHERE ap.state = 'granted' {s} GROUP BY ap.sanction_id
UNION ALL
SELECT 'b', NULL, NULL, NULL, v.sanction_id, NULL, NULL, NULL, NULL
  FROM violations v JOIN sanctions s ON s.id = v.sanction_id WHERE 1 = 1 {s}
UNION ALL
SELECT 'r', v.identity_id, v.platform_id, NULL, v.sanction_id, v.occurred_at, v.strike_expires_at, NULL, NULL
  FROM violations v WHERE 1 = 1 {v}
UNION ALL
SELECT 'p', p.identity_id, p.platform_id, p.id, p.sanction_id, p.starts_at, p.until, p.ladder, NULL
  FROM probations p WHERE p.until > {horizon} {p}
"""
_SOME_SQL = (
    """
SELECT 'e', a.identity_id, a.platform_id, a.account_id,
       sp.sanction_id, sp.active_from, sp.active_until, sp.kind,
       CASE WHEN sp.kind = 'restriction' THEN sp.denies END
  FROM accounts a
  LEFT JOIN sanction_spans sp ON sp.identity_id = a.identity_id AND sp.platform_id = a.platform_id
 WHERE 1 = 1 {a}
UNION ALL"""
    + _STRIKE_SQL
)
#: ``identity_id`` among the identities of the parameter ``ids``, in each driver's style: sqlite3
#: takes them as a JSON array, psycopg as a list (an array).
_AMONG = {"sqlite": "IN (SELECT value FROM json_each(:ids))", "postgresql": "= ANY(%(ids)s)"}
_HORIZON = {"sqlite": ":horizon", "postgresql": "%(horizon)s"}
#: By dialect: every row the build needs besides the entries, and every row a refresh needs.
_ALL_STRIKES = {dialect: _STRIKE_SQL.format(s="", v="", p="", horizon=horizon) for dialect, horizon in _HORIZON.items()}
_SOME_ROWS = {
    dialect: _SOME_SQL.format(
        **{alias: f"AND {alias}.identity_id {among}" for alias in "asvp"}, horizon=_HORIZON[dialect]
    )
    for dialect, among in _AMONG.items()
}


@contextmanager
def entries_cursor(conn: Connection) -> Iterator[Any]:
    """A cursor over the whole entries query (server-side on PostgreSQL): a million rows go
    through without SQLAlchemy's per-row work."""
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        # Both tables have an index on identity: merging them in that order costs no sort and
        # no hash table of a million rows, which the planner's estimates tend to prefer.
        raw.execute("SET LOCAL enable_hashjoin = off")
        raw.execute("SET LOCAL enable_sort = off")
        cursor = raw.cursor(name="reprieve_enforcement_build", binary=True)
    else:
        cursor = raw.cursor()
    cursor.execute(_ALL_ENTRIES)
    try:
        yield cursor
    finally:
        cursor.close()


def strike_rows(conn: Connection, horizon: int) -> list[Row]:
    """Every tagged row the build needs besides the entries."""
    return driver_rows(conn, _ALL_STRIKES, {"horizon": horizon})


def identity_rows(conn: Connection, horizon: int, ids: Sequence[str]) -> list[Row]:
    """The entries (tag e) and the tagged rows of the identities ``ids``, in one statement."""
    params = {"horizon": horizon, "ids": json.dumps(list(ids)) if conn.dialect.name == "sqlite" else list(ids)}
    return driver_rows(conn, _SOME_ROWS, params)


def driver_rows(conn: Connection, statements: dict[str, str], params: dict[str, Any]) -> list[Row]:
    """The rows of the dialect's statement (sqlite3: named parameters; psycopg: pyformat), on
    the driver's own cursor in ``conn``'s transaction: without the per-statement work of
    SQLAlchemy's results, which costs more than the follower's small reads."""
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute(statements[conn.dialect.name], params)
        rows: list[Row] = cursor.fetchall()
    finally:
        cursor.close()
    return rows


def last_link(conn: Connection, seqs: Sequence[int] | None = None) -> int | None:
    """When the latest identity link (of the events ``seqs``; None: of all) took effect, in µs:
    the index, which holds identities as they are now, cannot answer for an instant before it."""
    where = ""
    params: dict[str, Any] = {}
    if seqs is not None:
        if not seqs:
            return None
        where = " WHERE seq IN (" + ", ".join(str(int(seq)) for seq in seqs) + ")"
    sql = "SELECT max(effective_at) FROM identity_links" + where
    rows = driver_rows(conn, {"sqlite": sql, "postgresql": sql}, params)
    value = rows[0][0] if rows else None
    return int(value) if value is not None else None
