"""Webhook endpoints (``webhook_endpoints``) and their deliveries (their rows of ``outbox``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from reprieve.store import tables
from reprieve.store.db import Database

W = tables.webhook_endpoints.c
O = tables.outbox.c  # noqa: E741 - the outbox's columns, as elsewhere in store/
E = tables.events.c


def any_endpoint(conn: Connection) -> bool:
    return conn.execute(select(W.id).limit(1)).first() is not None


def rotate_secrets(db: Database, rotate: Callable[[str, str], str]) -> int:
    """Replace each endpoint's stored secret by ``rotate(id, secret)``, in one transaction (all or
    nothing); how many there were."""
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        rows = conn.execute(select(W.id, W.secret)).all()
        for id_, token in rows:
            conn.execute(update(tables.webhook_endpoints).where(W.id == id_).values(secret=rotate(id_, token)))
    return len(rows)


def insert_endpoint(conn: Connection, **values: Any) -> None:
    conn.execute(insert(tables.webhook_endpoints).values(**values))


def endpoint_row(conn: Connection, webhook_id: str) -> Any:
    """The endpoint's row, or None."""
    return conn.execute(select(tables.webhook_endpoints).where(W.id == webhook_id)).first()


def delivery_counts(conn: Connection, webhook_id: str) -> dict[str, int]:
    """The endpoint's deliveries by state (the states with none are absent)."""
    query = select(O.state, func.count()).where(O.target == webhook_id).group_by(O.state)
    return {state: count for state, count in conn.execute(query)}


def endpoint_ids(
    conn: Connection, *, operator: str | None, operators: Sequence[str] | None, after: str | None, limit: int
) -> list[str]:
    """Endpoint ids by id after ``after``, of ``operator`` and among ``operators`` (None: any)."""
    query = select(W.id).order_by(W.id).limit(limit)
    if operator is not None:
        query = query.where(W.operator_id == operator)
    if operators is not None:
        query = query.where(W.operator_id.in_(operators))
    if after is not None:
        query = query.where(W.id > after)
    return [row[0] for row in conn.execute(query)]


def set_endpoint_state(conn: Connection, webhook_id: str, state: str, *, updated_seq: int) -> None:
    conn.execute(
        update(tables.webhook_endpoints)
        .where(W.id == webhook_id)
        .values(
            state=state,
            updated_seq=updated_seq,
        )
    )


def delete_endpoint(conn: Connection, webhook_id: str) -> None:
    """Delete the endpoint and its deliveries, pending or not."""
    conn.execute(delete(tables.outbox).where(O.target == webhook_id))
    conn.execute(delete(tables.webhook_endpoints).where(W.id == webhook_id))


def _delivery_query() -> Any:
    return select(
        O.id,
        O.target,
        O.seq,
        E.type,
        O.subject,
        O.state,
        O.attempts,
        O.created_at,
        O.next_attempt_at,
        O.last_attempt_at,
        O.delivered_at,
        O.last_error,
    ).join_from(tables.outbox, tables.events, E.seq == O.seq)


def delivery_rows(conn: Connection, webhook_id: str, *, state: str | None, before: int | None, limit: int) -> list[Any]:
    """The endpoint's deliveries, newest first, before id ``before`` (None: from the newest)."""
    query = _delivery_query().where(O.target == webhook_id).order_by(O.id.desc()).limit(limit)
    if state is not None:
        query = query.where(O.state == state)
    if before is not None:
        query = query.where(O.id < before)
    return list(conn.execute(query))


def delivery_row(conn: Connection, delivery_id: int) -> Any:
    """The delivery (with its operator), or None."""
    return conn.execute(_delivery_query().add_columns(O.operator_id).where(O.id == delivery_id)).first()


def endpoint_secrets(conn: Connection, ids: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(id, url, encrypted secret)`` of the endpoints ``ids``."""
    return [
        (id_, url, token)
        for id_, url, token in conn.execute(select(W.id, W.url, W.secret).where(W.id.in_(sorted(ids))))
    ]


def active_endpoint_ids(conn: Connection) -> list[str]:
    return [row[0] for row in conn.execute(select(W.id).where(W.state == "active"))]
