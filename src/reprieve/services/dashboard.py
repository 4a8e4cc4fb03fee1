"""The console's dashboard: what is active, what waits, and what happened month by month.

Reads only. Each figure is one aggregate query over the projections, restricted to the
caller's operators, so that the dashboard costs the same with a thousand sanctions or a million.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reprieve.domain.model import SanctionKind
from reprieve.domain.time import to_micros
from reprieve.services.callers import Caller
from reprieve.store import dashboard as store
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


def active_by_kind_and_platform(db: Database, *, at: datetime, caller: Caller) -> list[ActiveCount]:
    """The sanctions of the operators the caller sees active at ``at``, by platform of their scope
    and kind (the spans of one sanction on one platform do not overlap: one row each)."""
    with db.read() as conn:
        rows = store.active_by_kind_and_platform(conn, to_micros(at), caller.operators)
    return [ActiveCount(p, SanctionKind(k), int(n)) for p, k, n in rows]


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


def monthly_activity(db: Database, *, until: datetime, months: int = 24, caller: Caller) -> list[MonthActivity]:
    """The ``months`` months up to ``until``'s, with the sanctions of the operators the caller sees
    counted by the instant each started and was (first) lifted, up to ``until``."""
    operators = caller.operators
    bounds = month_starts(until, months)
    edges = [to_micros(b) for b in bounds[1:-1]] + [to_micros(until) + 1]  # each month's end, the last cut at until
    first = to_micros(bounds[0])
    with db.read() as conn:
        imposed = store.by_month(conn, "starts_at", first=first, edges=edges, operators=operators)
        lifted = store.by_month(conn, "lifted_at", first=first, edges=edges, operators=operators)
    return [
        MonthActivity(start.strftime("%Y-%m"), int(imposed.get(i, 0)), int(lifted.get(i, 0)))
        for i, start in enumerate(bounds[:-1])
    ]
