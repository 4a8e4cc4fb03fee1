"""What an appeal code is derived from: the sanction's creation event, and the legacy codes' bound."""

from __future__ import annotations

from sqlalchemy import Connection, select

from reprieve.store import tables


def sanction_creation(conn: Connection, sanction_id: str) -> tuple[str, int] | None:
    """The hash of the sanction's creation event and its seq, or None if there is no such sanction."""
    s, e = tables.sanctions.c, tables.events.c
    row = conn.execute(
        select(e.hash, s.created_seq)
        .select_from(tables.sanctions.join(tables.events, e.seq == s.created_seq))
        .where(s.id == sanction_id)
    ).first()
    return None if row is None else (str(row.hash), int(row.created_seq))


def content_decision_creation(conn: Connection, decision_id: str) -> tuple[str, int] | None:
    """The hash of the content decision's creation event and its seq, or None if there is none."""
    c, e = tables.content_decisions.c, tables.events.c
    row = conn.execute(
        select(e.hash, c.created_seq)
        .select_from(tables.content_decisions.join(tables.events, e.seq == c.created_seq))
        .where(c.id == decision_id)
    ).first()
    return None if row is None else (str(row.hash), int(row.created_seq))


def legacy_appeal_codes_until(conn: Connection) -> int | None:
    """The last seq whose sanctions keep the legacy appeal code, if any do."""
    value: int | None = conn.execute(
        select(tables.appeal_code_legacy.c.until_seq).where(tables.appeal_code_legacy.c.id == 1)
    ).scalar()
    return value
