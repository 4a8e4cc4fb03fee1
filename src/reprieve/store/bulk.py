"""Fast writes: multi-row inserts (COPY on PostgreSQL), JSON for columns, indexes set aside for a reload."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, Index, Table, inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.schema import CreateIndex, DropIndex

from reprieve.store.raw import execute

#: Below this many rows, a plain multi-row INSERT is cheaper than starting a COPY.
COPY_THRESHOLD = 64
#: Parameters one SQLite statement may have (SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32).
SQLITE_MAX_PARAMETERS = 32_766
#: SQLite: rows of one statement, in multiples of this (and the rest in one more statement).
ROUND = 16
_SORTED_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def column_json(value: Any) -> str:
    """JSON with sorted keys, for the columns read back by parsing (a reason, an automation):
    written by orjson, several times faster than the standard encoder."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (integers past 64 bits...)
        return _SORTED_JSON.encode(value)


#: Execution option of a connection: ``{table name: set of primary keys}``. Rows inserted into
#: those tables through ``insert_rows`` replace the rows of the same primary key (an upsert)
#: instead of clashing with them, and their keys are added to the set. ``rebuild_projections``
#: replays the log into the projections other tables reference this way, as it cannot empty them.
IN_PLACE = "reprieve_in_place"


def _upsert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    keys: set[tuple[Any, ...]],
) -> None:
    insert: Any = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    primary = [column.name for column in table.primary_key.columns]
    statement = insert(table)
    others = {name: statement.excluded[name] for name in columns if name not in primary}
    statement = (
        statement.on_conflict_do_update(index_elements=primary, set_=others)
        if others
        else statement.on_conflict_do_nothing(index_elements=primary)
    )
    conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in rows])
    at = [columns.index(name) for name in primary]
    keys.update(tuple(row[i] for i in at) for row in rows)


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    or_ignore: bool = False,
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table`` in this transaction.
    ``or_ignore`` (SQLite only, outside ``IN_PLACE``): a row whose key is there already is left
    out (``ON CONFLICT DO NOTHING``), the row there kept."""
    if not rows:
        return
    in_place = conn.get_execution_options().get(IN_PLACE)
    if in_place is not None and table.name in in_place:
        assert not or_ignore, "insert_rows: or_ignore is not for a table rebuilt in place"
        _upsert_rows(conn, table, columns, rows, in_place[table.name])
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        assert not or_ignore, "insert_rows: or_ignore is for SQLite (COPY has no ON CONFLICT)"
        if len(rows) >= COPY_THRESHOLD:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            cursor: Any = raw.cursor()  # psycopg's cursor, which the DB-API type does not describe
            with cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", list(rows))
        return
    # SQLite: one statement of many rows, not executemany. Each step of a statement lets other
    # threads take the GIL, and executemany steps once per row: the writer of a busy server then
    # waits for the GIL once per row (up to the interpreter's switch interval each time).
    # Compiling a statement of many rows costs more than running it: the rows go in chunks of a
    # multiple of ROUND rows, then the rest, so that a table sees a few dozen statement texts,
    # each compiled once per connection (the driver's statement cache, see store.db).
    row_marks = "(" + ", ".join(["?"] * len(columns)) + ")"
    tail = " ON CONFLICT DO NOTHING" if or_ignore else ""
    per_statement = max(1, SQLITE_MAX_PARAMETERS // len(columns))
    start = 0
    while start < len(rows):
        left = len(rows) - start
        size = min(per_statement, left if left < ROUND else left - left % ROUND)
        chunk = rows[start : start + size]
        values = ", ".join([row_marks] * size)
        execute(conn, f"INSERT INTO {table.name} ({names}) VALUES {values}{tail}", [v for row in chunk for v in row])
        start += size


@contextmanager
def secondary_indexes_set_aside(conn: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """Drop the non-unique indexes of ``tables``, and create them again on the way out.

    For reloading whole tables: building an index once over all the rows is many times faster
    than keeping it up to date row by row. Within the caller's transaction, so that nobody sees
    the tables without them (if the block raises, the rollback brings them back); unique indexes
    stay, and go on refusing duplicates as rows arrive.
    """
    inspector = inspect(conn)
    dropped: list[Index] = []
    for table in tables:
        present = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            if not index.unique and index.name in present:
                conn.execute(DropIndex(index))
                dropped.append(index)
    yield
    for index in dropped:
        conn.execute(CreateIndex(index))
