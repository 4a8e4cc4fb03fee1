"""The console dashboard's counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, case, func, select

from reprieve.store import tables

S, SP = tables.sanctions, tables.sanction_spans


def active_by_kind_and_platform(
    conn: Connection, t: int, operators: Sequence[str] | None
) -> list[tuple[str, str, int]]:
    """``(platform, kind, count)`` of the sanctions active at ``t`` (µs), by platform and kind."""
    query = (
        select(SP.c.platform_id, SP.c.kind, func.count())
        .join(S, S.c.id == SP.c.sanction_id)
        .where(SP.c.active_from <= t, SP.c.active_until > t)
        .group_by(SP.c.platform_id, SP.c.kind)
        .order_by(SP.c.platform_id, SP.c.kind)
    )
    if operators is not None:
        query = query.where(S.c.operator_id.in_(operators))
    return [(p, k, int(n)) for p, k, n in conn.execute(query)]


def by_month(
    conn: Connection, instant: str, *, first: int, edges: Sequence[int], operators: Sequence[str] | None
) -> dict[int, int]:
    """How many sanctions have their ``instant`` column (starts_at, lifted_at) in each month, by the
    month's index among ``edges`` (each month's end, µs; the first month starts at ``first``);
    months without any are absent."""
    column: Any = S.c[instant]
    month = case(*[(column < edge, i) for i, edge in enumerate(edges)]).label("month")
    query = select(month, func.count()).where(column >= first, column < edges[-1])
    if operators is not None:
        query = query.where(S.c.operator_id.in_(operators))
    return {m: n for m, n in conn.execute(query.group_by(month))}
