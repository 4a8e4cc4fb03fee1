"""The outbox: written with the event, only where someone consumes it, never missing a new endpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from webhook_support import Clock, free_port, run_cycles

from reprieve.domain.time import to_micros
from reprieve.services import webhooks
from reprieve.services.callers import Caller
from reprieve.services.publishing import enable_broker
from reprieve.services.sanctions import AmendSanction, LiftSanction, amend_sanction, lift_sanction
from reprieve.store import eventlog, outbox, tables
from reprieve.store.db import Database, open_database

ACTOR = "test-suite"


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers of these tests listen on 127.0.0.1, which an installation must allow."""
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")


def outbox_rows(db: Database) -> list[tuple[int, str, str]]:
    o = tables.outbox.c
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(select(o.seq, o.target, o.subject).order_by(o.id))]  # type: ignore[misc]


def test_no_consumer_no_outbox_row(db: Database, meta: str, impose: Callable[..., dict[str, Any]]) -> None:
    impose("facebook/alice", "suspension", duration="P30D")
    assert outbox_rows(db) == []
    with db.read() as conn:
        assert outbox.depth(conn) == (0, None)


def test_rows_only_for_matching_endpoints_of_the_operator(
    db: Database, meta: str, x_corp: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    hook = webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(operator="meta", url="http://127.0.0.1:9/h", event_types=["sanction.imposed"]),
        caller=Caller(ACTOR, now=now),
    )
    assert hook.secret.startswith("whsec_")
    sanction = impose("facebook/alice", "suspension", duration="P30D")
    impose("twitter/bob", "suspension", duration="P30D")  # another operator: not for meta's endpoint
    lift_sanction(
        db, sanction["id"], LiftSanction.parse(reason="appeal granted"), caller=Caller(ACTOR, now=now)
    )  # a type not asked for
    rows = outbox_rows(db)
    assert len(rows) == 1
    assert rows[0][1] == hook.id and rows[0][2] == f"sanction:{sanction['id']}"
    with db.read() as conn:
        assert conn.execute(select(tables.events.c.type).where(tables.events.c.seq == rows[0][0])).scalar_one() == (
            "sanction.imposed"
        )


