"""The worker's reads and writes: what fell due (sanctions, appeals, probations), the
announcements made, the leases and watermarks of its work partitions (``worker_partitions``)
and the operators' appeal targets (``worker_settings``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from reprieve.store import tables
from reprieve.store.db import Database

#: Keys or seqs per ``IN (...)``: well under every backend's limit of bound parameters.
_CHUNK = 1000


W = tables.worker_settings.c


def set_appeal_target(conn: Connection, operator: str, appeal_target: str, *, updated_seq: int) -> None:
    values = {"appeal_target": appeal_target, "updated_seq": updated_seq}
    changed = conn.execute(update(tables.worker_settings).where(W.operator_id == operator).values(**values))
    if changed.rowcount == 0:
        conn.execute(insert(tables.worker_settings).values(operator_id=operator, **values))


def appeal_targets(conn: Connection) -> dict[str, str]:
    """Each operator's appeal target that is set."""
    rows = conn.execute(select(W.operator_id, W.appeal_target).where(W.appeal_target.is_not(None)))
    return {row.operator_id: row.appeal_target for row in rows}


def set_retention(conn: Connection, operator: str, retention: str | None, *, updated_seq: int) -> None:
    """Set (None: reset to the default) how long after a case closed its personal data is kept."""
    values = {"retention": retention, "updated_seq": updated_seq}
    changed = conn.execute(update(tables.worker_settings).where(W.operator_id == operator).values(**values))
    if changed.rowcount == 0:
        conn.execute(insert(tables.worker_settings).values(operator_id=operator, **values))


def set_evidence_retention(conn: Connection, operator: str, retention: str | None, *, updated_seq: int) -> None:
    """Set (None: reset to the default) how long content decisions' evidence is kept at least."""
    values = {"evidence_retention": retention, "updated_seq": updated_seq}
    changed = conn.execute(update(tables.worker_settings).where(W.operator_id == operator).values(**values))
    if changed.rowcount == 0:
        conn.execute(insert(tables.worker_settings).values(operator_id=operator, **values))


def evidence_retentions(conn: Connection) -> dict[str, str]:
    """Each operator's evidence retention that is set."""
    rows = conn.execute(select(W.operator_id, W.evidence_retention).where(W.evidence_retention.is_not(None)))
    return {row.operator_id: row.evidence_retention for row in rows}


def retentions(conn: Connection) -> dict[str, str]:
    """Each operator's retention period that is set."""
    rows = conn.execute(select(W.operator_id, W.retention).where(W.retention.is_not(None)))
    return {row.operator_id: row.retention for row in rows}


def sanction_rows(
    conn: Connection, instant: str, now_us: int, since_us: int, since_seq: int, after: str, limit: int
) -> list[Any]:
    """Sanctions whose ``instant`` column (starts_at, ends_at, review_at) is set and came by
    ``now_us``, that came after ``since_us`` or changed after ``since_seq``, by id after ``after``."""
    s = tables.sanctions.c
    column = s[instant]
    return list(
        conn.execute(
            select(
                s.id,
                s.operator_id,
                s.subject_platform,
                s.subject_account,
                s.starts_at,
                s.ends_at,
                s.review_at,
                s.lifted_at,
                s.created_seq,
            )
            .where(
                column.is_not(None), column <= now_us, or_(column > since_us, s.updated_seq > since_seq), s.id > after
            )
            .order_by(s.id)
            .limit(limit)
        )
    )


def recorded_at(conn: Connection, seqs: Sequence[int]) -> dict[int, str]:
    """When each event of ``seqs`` was recorded (its ``at``)."""
    e = tables.events.c
    found: dict[int, str] = {}
    for chunk in range(0, len(seqs), _CHUNK):
        for seq, at in conn.execute(select(e.seq, e.at).where(e.seq.in_(seqs[chunk : chunk + _CHUNK]))):
            found[seq] = at
    return found


