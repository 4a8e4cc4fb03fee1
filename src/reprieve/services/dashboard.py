"""The console's dashboard: what is active, what waits, and what happened month by month.

Reads only. Each figure is one aggregate query over the projections, restricted to the
caller's operators, so that the dashboard costs the same with a thousand sanctions or a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from reprieve.domain.time import to_micros
from reprieve.store import dashboard as store
from reprieve.store.db import Database


def active_by_kind_and_platform(
    db: Database, *, at: datetime, operators: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """``[{platform, kind, count}]``: sanctions active at ``at`` on each platform of their scope (the
    spans of one sanction on one platform do not overlap: one row each)."""
    with db.read() as conn:
        rows = store.active_by_kind_and_platform(conn, to_micros(at), operators)
    return [{"platform": p, "kind": k, "count": n} for p, k, n in rows]


#: Month indexes (year * 12 + month - 1) of January 0001 and December 9999, the first and last a datetime holds.
_FIRST_MONTH, _LAST_MONTH = 12, 9999 * 12 + 11


def month_starts(until: datetime, months: int) -> list[datetime]:
    """The first instants of the ``months`` calendar months ending with ``until``'s, then of the next;
    fewer near year 1, and past December 9999 the last instant a datetime holds."""
    end = until.year * 12 + until.month - 1
    index = max(_FIRST_MONTH, end - (months - 1))
    return [
        datetime(i // 12, i % 12 + 1, 1, tzinfo=UTC) if i <= _LAST_MONTH else datetime.max.replace(tzinfo=UTC)
        for i in range(index, end + 2)
    ]


def monthly_activity(
    db: Database, *, until: datetime, months: int = 24, operators: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """``[{month: "2021-01", imposed, lifted}]`` for the ``months`` months up to ``until``'s,
    counted by the instant each sanction started and was (first) lifted, up to ``until``."""
    bounds = month_starts(until, months)
    edges = [to_micros(b) for b in bounds[1:-1]] + [to_micros(until) + 1]  # each month's end, the last cut at until
    first = to_micros(bounds[0])
    with db.read() as conn:
        imposed = store.by_month(conn, "starts_at", first=first, edges=edges, operators=operators)
        lifted = store.by_month(conn, "lifted_at", first=first, edges=edges, operators=operators)
    return [
        {"month": start.strftime("%Y-%m"), "imposed": int(imposed.get(i, 0)), "lifted": int(lifted.get(i, 0))}
        for i, start in enumerate(bounds[:-1])
    ]
