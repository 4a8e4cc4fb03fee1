"""Publishing to a broker: the use case that turns it on (``runtime.broker`` publishes)."""

from __future__ import annotations

from datetime import datetime

from reprieve.domain.events import EventType, NewEvent
from reprieve.store import outbox
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork


def enable_broker(db: Database, *, actor: str, now: datetime) -> bool:
    """Have every event from now on written to the outbox for the broker; False if it already was."""
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if outbox.broker_enabled(uow.conn):
            return False
        outbox.bump_version(uow.conn, broker=True)
        uow.record([NewEvent(EventType.BROKER_ENABLED, uow.at, None, {"kind": "nats"})])
    return True
