"""Recording instants never go backwards along the log (PRODUCT.md section 8), and "recorded by T"
is the prefix ``seq <= S(T)`` of it.

Whatever instant a writer brings (a clock that is behind, an instant given as such by an import, a
test or the demo, the commands of a group), it is raised to the head event's once the write lock
is held. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from due_process_support import NOW, PLATFORM_CLIENT, SETUP, impose, operator_with
from sqlalchemy import select

from reprieve.domain.events import NO_EXTRA, NewEvent, OperatorCreated
from reprieve.domain.model import AccountRef
from reprieve.domain.time import format_instant, parse_instant
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import sanctions, violations
from reprieve.services.audit import verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction
from reprieve.store import eventlog, tables
from reprieve.store.asof import known_as_of, seq_as_of
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

E = tables.events.c


@pytest.fixture
def meta(db: Database) -> Database:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    return db


def log(db: Database) -> list[tuple[int, str, str]]:
    """(seq, type, at) of every event, in the log's order."""
    with db.read() as conn:
        return [tuple(row) for row in conn.execute(select(E.seq, E.type, E.at).order_by(E.seq))]  # type: ignore[misc]


def answered(db: Database) -> list[tuple[str, str]]:
    """(recorded at, answered at) of each violation: the batch builds its events with the raised instant."""
    with db.read() as conn:
        rows = conn.execute(select(E.at, E.data).where(E.type == "violation.recorded").order_by(E.seq))
        return [(at, json.loads(data)["answered_at"]) for at, data in rows]


def instants(db: Database) -> list[datetime]:
    return [parse_instant(at) for _seq, _type, at in log(db)]


def test_an_instant_given_earlier_than_the_head_is_raised_to_it(meta: Database) -> None:
    later = impose(meta, "facebook/alice", duration="P7D", now=NOW)
    # Told a day earlier (a test's fixed instant, an import, the demo): recorded at the head's instant.
    earlier = impose(meta, "facebook/bob", duration="P7D", now=NOW - timedelta(days=1))
    assert earlier["starts_at"] == later["starts_at"] == "2024-06-01T12:00:00Z"  # a start by default: when recorded
    # The creation, then the statement of reasons it issued (issue 23), at the same instant.
    assert [entry[1:] for entry in log(meta)[-2:]] == [
        ("sanction.imposed", "2024-06-01T12:00:00Z"),
        ("statement.issued", "2024-06-01T12:00:00Z"),
    ]
    assert instants(meta) == sorted(instants(meta))
    # An instant later than the head is taken as it is.
    impose(meta, "facebook/carol", duration="P7D", now=NOW + timedelta(seconds=1))
    assert log(meta)[-1][2] == "2024-06-01T12:00:01Z"


def test_a_unit_of_work_reads_its_instant_raised(meta: Database) -> None:
    impose(meta, "facebook/alice", duration="P7D", now=NOW)
    with UnitOfWork(meta, actor=SETUP, now=NOW - timedelta(hours=3)) as uow:
        assert uow.now == NOW and uow.at == "2024-06-01T12:00:00Z"
        assert uow.stamp(NOW - timedelta(seconds=1)) == NOW
        assert uow.stamp(NOW + timedelta(seconds=1)) == NOW + timedelta(seconds=1)


def test_a_bulk_import_told_earlier_is_recorded_at_the_head(meta: Database) -> None:
    impose(meta, "facebook/alice", duration="P7D", now=NOW)
    commands = [
        ImposeSanction.parse(
            subject=AccountRef("facebook", f"user{n}"),
            kind="suspension",
            starts_at="2023-01-01T00:00:00Z",
            duration="P7D",
            reason={**dict(_REASON), "facts": "Imported."},
        )
        for n in range(3)
    ]
    assert sanctions.import_sanctions(meta, commands, caller=Caller("import", now=NOW - timedelta(days=30))) == 3
    assert [at for _seq, type_, at in log(meta) if type_ == "sanction.imposed"][-3:] == ["2024-06-01T12:00:00Z"] * 3
    assert instants(meta) == sorted(instants(meta))


