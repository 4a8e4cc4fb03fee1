"""Reads of content decisions beyond ``store.content``: their backdated reasons, and the rows a
list asks for (``GET /v1/content-decisions``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, select

from reprieve.domain.content import ContentDecision
from reprieve.domain.time import parse_instant
from reprieve.store import personal, tables
from reprieve.store.queries import decode_cursor, encode_cursor

CD = tables.content_decisions.c
CS = tables.content_spans.c
E = tables.events.c


@dataclass(frozen=True, slots=True)
class ContentFilter:
    """What a list of content decisions keeps; ``operators`` None: every operator's."""

    operators: Sequence[str] | None = None
    platform: str | None = None
    account: str | None = None  #: the author: ``platform/account``, or an account id alone
    item: str | None = None  #: the platform's id of the item
    active_at_us: int | None = None  #: only those in force at this instant (µs), by their spans


def with_backdated_reasons(conn: Connection, decisions: Sequence[ContentDecision]) -> None:
    """Fill in each backdated change's reason (from ``personal_data``; None once erased) and the
    instant it was recorded (its event's): nothing to read for a decision never backdated."""
    marked = [(d, i) for d in decisions for i, c in enumerate(d.changes) if c.backdated_ref is not None]
    if not marked:
        return
    texts = personal.read_many(conn, [d.changes[i].backdated_ref for d, i in marked])
    seqs = sorted({d.changes[i].seq for d, i in marked})
    recorded = {seq: at for seq, at in conn.execute(select(E.seq, E.at).where(E.seq.in_(seqs)))}
    for decision, i in marked:
        change = decision.changes[i]
        found = texts.get(change.backdated_ref or "")
        at = recorded.get(change.seq)
        decision.changes[i] = replace(
            change,
            backdated_reason=found.value if found is not None else None,
            recorded_at=parse_instant(at) if at else None,
        )


def list_decision_rows(
    conn: Connection,
    f: ContentFilter,
    *,
    limit: int,
    cursor: str | None,
    created: Callable[[Any], ColumnElement[bool]] | None = None,
) -> tuple[list[Any], str | None]:
    """Rows of ``content_decisions`` matching ``f``, by id; returns the page and the next cursor.
    ``created``: a condition on ``created_seq`` (a read as of a past recording instant)."""
    query = select(tables.content_decisions).order_by(CD.id).limit(limit + 1)
    if created is not None:
        query = query.where(created(CD.created_seq))
    if cursor:
        query = query.where(CD.id > decode_cursor(cursor))
    if f.operators is not None:
        query = query.where(CD.operator_id.in_(list(f.operators)))
    if f.platform:
        query = query.where(CD.platform_id == f.platform)
    if f.account:
        platform, slash, account = f.account.partition("/")
        if slash:
            query = query.where(CD.platform_id == platform, CD.author_account == account)
        else:
            query = query.where(CD.author_account == f.account)
    if f.item:
        query = query.where(CD.item_id == f.item)
    if f.active_at_us is not None:
        at = f.active_at_us
        query = query.where(exists().where(CS.decision_id == CD.id, CS.active_from <= at, CS.active_until > at))
    rows = list(conn.execute(query))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
