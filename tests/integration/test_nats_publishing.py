"""Publishing to NATS JetStream, against the real server on 127.0.0.1:4222 (skipped if unreachable)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select, update
from webhook_support import Clock, run_cycles

from reprieve.runtime.broker import STREAM
from reprieve.services import catalogue
from reprieve.services.callers import Caller
from reprieve.store import outbox, tables
from reprieve.store.db import Database

NATS_URL = os.environ.get("REPRIEVE_TEST_NATS_URL", "nats://127.0.0.1:4222")
ACTOR = "test-suite"


def _reachable() -> bool:
    host, port = NATS_URL.rsplit("//", 1)[-1].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _reachable(), reason=f"no NATS server at {NATS_URL}")


async def read_back(operator: str, count: int) -> list[tuple[str, dict[str, Any], str]]:
    """``(subject, payload, Nats-Msg-Id)`` of the first ``count`` messages of ``operator``'s subjects."""
    nc = NATS()
    await nc.connect(servers=[NATS_URL])
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"reprieve.{operator}.>", durable=None, stream=STREAM)
        got: list[tuple[str, dict[str, Any], str]] = []
        while len(got) < count:
            try:
                batch = await sub.fetch(count - len(got), timeout=2)
            except TimeoutError:
                break
            for msg in batch:
                got.append((msg.subject, json.loads(msg.data), (msg.headers or {}).get("Nats-Msg-Id", "")))
                await msg.ack()
        # Anything beyond ``count`` would be a duplicate.
        try:
            extra = await sub.fetch(1, timeout=0.5)
        except TimeoutError:
            extra = []
        got.extend((m.subject, json.loads(m.data), "") for m in extra)
        return got
    finally:
        await nc.close()


def test_events_published_once_each_with_their_seq(
    db: Database, impose: Callable[..., dict[str, Any]], now: datetime
) -> None:
    operator = f"nt{secrets.token_hex(4)}"  # the stream outlives the test: subjects of our own
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id=operator, name="NATS test"), caller=Caller(ACTOR, now=now)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id=f"{operator}-p", operator=operator, name="P"),
        caller=Caller(ACTOR, now=now),
    )
    clock = Clock(now)
    run_cycles(db, clock, 1, step=timedelta(0), nats_url=NATS_URL)  # enables the broker
    for i in range(5):
        # Warnings: two events each (a suspension would add its statement.issued, issue 23, on a
        # subject of its own, which the broker publishes in its own turn).
        impose(f"{operator}-p/user{i}", "warning")
    o = tables.outbox.c
    with db.read() as conn:
        seqs = [r.seq for r in conn.execute(select(o.seq).where(o.operator_id == operator).order_by(o.seq))]
    assert len(seqs) == 10  # account.registered and sanction.imposed, five times
    reports = run_cycles(db, clock, 3, step=timedelta(seconds=5), nats_url=NATS_URL)
    assert sum(r.published for r in reports) == 10
    with db.read() as conn:
        assert outbox.depth(conn)[0] == 0

    # A crash after publishing but before recording it: the rows are published again,
    # and JetStream drops the copies by their Nats-Msg-Id.
    with db.engine.begin() as conn:
        conn.execute(update(tables.outbox).where(o.operator_id == operator).values(state="pending"))
    assert sum(r.published for r in run_cycles(db, clock, 2, step=timedelta(seconds=5), nats_url=NATS_URL)) == 10

    got = asyncio.run(read_back(operator, 10))
    assert [p["seq"] for _, p, _ in got] == seqs
    assert [msg_id.split(".")[0] for _, _, msg_id in got] == [str(s) for s in seqs]
    assert {subject for subject, _, _ in got} == {
        f"reprieve.{operator}.account.registered",
        f"reprieve.{operator}.sanction.imposed",
    }
    assert all("actor" not in p for _, p, _ in got)
