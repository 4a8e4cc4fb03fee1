"""Statements run on the driver's own cursor, for the few hot paths where SQLAlchemy's per-result
work (compiling, building column metadata for each statement) costs more than the statement.

Only for hand-written SQL in the driver's parameter style; rows come back as plain tuples. The
driver's errors are raised as SQLAlchemy's (``OperationalError``...), as everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

Params = Mapping[str, Any] | Sequence[Any]


def placeholders(conn: Connection, count: int) -> str:
    """``count`` positional parameter marks in the driver's style: ``?, ?`` or ``%s, %s``."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    return ", ".join([mark] * count)


def fetch_all(conn: Connection, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
    """Every row of ``sql``, run in ``conn``'s transaction."""
    with _cursor(conn, sql, params) as cursor:
        return list(cursor.fetchall())


def execute(conn: Connection, sql: str, params: Params = ()) -> None:
    """Run ``sql`` in ``conn``'s transaction, for its effect."""
    with _cursor(conn, sql, params):
        pass


@contextmanager
def _cursor(conn: Connection, sql: str, params: Params) -> Iterator[Any]:
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        yield cursor
    except Exception as exc:
        dbapi = conn.dialect.dbapi
        if dbapi is not None and isinstance(exc, dbapi.Error):
            raise DBAPIError.instance(sql, params, exc, dbapi.Error, dialect=conn.dialect) from exc
        raise
    finally:
        cursor.close()
