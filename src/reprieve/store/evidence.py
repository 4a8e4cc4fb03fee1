"""Forgetting the evidence of decisions on content (``content_evidence``, PRODUCT.md section 9; it
is written and read by ``store.content_evidence``): a reference to the platform's snapshot of the
item and its SHA-256, never the content; outside the chain, not rebuilt from the log. Kept, then
forgotten (reference and hash set to null, ``forgotten_at`` set)
by the worker once its operator's retention has passed and no complaint or dispute about the item
is possible or open (``services.evidence``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, or_, select, update

from reprieve.store import tables
from reprieve.store.connection import Connection

EV = tables.content_evidence.c
A = tables.appeals.c
D = tables.appeal_disputes.c
_CHUNK = 500


def kept_items(conn: Connection, operator: str, *, recorded_by_us: int, limit: int) -> list[tuple[str, str]]:
    """``(platform, item)`` of the items of ``operator`` with evidence still kept that was recorded
    by ``recorded_by_us`` (candidates of the evidence purge), oldest evidence first."""
    first = select(EV.platform_id, EV.item_id, EV.recorded_at).where(
        EV.operator_id == operator, EV.forgotten_at.is_(None), EV.recorded_at <= recorded_by_us
    )
    seen: dict[tuple[str, str], None] = {}
    for row in conn.execute(first.order_by(EV.recorded_at, EV.decision_id)):
        seen.setdefault((row.platform_id, row.item_id), None)
        if len(seen) >= limit:
            break
    return list(seen)


def kept_of_item(conn: Connection, platform: str, item: str) -> list[tuple[str, int]]:
    """``(decision id, recorded_at µs)`` of the evidence of an item's decisions still kept."""
    rows = conn.execute(
        select(EV.decision_id, EV.recorded_at).where(
            EV.platform_id == platform, EV.item_id == item, EV.forgotten_at.is_(None)
        )
    )
    return [(r.decision_id, r.recorded_at) for r in rows]


def statements_told(conn: Connection, decision_ids: Sequence[str]) -> dict[int, tuple[int, int | None]]:
    """``{decision seq: (issued_at µs, delivered_at µs or None)}`` of the statements issued for
    ``decision_ids``' changes: the complaint window of each runs from its delivery, else its issue."""
    doc, receipt = tables.issued_documents.c, tables.statement_deliveries.c
    found: dict[int, tuple[int, int | None]] = {}
    for start in range(0, len(decision_ids), _CHUNK):
        rows = conn.execute(
            select(doc.decision_seq, doc.issued_at, receipt.delivered_at)
            .outerjoin(tables.statement_deliveries, receipt.statement_id == doc.id)
            .where(doc.sanction_id.in_(list(decision_ids[start : start + _CHUNK])))
        )
        for seq, issued_at, delivered_at in rows:
            found[seq] = (issued_at, delivered_at)
    return found


def cases_about(conn: Connection, decision_ids: Sequence[str]) -> list[tuple[str, int | None, bool]]:
    """``(state, closed_at µs or None, dispute pending)`` of every appeal about ``decision_ids``
    (complaints about content; the appeals issue names a content decision in ``content_decision_id``
    when it exists, else in ``sanction_id``): ``closed_at`` the latest of its decision and its
    disputes' outcomes."""
    wanted = list(decision_ids)
    if not wanted:
        return []
    about = [A.sanction_id.in_(wanted)]
    if "content_decision_id" in tables.appeals.c:  # the column of the issue that brings them, if any
        about.append(tables.appeals.c["content_decision_id"].in_(wanted))
    appeals = conn.execute(select(A.id, A.state, A.decided_at).where(or_(*about))).all()
    if not appeals:
        return []
    disputes: dict[str, list[tuple[int | None, str]]] = {}
    ids = [a.id for a in appeals]
    for start in range(0, len(ids), _CHUNK):
        for row in conn.execute(
            select(D.appeal_id, D.decided_at, D.outcome).where(D.appeal_id.in_(ids[start : start + _CHUNK]))
        ):
            disputes.setdefault(row.appeal_id, []).append((row.decided_at, row.outcome))
    out = []
    for a in appeals:
        found = disputes.get(a.id, [])
        pending = any(outcome == "pending" for _, outcome in found)
        closed = None if a.decided_at is None else max([a.decided_at, *(d or 0 for d, _ in found)])
        out.append((a.state, closed, pending))
    return out


def forget(conn: Connection, decision_ids: Iterable[str], *, now_us: int) -> int:
    """Forget the evidence of ``decision_ids``: reference and SHA-256 set to null, ``forgotten_at``
    set; how many rows were forgotten (those forgotten before are left as they are)."""
    wanted = sorted(set(decision_ids))
    done = 0
    for start in range(0, len(wanted), _CHUNK):
        result = conn.execute(
            update(tables.content_evidence)
            .where(and_(EV.decision_id.in_(wanted[start : start + _CHUNK]), EV.forgotten_at.is_(None)))
            .values(reference=None, sha256=None, forgotten_at=now_us)
        )
        done += result.rowcount
    return done
