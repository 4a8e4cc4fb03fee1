"""Publishing the outbox to NATS JetStream, for consumers who prefer a broker to webhooks.

Each event goes to ``reprieve.<operator>.<event type>`` (``_instance`` for instance-wide events)
in the stream ``REPRIEVE`` (created if missing), with ``Nats-Msg-Id`` naming the event (``message_id``):
a publication repeated after a crash is dropped by JetStream's de-duplication window. A row
leaves the outbox only once JetStream acknowledged it, so nothing is lost; the broker is never
dead-lettered, only retried.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import datetime

import orjson
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError as StreamNotFound

from reprieve.domain.time import to_micros
from reprieve.runtime.webhooks import DeliveryReport, next_attempt, public_event
from reprieve.store import outbox
from reprieve.store.db import Database

STREAM = "REPRIEVE"
SUBJECTS = "reprieve.>"
LEASE_US = 60 * 1_000_000


def subject_for(operator: str | None, type_: str) -> str:
    return f"reprieve.{operator or '_instance'}.{type_}"


def message_id(item: outbox.Claimed) -> str:
    """``<seq>.<start of the event's hash>``: the same for every publication of one event, and,
    unlike the seq alone, distinct between two installations (or test databases) sharing a stream."""
    return f"{item.seq}.{item.hash[:16]}"


class Publisher:
    """A connection to NATS and its JetStream context; ``connect`` makes the stream if missing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.nc: NATS | None = None
        self.js: JetStreamContext | None = None

    async def connect(self) -> JetStreamContext:
        if self.js is not None and self.nc is not None and self.nc.is_connected:
            return self.js
        nc = NATS()
        await nc.connect(servers=[self.url], connect_timeout=2, max_reconnect_attempts=1, allow_reconnect=False)
        js = nc.jetstream()
        try:
            await js.stream_info(STREAM)
        except StreamNotFound:
            await js.add_stream(name=STREAM, subjects=[SUBJECTS])
        self.nc, self.js = nc, js
        return js

    async def close(self) -> None:
        nc, self.nc, self.js = self.nc, None, None
        if nc is not None and not nc.is_closed:
            try:
                await nc.drain()
            except (NatsError, OSError, TimeoutError):
                await nc.close()  # a broken connection: nothing left to flush


async def publish_due(
    db: Database,
    publisher: Publisher,
    *,
    now: Callable[[], datetime],
    owner: str,
    limit: int = 1000,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """One round: lease the broker's rows due, publish them (one per subject at a time), record the outcome."""
    rng = rng or random.Random()
    now_us = to_micros(now())
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        claimed = outbox.claim(
            conn, owner=owner, now_us=now_us, lease_us=LEASE_US, limit=limit, targets=[outbox.BROKER]
        )
    if not claimed:
        return DeliveryReport()
    try:
        js = await publisher.connect()
    except (TimeoutError, NatsError, OSError) as exc:
        js, failure = None, f"cannot connect to NATS: {type(exc).__name__}: {exc}"

    async def publish(item: outbox.Claimed) -> str | None:
        if js is None:
            return failure
        event = public_event(item.seq, item.type, item.at, item.effective_at, item.operator, item.data)
        try:
            await js.publish(
                subject_for(item.operator, item.type),
                orjson.dumps(event),
                stream=STREAM,
                headers={"Nats-Msg-Id": message_id(item), "Reprieve-Event-Seq": str(item.seq)},
            )
        except (TimeoutError, NatsError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return None

    errors = await asyncio.gather(*(publish(item) for item in claimed))
    done_us = to_micros(now())
    delivered, retries = [], []
    for item, error in zip(claimed, errors, strict=True):
        if error is None:
            delivered.append(item.id)
        else:
            at = next_attempt(
                now_us=done_us, created_at=item.created_at, attempts=item.attempts + 1, rng=rng, retry_for_us=None
            )
            assert at is not None
            retries.append((item.id, at, error))
    if retries:
        await publisher.close()  # reconnect afresh next round
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        outbox.settle(conn, owner=owner, now_us=done_us, delivered=delivered, retries=retries, dead=[])
    return DeliveryReport(delivered=len(delivered), retried=len(retries))
