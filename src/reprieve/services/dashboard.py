"""The console's dashboard: what is active, what waits, and what happened month by month.

Reads only. Each figure is one aggregate query over the projections, restricted to the
caller's operators, so that the dashboard costs the same with a thousand sanctions or a million.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reprieve.domain.model import SanctionKind
from reprieve.domain.sanctions import Sanction
from reprieve.domain.time import to_micros
from reprieve.services.callers import Caller
from reprieve.store import dashboard as store
from reprieve.store import queries
from reprieve.store.asof import Known, known_as_of, sanctions_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database


@dataclass(frozen=True, slots=True)
class ActiveCount:
    """How many sanctions of a kind are active on a platform."""

    platform: str
    kind: SanctionKind
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "kind": self.kind.value, "count": self.count}


@dataclass(frozen=True, slots=True)
class MonthActivity:
    """How many sanctions started, and how many were lifted, in a calendar month (``2021-01``)."""

    month: str
    imposed: int
    lifted: int

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "imposed": self.imposed, "lifted": self.lifted}


def active_by_kind_and_platform(
    db: Database, *, at: datetime, caller: Caller, as_of: datetime | None = None
) -> list[ActiveCount]:
    """The sanctions of the operators the caller sees active at ``at``, by platform of their scope
    and kind (the spans of one sanction on one platform do not overlap: one row each); ``as_of``:
    as the events recorded by then made them (the sanctions changed since, taken back to then)."""
    at_us = to_micros(at)
    with db.read() as conn:
        if as_of is None:
            rows = store.active_by_kind_and_platform(conn, at_us, caller.operators)
        else:
            known = known_as_of(conn, as_of)
            counts = Counter(
                {
                    (p, k): n
                    for p, k, n in store.active_by_kind_and_platform(
                        conn, at_us, caller.operators, unchanged_by=known.sql
                    )
                }
            )
            for sanction in _changed_since(conn, known, caller):
                for span in sanction.spans():
                    if span.start <= at_us < span.end:
                        counts.update((platform, span.kind.value) for platform in sanction.scope)
            rows = [(p, k, n) for (p, k), n in sorted(counts.items()) if n]
    return [ActiveCount(p, SanctionKind(k), int(n)) for p, k, n in rows]


def _changed_since(conn: Connection, known: Known, caller: Caller) -> list[Sanction]:
    """The sanctions created by ``known.as_of`` and changed since, as they were then."""
    rows = store.changed_since(conn, known.sql, caller.operators)
    return list(sanctions_as_of(conn, queries.load_sanctions(conn, rows), known).values())


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
    db: Database, *, until: datetime, months: int = 24, caller: Caller, as_of: datetime | None = None
) -> list[MonthActivity]:
    """The ``months`` months up to ``until``'s, with the sanctions of the operators the caller sees
    counted by the instant each started and was (first) lifted, up to ``until``; ``as_of``: the
    sanctions recorded by then, lifted if the lift was."""
    operators = caller.operators
    bounds = month_starts(until, months)
    edges = [to_micros(b) for b in bounds[1:-1]] + [to_micros(until) + 1]  # each month's end, the last cut at until
    first = to_micros(bounds[0])
    with db.read() as conn:
        known = None if as_of is None else known_as_of(conn, as_of)
        recorded = None if known is None else known.sql
        imposed = store.by_month(conn, "starts_at", first=first, edges=edges, operators=operators, recorded=recorded)
        lifted = Counter(
            store.by_month(conn, "lifted_at", first=first, edges=edges, operators=operators, recorded=recorded)
        )
        if known is not None:
            for sanction in _changed_since(conn, known, caller):
                lift = sanction.lifted_at
                if lift is not None and first <= to_micros(lift) < edges[-1]:
                    lifted[bisect_right(edges, to_micros(lift))] += 1
    return [
        MonthActivity(start.strftime("%Y-%m"), int(imposed.get(i, 0)), int(lifted.get(i, 0)))
        for i, start in enumerate(bounds[:-1])
    ]
