"""The console's dashboard: what is active, what waits, and what happened month by month.

Reads only. Each figure is one aggregate query over the projections, restricted to the
caller's operators, so that the dashboard costs the same with a thousand sanctions or a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, case, func, literal, select

from reprieve.domain.time import to_micros
from reprieve.store import tables
from reprieve.store.db import Database

S, SP = tables.sanctions, tables.sanction_spans


def active_by_kind_and_platform(
    db: Database, *, at: datetime, operators: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """``[{platform, kind, count}]``: sanctions active at ``at`` on each platform of their scope (the
    spans of one sanction on one platform do not overlap: one row each)."""
    t = to_micros(at)
    query = (
        select(SP.c.platform_id, SP.c.kind, func.count())
        .join(S, S.c.id == SP.c.sanction_id)
        .where(SP.c.active_from <= t, SP.c.active_until > t)
        .group_by(SP.c.platform_id, SP.c.kind)
        .order_by(SP.c.platform_id, SP.c.kind)
    )
    if operators is not None:
        query = query.where(S.c.operator_id.in_(operators))
    with db.read() as conn:
        return [{"platform": p, "kind": k, "count": int(n)} for p, k, n in conn.execute(query)]


def month_starts(until: datetime, months: int) -> list[datetime]:
    """The first instants of the ``months`` calendar months ending with ``until``'s, then of the next."""
    index = until.year * 12 + until.month - 1 - (months - 1)
    return [datetime(i // 12, i % 12 + 1, 1, tzinfo=UTC) for i in range(index, index + months + 1)]


def monthly_activity(
    db: Database, *, until: datetime, months: int = 24, operators: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """``[{month: "2021-01", imposed, lifted}]`` for the ``months`` months up to ``until``'s,
    counted by the instant each sanction started and was (first) lifted, up to ``until``."""
    bounds = month_starts(until, months)
    end = to_micros(until)
    columns = []
    for start, stop in pairwise(bounds):
        lo, hi = to_micros(start), min(to_micros(stop), end + 1)
        columns.append(func.sum(case((and_(S.c.starts_at >= lo, S.c.starts_at < hi), 1), else_=0)))
        columns.append(func.sum(case((and_(S.c.lifted_at >= lo, S.c.lifted_at < hi), 1), else_=0)))
    query = select(*columns, literal(1))
    if operators is not None:
        query = query.where(S.c.operator_id.in_(operators))
    with db.read() as conn:
        row = conn.execute(query).one()
    return [
        {"month": start.strftime("%Y-%m"), "imposed": int(row[2 * i] or 0), "lifted": int(row[2 * i + 1] or 0)}
        for i, start in enumerate(bounds[:-1])
    ]
