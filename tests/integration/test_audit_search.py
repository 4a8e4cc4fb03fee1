"""The audit page's query (``eventlog.search_events``), on every backend: newest first or oldest
first with a seq cursor, and each filter (type prefix, actor, subject, recorded dates, operator)
done in SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from reprieve.domain.filters import EventFilter
from reprieve.services import catalogue
from reprieve.services.audit import search_events
from reprieve.services.callers import Caller
from reprieve.services.sanctions import LiftSanction, lift_sanction
from reprieve.store import eventlog
from reprieve.store.db import Database

Impose = Callable[..., dict[str, Any]]


@pytest.fixture
def story(db: Database, now: datetime, meta: str, x_corp: str, impose: Impose) -> dict[str, str]:
    """Two sanctions on facebook (one lifted a day later by ``mod:alice``), one on twitter."""
    bob = impose("facebook/bob_1", "suspension")["id"]
    carol = impose("facebook/carol", "warning")["id"]
    lift_sanction(
        db, bob, LiftSanction.parse(reason="mistake"), caller=Caller("mod:Alice", now=now + timedelta(days=1))
    )
    tw = impose("twitter/bob_1", "suspension", now=now + timedelta(days=2))["id"]
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="late", name="Late"), caller=Caller("root", now=now + timedelta(days=3))
    )
    return {"bob": bob, "carol": carol, "tw": tw}


def seqs(db: Database, where: EventFilter, **options: Any) -> list[int]:
    with db.read() as conn:
        return [e.seq for e in eventlog.search_events(conn, where, **options)]


def types(db: Database, where: EventFilter, **options: Any) -> list[str]:
    with db.read() as conn:
        return [e.type for e in eventlog.search_events(conn, where, **options)]


def test_newest_first_by_default_oldest_first_on_request_and_the_cursor_pages_both_ways(
    db: Database, story: dict[str, str]
) -> None:
    every = seqs(db, EventFilter(), newest_first=False, limit=1000)
    assert every == sorted(every) and len(every) > 8
    assert seqs(db, EventFilter(), limit=1000) == every[::-1]
    first = search_events(db, EventFilter(), limit=3)
    assert [e.seq for e in first.items] == every[::-1][:3]
    assert isinstance(first.next_cursor, int)
    second = seqs(db, EventFilter(), cursor=first.next_cursor, limit=3)
    assert second == every[::-1][3:6]
    assert seqs(db, EventFilter(), cursor=every[2], newest_first=False, limit=2) == every[3:5]
    assert search_events(db, EventFilter(), limit=1000).next_cursor is None


def test_each_filter_is_done_in_sql(db: Database, now: datetime, story: dict[str, str]) -> None:
    # The type is a prefix, the actor a case-insensitive part; LIKE's wildcards are letters here.
    assert set(types(db, EventFilter(type="sanction."))) == {"sanction.imposed", "sanction.lifted"}
    assert types(db, EventFilter(type="sanction.lifted")) == ["sanction.lifted"]
    assert types(db, EventFilter(type="sanction_")) == []  # "_" is a letter here, not LIKE's wildcard
    assert types(db, EventFilter(actor="ALICE")) == ["sanction.lifted"]
    assert types(db, EventFilter(actor="%")) == []

    # The subject: an id the events carry, or an account with its registration and its sanctions' events.
    # (a sanction's events include the statement of reasons its creation issued, issue 23)
    assert types(db, EventFilter(subject=story["bob"])) == ["sanction.lifted", "statement.issued", "sanction.imposed"]
    on_bob = types(db, EventFilter(subject="facebook/bob_1"), newest_first=False)
    assert on_bob == ["account.registered", "sanction.imposed", "statement.issued", "sanction.lifted"]
    assert types(db, EventFilter(subject="twitter/bob_1"), newest_first=False) == [
        "account.registered",
        "sanction.imposed",
        "statement.issued",
    ]
    assert types(db, EventFilter(subject="facebook/bob_%")) == []
    assert types(db, EventFilter(subject="snc_none")) == []

    # The days bound when the event was recorded.
    day = (now + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    next_day = (now + timedelta(days=2)).strftime("%Y-%m-%dT00:00:00Z")
    assert types(db, EventFilter(since=day, until=next_day)) == ["sanction.lifted"]
    assert "operator.created" not in types(db, EventFilter(since=next_day))[1:]
    assert types(db, EventFilter(until=day, type="sanction.lifted")) == []

    # A desk of one operator sees its events only.
    assert types(db, EventFilter(operator="x", type="sanction.")) == ["sanction.imposed"]
    assert types(db, EventFilter(operator="x", subject="facebook/bob_1")) == []
