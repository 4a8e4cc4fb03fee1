"""Webhooks: the endpoints an operator's admins register, disable, enable, delete, and the
deliveries they list and redeliver. Delivery itself (signed POSTs, retries) is ``runtime.webhooks``."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.fernet import InvalidToken, MultiFernet

from reprieve.domain.errors import NotFoundError, StorageError, ValidationError
from reprieve.domain.events import (
    EventType,
    NewEvent,
    WebhookCreated,
    WebhookDeleted,
    WebhookDisabled,
    WebhookEnabled,
    WebhookRedeliveryRequested,
)
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.services import egress
from reprieve.services.callers import Caller
from reprieve.services.viewing import Page
from reprieve.store import keys, outbox, queries
from reprieve.store import webhooks as store
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

SECRET_PREFIX = "whsec_"
WEBHOOK_EVENTS = (
    EventType.WEBHOOK_CREATED,
    EventType.WEBHOOK_DISABLED,
    EventType.WEBHOOK_ENABLED,
    EventType.WEBHOOK_DELETED,
)
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
        stored = store.any_endpoint(conn)
    return SECRET_KEY_WARNING if stored else None


#: ``id -> (url, secret)`` of endpoints, by database, as delivery decrypted them (forgotten on delete).
decrypted_secrets: WeakKeyDictionary[Database, dict[str, tuple[str, str]]] = WeakKeyDictionary()


def fernet_of(conn: Connection) -> MultiFernet:
    """Decrypts under any key of the key ring (never a key from the database), encrypts under the newest."""
    return keys.require_key_ring(conn.engine.url, create=False).fernet()


def rotate_secrets(db: Database, *, new_key: bool = False) -> int:
    """Re-encrypt every stored webhook secret under the newest key (after adding a fresh one to
    the key file first, if ``new_key``); how many were re-encrypted."""
    if new_key:
        keys.add_key(db.engine.url)
    fernet = keys.require_key_ring(db.engine.url, create=False).fernet()

    def rotate(id_: str, token: str) -> str:
        try:
            return fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise StorageError(
                f"cannot decrypt the secret of webhook {id_}: no key of the key ring "
                f"({keys.ENV} or the key file) is the one it was stored under; nothing was changed"
            ) from None

    return store.rotate_secrets(db, rotate)


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


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    pending: int
    delivered: int
    dead: int

    def to_json(self) -> dict[str, Any]:
        return {outbox.PENDING: self.pending, outbox.DELIVERED: self.delivered, outbox.DEAD: self.dead}


@dataclass(frozen=True, slots=True)
class WebhookView:
    """An endpoint as its admins see it (never its secret) and how many of its deliveries are in each state."""

    id: str
    operator: str
    url: str
    event_types: tuple[str, ...]
    description: str
    state: str
    created_at: datetime
    deliveries: DeliveryCounts

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "url": self.url,
            "event_types": list(self.event_types),
            "description": self.description,
            "state": self.state,
            "created_at": format_instant(self.created_at),
            "deliveries": self.deliveries.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CreatedWebhookView:
    """An endpoint just registered, with its signing secret: the one answer that shows it."""

    webhook: WebhookView
    secret: str = field(repr=False)  # never in a log line

    @property
    def id(self) -> str:
        return self.webhook.id

    def to_json(self) -> dict[str, Any]:
        return {**self.webhook.to_json(), "secret": self.secret}


@dataclass(frozen=True, slots=True)
class CreateWebhook:
    """An endpoint to register; ``operator`` None: the caller's own (a caller of one operator)."""

    operator: str | None
    url: str
    event_types: Sequence[str]
    secret: str | None = None
    description: str = ""


