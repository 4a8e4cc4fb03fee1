"""The worker announces what time has done, each announcement exactly once: across restarts and
with two workers running at once."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from due_process_support import MODERATOR, day, operator_with
from due_process_support import impose as impose_at
from sqlalchemy import select
from webhook_support import Clock, run_cycles

from reprieve.domain.time import format_instant, parse_duration
from reprieve.runtime import worker
from reprieve.runtime.worker import Worker
from reprieve.services import appeal_targets, appeals
from reprieve.services.callers import Caller
from reprieve.services.sanctions import LiftSanction, lift_sanction
from reprieve.store import tables
from reprieve.store.db import Database, open_database

ACTOR = "test-suite"
ANNOUNCED = ("sanction.started", "sanction.ended", "review.due", "appeal.overdue", "probation.ended")


def announcements(db: Database) -> list[tuple[str, str, str]]:
    """``(type, what it is about, effective_at)`` of every announcement event, in log order."""
    e = tables.events.c
    with db.read() as conn:
        rows = conn.execute(select(e.type, e.data, e.effective_at).where(e.type.in_(ANNOUNCED)).order_by(e.seq))
        result = []
        for type_, data, effective_at in rows:
            payload = __import__("json").loads(data)
            result.append((type_, payload.get("appeal") or payload.get("sanction"), effective_at))
        return result


def story(db: Database, impose: Callable[..., dict[str, Any]], now: datetime) -> dict[str, str]:
    """Sanctions that start, end and fall due for review at known instants, and an open appeal."""
    scheduled = impose("facebook/sched", "suspension", starts_at=now + timedelta(days=2), duration="P5D")
    short = impose("facebook/short", "suspension", duration="P3D", review_at=now + timedelta(days=1))
    lifted = impose("facebook/lifted", "suspension", duration="P3D")
    lift_sanction(
        db, lifted["id"], LiftSanction.parse(reason="granted"), caller=Caller(ACTOR, now=now)
    )  # lifted: it never "ends"
    long = impose("facebook/long", "suspension", duration="P1Y")
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=long["id"],
            kind="reinstatement",
            filed_by={"name": "L", "relation": "subject"},
            statement="please",
            channel="letter",
        ),
        caller=Caller(actor=ACTOR, now=now),
    )
    return {"scheduled": scheduled["id"], "short": short["id"], "lifted": lifted["id"], "appeal": appeal.id}


def expected(ids: dict[str, str], now: datetime) -> Counter[tuple[str, str]]:
    return Counter(
        {
            ("review.due", ids["short"]): 1,  # day 1
            ("sanction.started", ids["scheduled"]): 1,  # day 2
            ("sanction.ended", ids["short"]): 1,  # day 3
            ("sanction.ended", ids["scheduled"]): 1,  # day 7
            ("appeal.overdue", ids["appeal"]): 1,  # day 14
        }
    )


def test_announcements_each_once_in_time_and_after_restarts(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    ids = story(db, impose, now)
    clock = Clock(now)
    assert announcements(db) == []
    run_cycles(db, clock, 1, step=timedelta(hours=36))  # now + 0: nothing fell due yet
    assert announcements(db) == []
    run_cycles(db, clock, 1, step=timedelta(0))  # now + 36 h: the review only
    assert [(t, s) for t, s, _ in announcements(db)] == [("review.due", ids["short"])]
    assert announcements(db)[0][2] == "2024-06-02T12:00:00Z"  # effective when it fell due
    for _ in range(4):  # restarts: a new worker each time, the clock moving on by four days
        run_cycles(db, clock, 2, step=timedelta(days=2))
    made = Counter((t, s) for t, s, _ in announcements(db))
    assert made == expected(ids, now)


def test_two_workers_at_once_announce_nothing_twice(
    database_url: str, db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    ids = story(db, impose, now)
    for i in range(30):  # many ends due at the same instants
        impose(f"facebook/many{i}", "suspension", duration=f"P{1 + i % 5}D")
    later = now + timedelta(days=20)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run_worker(name: str) -> None:
        own = open_database(database_url)  # each its own engine, as two processes would
        clock = Clock(now)

        async def go() -> None:
            async with Worker(own, clock=clock, owner=name) as w:
                start.wait()
                while clock() < later:
                    await w.cycle()
                    clock.advance(timedelta(hours=6))

        try:
            asyncio.run(go())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=run_worker, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    made = Counter((t, s) for t, s, _ in announcements(db))
    assert max(made.values()) == 1
    assert made[("sanction.ended", ids["short"])] == 1 and len(made) == 5 + 30


def test_leases_split_the_partitions_between_workers(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    impose("facebook/short", "suspension", duration="P1D")
    later = now + timedelta(days=2)
    assert worker.announce(db, now=later, owner="first") == 1
    assert worker.announce(db, now=later + timedelta(seconds=30), owner="second") == 0  # leased by "first"
    p = tables.worker_partitions.c
    with db.read() as conn:
        assert {r.owner for r in conn.execute(select(p.owner))} == {"first"}
    impose("facebook/other", "suspension", duration="PT1S", now=later)
    worker.release_leases(db, owner="first")  # a worker stopping gives its partitions back at once
    assert worker.announce(db, now=later + timedelta(seconds=40), owner="second") == 1


def test_appeal_target_is_an_operator_setting(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    ids = story(db, impose, now)
    appeal_targets.set_appeal_target(db, "meta", parse_duration("P3D"), caller=Caller(ACTOR, now=now))
    worker.announce(db, now=now + timedelta(days=2), owner="w")
    assert ("appeal.overdue", ids["appeal"]) not in {(t, s) for t, s, _ in announcements(db)}
    worker.announce(db, now=now + timedelta(days=3, seconds=1), owner="w")
    overdue = [a for a in announcements(db) if a[0] == "appeal.overdue"]
    assert overdue == [("appeal.overdue", ids["appeal"], "2024-06-04T12:00:00Z")]


def test_probation_ended_is_announced_once(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    ban = impose_at(db, "facebook/hank", scope=["facebook", "instagram"], starts_at=day(0), now=day(0))
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ban["id"],
            kind="reinstatement",
            filed_by={"name": "Hank", "relation": "subject"},
            statement="Please.",
            channel="email",
        ),
        caller=MODERATOR.at(day(1)),
    )
    appeals.decide_appeal(
        db,
        appeal.id,
        appeals.DecideAppeal.parse(outcome="granted", rationale="r", reply="ok", probation={"duration": "P30D"}),
        caller=MODERATOR.at(day(2)),
    )
    assert worker.announce(db, now=day(20), owner="w") == 0
    assert worker.announce(db, now=day(40), owner="w") == 1
    assert worker.announce(db, now=day(50), owner="w2") == 0  # another worker, later: made already
    ended = [a for a in announcements(db) if a[0] == "probation.ended"]
    assert len(ended) == 1 and ended[0][1] == ban["id"] and ended[0][2] == format_instant(day(32))


def test_the_loop_survives_a_failed_cycle_and_stops_when_asked(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    impose("facebook/short", "suspension", duration="P1D")
    real_announce = worker.announce
    calls: list[int] = []

    def flaky(db_: Database, *, now: datetime, owner: str) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real_announce(db_, now=now, owner=owner)

    monkeypatch.setattr(worker, "announce", flaky)

    async def go() -> None:
        stop = asyncio.Event()
        busy = asyncio.Event()

        class Watch(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.getMessage() == "worker cycle":
                    # The report as fields of the line (JSON fields with the JSON formatter), not a repr.
                    assert record.fields["announced"] >= 1  # type: ignore[attr-defined]
                    busy.set()

        handler = Watch()
        worker.log.addHandler(handler)
        worker.log.setLevel(logging.INFO)
        try:
            async with Worker(db, clock=lambda: now + timedelta(days=2)) as w:
                task = asyncio.create_task(w.run(interval=0.05, stop=stop))
                await asyncio.wait_for(busy.wait(), timeout=30)
                stop.set()
                await asyncio.wait_for(task, timeout=30)
        finally:
            worker.log.removeHandler(handler)

    asyncio.run(go())
    assert len(calls) >= 2
    assert [t for t, _, _ in announcements(db)] == ["sanction.ended"]


class Recorded:
    """``worker._record``, counting its transactions; ``fail_at`` makes that one fail (the worker
    stopping half-way through a backlog)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> None:
        self.sizes: list[int] = []
        self.fail_at = fail_at
        real = worker._record

        def record(db: Database, dues: list[worker.Due], *, now: datetime) -> int:
            if len(self.sizes) + 1 == self.fail_at:
                self.sizes.append(-1)
                raise RuntimeError("the worker stopped")
            made = real(db, dues, now=now)
            self.sizes.append(made)
            return made

        monkeypatch.setattr(worker, "_record", record)


