"""The follower brings writes made elsewhere (another pool, another process) into the index."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from enforcement_history import History
from sqlalchemy import select

from reprieve.domain.events import EventType
from reprieve.domain.model import AccountRef
from reprieve.domain.time import to_micros
from reprieve.enforcement import EnforcementIndex, IndexFollower
from reprieve.enforcement import follower as follower_module
from reprieve.services import catalogue
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, LiftSanction, impose_sanction, lift_sanction
from reprieve.store import eventlog, tables
from reprieve.store.db import Database, open_database
from reprieve.store.enforcement import driver_rows

REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Dangerous individuals and organisations",
    "explanation": "Praise of ongoing violence",
    "facts": "Posts of 2021-01-06",
}


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Poll ``condition`` until it holds; returns the seconds it took, fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"still not true after {timeout} s")
        time.sleep(0.005)
    return time.monotonic() - start


@pytest.fixture
def other(database_url: str) -> Iterator[Database]:
    """The same database through another engine and pool, as another server process has."""
    database = open_database(database_url)
    yield database
    database.dispose()


def suspend(db: Database, account: str, now: datetime) -> str:
    sanction = impose_sanction(
        db,
        ImposeSanction.parse(
            subject=AccountRef("facebook", account), kind="suspension", duration="P30D", reason=REASON
        ),
        caller=Caller("writer", now=now),
    ).to_json()
    return str(sanction["id"])


def denied(index: EnforcementIndex, account: str, now: datetime) -> bool:
    return not index.check("facebook", account, "post", to_micros(now))["allowed"]


def test_polling_applies_everything_up_to_the_head(
    db: Database, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = EnforcementIndex.build(db, now=now)  # an empty database: not even a platform
    follower = IndexFollower(index, db)
    assert follower.staleness == float("inf")
    monkeypatch.setattr(follower_module, "_PAGE", 2)  # several pages per poll
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("t", now=now))
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"), caller=Caller("t", now=now)
    )
    sanctions = [suspend(db, f"user{i}", now) for i in range(3)]
    lift_sanction(db, sanctions[1], LiftSanction.parse(reason="error"), caller=Caller("t", now=now))
    assert follower.poll() == 1 + 2 * 3 + 1  # platform, accounts and sanctions, lift
    with db.read() as conn:
        head, _ = eventlog.head(conn)
    assert (index.seq, follower.lag) == (head, 0)
    assert 0 <= follower.staleness < 60
    assert [denied(index, f"user{i}", now) for i in range(3)] == [True, False, True]
    assert follower.poll() == 0


def test_a_write_through_another_pool_is_seen_by_the_thread(
    db: Database, other: Database, meta: str, now: datetime
) -> None:
    index = EnforcementIndex.build(db, now=now)
    with IndexFollower(index, db, interval=0.05):
        suspend(other, "alice", now)
        wait_until(lambda: denied(index, "alice", now))


def test_a_write_in_another_process_is_seen(database_url: str, db: Database, meta: str, now: datetime) -> None:
    index = EnforcementIndex.build(db, now=now)
    script = textwrap.dedent(
        f"""
        from datetime import datetime
        from reprieve.domain.model import AccountRef
        from reprieve.services.callers import Caller
        from reprieve.services.sanctions import ImposeSanction, impose_sanction
        from reprieve.store.db import open_database
        db = open_database({database_url!r})
        impose_sanction(
            db,
            ImposeSanction.parse(subject=AccountRef("facebook", "bob"), kind="termination", reason={REASON!r}),
            caller=Caller("another-process", now=datetime.fromisoformat({now.isoformat()!r})),
        )
        """
    )
    with IndexFollower(index, db, interval=0.1):
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
        wait_until(lambda: denied(index, "bob", now))
    assert index.check("facebook", "bob", "post", to_micros(now))["status"] == "terminated"


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not os.environ.get("REPRIEVE_TEST_POSTGRES_URL"),
                reason="LISTEN/NOTIFY is PostgreSQL's: set REPRIEVE_TEST_POSTGRES_URL",
            ),
        )
    ],
    indirect=True,
)
def test_a_notification_wakes_the_follower_before_its_interval(
    database_url: str, db: Database, other: Database, meta: str, now: datetime
) -> None:
    assert db.dialect == "postgresql"
    index = EnforcementIndex.build(db, now=now)
    follower = IndexFollower(index, db, interval=600)
    with follower:
        wait_until(lambda: follower.last_poll is not None)
        suspend(other, "carol", now)
        # Far sooner than the 600 s interval: only the NOTIFY can have woken it.
        wait_until(lambda: denied(index, "carol", now), timeout=30)


def test_a_stopped_follower_stops(db: Database, meta: str, now: datetime) -> None:
    index = EnforcementIndex.build(db, now=now)
    follower = IndexFollower(index, db, interval=0.05).start()
    wait_until(lambda: follower.last_poll is not None)
    follower.stop()
    suspend(db, "dave", now)
    assert not denied(index, "dave", now)
    assert follower.poll() == 2 and denied(index, "dave", now)


def test_writers_waiting_together_share_one_poll_of_the_thread(db: Database, other: Database, now: datetime) -> None:
    """``after_next_poll``: each waiter is called once a poll begun after it asked has ended,
    and then sees what was committed before it asked; waiters still there at stop are let go."""
    import threading

    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("t", now=now))
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"), caller=Caller("t", now=now)
    )
    index = EnforcementIndex.build(db, now=now)
    # Only a wake() makes it poll again (no LISTEN: NOTIFYs would wake it too).
    follower = IndexFollower(index, db, interval=3600, listen=False)
    polls = 0
    poll = follower.poll

    def counted() -> int:
        nonlocal polls
        polls += 1
        return poll()

    follower.poll = counted  # type: ignore[method-assign]
    with follower:
        assert follower.running
        wait_until(lambda: polls == 1)  # the thread's first poll, then it sleeps
        accounts = [f"waiter{i}" for i in range(5)]
        for account in accounts:
            suspend(other, account, now)
        seen: list[bool] = []
        done = threading.Event()

        def waiter(account: str) -> Callable[[], None]:
            def called() -> None:
                seen.append(denied(index, account, now))
                if len(seen) == len(accounts):
                    done.set()

            return called

        for account in accounts:
            follower.after_next_poll(waiter(account))
        assert done.wait(10)
        assert seen == [True] * len(accounts)
        assert polls <= 3  # not one per waiter
        # A waiter registered as the follower stops is let go rather than left hanging.
        left = threading.Event()
        follower.stop()
        follower.after_next_poll(left.set)
        assert not left.is_set()
    follower.stop()
    assert left.is_set()
    assert not follower.running


@pytest.mark.parametrize("seed", [6, 7])
def test_the_database_reads_what_each_event_touches_as_its_payload_says(
    db: Database, history: Callable[[int], History], seed: int
) -> None:
    """The follower has the database extract what an event touches; parsing the payloads here
    finds the same: the identity named, the one of the sanction named, or the platform's id."""
    h = history(seed)
    for _ in range(80):
        h.step()
    with db.read() as conn:
        rows = driver_rows(conn, follower_module._PAGE_SQL, {"after": 0, "limit": 100_000})
        s = tables.sanctions.c
        owner = {sid: identity for sid, identity in conn.execute(select(s.id, s.identity_id))}
        events = eventlog.read_events(conn, limit=100_000, types=follower_module.AFFECTING)
        head, _ = eventlog.head(conn)
    expected = []
    for event in events:
        data = event.payload()
        key = follower_module._TOUCHES[EventType(event.type)]
        touched = data[key]
        if EventType(event.type) in follower_module._BY_SANCTION:
            touched = owner.get(touched)
        expected.append((event.seq, event.type, touched))
    assert {e[1] for e in expected} >= {
        EventType.PLATFORM_CREATED,
        EventType.SANCTION_IMPOSED,
        EventType.SANCTION_LIFTED,
        EventType.SANCTION_AMENDED,
        EventType.IDENTITIES_LINKED,
        EventType.VIOLATION_RECORDED,
        EventType.APPEAL_DECIDED,
    }
    assert [tuple(r) for r in rows if r[1] is not None] == expected
    assert [r[0] for r in rows if r[1] is None] == [head]
