"""Delivery receipts of issued statements: the ``statement_deliveries`` projection of the
``statement.delivered`` events, and its reads (PRODUCT.md section 8, "The user is informed").

Registered in ``reprieve.store.projector``: live writes and ``rebuild_projections`` alike. A read
for a past ``as_of`` passes ``known`` (the seq of the last event recorded by then, ``store.asof``):
a receipt recorded later is not seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from reprieve.domain.events import StatementDelivered
from reprieve.domain.time import from_micros, parse_instant, to_micros
from reprieve.store import tables
from reprieve.store.bulk import insert_rows

if TYPE_CHECKING:
    from reprieve.store.projector import Applied, Handler, Projector

T = tables.statement_deliveries
D = T.c
_COLUMNS = ("statement_id", "operator_id", "sanction_id", "delivered_at", "channel", "recorded_seq")


@dataclass(frozen=True, slots=True)
class Delivery:
    """The first receipt of a statement: when its user received it, how, and the event recording it."""

    statement: str
    sanction: str
    delivered_at: datetime
    channel: str
    recorded_seq: int


def statements_delivered(projector: Projector, events: list[Applied[StatementDelivered]]) -> None:
    rows = [
        (
            e.event.id,
            e.event.operator,
            e.event.about,  # the sanction's id, or the content decision's
            to_micros(parse_instant(e.event.delivered_at)),
            e.event.channel,
            e.seq,
        )
        for e in events
    ]
    insert_rows(projector.conn, T, _COLUMNS, rows)


def _from_row(row: Any) -> Delivery:
    return Delivery(row.statement_id, row.sanction_id, from_micros(row.delivered_at), row.channel, row.recorded_seq)


def of_statement(conn: Connection, statement_id: str, *, known: int | None = None) -> Delivery | None:
    """The receipt of ``statement_id``, if one was recorded (by the event ``known``, if given)."""
    query = select(T).where(D.statement_id == statement_id)
    if known is not None:
        query = query.where(D.recorded_seq <= known)
    return next((_from_row(r) for r in conn.execute(query)), None)


def of_sanction(conn: Connection, sanction_id: str, *, known: int | None = None) -> dict[str, Delivery]:
    """The receipts of the statements of ``sanction_id``, by statement id."""
    query = select(T).where(D.sanction_id == sanction_id)
    if known is not None:
        query = query.where(D.recorded_seq <= known)
    return {r.statement_id: _from_row(r) for r in conn.execute(query)}


def of_statements(conn: Connection, statement_ids: Iterable[str]) -> dict[str, Delivery]:
    """The receipts of ``statement_ids`` (those that have one), by statement id."""
    wanted = sorted(set(statement_ids))
    found: dict[str, Delivery] = {}
    for start in range(0, len(wanted), 500):
        for r in conn.execute(select(T).where(D.statement_id.in_(wanted[start : start + 500]))):
            found[r.statement_id] = _from_row(r)
    return found


#: The handler of the delivery events, for ``reprieve.store.projector``.
HANDLERS: dict[type[Any], Handler] = {StatementDelivered: statements_delivered}