def test_a_backlog_is_announced_page_by_page_each_page_its_own_transaction(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "PAGE", 3)
    ended = {impose(f"facebook/old{i}", "suspension", duration=f"P{1 + i % 4}D")["id"] for i in range(10)}
    recorded = Recorded(monkeypatch)
    later = now + timedelta(days=30)
    assert worker.announce_partition(db, "sanction.ended", now=later, owner="w") == 10
    assert recorded.sizes == [3, 3, 3, 1]  # pages of three sanctions, in id order
    made = [(t, s) for t, s, _ in announcements(db)]
    assert sorted(made) == sorted(("sanction.ended", sanction) for sanction in ended)
    assert worker.announce_partition(db, "sanction.ended", now=later + timedelta(days=1), owner="w") == 0


def test_a_worker_stopped_half_way_through_a_backlog_keeps_what_it_announced_and_the_next_run_ends_it(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "PAGE", 3)
    ended = {impose(f"facebook/old{i}", "suspension", duration="P1D")["id"] for i in range(8)}
    later = now + timedelta(days=30)
    Recorded(monkeypatch, fail_at=2)
    with pytest.raises(RuntimeError, match="the worker stopped"):
        worker.announce_partition(db, "sanction.ended", now=later, owner="w")
    assert len(announcements(db)) == 3  # the first page, committed
    p = tables.worker_partitions.c
    with db.read() as conn:
        marks = conn.execute(select(p.scanned_until, p.scanned_seq).where(p.name == "sanction.ended")).one()
    assert tuple(marks) == (0, 0)  # the scan did not end: the next one starts from the beginning again
    resumed = Recorded(monkeypatch)
    assert worker.announce_partition(db, "sanction.ended", now=later, owner="w") == 5
    assert resumed.sizes == [3, 2]  # the first page found nothing new: not recorded again
    made = Counter((t, s) for t, s, _ in announcements(db))
    assert made == Counter({("sanction.ended", sanction): 1 for sanction in ended})


