"""The console dashboard's counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, not_, select

from reprieve.store import tables

S, SP = tables.sanctions, tables.sanction_spans

#: A condition on a seq: the event was recorded by a past ``as_of`` (``store.asof.Known.sql``).
Recorded = Callable[[Any], ColumnElement[bool]]


def active_by_kind_and_platform(
    conn: Connection, t: int, operators: Sequence[str] | None, *, unchanged_by: Recorded | None = None
) -> list[tuple[str, str, int]]:
    """``(platform, kind, count)`` of the sanctions active at ``t`` (µs), by platform and kind;
    ``unchanged_by``: only those whose last change was recorded by then (their spans are those
    of then; ``changed_since`` gives the others)."""
    query = (
        select(SP.c.platform_id, SP.c.kind, func.count())
        .join(S, S.c.id == SP.c.sanction_id)
        .where(SP.c.active_from <= t, SP.c.active_until > t)
        .group_by(SP.c.platform_id, SP.c.kind)
        .order_by(SP.c.platform_id, SP.c.kind)
    )
    if operators is not None:
        query = query.where(S.c.operator_id.in_(operators))
    if unchanged_by is not None:
        query = query.where(unchanged_by(S.c.updated_seq))
    return [(p, k, int(n)) for p, k, n in conn.execute(query)]


def changed_since(conn: Connection, recorded: Recorded, operators: Sequence[str] | None) -> list[Any]:
    """Rows of the sanctions created by a past ``as_of`` and changed after it (few): the counts
    take them back to then one by one."""
    query = select(S).where(recorded(S.c.created_seq), not_(recorded(S.c.updated_seq))).order_by(S.c.id)
    if operators is not None:
        query = query.where(S.c.operator_id.in_(operators))
    return list(conn.execute(query))


def by_month(
    conn: Connection,
    instant: str,
    *,
    first: int,
    edges: Sequence[int],
    operators: Sequence[str] | None,
    recorded: Recorded | None = None,
) -> dict[int, int]:
    """How many sanctions have their ``instant`` column (starts_at, lifted_at) in each month, by the
    month's index among ``edges`` (each month's end, µs; the first month starts at ``first``);
    months without any are absent. ``recorded``: only the sanctions created (starts_at) or last
    changed (lifted_at) by a past ``as_of``."""
    column: Any = S.c[instant]
    month = case(*[(column < edge, i) for i, edge in enumerate(edges)]).label("month")
    query = select(month, func.count()).where(column >= first, column < edges[-1])
    if operators is not None:
        query = query.where(S.c.operator_id.in_(operators))
    if recorded is not None:
        query = query.where(recorded(S.c.created_seq if instant == "starts_at" else S.c.updated_seq))
    return {m: n for m, n in conn.execute(query.group_by(month))}
