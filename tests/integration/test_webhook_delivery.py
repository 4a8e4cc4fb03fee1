"""Webhook delivery to a real HTTP receiver: at least once, in order per subject, signed; retried
with backoff for at least 24 hours, then dead-lettered; redelivered on request."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from webhook_support import Clock, Receiver, free_port, run_cycles

from reprieve.domain.model import AccountRef
from reprieve.runtime import webhooks as delivery
from reprieve.services import appeals, webhooks
from reprieve.services.callers import Caller
from reprieve.services.sanctions import AmendSanction, LiftSanction, amend_sanction, lift_sanction
from reprieve.store import outbox, tables
from reprieve.store.db import Database
from reprieve.webhooks_verify import ReplayGuard, WebhookVerificationError, verify

ACTOR = "test-suite"


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers of these tests listen on 127.0.0.1, which an installation must allow."""
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")


def meta_events(db: Database) -> list[tuple[int, str]]:
    """``(seq, subject)`` of the events the endpoint asked for."""
    o = tables.outbox.c
    with db.read() as conn:
        return [(r.seq, r.subject) for r in conn.execute(select(o.seq, o.subject).order_by(o.seq))]


def test_receiver_down_then_up_gets_everything_in_order_signed(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    clock = Clock(now)
    receiver = Receiver(free_port(), "a-shared-secret-of-the-receiver", clock, fail_every=4)
    hook = webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(operator="meta", url=receiver.url, event_types=["*"], secret=receiver.secret),
        caller=Caller(ACTOR, now=now),
    )
    for i in range(6):  # six subjects, three events each, interleaved by the worker's concurrency
        sanction = impose(f"facebook/user{i}", "suspension", duration="P30D")
        amend_sanction(
            db,
            sanction["id"],
            AmendSanction.parse(reason="second look", ends_at=now + timedelta(days=60)),
            caller=Caller(ACTOR, now=now),
        )
        lift_sanction(db, sanction["id"], LiftSanction.parse(reason="appeal granted"), caller=Caller(ACTOR, now=now))
    expected = meta_events(db)
    assert len(expected) >= 18

    # The receiver is down: every attempt fails and is scheduled again.
    reports = run_cycles(db, clock, 3, step=timedelta(minutes=10))
    assert sum(r.delivered for r in reports) == 0 and reports[0].retried > 0
    receiver.start()
    try:
        for _ in range(100):
            run_cycles(db, clock, 1, step=timedelta(minutes=10))
            with db.read() as conn:
                if outbox.depth(conn)[0] == 0:
                    break
        else:
            pytest.fail("the deliveries never drained")
    finally:
        receiver.stop()

    assert receiver.rejected == []
    got = [(p["event"]["seq"], p["delivery"]["id"]) for p in receiver.accepted]
    assert {seq for seq, _ in got} == {seq for seq, _ in expected}  # every event, at least once
    subject_of = dict(expected)
    by_subject: dict[str, list[int]] = {}
    for seq, _ in got:
        by_subject.setdefault(subject_of[seq], []).append(seq)
    for subject, seqs in by_subject.items():
        assert seqs == sorted(seqs), f"{subject} out of order: {seqs}"
    assert webhooks.get_webhook(db, hook.id).deliveries.delivered == len(expected)

    # What the documented verification refuses: a tampered body, a replay, a stale message.
    body, headers = receiver.raw[0]
    check_at = clock().timestamp()
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify(body.replace(b'"seq":', b'"seq":1'), headers, receiver.secret, now=check_at)
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify(body, headers, "another-secret-entirely", now=check_at)
    stamp = int(headers["Reprieve-Timestamp"])
    guard = ReplayGuard()
    assert verify(body, headers, receiver.secret, guard=guard, now=stamp)["event"]["seq"] == got[0][0]
    with pytest.raises(WebhookVerificationError, match="replayed"):
        verify(body, headers, receiver.secret, guard=guard, now=stamp + 1)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(body, headers, receiver.secret, now=stamp + 3600)