def test_probations_over_two_platforms_straddling_a_page_are_each_announced_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "PAGE", 3)  # three rows: one probation and half of the next
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    bans = []
    for name in ("hank", "ivy", "jo", "kim"):
        ban = impose_at(db, f"facebook/{name}", scope=["facebook", "instagram"], starts_at=day(0), now=day(0))
        appeal = appeals.file_appeal(
            db,
            appeals.FileAppeal.parse(
                sanction_id=ban["id"],
                kind="reinstatement",
                filed_by={"name": name, "relation": "subject"},
                statement="Please.",
                channel="email",
            ),
            caller=MODERATOR.at(day(1)),
        )
        appeals.decide_appeal(
            db,
            appeal.id,
            appeals.DecideAppeal.parse(outcome="granted", rationale="r", reply="ok", probation={"duration": "P30D"}),
            caller=MODERATOR.at(day(2)),
        )
        bans.append(ban["id"])
    recorded = Recorded(monkeypatch)
    assert worker.announce_partition(db, "probation.ended", now=day(40), owner="w") == 4
    assert recorded.sizes == [1, 1, 1, 1]
    e = tables.events.c
    with db.read() as conn:
        payloads = [json.loads(d) for d in conn.execute(select(e.data).where(e.type == "probation.ended")).scalars()]
    assert sorted(p["sanction"] for p in payloads) == sorted(bans)
    assert all(sorted(p["platforms"]) == ["facebook", "instagram"] for p in payloads)

    # A page of one row: each probation overflows it, and is still announced with both platforms.
    monkeypatch.setattr(worker, "PAGE", 1)
    p = tables.worker_partitions.c
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(tables.announcements.delete())  # as if never announced: scanned again
        conn.execute(
            tables.worker_partitions.update()
            .where(p.name == "probation.ended")
            .values(scanned_until=0, scanned_seq=0, owner=None, leased_until=None)
        )
    assert worker.announce_partition(db, "probation.ended", now=day(40), owner="w") == 4
    with db.read() as conn:
        again = [json.loads(d) for d in conn.execute(select(e.data).where(e.type == "probation.ended")).scalars()]
    assert len(again) == 8 and all(sorted(p["platforms"]) == ["facebook", "instagram"] for p in again[4:])
