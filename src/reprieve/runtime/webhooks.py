"""Webhook delivery: the endpoints' share of the outbox, POSTed from a pool of threads.

A delivery POSTs ``{"delivery": {"id", "attempt"}, "event": {...}}`` with the headers of
``reprieve.webhooks_verify``. It is retried with exponential backoff and full jitter for at
least ``RETRY_FOR`` (24 h) after the event, then dead-lettered; an admin may redeliver it
(``services.webhooks.redeliver``). Payloads carry no personal data: see ``public_event``.
"""

from __future__ import annotations

import asyncio
import http.client
import random
import ssl
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.fernet import InvalidToken

from reprieve.domain import events
from reprieve.domain.errors import StorageError
from reprieve.domain.events import EVENT_CLASSES, EventType, parse_json
from reprieve.domain.time import to_micros
from reprieve.services import egress
from reprieve.services.webhooks import decrypted_secrets, fernet_of
from reprieve.store import outbox
from reprieve.store import webhooks as store
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.webhooks_verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

RETRY_FOR_US = 24 * 3600 * 1_000_000
#: Full jitter: the n-th retry waits uniform(0, min(CAP, BASE * 2**(n-1))), at least MIN.
BACKOFF_BASE_S, BACKOFF_CAP_S, BACKOFF_MIN_S = 2.0, 3600.0, 1.0
LEASE_US = 60 * 1_000_000
#: Fields that may hold personal data (a requester's words, names, e-mails; who acted):
#: never in a payload.
PERSONAL_FIELDS = frozenset(
    {
        "statement",
        "reply",
        "requester",
        "filed_by",
        "email",
        "display_name",
        "decided_by",
        "opened_by",
        "panel",
    }
)
#: Events whose ``name`` is a person's (a token or console member named after someone).
NAMED_PEOPLE = frozenset({EventType.TOKEN_CREATED.value, EventType.MEMBER_CREATED.value})


# --- payloads and signatures ---------------------------------------------------------------


def public_event(seq: int, type_: str, at: str, effective_at: str, operator: str | None, data: str) -> dict[str, Any]:
    """An event as webhooks and the broker show it: no actor, no field that may hold personal data."""
    payload = parse_json(data)
    strip = PERSONAL_FIELDS | {"name"} if type_ in NAMED_PEOPLE else PERSONAL_FIELDS
    declared = EVENT_CLASSES.get(type_)
    if declared is not None:
        strip = strip | events.PERSONAL_FIELDS[declared]  # what each event class declares
    clean = {k: v for k, v in payload.items() if k not in strip}
    return {"seq": seq, "type": type_, "at": at, "effective_at": effective_at, "operator": operator, "data": clean}


def delivery_body(claimed: outbox.Claimed) -> bytes:
    event = public_event(claimed.seq, claimed.type, claimed.at, claimed.effective_at, claimed.operator, claimed.data)
    return orjson.dumps({"delivery": {"id": str(claimed.id), "attempt": claimed.attempts + 1}, "event": event})


def next_attempt(
    *,
    now_us: int,
    created_at: int,
    attempts: int,
    rng: random.Random,
    retry_for_us: int | None = RETRY_FOR_US,
) -> int | None:
    """When to try again after the ``attempts``-th failure; None: dead-letter (retried for long enough)."""
    if retry_for_us is not None and now_us - created_at >= retry_for_us:
        return None
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(attempts - 1, 30))
    delay = max(BACKOFF_MIN_S, rng.uniform(0, ceiling))
    return now_us + int(delay * 1_000_000)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead


def _endpoints(db: Database, conn: Connection, ids: set[str]) -> dict[str, tuple[str, str]]:
    """``id -> (url, secret)`` of active endpoints (URL and secret never change: cached by id)."""
    known = decrypted_secrets.setdefault(db, {})
    missing = ids - known.keys()
    if missing:
        fernet = fernet_of(conn)
        for id_, url, token in store.endpoint_secrets(conn, missing):
            try:
                known[id_] = (url, fernet.decrypt(token.encode()).decode())
            except InvalidToken:
                raise StorageError(
                    "cannot decrypt a webhook secret: no key of REPRIEVE_SECRET_KEY (or of the key file "
                    "beside the database) is the one it was stored under"
                ) from None
    return {id_: known[id_] for id_ in ids if id_ in known}


def active_endpoint_ids(conn: Connection) -> list[str]:
    return store.active_endpoint_ids(conn)