def create_webhook(
    db: Database,
    command: CreateWebhook,
    *,
    caller: Caller,
    resolver: egress.Resolver | None = egress.system_resolver,
) -> CreatedWebhookView:
    """Register an endpoint of an operator the caller sees; the answer holds its secret, which is
    never shown again.

    ``resolver`` resolves the URL's host name to check its addresses (``None``: not resolved
    here; each delivery checks them anyway)."""
    operator = command.operator
    if operator is not None:
        caller.ensure_sees(operator, "operator", operator)
    elif caller.operators is not None and len(caller.operators) == 1:
        operator = caller.operators[0]
    else:
        raise ValidationError("an instance-admin names the operator", field="operator")
    url, secret, description = command.url, command.secret, command.description
    _valid_url(url, resolver)
    types = _valid_types(command.event_types)
    if secret is not None and not 16 <= len(secret) <= 200:
        raise ValidationError("between 16 and 200 characters", field="secret")
    if len(description) > 500:
        raise ValidationError("at most 500 characters", field="description")
    fernet = keys.require_key_ring(db.engine.url).fernet()  # refused before anything is written
    signing = secret if secret is not None else SECRET_PREFIX + secrets.token_urlsafe(32)
    now = caller.instant
    webhook_id = db.ids.new_id("whk", now)
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        store.insert_endpoint(
            uow.conn,
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
        outbox.bump_version(uow.conn)
        uow.record(
            [
                NewEvent.of(
                    WebhookCreated(id=webhook_id, operator=operator, url=url, event_types=types), uow.at, operator
                )
            ]
        )
        view = _view(uow.conn, webhook_id)
    return CreatedWebhookView(view, signing)


def _row(conn: Connection, webhook_id: str, caller: Caller | None) -> Any:
    """The endpoint's row; NotFoundError if none the caller sees (None: the installation, every one)."""
    row = store.endpoint_row(conn, webhook_id)
    if row is None or (caller is not None and not caller.sees(row.operator_id)):
        raise NotFoundError(f"no webhook {webhook_id!r}")
    return row


def _view(conn: Connection, webhook_id: str) -> WebhookView:
    row = _row(conn, webhook_id, None)
    counts = store.delivery_counts(conn, webhook_id)
    return WebhookView(
        row.id,
        row.operator_id,
        row.url,
        tuple(json.loads(row.event_types)),
        row.description,
        row.state,
        parse_instant(row.created_at),
        DeliveryCounts(*(int(counts.get(state, 0)) for state in outbox.STATES)),
    )


def get_webhook(db: Database, webhook_id: str, *, caller: Caller | None = None) -> WebhookView:
    with db.read() as conn:
        _row(conn, webhook_id, caller)
        return _view(conn, webhook_id)


def list_webhooks(
    db: Database,
    *,
    operator: str | None,
    caller: Caller,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[WebhookView]:
    """The endpoints of ``operator`` (None: every one) among those the caller sees, by id."""
    after = queries.decode_cursor(cursor) if cursor is not None else None
    operators = list(caller.operators) if caller.operators is not None else None
    with db.read() as conn:
        ids = store.endpoint_ids(conn, operator=operator, operators=operators, after=after, limit=limit + 1)
        items = tuple(_view(conn, id_) for id_ in ids[:limit])
    more = len(ids) > limit
    return Page(items, queries.encode_cursor(ids[limit - 1]) if more else None)


def set_webhook_state(
    db: Database,
    webhook_id: str,
    *,
    active: bool,
    caller: Caller,
) -> WebhookView:
    """Disable an endpoint (its pending deliveries wait, new events are not queued) or enable it again."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        row = _row(uow.conn, webhook_id, caller)
        state = "active" if active else "disabled"
        if row.state != state:
            store.set_endpoint_state(uow.conn, webhook_id, state, updated_seq=uow.next_seq())
            outbox.bump_version(uow.conn)
            changed = WebhookEnabled(webhook_id) if active else WebhookDisabled(webhook_id)
            uow.record([NewEvent.of(changed, uow.at, row.operator_id)])
        return _view(uow.conn, webhook_id)


def delete_webhook(
    db: Database,
    webhook_id: str,
    *,
    caller: Caller,
) -> None:
    """Delete an endpoint and its deliveries, pending or not."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        row = _row(uow.conn, webhook_id, caller)
        store.delete_endpoint(uow.conn, webhook_id)
        outbox.bump_version(uow.conn)
        uow.record([NewEvent.of(WebhookDeleted(id=webhook_id), uow.at, row.operator_id)])
    decrypted_secrets.pop(db, None)


# --- deliveries --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One delivery of an event to an endpoint; ``next_attempt_at`` only while it is pending."""

    id: str
    webhook: str
    seq: int
    type: str
    subject: str
    state: str
    attempts: int
    created_at: datetime | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook": self.webhook,
            "seq": self.seq,
            "type": self.type,
            "subject": self.subject,
            "state": self.state,
            "attempts": self.attempts,
            "created_at": format_instant(self.created_at),
            "next_attempt_at": format_instant(self.next_attempt_at),
            "last_attempt_at": format_instant(self.last_attempt_at),
            "delivered_at": format_instant(self.delivered_at),
            "last_error": self.last_error,
        }


def _delivery_view(row: Any) -> DeliveryView:
    def instant(value: int | None) -> datetime | None:
        return None if value is None else from_micros(value)

    return DeliveryView(
        str(row.id),
        row.target,
        row.seq,
        row.type,
        row.subject,
        row.state,
        row.attempts,
        instant(row.created_at),
        instant(row.next_attempt_at) if row.state == outbox.PENDING else None,
        instant(row.last_attempt_at),
        instant(row.delivered_at),
        egress.shown_failure(row.last_error),
    )


def list_deliveries(
    db: Database,
    webhook_id: str,
    *,
    state: str | None = None,
    caller: Caller | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[DeliveryView]:
    if state is not None and state not in outbox.STATES:
        raise ValidationError(f"one of {', '.join(outbox.STATES)}", field="state")
    before = None
    if cursor is not None:
        after = queries.decode_cursor(cursor)
        if not after.isdigit():
            raise ValidationError("is not a cursor this server gave out", field="cursor")
        before = int(after)
    with db.read() as conn:
        _row(conn, webhook_id, caller)
        rows = store.delivery_rows(conn, webhook_id, state=state, before=before, limit=limit + 1)
    items = tuple(_delivery_view(r) for r in rows[:limit])
    more = len(rows) > limit
    return Page(items, queries.encode_cursor(str(rows[limit - 1].id)) if more else None)


def _delivery_row(conn: Connection, delivery_id: str, caller: Caller | None) -> Any:
    if not delivery_id.isdigit() or len(delivery_id) > 18:
        raise NotFoundError(f"no delivery {delivery_id!r}")
    row = store.delivery_row(conn, int(delivery_id))
    if row is None or row.target == outbox.BROKER or (caller is not None and not caller.sees(row.operator_id)):
        raise NotFoundError(f"no delivery {delivery_id!r}")
    return row


def redeliver(
    db: Database,
    delivery_id: str,
    *,
    caller: Caller,
) -> DeliveryView:
    """Deliver again (a dead one, or one delivered already), with a fresh 24 h of retries."""
    now = caller.instant
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        row = _delivery_row(uow.conn, delivery_id, caller)
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
