"""The hash chain catches every change made behind Reprieve's back, and names where it starts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection, delete, select, update

from reprieve.domain.events import GENESIS_HASH, chain_hash, envelope_json
from reprieve.services.audit import verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.sanctions import LiftSanction, lift_sanction
from reprieve.store import tables
from reprieve.store.db import Database

E = tables.events.c


@pytest.fixture
def log(db: Database, meta: str, impose: Callable[..., dict[str, Any]], now: datetime) -> int:
    """A log of a dozen events; returns its length."""
    first = impose("facebook/DonaldTrump", "suspension", scope=["facebook", "instagram"], duration="P2Y")
    impose("instagram/realdonaldtrump", "restriction", denies=["live"], duration="P30D")
    impose("facebook/someone", "warning")
    lift_sanction(
        db, first["id"], LiftSanction.parse(reason="reinstated with guardrails"), caller=Caller("test", now=now)
    )
    result = verify_audit_log(db)
    assert result.ok, result
    return result.events


def tamper(db: Database, change: Callable[[Connection], object]) -> None:
    with db.engine.begin() as conn:
        change(conn)


def payload(db: Database, seq: int) -> dict[str, Any]:
    with db.read() as conn:
        data = conn.execute(select(E.data).where(E.seq == seq)).scalar_one()
    result: dict[str, Any] = json.loads(data)
    return result


def test_an_untouched_log_verifies(db: Database, log: int) -> None:
    result = verify_audit_log(db)
    assert (result.ok, result.events, result.first_bad) == (True, log, None)
    with db.read() as conn:
        assert result.head == conn.execute(select(E.hash).where(E.seq == log)).scalar_one()


def restore(db: Database, rows: list[dict[str, Any]]) -> None:
    """Put the log back as it was, and check that it verifies again."""
    with db.engine.begin() as conn:
        conn.execute(delete(tables.events))
        conn.execute(tables.events.insert(), rows)
    assert verify_audit_log(db).ok


def snapshot(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(tables.events).order_by(E.seq))]


def test_a_modified_event_is_caught(db: Database, log: int) -> None:
    rows = snapshot(db)
    for seq in (1, log // 2, log):
        original = rows[seq - 1]
        forged: dict[str, Any] = {
            "data": json.dumps({**json.loads(original["data"]), "forged": True}, sort_keys=True, separators=(",", ":")),
            "type": "sanction.lifted" if original["type"] != "sanction.lifted" else "sanction.amended",
            "effective_at": "2020-01-01T00:00:00Z",
            "at": "2020-01-01T00:00:00Z",
            "actor": "mallory",
            "operator_id": "x" if original["operator_id"] != "x" else "meta",
        }
        for column, value in forged.items():
            tamper(
                db,
                lambda conn, s=seq, c=column, v=value: conn.execute(
                    update(tables.events).where(E.seq == s).values({c: v})
                ),
            )
            result = verify_audit_log(db)
            assert (result.ok, result.first_bad) == (False, seq), (column, seq, result)
            assert result.problem is not None and "modified" in result.problem
            restore(db, rows)


def test_a_payload_reformatted_without_a_change_of_meaning_is_caught(db: Database, log: int) -> None:
    # The chain covers the stored bytes, not a re-serialisation of them.
    seq = log // 2
    spaced = json.dumps(payload(db, seq), indent=1)
    tamper(db, lambda conn: conn.execute(update(tables.events).where(E.seq == seq).values(data=spaced)))
    result = verify_audit_log(db)
    assert (result.ok, result.first_bad) == (False, seq)


def test_deleted_events_are_caught(db: Database, log: int) -> None:
    rows = snapshot(db)
    for deleted, first_bad, problem in (
        ({1}, 1, "missing"),
        ({log // 2}, log // 2, "missing"),
        ({3, 4}, 3, "missing"),
        ({log}, log, "missing from the end"),
        ({log - 2, log - 1, log}, log - 2, "missing from the end"),
        (set(range(1, log + 1)), 1, "missing from the end"),
    ):
        tamper(db, lambda conn, d=deleted: conn.execute(delete(tables.events).where(E.seq.in_(d))))
        result = verify_audit_log(db)
        assert (result.ok, result.first_bad) == (False, first_bad), (deleted, result)
        assert result.problem is not None and problem in result.problem, (deleted, result)
        restore(db, rows)


def test_reordered_events_are_caught(db: Database, log: int) -> None:
    rows = snapshot(db)
    for first, second in ((2, 5), (4, 5), (1, log), (log - 1, log)):

        def swap(conn: Connection, a: int = first, b: int = second) -> None:
            parked = -1  # seq is the primary key: park one row while the other moves
            conn.execute(update(tables.events).where(E.seq == a).values(seq=parked))
            conn.execute(update(tables.events).where(E.seq == b).values(seq=a))
            conn.execute(update(tables.events).where(E.seq == parked).values(seq=b))

        tamper(db, swap)
        result = verify_audit_log(db)
        assert (result.ok, result.first_bad) == (False, first), (first, second, result)
        restore(db, rows)


def test_a_rechained_forgery_is_caught_by_the_head(db: Database, log: int) -> None:
    # Whoever rewrites an event and recomputes every hash after it still leaves the head behind.
    seq = log // 2

    def rewrite(conn: Connection) -> None:
        rows = conn.execute(select(tables.events).where(E.seq >= seq).order_by(E.seq)).all()
        prev = GENESIS_HASH if seq == 1 else rows[0].prev_hash
        for row in rows:
            data = row.data
            if row.seq == seq:
                data = data.replace('"meta"', '"x"')
                assert data != row.data
            digest = chain_hash(
                prev, envelope_json(row.seq, row.type, row.at, row.effective_at, row.actor, row.operator_id, data)
            )
            conn.execute(update(tables.events).where(E.seq == row.seq).values(data=data, prev_hash=prev, hash=digest))
            prev = digest

    tamper(db, rewrite)
    result = verify_audit_log(db)
    assert not result.ok
    assert result.first_bad == log
    assert result.events == log


def test_an_event_appended_behind_the_head_is_caught(db: Database, log: int) -> None:
    # A well-chained event slipped in without moving the head: the head says where the log ends.
    with db.read() as conn:
        last = conn.execute(select(E.hash).where(E.seq == log)).scalar_one()
    row = {
        "seq": log + 1,
        "type": "sanction.lifted",
        "at": "2024-06-01T12:00:00Z",
        "effective_at": "2024-06-01T12:00:00Z",
        "actor": "mallory",
        "operator_id": "meta",
        "data": '{"id":"snc_x","reason":"forged"}',
        "prev_hash": last,
    }
    row["hash"] = chain_hash(
        last,
        envelope_json(
            row["seq"], row["type"], row["at"], row["effective_at"], row["actor"], row["operator_id"], row["data"]
        ),
    )
    tamper(db, lambda conn: conn.execute(tables.events.insert(), [row]))
    result = verify_audit_log(db)
    assert (result.ok, result.first_bad) == (False, log + 1)


def test_verifying_while_others_write_raises_no_false_alarm(
    db: Database, log: int, impose: Callable[..., dict[str, Any]]
) -> None:
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        while not stop.is_set():
            impose(f"facebook/writer{len(written)}", "warning")
            written.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    results = []
    deadline = time.monotonic() + 60
    try:
        while len(written) < 15 and time.monotonic() < deadline:  # verify until the log grew a lot
            results.append(verify_audit_log(db))
    finally:
        stop.set()
        writer.join(timeout=60)
    assert len(written) >= 15, "the writer did not get going"
    assert [r for r in results if not r.ok] == []
    assert len({r.events for r in results}) > 1  # verifications saw the log at several lengths