def test_backoff_covers_a_day_then_dead_letter_then_redelivery(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    clock = Clock(now)
    receiver = Receiver(free_port(), "a-shared-secret-of-the-receiver", clock)
    hook = webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(
            operator="meta", url=receiver.url, event_types=["sanction.imposed"], secret=receiver.secret
        ),
        caller=Caller(ACTOR, now=now),
    )
    impose("facebook/alice", "suspension", duration="P30D")
    o = tables.outbox.c
    attempts_at = []
    for _ in range(200):  # the receiver is down; move the clock to each retry
        run_cycles(db, clock, 1, step=timedelta(0))
        with db.read() as conn:
            row = conn.execute(select(o.state, o.next_attempt_at, o.last_attempt_at, o.created_at)).one()
        attempts_at.append(row.last_attempt_at)
        if row.state == outbox.DEAD:
            break
        clock.now = datetime.fromtimestamp(row.next_attempt_at / 1e6, tz=now.tzinfo)
    else:
        pytest.fail("never dead-lettered")
    span_hours = (attempts_at[-1] - row.created_at) / 3.6e9
    assert 24 <= span_hours < 26
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert max(gaps) <= 3600 * 1_000_000 and len(attempts_at) > 20  # capped at an hour: many attempts

    dead = webhooks.list_deliveries(db, hook.id, state="dead").items
    assert len(dead) == 1 and dead[0].last_error and dead[0].type == "sanction.imposed"
    receiver.start()
    try:
        redelivered = webhooks.redeliver(db, dead[0].id, caller=Caller(ACTOR, now=clock()))
        assert redelivered.state == "pending"
        run_cycles(db, clock, 1, step=timedelta(0))
    finally:
        receiver.stop()
    assert [p["event"]["type"] for p in receiver.accepted] == ["sanction.imposed"]
    assert webhooks.list_deliveries(db, hook.id, state="dead").items == ()
    assert webhooks.list_deliveries(db, hook.id, state="delivered").items[0].id == dead[0].id


def test_backoff_is_exponential_with_full_jitter() -> None:
    rng = random.Random(1)
    delays = [
        [(delivery.next_attempt(now_us=0, created_at=0, attempts=n, rng=rng) or 0) / 1e6 for _ in range(200)]
        for n in (1, 4, 8, 20)
    ]
    assert max(delays[0]) <= 2 and max(delays[1]) <= 16 and max(delays[2]) <= 256 and max(delays[3]) <= 3600
    assert min(delays[3]) < 600 < max(delays[3])  # full jitter: spread over the whole window
    assert delivery.next_attempt(now_us=24 * 3600 * 10**6, created_at=0, attempts=30, rng=rng) is None


def test_payloads_carry_no_personal_data(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    clock = Clock(now)
    receiver = Receiver(free_port(), "a-shared-secret-of-the-receiver", clock)
    webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(operator="meta", url=receiver.url, event_types=["*"], secret=receiver.secret),
        caller=Caller("Jane Moderator (tok_1)", now=now),
    )
    sanction = impose("facebook/alice", "suspension", duration="P30D")
    appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=sanction["id"],
            kind="complaint",
            filed_by={"name": "Alice Liddell", "email": "alice@example.org", "relation": "subject"},
            statement="I am Alice Liddell, write to me at alice@example.org",
            channel="web",
        ),
        caller=Caller(actor="Jane Moderator (tok_1)", now=now),
    )
    receiver.start()
    try:
        run_cycles(db, clock, 3, step=timedelta(0))  # one more event since issue 23: the statement issued
    finally:
        receiver.stop()
    bodies = b"".join(body for body, _ in receiver.raw)
    assert b"appeal.filed" in bodies
    for personal in (b"Alice Liddell", b"alice@example.org", b"Jane Moderator"):
        assert personal not in bodies
    assert AccountRef.parse("facebook/alice").account.encode() in bodies  # the platform's own id stays
