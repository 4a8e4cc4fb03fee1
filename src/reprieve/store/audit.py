"""What the audit reads of the log per operator, and the statements of a projections rebuild."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.exc import IntegrityError

from reprieve.domain.errors import StorageError
from reprieve.domain.personal import ACTOR_NAME_KIND
from reprieve.store import tables

E = tables.events.c


def operator_events(conn: Connection, operator: str) -> tuple[int, str | None]:
    """How many events the operator has, and the hash of its latest (None: it has none)."""
    count = int(conn.execute(select(func.count()).where(E.operator_id == operator)).scalar_one())
    head: str | None = conn.execute(
        select(E.hash).where(E.operator_id == operator).order_by(E.seq.desc()).limit(1)
    ).scalar_one_or_none()
    return count, head


def empty(conn: Connection, table: Table) -> None:
    conn.execute(delete(table))


def remove_unreplayed(conn: Connection, table: Table, replayed: set[tuple[Any, ...]]) -> None:
    """Delete the rows of ``table`` (rebuilt in place) that the log did not create."""
    primary = list(table.primary_key.columns)
    stale = [tuple(row) for row in conn.execute(select(*primary)) if tuple(row) not in replayed]
    for key in stale:
        try:
            with conn.begin_nested():
                conn.execute(delete(table).where(*(c == v for c, v in zip(primary, key, strict=True))))
        except IntegrityError:
            raise StorageError(
                f"row {'/'.join(map(str, key))!r} of {table.name} is created by no event of the log, "
                "but rows of other tables (tokens, members...) refer to it: nothing was rebuilt"
            ) from None


def ids_named(conn: Connection, table: Table, part: str, limit: int = 100) -> list[str]:
    """The ids of the rows of ``table`` (members or tokens) whose name holds ``part`` (any case)."""
    like = "%" + part.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(table.c.id).where(func.lower(table.c.name).like(like, escape="\\")).order_by(table.c.id)
    return [r[0] for r in conn.execute(query.limit(limit))]


def names_of(conn: Connection, table: Table, ids: list[str]) -> list[tuple[str, str]]:
    """``(id, name)`` of the rows of ``table`` (members or tokens) with these ids."""
    return [(r[0], r[1]) for r in conn.execute(select(table.c.id, table.c.name).where(table.c.id.in_(ids)))]


def moved_names(conn: Connection, part: str, limit: int = 100) -> list[str]:
    """The references of the staff names the cut-over moved (``personal_data`` of kind
    ``actor.name``, not erased) that hold ``part`` (any case)."""
    t = tables.personal_data
    like = "%" + part.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(t.c.id).where(t.c.kind == ACTOR_NAME_KIND, func.lower(t.c.value).like(like, escape="\\"))
    return [r[0] for r in conn.execute(query.order_by(t.c.id).limit(limit))]