def test_a_new_endpoint_is_seen_by_a_process_that_cached_the_list(
    database_url: str, db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    impose("facebook/alice", "suspension", duration="P30D")  # this process has cached "no consumer"
    other = open_database(database_url)  # another process: its own engine
    try:
        hook = webhooks.create_webhook(
            other,
            webhooks.CreateWebhook(operator="meta", url="http://127.0.0.1:9/h", event_types=["sanction.imposed"]),
            caller=Caller(ACTOR, now=now),
        )
    finally:
        other.dispose()
    impose("facebook/bob", "suspension", duration="P30D")
    assert [r[1] for r in outbox_rows(db)] == [hook.id]
    webhooks.set_webhook_state(db, hook.id, active=False, caller=Caller(ACTOR, now=now))
    impose("facebook/carol", "suspension", duration="P30D")
    assert len(outbox_rows(db)) == 1  # disabled: nothing more queued


def test_broker_gets_every_event_once_enabled(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    impose("facebook/alice", "suspension", duration="P30D")
    with db.read() as conn:
        before = eventlog.head(conn)[0]
    assert enable_broker(db, actor=ACTOR, now=now)
    assert not enable_broker(db, actor=ACTOR, now=now)
    impose("facebook/bob", "suspension", duration="P30D")
    rows = outbox_rows(db)
    with db.read() as conn:
        after = eventlog.head(conn)[0]
        # Every event from broker.enabled on, none before: account.registered and sanction.imposed of bob,
        # and the statement of reasons it issued (issue 23).
        assert [r[0] for r in rows] == list(range(before + 1, after + 1))
        assert {r[1] for r in rows} == {outbox.BROKER}
        count, age = outbox.depth(conn, now=(now + timedelta(seconds=90)).timestamp())
        assert count == len(rows) == 4 and age == 90.0


def test_prune_forgets_old_deliveries_only(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(operator="meta", url="http://127.0.0.1:9/h", event_types=["sanction.imposed"]),
        caller=Caller(ACTOR, now=now),
    )
    for name in ("a", "b", "c", "d"):
        impose(f"facebook/{name}", "suspension", duration="P30D")
    o = tables.outbox.c
    with db.engine.begin() as conn:
        ids = [r[0] for r in conn.execute(select(o.id).order_by(o.id))]
        conn.execute(update(tables.outbox).where(o.id.in_(ids[:2])).values(state="delivered", next_attempt_at=100))
        conn.execute(update(tables.outbox).where(o.id == ids[2]).values(state="dead", next_attempt_at=100))
        assert outbox.prune(conn, before_us=1_000) == 2
        assert [(r.id, r.state) for r in conn.execute(select(o.id, o.state).order_by(o.id))] == [
            (ids[2], "dead"),
            (ids[3], "pending"),
        ]


def test_a_crowded_blocked_queue_does_not_starve_the_others(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    hook = webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(
            operator="meta", url="http://127.0.0.1:9/h", event_types=["sanction.imposed", "sanction.amended"]
        ),
        caller=Caller(ACTOR, now=now),
    )
    crowded = impose("facebook/crowded", "suspension", duration="P30D")
    for i in range(12):
        amend_sanction(
            db,
            crowded["id"],
            AmendSanction.parse(reason="again", ends_at=now + timedelta(days=31 + i)),
            caller=Caller(ACTOR, now=now),
        )
    other = impose("facebook/other", "suspension", duration="P30D")
    o = tables.outbox.c
    now_us = to_micros(now)
    with db.engine.begin() as conn:
        first = outbox.claim(conn, owner="w", now_us=now_us, lease_us=10, limit=4, targets=[hook.id])
        # One row per queue: the crowded sanction's first event, and the other's.
        assert [c.target for c in first] == [hook.id] * 2
        head = min(c.id for c in first)
        # Its delivery fails: the rows behind it wait as long as it does.
        outbox.settle(
            conn,
            owner="w",
            now_us=now_us,
            delivered=[c.id for c in first if c.id != head],
            retries=[(head, now_us + 3_600_000_000, "HTTP 500")],
            dead=[],
        )
        behind = conn.execute(select(o.next_attempt_at).where(o.subject == f"sanction:{crowded['id']}", o.id > head))
        assert {r[0] for r in behind} == {now_us + 3_600_000_000}
        conn.execute(
            update(tables.outbox)
            .where(o.subject == f"sanction:{crowded['id']}", o.id > head)
            .values(next_attempt_at=now_us)
        )  # as if queued after the failure
    newer = impose("facebook/newer", "suspension", duration="P30D")
    with db.engine.begin() as conn:
        # Twelve rows due but behind a head that is not: the lease reads past them to the newer queue.
        found = outbox.claim(conn, owner="w", now_us=now_us + 20, lease_us=10, limit=4, targets=[hook.id])
        subjects = conn.execute(select(o.subject).where(o.id.in_([c.id for c in found]))).scalars().all()
        assert subjects == [f"sanction:{newer['id']}"]
    assert other["id"] != newer["id"]


def test_broker_unreachable_keeps_the_rows_for_later(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    clock = Clock(now)
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    run_cycles(db, clock, 1, step=timedelta(0), nats_url=url)  # enables the broker
    # A warning: two rows, as before issue 23 (a suspension's statement of reasons would be a third).
    impose("facebook/alice", "warning")
    reports = run_cycles(db, clock, 2, step=timedelta(hours=30), nats_url=url)
    assert sum(r.published for r in reports) == 0 and sum(r.publish_retried for r in reports) >= 3
    o = tables.outbox.c
    with db.read() as conn:
        states = {r[0] for r in conn.execute(select(o.state).where(o.target == outbox.BROKER))}
        errors = {r[0] for r in conn.execute(select(o.last_error).where(o.target == outbox.BROKER))}
    assert states == {outbox.PENDING}  # never dead-lettered, even after more than a day
    assert all(e and "NATS" in e for e in errors)
