"""Publishing to a broker: the use case that turns it on (``runtime.broker`` publishes)."""

from __future__ import annotations

from datetime import datetime

from reprieve.domain.events import BrokerEnabled, NewEvent
from reprieve.store import outbox
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork


def enable_broker(db: Database, *, actor: str, now: datetime) -> bool:
    """Have every event from now on written to the outbox for the broker; False if it already was."""
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if outbox.broker_enabled(uow.conn):
            return False
        outbox.bump_version(uow.conn, broker=True)
        uow.record([NewEvent.of(BrokerEnabled(kind="nats"), uow.at, None)])
    return True
