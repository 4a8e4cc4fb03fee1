"""How long an appeal may wait, per operator, before the worker announces it overdue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reprieve.domain.errors import NotFoundError
from reprieve.domain.events import AppealTargetSet, NewEvent
from reprieve.domain.time import Duration
from reprieve.services.callers import Caller
from reprieve.store import queries
from reprieve.store import worker as store
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

DEFAULT_APPEAL_TARGET = "P14D"


@dataclass(frozen=True, slots=True)
class AppealTargetView:
    """How long an operator's appeals may wait before the worker announces them overdue."""

    operator: str
    appeal_target: Duration

    def to_json(self) -> dict[str, Any]:
        return {"operator": self.operator, "appeal_target": str(self.appeal_target)}


def set_appeal_target(db: Database, operator: str, target: Duration, *, caller: Caller) -> AppealTargetView:
    """Set how long an appeal may wait before the worker announces it overdue (default P14D)."""
    duration = target
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        store.set_appeal_target(uow.conn, operator, str(duration), updated_seq=uow.next_seq())
        uow.record([NewEvent.of(AppealTargetSet(operator=operator, appeal_target=str(duration)), uow.at, operator)])
    return AppealTargetView(operator, duration)


def appeal_targets(conn: Connection) -> dict[str, str]:
    return store.appeal_targets(conn)
