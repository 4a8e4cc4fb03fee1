"""The access log of personal data (``personal_data_access``): who was shown a requester's
e-mail, when, of which appeal. Outside the event log; pruned as new rows are written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from reprieve.store import tables
from reprieve.store.connection import Connection
from reprieve.store.db import Database

A = tables.personal_data_access


def add_access(db: Database, *, forget_before_us: int, **values: Any) -> None:
    """Record one access, in its own short write transaction, and delete rows before ``forget_before_us``."""
    add_accesses(db, [values], forget_before_us=forget_before_us)


def add_accesses(db: Database, rows: list[dict[str, Any]], *, forget_before_us: int) -> None:
    """Record accesses (a page showing many e-mails), in one short write transaction, and delete
    rows before ``forget_before_us``."""
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(insert(A), rows)
        conn.execute(delete(A).where(A.c.at < forget_before_us))


def access_rows(
    conn: Connection,
    *,
    operators: tuple[str, ...] | None,
    appeal_id: str | None,
    since_us: int | None,
    limit: int,
) -> list[Any]:
    """The log's rows, newest first, of these operators (None: every one), of an appeal, since an instant."""
    query = select(A).order_by(A.c.at.desc(), A.c.id.desc()).limit(limit)
    if operators is not None:
        query = query.where(A.c.operator_id.in_(operators))
    if appeal_id is not None:
        query = query.where(A.c.appeal_id == appeal_id)
    if since_us is not None:
        query = query.where(A.c.at >= since_us)
    return list(conn.execute(query).all())
