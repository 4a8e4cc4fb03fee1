"""Fast multi-row inserts: executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

#: Below this many rows, a plain multi-row INSERT is cheaper than starting a COPY.
COPY_THRESHOLD = 64


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table`` in this transaction."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        if len(rows) >= COPY_THRESHOLD:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            with raw.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                f"COPY {table.name} ({names}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
    else:
        marks = ", ".join(["?"] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", list(rows))