def test_group_commits_never_record_a_command_before_the_one_before_it(meta: Database) -> None:
    committer = GroupCommitter(meta)
    try:
        first = violations.submit_violation(committer, _report("fb-1", "alice"), caller=PLATFORM_CLIENT.at(NOW))
        first.result(timeout=30)
        # A later group whose clock is behind the log's head (another process's clock).
        behind = violations.submit_violation(
            committer, _report("fb-2", "bob"), caller=PLATFORM_CLIENT.at(NOW - timedelta(minutes=5))
        )
        assert behind.result(timeout=30).created
    finally:
        committer.close()
    assert answered(meta) == [("2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z")] * 2
    assert instants(meta) == sorted(instants(meta))


def test_record_runs_raises_a_run_earlier_than_the_one_before_it(meta: Database) -> None:
    """The batch path of violations (``record_violations_within`` over ``UnitOfWork.record_runs``):
    its commands' instants, out of order within one batch, are kept in order."""
    items = [
        violations.PendingViolation(violations.check_violation(_report(vid, who), now=when), "p", when, None)
        for vid, who, when in (
            ("fb-1", "alice", NOW),
            ("fb-2", "bob", NOW - timedelta(seconds=30)),
            ("fb-3", "carol", NOW + timedelta(seconds=1)),
        )
    ]
    with UnitOfWork(meta, actor="p", now=NOW) as uow:
        violations.record_violations_within(uow, items)
    assert answered(meta) == [
        ("2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z"),
        ("2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z"),
        ("2024-06-01T12:00:01Z", "2024-06-01T12:00:01Z"),
    ]


def test_recorded_by_t_is_a_prefix_of_the_log(meta: Database) -> None:
    """``Known``: the first S(T) events, ``seq <= S``, whatever the row (no look-up of each event)."""
    a = impose(meta, "facebook/alice", duration="P7D", now=NOW)["version"]
    b = impose(meta, "facebook/bob", duration="P7D", now=NOW + timedelta(microseconds=500_000))["version"]
    c = impose(meta, "facebook/carol", duration="P7D", now=NOW + timedelta(hours=1))["version"]
    with meta.read() as conn:
        for as_of, expected in (
            (NOW - timedelta(microseconds=1), a - 2),  # before: the catalogue and the accounts' registrations
            # each creation is followed at its instant by the statement of reasons it issued (issue 23)
            (NOW, a + 1),
            (NOW + timedelta(microseconds=499_999), a + 1),
            (NOW + timedelta(microseconds=500_000), b + 1),
            (NOW + timedelta(minutes=59), b + 1),
            (NOW + timedelta(hours=2), c + 1),
        ):
            known = known_as_of(conn, as_of)
            assert known.seq == seq_as_of(conn, as_of) == expected, format_instant(as_of)
            assert known.of(conn, [a, b, c]) == {s for s in (a, b, c) if s <= expected}
            found = conn.execute(select(tables.sanctions.c.id).where(known.sql(tables.sanctions.c.created_seq)))
            assert len(found.all()) == len([s for s in (a, b, c) if s <= expected])


_REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "policy": "Violence and Incitement",
    "explanation": "Incitement.",
    "facts": "A post.",
}


def _report(vid: str, account: str) -> violations.RecordViolation:
    return violations.RecordViolation.parse(
        id=vid,
        platform="facebook",
        account=account,
        policy="Violence and Incitement",
        severity="moderate",
        category="STATEMENT_CATEGORY_VIOLENCE",
        facts="A post inciting violence.",
        occurred_at=format_instant(NOW - timedelta(hours=1)),
    )


def test_verify_counts_the_events_of_an_old_log_recorded_out_of_order(meta: Database) -> None:
    """A log written before instants were raised (an event stamped earlier than one before it,
    appended here as a writer of then did) still verifies, and says how many go backwards."""
    impose(meta, "facebook/alice", duration="P7D", now=NOW)
    assert verify_audit_log(meta).out_of_order == 0
    with meta.engine.begin() as conn:
        head = eventlog.lock_head(conn)
        event = OperatorCreated("old", "Old", NO_EXTRA)
        recorded = eventlog.chain(
            [NewEvent.of(event, "2020-01-01T00:00:00Z", "old")], head=head, at="2020-01-01T00:00:00Z", actor="old"
        )
        eventlog.append(conn, recorded)
        eventlog.move_head(conn, recorded[-1].seq, recorded[-1].hash)
    checked = verify_audit_log(meta)
    assert checked.ok and checked.out_of_order == 1
    assert checked.to_json()["out_of_order"] == 1
    # What was recorded by the head of then: the prefix up to the last event stamped by then.
    with meta.read() as conn:
        assert seq_as_of(conn, NOW) == recorded[-1].seq - 1
