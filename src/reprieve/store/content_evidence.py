"""Evidence of content decisions (``content_evidence``): written beside the event of the decision
it supports, in the same transaction, never in the log (``domain.evidence``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, insert, select

from reprieve.domain.evidence import Evidence
from reprieve.domain.time import from_micros, to_micros
from reprieve.store import tables
from reprieve.store.bulk import insert_rows

EV = tables.content_evidence.c


@dataclass(frozen=True, slots=True)
class KeptEvidence:
    """Evidence as kept: None reference and digest once forgotten (``forgotten_at``)."""

    decision_id: str
    reference: str | None
    sha256: str | None
    recorded_at: datetime
    forgotten_at: datetime | None


def put_evidence(
    conn: Connection,
    *,
    decision_id: str,
    operator: str,
    platform: str,
    item: str,
    evidence: Evidence,
    now: datetime,
) -> None:
    conn.execute(
        insert(tables.content_evidence).values(
            decision_id=decision_id,
            operator_id=operator,
            platform_id=platform,
            item_id=item,
            reference=evidence.reference,
            sha256=evidence.sha256,
            recorded_at=to_micros(now),
            forgotten_at=None,
        )
    )


class EvidenceRow(NamedTuple):
    """The evidence of one decision of a bulk import, to write with the others (``put_evidence_rows``)."""

    decision_id: str
    operator: str
    platform: str
    item: str
    #: The evidence's reference and hash, as values (a tuple of text alone, which the collector
    #: stops following, where one holding the ``Evidence`` would be walked until it is written).
    reference: str
    sha256: str


def put_evidence_rows(conn: Connection, rows: Sequence[EvidenceRow], *, now: datetime) -> None:
    """``put_evidence`` of many decisions, in one insert."""
    recorded = to_micros(now)
    insert_rows(
        conn,
        tables.content_evidence,
        ("decision_id", "operator_id", "platform_id", "item_id", "reference", "sha256", "recorded_at", "forgotten_at"),
        [(*row, recorded, None) for row in rows],
    )


def evidence_of(conn: Connection, decision_ids: Iterable[str]) -> dict[str, KeptEvidence]:
    """The evidence of each of ``decision_ids`` that has some, by decision id."""
    wanted = sorted(set(decision_ids))
    found: dict[str, KeptEvidence] = {}
    for i in range(0, len(wanted), 500):
        for row in conn.execute(select(tables.content_evidence).where(EV.decision_id.in_(wanted[i : i + 500]))):
            found[row.decision_id] = KeptEvidence(
                row.decision_id,
                row.reference,
                row.sha256,
                from_micros(row.recorded_at),
                from_micros(row.forgotten_at) if row.forgotten_at is not None else None,
            )
    return found