def open_appeal_rows(conn: Connection, now_us: int, after: str, limit: int) -> list[Any]:
    """Open appeals received by ``now_us``, by id after ``after``."""
    a = tables.appeals.c
    return list(
        conn.execute(
            select(a.id, a.operator_id, a.sanction_id, a.content_decision_id, a.notice_id, a.kind, a.received_at)
            .where(a.state == "open", a.received_at <= now_us, a.id > after)
            .order_by(a.id)
            .limit(limit)
        )
    )


def ended_probation_rows(
    conn: Connection, now_us: int, since_us: int, since_seq: int, after: str, limit: int
) -> tuple[list[Any], str | None]:
    """Probations over by ``now_us`` (since the watermarks), a row per platform, by id after
    ``after``; and the id the next page starts after (None: the last page). A page holds whole
    probations: all the platforms of each."""
    p = tables.probations.c
    due = and_(p.until <= now_us, or_(p.until > since_us, p.created_seq > since_seq))
    columns = (p.id, p.platform_id, p.operator_id, p.identity_id, p.until, p.sanction_id)
    rows = list(conn.execute(select(*columns).where(due, p.id > after).order_by(p.id, p.platform_id).limit(limit)))
    next_after = None
    if len(rows) >= limit:  # a row a platform: the last probation may go on in the next page
        last = rows[-1].id
        kept = [r for r in rows if r.id != last]
        if kept:
            rows, next_after = kept, str(kept[-1].id)
        else:  # one probation fills the page: all of its platforms, then on
            rows = list(conn.execute(select(*columns).where(due, p.id == last).order_by(p.platform_id)))
            next_after = str(last)
    return rows, next_after


def announced(conn: Connection, keys: Sequence[str]) -> set[str]:
    """The keys among ``keys`` already announced."""
    a = tables.announcements.c
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        found.update(r[0] for r in conn.execute(select(a.key).where(a.key.in_(keys[i : i + _CHUNK]))))
    return found


def record_announcements(conn: Connection, keys_and_seqs: Sequence[tuple[str, int]]) -> None:
    """Remember each announcement's key and the seq of its event."""
    conn.execute(insert(tables.announcements), [{"key": key, "seq": seq} for key, seq in keys_and_seqs])


def _writing(db: Database) -> Any:
    return db.engine.connect().execution_options(reprieve_write=True)


def take_lease(db: Database, name: str, *, owner: str, now_us: int, lease_us: int) -> tuple[int, int] | None:
    """Lease partition ``name`` (or renew ours); its watermarks, or None if another worker holds it."""
    w = tables.worker_partitions.c
    with _writing(db) as conn, conn.begin():
        taken = conn.execute(
            update(tables.worker_partitions)
            .where(w.name == name, or_(w.owner.is_(None), w.owner == owner, w.leased_until < now_us))
            .values(owner=owner, leased_until=now_us + lease_us)
        ).rowcount
        if not taken:
            return None
        row = conn.execute(select(w.scanned_until, w.scanned_seq).where(w.name == name)).one()
        return int(row.scanned_until), int(row.scanned_seq)


def release_leases(db: Database, *, owner: str) -> None:
    """Give back every partition ``owner`` holds."""
    w = tables.worker_partitions.c
    with _writing(db) as conn, conn.begin():
        conn.execute(update(tables.worker_partitions).where(w.owner == owner).values(owner=None, leased_until=None))


def move_watermarks(db: Database, name: str, *, owner: str, scanned_until: int, scanned_seq: int) -> None:
    """Partition ``name`` was scanned up to these, if ``owner`` still holds it."""
    w = tables.worker_partitions.c
    with _writing(db) as conn, conn.begin():
        conn.execute(
            update(tables.worker_partitions)
            .where((w.name == name) & (w.owner == owner))
            .values(scanned_until=scanned_until, scanned_seq=scanned_seq)
        )


def prune_outbox(db: Database, *, before_us: int) -> None:
    """Forget the outbox's delivered rows older than ``before_us`` (``outbox.maintain``)."""
    from reprieve.store import outbox

    with _writing(db) as conn, conn.begin():
        outbox.maintain(conn, before_us=before_us)
