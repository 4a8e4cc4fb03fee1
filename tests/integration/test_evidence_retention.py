"""The evidence of decisions on content (issue 24 item 4): a reference to the platform's snapshot
and its SHA-256, kept for the operator's evidence retention and at least while a complaint about
the item is possible, then forgotten by the worker (reference and hash null, ``forgotten_at`` set).
Nothing of the evidence is in the chain, but its forgetting is: one ``evidence.forgotten`` event per
operator and pass, ids only, none when nothing is forgotten. Both backends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from content_support import amended, decided, item, record
from reprieve.domain.deliveries import Receipt
from reprieve.domain.evidence import Evidence
from reprieve.domain.filters import EventFilter
from reprieve.domain.time import format_instant, parse_duration
from reprieve.runtime.webhooks import public_event
from reprieve.services import audit, deliveries, webhooks
from reprieve.services.callers import WORKER_ACTOR, Caller
from reprieve.services.evidence import forget_expired_evidence, set_evidence_retention
from reprieve.store import tables
from reprieve.store.content_evidence import KeptEvidence, evidence_of, put_evidence
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

SHA = "9f" * 32


def _decide(db: Database, decision_id: str, at: datetime, number: int, kind: str = "removal") -> str:
    _, (statement,) = record(db, at, decided(decision_id, kind, at, the_item=item(number)), at)
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


def _forgotten_events(db: Database) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """``(actor, effective_at, operator, payload)`` of the ``evidence.forgotten`` events, in order."""
    page = audit.search_events(db, EventFilter(type="evidence.forgotten"), newest_first=False)
    return [(e.actor, e.effective_at, e.operator, e.data) for e in page.items]


def _forgotten(items: list[tuple[int, list[str]]], retention: str = "P1Y") -> dict[str, Any]:
    """The payload forgetting ``items`` (item number, decision ids) of meta's, under ``retention``."""
    return {
        "operator": "meta",
        "retention": retention,
        "items": [{"platform": "facebook", "item": item(n)["item"], "decisions": ids} for n, ids in items],
    }


def test_evidence_is_forgotten_once_its_retention_has_passed_and_no_complaint_is_possible(
    db: Database, meta: str, now: datetime
) -> None:
    _decide(db, "cd_1", now, 1)
    events = _events(db)
    assert forget_expired_evidence(db, now=now + timedelta(days=364)) == 0  # within the default year
    assert _kept(db, "cd_1").sha256 == SHA
    assert _events(db) == events  # nothing forgotten, nothing recorded
    later = now + timedelta(days=366)
    assert forget_expired_evidence(db, now=later) == 1
    gone = _kept(db, "cd_1")
    assert (gone.reference, gone.sha256, gone.forgotten_at) == (None, None, later)
    assert _events(db) == events + 1
    assert _forgotten_events(db) == [(WORKER_ACTOR, format_instant(later), "meta", _forgotten([(1, ["cd_1"])]))]
    assert forget_expired_evidence(db, now=later + timedelta(days=1)) == 0  # forgotten once
    assert _events(db) == events + 1  # nothing forgotten, nothing recorded


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
    events = _events(db)
    assert forget_expired_evidence(db, now=past_retention) == 0
    assert _kept(db, "cd_1").sha256 == SHA and _kept(db, "cd_2").sha256 == SHA
    assert _events(db) == events  # candidates looked at, nothing forgotten: nothing recorded

    after_amendment_window = amended_at + timedelta(days=185)  # cd_2's window closed; cd_1's still open
    assert forget_expired_evidence(db, now=after_amendment_window) == 1
    assert _kept(db, "cd_2").forgotten_at == after_amendment_window and _kept(db, "cd_1").sha256 == SHA

    after_delivery_window = delivered + timedelta(days=185)
    assert forget_expired_evidence(db, now=after_delivery_window) == 1
    assert _kept(db, "cd_1").sha256 is None
    assert [payload for *_, payload in _forgotten_events(db)] == [
        _forgotten([(2, ["cd_2"])], "P1M"),
        _forgotten([(1, ["cd_1"])], "P1M"),
    ]


def test_one_event_per_pass_lists_every_item_and_decision_forgotten_and_goes_out_like_the_others(
    db: Database, meta: str, now: datetime
) -> None:
    webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(operator="meta", url="https://hooks.example.org/r", event_types=["evidence.forgotten"]),
        caller=Caller("test-suite", now=now),
    )
    _decide(db, "cd_3", now, 2)
    _decide(db, "cd_1", now, 1, kind="label")
    _decide(db, "cd_2", now, 1)  # the same item decided again
    later = now + timedelta(days=400)
    assert forget_expired_evidence(db, now=later) == 3
    payload = _forgotten([(1, ["cd_1", "cd_2"]), (2, ["cd_3"])])
    assert _forgotten_events(db) == [(WORKER_ACTOR, format_instant(later), "meta", payload)]
    # The audit search finds it by any decision id it names; it holds neither reference nor hash.
    decided_and_forgotten = audit.search_events(db, EventFilter(subject="cd_2"), newest_first=False).items
    assert [e.type for e in decided_and_forgotten] == ["content.decided", "statement.issued", "evidence.forgotten"]
    found = decided_and_forgotten[-1]
    with db.read() as conn:
        data = conn.execute(select(tables.events.c.data).where(tables.events.c.seq == found.seq)).scalar_one()
        queued = conn.execute(select(tables.outbox.c.seq).where(tables.outbox.c.seq == found.seq)).all()
    assert "s3://" not in data and SHA not in data
    assert len(queued) == 1  # for the subscriber, as every event
    shown = public_event(found.seq, found.type, found.at, found.effective_at, "meta", data)
    assert shown["data"] == payload
