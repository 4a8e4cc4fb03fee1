"""The dashboard's month-by-month counts: each sanction in the month it started and the month it
was lifted, up to the instant shown, for the operators the caller may see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reprieve.services.callers import Caller
from reprieve.services.dashboard import monthly_activity
from reprieve.services.sanctions import LiftSanction, lift_sanction
from reprieve.store.db import Database

Impose = Callable[..., dict[str, Any]]
ACTOR = "test-suite"


def test_sanctions_are_counted_in_the_months_they_started_and_were_lifted(
    db: Database, meta: str, x_corp: str, impose: Impose
) -> None:
    starts = {
        "facebook/a": "2024-01-01T00:00:00Z",  # the first instant of January
        "facebook/b": "2024-01-31T23:59:59.999999Z",  # the last of January
        "facebook/c": "2024-02-01T00:00:00Z",
        "facebook/d": "2024-03-10T12:00:00Z",
        "facebook/e": "2024-03-20T00:00:00Z",  # after the instant shown: not yet
        "facebook/f": "2023-12-31T23:59:59Z",  # before the first month shown
        "twitter/g": "2024-02-15T00:00:00Z",  # another operator's
    }
    made = {s: impose(s, "suspension", starts_at=at, now=datetime(2023, 12, 1, tzinfo=UTC)) for s, at in starts.items()}
    lifts = {
        "facebook/a": "2024-02-29T23:00:00Z",
        "facebook/c": "2024-03-01T00:00:00Z",
        "facebook/d": "2024-03-16T00:00:00Z",
        "twitter/g": "2024-03-01T00:00:00Z",
    }
    for subject, at in lifts.items():
        lift_sanction(
            db,
            made[subject]["id"],
            LiftSanction.parse(reason="r", effective_at=at, backdated_reason="Test history, entered after the fact."),
            caller=Caller(ACTOR, now=datetime(2024, 3, 20, tzinfo=UTC)),
        )
    until = datetime(2024, 3, 15, 12, tzinfo=UTC)  # facebook/d's lift is the next day
    months = monthly_activity(db, until=until, months=3, caller=Caller(ACTOR, operators=["meta"]))
    assert [m.to_json() for m in months] == [
        {"month": "2024-01", "imposed": 2, "lifted": 0},
        {"month": "2024-02", "imposed": 1, "lifted": 1},
        {"month": "2024-03", "imposed": 1, "lifted": 1},
    ]
    everyone = monthly_activity(db, until=until, months=3, caller=Caller(ACTOR))
    assert [(m.imposed, m.lifted) for m in everyone] == [(2, 0), (2, 1), (1, 2)]
    assert [m.to_json() for m in monthly_activity(db, until=until, months=3, caller=Caller(ACTOR, operators=[]))] == [
        {"month": m, "imposed": 0, "lifted": 0} for m in ("2024-01", "2024-02", "2024-03")
    ]
    later = monthly_activity(
        db, until=datetime(2024, 4, 1, tzinfo=UTC), months=2, caller=Caller(ACTOR, operators=["meta"])
    )
    assert [m.to_json() for m in later] == [
        {"month": "2024-03", "imposed": 2, "lifted": 2},
        {"month": "2024-04", "imposed": 0, "lifted": 0},
    ]
