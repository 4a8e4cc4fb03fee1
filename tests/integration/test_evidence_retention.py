"""The evidence of decisions on content (issue 24 item 4): a reference to the platform's snapshot
and its SHA-256, kept for the operator's evidence retention and at least while a complaint about
the item is possible, then forgotten by the worker (reference and hash null, ``forgotten_at`` set),
with no event and nothing of it in the chain. Both backends."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from content_support import amended, decided, item, record
from reprieve.domain.deliveries import Receipt
from reprieve.domain.evidence import Evidence
from reprieve.domain.time import parse_duration
from reprieve.services import deliveries
from reprieve.services.callers import Caller
from reprieve.services.evidence import forget_expired_evidence, set_evidence_retention
from reprieve.store import tables
from reprieve.store.content_evidence import KeptEvidence, evidence_of, put_evidence
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

SHA = "9f" * 32


def _decide(db: Database, decision_id: str, at: datetime, number: int) -> str:
    _, (statement,) = record(db, at, decided(decision_id, "removal", at, the_item=item(number)), at)
    with UnitOfWork(db, actor="test-suite", now=at) as uow:  # as the content service does, beside its event
        put_evidence(
            uow.conn,
            decision_id=decision_id,
            operator="meta",
            platform="facebook",
            item=item(number)["item"],
            evidence=Evidence(f"s3://snapshots/{decision_id}.warc", SHA),
            now=at,
        )
    return statement


def _kept(db: Database, decision_id: str) -> KeptEvidence:
    with db.read() as conn:
        return evidence_of(conn, [decision_id])[decision_id]


def _events(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


def test_evidence_is_forgotten_once_its_retention_has_passed_and_no_complaint_is_possible(
    db: Database, meta: str, now: datetime
) -> None:
    _decide(db, "cd_1", now, 1)
    assert forget_expired_evidence(db, now=now + timedelta(days=364)) == 0  # within the default year
    assert _kept(db, "cd_1").sha256 == SHA
    events = _events(db)
    later = now + timedelta(days=366)
    assert forget_expired_evidence(db, now=later) == 1
    gone = _kept(db, "cd_1")
    assert (gone.reference, gone.sha256, gone.forgotten_at) == (None, None, later)
    assert _events(db) == events  # no event: nothing of it was ever in the chain
    assert forget_expired_evidence(db, now=later + timedelta(days=1)) == 0  # forgotten once


def test_evidence_is_kept_past_its_retention_while_the_complaint_window_is_open(
    db: Database, meta: str, now: datetime
) -> None:
    set_evidence_retention(db, "meta", parse_duration("P1M"), caller=Caller("test-suite", now=now))
    statement = _decide(db, "cd_1", now, 1)
    _decide(db, "cd_2", now, 2)
    # cd_2's item is decided again four months later: its complaint window starts again.
    amended_at = now + timedelta(days=120)
    record(db, amended_at, amended("cd_2", "disabling"), amended_at)
    # cd_1's statement reaches its author five months later: the six months run from then.
    delivered = now + timedelta(days=150)
    deliveries.record_delivery(
        db, statement, Receipt.parse(delivered.isoformat(), "email"), caller=Caller("p", now=delivered)
    )

    past_retention = now + timedelta(days=200)  # past a month, inside both windows
    assert forget_expired_evidence(db, now=past_retention) == 0
    assert _kept(db, "cd_1").sha256 == SHA and _kept(db, "cd_2").sha256 == SHA

    after_amendment_window = amended_at + timedelta(days=185)  # cd_2's window closed; cd_1's still open
    assert forget_expired_evidence(db, now=after_amendment_window) == 1
    assert _kept(db, "cd_2").forgotten_at == after_amendment_window and _kept(db, "cd_1").sha256 == SHA

    after_delivery_window = delivered + timedelta(days=185)
    assert forget_expired_evidence(db, now=after_delivery_window) == 1
    assert _kept(db, "cd_1").sha256 is None