class Sender:
    """POSTs from a pool of threads, each keeping one keep-alive connection per origin.

    The standard library's ``http.client`` in threads: on this kind of small request it sends
    several times more per second than the async clients measured (docs/webhooks.md). Each new
    connection resolves the host through ``resolver``, checks every address against ``policy``
    (default: ``REPRIEVE_WEBHOOK_ALLOW_NETWORKS`` as set when the Sender is made) and connects to a checked address."""

    #: At most this much of an answer's body is read; past it, the connection is dropped.
    MAX_ANSWER = 64 * 1024

    def __init__(
        self,
        concurrency: int = 64,
        timeout: float = 10.0,
        *,
        policy: egress.AddressPolicy | None = None,
        resolver: egress.Resolver = egress.system_resolver,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self.policy = policy if policy is not None else egress.AddressPolicy.from_environment()
        self.resolver = resolver
        self._tls = tls
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="reprieve-webhook")
        self._local = threading.local()

    @property
    def tls(self) -> ssl.SSLContext:
        """The TLS context of every https endpoint: the system's CAs, loaded on first use."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        addresses = egress.checked_addresses(host, port, policy=self.policy, resolver=self.resolver)
        if scheme == "https":
            return egress.PinnedHTTPSConnection(host, port, addresses=addresses, timeout=self.timeout, context=self.tls)
        return egress.PinnedHTTPConnection(host, port, addresses=addresses, timeout=self.timeout)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> str | None:
        """None if the endpoint answered 2xx, else what went wrong: ``HTTP <status>`` or one of
        ``egress.FAILURE_CLASSES``, never what the other side or the operating system said."""
        try:
            parts = urlsplit(url)
            if egress.unsafe_url(url) or parts.scheme not in ("http", "https") or not parts.hostname:
                return "invalid URL"
            key = (parts.scheme, parts.hostname, egress.default_port(parts))
        except ValueError:
            return "invalid URL"
        try:
            return self._post(key, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
        except Exception as exc:  # a delivery's failure is recorded, it never stops the others
            return egress.failure_class(exc)

    def _post(self, key: tuple[str, str, int], path: str, body: bytes, headers: dict[str, str]) -> str | None:
        connections: dict[tuple[str, str, int], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "connections", {}
        )
        reused = key in connections
        while True:
            conn = connections.get(key) or connections.setdefault(key, self._connection(*key))
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read(self.MAX_ANSWER)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                connections.pop(key, None)
                if reused:  # the server closed an idle keep-alive connection: once more on a new one
                    reused = False
                    continue
                raise
            except BaseException:
                conn.close()
                connections.pop(key, None)
                raise
            if response.will_close or not response.isclosed():
                conn.close()
                connections.pop(key, None)
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}" if 100 <= response.status < 600 else "invalid answer"

    def close(self) -> None:
        self.pool.shutdown(wait=True)


@dataclass
class _Batch:
    claimed: list[outbox.Claimed]
    endpoints: dict[str, tuple[str, str]]
    timestamp: int


def _claim_batch(db: Database, at: datetime, owner: str, limit: int) -> _Batch | None:
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        targets = active_endpoint_ids(conn)
        if not targets:
            return None
        claimed = outbox.claim(conn, owner=owner, now_us=to_micros(at), lease_us=LEASE_US, limit=limit, targets=targets)
        if not claimed:
            return None
        return _Batch(claimed, _endpoints(db, conn, {c.target for c in claimed}), int(at.timestamp()))


def _settle_batch(
    db: Database,
    batch: _Batch,
    errors: Sequence[str | None],
    *,
    done: datetime,
    owner: str,
    rng: random.Random,
) -> DeliveryReport:
    delivered, retries, dead = [], [], []
    done_us = to_micros(done)
    for item, error in zip(batch.claimed, errors, strict=True):
        if error is None:
            delivered.append(item.id)
            continue
        at = next_attempt(now_us=done_us, created_at=item.created_at, attempts=item.attempts + 1, rng=rng)
        if at is None:
            dead.append((item.id, error))
        else:
            retries.append((item.id, at, error))
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        outbox.settle(conn, owner=owner, now_us=done_us, delivered=delivered, retries=retries, dead=dead)
    return DeliveryReport(len(delivered), len(retries), len(dead))


async def deliver_due(
    db: Database,
    sender: Sender,
    *,
    now: Callable[[], datetime],
    owner: str,
    limit: int = 1000,
    rounds: int = 1,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Up to ``rounds`` rounds of: lease up to ``limit`` deliveries due (one per subject), POST them
    concurrently, record the outcome. The next round's lease is taken while this round's POSTs
    are in flight (its rows are leased, so the next round takes other subjects)."""
    rng = rng or random.Random()
    loop = asyncio.get_running_loop()

    async def post(item: outbox.Claimed, batch: _Batch) -> str | None:
        url, secret = batch.endpoints[item.target]
        body = delivery_body(item)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Reprieve-Webhooks/1",
            "Reprieve-Delivery": str(item.id),
            "Reprieve-Event-Seq": str(item.seq),
            "Reprieve-Event-Type": item.type,
            TIMESTAMP_HEADER: str(batch.timestamp),
            SIGNATURE_HEADER: sign(secret, batch.timestamp, body),
        }
        return await loop.run_in_executor(sender.pool, sender.post, url, body, headers)

    report = DeliveryReport()
    batch = await loop.run_in_executor(None, _claim_batch, db, now(), owner, limit)
    done = 0
    while batch is not None:
        done += 1
        posting = asyncio.gather(*(post(item, batch) for item in batch.claimed))
        following = loop.run_in_executor(None, _claim_batch, db, now(), owner, limit) if done < rounds else None
        errors = await posting
        settled = await loop.run_in_executor(
            None, partial(_settle_batch, db, batch, errors, done=now(), owner=owner, rng=rng)
        )
        report.delivered += settled.delivered
        report.retried += settled.retried
        report.dead += settled.dead
        batch = await following if following is not None else None
    return report
