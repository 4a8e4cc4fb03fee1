"""Webhooks: endpoints registered by an operator's admins, and the signed delivery of the outbox to them.

A delivery POSTs ``{"delivery": {"id", "attempt"}, "event": {...}}`` with the headers of
``reprieve.webhooks_verify``. It is retried with exponential backoff and full jitter for at
least ``RETRY_FOR`` (24 h) after the event, then dead-lettered; an admin may redeliver it.
Payloads carry no personal data: see ``public_event``.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import secrets
import ssl
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import orjson
from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import Connection, delete, func, insert, select, update

from reprieve.domain.errors import NotFoundError, StorageError, ValidationError
from reprieve.domain.events import (
    EventType,
    NewEvent,
    WebhookCreated,
    WebhookDeleted,
    WebhookDisabled,
    WebhookEnabled,
    WebhookRedeliveryRequested,
    parse_json,
)
from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.services import egress
from reprieve.store import keys, outbox, queries, tables
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork
from reprieve.webhooks_verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET_PREFIX = "whsec_"
RETRY_FOR_US = 24 * 3600 * 1_000_000
#: Full jitter: the n-th retry waits uniform(0, min(CAP, BASE * 2**(n-1))), at least MIN.
BACKOFF_BASE_S, BACKOFF_CAP_S, BACKOFF_MIN_S = 2.0, 3600.0, 1.0
LEASE_US = 60 * 1_000_000
WEBHOOK_EVENTS = (
    EventType.WEBHOOK_CREATED,
    EventType.WEBHOOK_DISABLED,
    EventType.WEBHOOK_ENABLED,
    EventType.WEBHOOK_DELETED,
)
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


SECRET_KEY_WARNING = (
    "warning: REPRIEVE_SECRET_KEY is not set and there is no key file beside the database: the "
    "webhook signing secrets stored cannot be decrypted, so no webhook is delivered; set it to the "
    "key they were stored under (docs/operations.md)"
)


def secret_key_warning(db: Database) -> str | None:
    """The warning to give at start when webhook secrets are stored and no key can decrypt them."""
    if keys.key_ring(db.engine.url) is not None:
        return None
    with db.read() as conn:
        endpoint = conn.execute(select(tables.webhook_endpoints.c.id).limit(1)).first()
    return SECRET_KEY_WARNING if endpoint is not None else None


def _fernet(conn: Connection) -> MultiFernet:
    """Decrypts under any key of the key ring (never a key from the database), encrypts under the newest."""
    return keys.require_key_ring(conn.engine.url, create=False).fernet()


def rotate_secrets(db: Database, *, new_key: bool = False) -> int:
    """Re-encrypt every stored webhook secret under the newest key (after adding a fresh one to
    the key file first, if ``new_key``); how many were re-encrypted."""
    if new_key:
        keys.add_key(db.engine.url)
    w = tables.webhook_endpoints.c
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        fernet = _fernet(conn)
        rows = conn.execute(select(w.id, w.secret)).all()
        for id_, token in rows:
            try:
                fresh = fernet.rotate(token.encode())
            except InvalidToken:
                raise StorageError(
                    f"cannot decrypt the secret of webhook {id_}: no key of the key ring "
                    f"({keys.ENV} or the key file) is the one it was stored under; nothing was changed"
                ) from None
            conn.execute(update(tables.webhook_endpoints).where(w.id == id_).values(secret=fresh.decode()))
    return len(rows)


# --- endpoints ---------------------------------------------------------------------------


def _valid_url(url: str, resolver: egress.Resolver | None) -> str:
    """An http(s) URL whose host is, or resolves to, only addresses deliveries may go to
    (public ones, and the ranges of ``REPRIEVE_WEBHOOK_ALLOW_NETWORKS``)."""
    egress.check_url(url, policy=egress.AddressPolicy.from_environment(), resolver=resolver)
    return url


def _valid_types(event_types: Sequence[str]) -> list[str]:
    if not event_types:
        raise ValidationError("give at least one event type, or '*' for every type", field="event_types")
    known = {t.value for t in EventType} | {"*"}
    for name in event_types:
        if name not in known:
            raise ValidationError(f"unknown event type {name!r}", field="event_types")
    return sorted(set(event_types))


def create_webhook(
    db: Database,
    *,
    operator: str,
    url: str,
    event_types: Sequence[str],
    secret: str | None = None,
    description: str = "",
    actor: str,
    now: datetime,
    resolver: egress.Resolver | None = egress.system_resolver,
) -> dict[str, Any]:
    """Register an endpoint; the answer holds its secret, which is never shown again.

    ``resolver`` resolves the URL's host name to check its addresses (``None``: not resolved
    here; each delivery checks them anyway)."""
    _valid_url(url, resolver)
    types = _valid_types(event_types)
    if secret is not None and not 16 <= len(secret) <= 200:
        raise ValidationError("between 16 and 200 characters", field="secret")
    if len(description) > 500:
        raise ValidationError("at most 500 characters", field="description")
    fernet = keys.require_key_ring(db.engine.url).fernet()  # refused before anything is written
    signing = secret if secret is not None else SECRET_PREFIX + secrets.token_urlsafe(32)
    webhook_id = db.ids.new_id("whk", now)
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        uow.conn.execute(
            insert(tables.webhook_endpoints).values(
                id=webhook_id,
                operator_id=operator,
                url=url,
                event_types=json.dumps(types),
                secret=fernet.encrypt(signing.encode()).decode(),
                description=description,
                state="active",
                created_at=uow.at,
                updated_seq=uow.next_seq(),
            )
        )
        outbox.bump_version(uow.conn)
        uow.record(
            [
                NewEvent.of(
                    WebhookCreated(id=webhook_id, operator=operator, url=url, event_types=types), uow.at, operator
                )
            ]
        )
        view = _view(uow.conn, webhook_id)
    return {**view, "secret": signing}


def _row(conn: Connection, webhook_id: str, operators: list[str] | None) -> Any:
    row = conn.execute(select(tables.webhook_endpoints).where(tables.webhook_endpoints.c.id == webhook_id)).first()
    if row is None or (operators is not None and row.operator_id not in operators):
        raise NotFoundError(f"no webhook {webhook_id!r}")
    return row


def _view(conn: Connection, webhook_id: str) -> dict[str, Any]:
    row = _row(conn, webhook_id, None)
    o = tables.outbox.c
    counts: dict[str, int] = {
        state: count
        for state, count in conn.execute(select(o.state, func.count()).where(o.target == webhook_id).group_by(o.state))
    }
    return {
        "id": row.id,
        "operator": row.operator_id,
        "url": row.url,
        "event_types": json.loads(row.event_types),
        "description": row.description,
        "state": row.state,
        "created_at": row.created_at,
        "deliveries": {state: int(counts.get(state, 0)) for state in outbox.STATES},
    }


def get_webhook(db: Database, webhook_id: str, *, operators: list[str] | None = None) -> dict[str, Any]:
    with db.read() as conn:
        _row(conn, webhook_id, operators)
        return _view(conn, webhook_id)


def list_webhooks(
    db: Database,
    *,
    operator: str | None,
    operators: list[str] | None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    w = tables.webhook_endpoints.c
    query = select(w.id).order_by(w.id).limit(limit + 1)
    if operator is not None:
        query = query.where(w.operator_id == operator)
    if operators is not None:
        query = query.where(w.operator_id.in_(operators))
    if cursor is not None:
        query = query.where(w.id > queries.decode_cursor(cursor))
    with db.read() as conn:
        ids = [row[0] for row in conn.execute(query)]
        items = [_view(conn, id_) for id_ in ids[:limit]]
    more = len(ids) > limit
    return {"items": items, "next_cursor": queries.encode_cursor(ids[limit - 1]) if more else None}


def set_webhook_state(
    db: Database,
    webhook_id: str,
    *,
    active: bool,
    actor: str,
    now: datetime,
    operators: list[str] | None = None,
) -> dict[str, Any]:
    """Disable an endpoint (its pending deliveries wait, new events are not queued) or enable it again."""
    with UnitOfWork(db, actor=actor, now=now) as uow:
        row = _row(uow.conn, webhook_id, operators)
        state = "active" if active else "disabled"
        if row.state != state:
            w = tables.webhook_endpoints.c
            uow.conn.execute(
                update(tables.webhook_endpoints)
                .where(w.id == webhook_id)
                .values(
                    state=state,
                    updated_seq=uow.next_seq(),
                )
            )
            outbox.bump_version(uow.conn)
            changed = WebhookEnabled(webhook_id) if active else WebhookDisabled(webhook_id)
            uow.record([NewEvent.of(changed, uow.at, row.operator_id)])
        return _view(uow.conn, webhook_id)


def delete_webhook(
    db: Database,
    webhook_id: str,
    *,
    actor: str,
    now: datetime,
    operators: list[str] | None = None,
) -> None:
    """Delete an endpoint and its deliveries, pending or not."""
    with UnitOfWork(db, actor=actor, now=now) as uow:
        row = _row(uow.conn, webhook_id, operators)
        uow.conn.execute(delete(tables.outbox).where(tables.outbox.c.target == webhook_id))
        uow.conn.execute(delete(tables.webhook_endpoints).where(tables.webhook_endpoints.c.id == webhook_id))
        outbox.bump_version(uow.conn)
        uow.record([NewEvent.of(WebhookDeleted(id=webhook_id), uow.at, row.operator_id)])
    _secrets.pop(db, None)


# --- deliveries --------------------------------------------------------------------------


def _delivery_view(row: Any) -> dict[str, Any]:
    def instant(value: int | None) -> str | None:
        return None if value is None else format_instant(from_micros(value))

    return {
        "id": str(row.id),
        "webhook": row.target,
        "seq": row.seq,
        "type": row.type,
        "subject": row.subject,
        "state": row.state,
        "attempts": row.attempts,
        "created_at": instant(row.created_at),
        "next_attempt_at": instant(row.next_attempt_at) if row.state == outbox.PENDING else None,
        "last_attempt_at": instant(row.last_attempt_at),
        "delivered_at": instant(row.delivered_at),
        "last_error": egress.shown_failure(row.last_error),
    }


def _delivery_query() -> Any:
    o, e = tables.outbox.c, tables.events.c
    return select(
        o.id,
        o.target,
        o.seq,
        e.type,
        o.subject,
        o.state,
        o.attempts,
        o.created_at,
        o.next_attempt_at,
        o.last_attempt_at,
        o.delivered_at,
        o.last_error,
    ).join_from(tables.outbox, tables.events, e.seq == o.seq)


def list_deliveries(
    db: Database,
    webhook_id: str,
    *,
    state: str | None = None,
    operators: list[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    if state is not None and state not in outbox.STATES:
        raise ValidationError(f"one of {', '.join(outbox.STATES)}", field="state")
    o = tables.outbox.c
    query = _delivery_query().where(o.target == webhook_id).order_by(o.id.desc()).limit(limit + 1)
    if state is not None:
        query = query.where(o.state == state)
    if cursor is not None:
        after = queries.decode_cursor(cursor)
        if not after.isdigit():
            raise ValidationError("is not a cursor this server gave out", field="cursor")
        query = query.where(o.id < int(after))
    with db.read() as conn:
        _row(conn, webhook_id, operators)
        rows = list(conn.execute(query))
    items = [_delivery_view(r) for r in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": queries.encode_cursor(str(rows[limit - 1].id)) if more else None}


def _delivery_row(conn: Connection, delivery_id: str, operators: list[str] | None) -> Any:
    if not delivery_id.isdigit() or len(delivery_id) > 18:
        raise NotFoundError(f"no delivery {delivery_id!r}")
    o = tables.outbox.c
    row = conn.execute(_delivery_query().add_columns(o.operator_id).where(o.id == int(delivery_id))).first()
    if row is None or row.target == outbox.BROKER or (operators is not None and row.operator_id not in operators):
        raise NotFoundError(f"no delivery {delivery_id!r}")
    return row


def redeliver(
    db: Database,
    delivery_id: str,
    *,
    actor: str,
    now: datetime,
    operators: list[str] | None = None,
) -> dict[str, Any]:
    """Deliver again (a dead one, or one delivered already), with a fresh 24 h of retries."""
    with UnitOfWork(db, actor=actor, now=now) as uow:
        row = _delivery_row(uow.conn, delivery_id, operators)
        outbox.requeue(uow.conn, row.id, now_us=to_micros(now))
        uow.record(
            [
                NewEvent.of(
                    WebhookRedeliveryRequested(id=row.target, delivery=str(row.id), seq=row.seq),
                    uow.at,
                    row.operator_id,
                )
            ]
        )
        return _delivery_view(_delivery_row(uow.conn, delivery_id, None))


# --- payloads and signatures ---------------------------------------------------------------


def public_event(seq: int, type_: str, at: str, effective_at: str, operator: str | None, data: str) -> dict[str, Any]:
    """An event as webhooks and the broker show it: no actor, no field that may hold personal data."""
    payload = parse_json(data)
    strip = PERSONAL_FIELDS | {"name"} if type_ in NAMED_PEOPLE else PERSONAL_FIELDS
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


_secrets: WeakKeyDictionary[Database, dict[str, tuple[str, str]]] = WeakKeyDictionary()


def _endpoints(db: Database, conn: Connection, ids: set[str]) -> dict[str, tuple[str, str]]:
    """``id -> (url, secret)`` of active endpoints (URL and secret never change: cached by id)."""
    known = _secrets.setdefault(db, {})
    missing = ids - known.keys()
    if missing:
        fernet = _fernet(conn)
        w = tables.webhook_endpoints.c
        for id_, url, token in conn.execute(select(w.id, w.url, w.secret).where(w.id.in_(sorted(missing)))):
            try:
                known[id_] = (url, fernet.decrypt(token.encode()).decode())
            except InvalidToken:
                raise StorageError(
                    "cannot decrypt a webhook secret: no key of REPRIEVE_SECRET_KEY (or of the key file "
                    "beside the database) is the one it was stored under"
                ) from None
    return {id_: known[id_] for id_ in ids if id_ in known}


def active_endpoint_ids(conn: Connection) -> list[str]:
    w = tables.webhook_endpoints.c
    return [row[0] for row in conn.execute(select(w.id).where(w.state == "active"))]


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
