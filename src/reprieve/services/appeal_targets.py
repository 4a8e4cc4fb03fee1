"""How long an appeal may wait, per operator, before the worker announces it overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reprieve.domain.errors import NotFoundError
from reprieve.domain.events import AppealTargetSet, NewEvent
from reprieve.domain.time import parse_duration
from reprieve.store import queries
from reprieve.store import worker as store
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

DEFAULT_APPEAL_TARGET = "P14D"


def set_appeal_target(db: Database, operator: str, target: str, *, actor: str, now: datetime) -> dict[str, Any]:
    """Set how long an appeal may wait before the worker announces it overdue (default P14D)."""
    duration = parse_duration(target, field="appeal_target")
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        store.set_appeal_target(uow.conn, operator, str(duration), updated_seq=uow.next_seq())
        uow.record([NewEvent.of(AppealTargetSet(operator=operator, appeal_target=str(duration)), uow.at, operator)])
    return {"operator": operator, "appeal_target": str(duration)}


def appeal_targets(conn: Connection) -> dict[str, str]:
    return store.appeal_targets(conn)
