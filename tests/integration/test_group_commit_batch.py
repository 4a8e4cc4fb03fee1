"""Violations committed as one batch (``record_violations_within``) are recorded exactly as if they
had been recorded one after the other: the same answers, the same events, the same projections.

Two operators with the same policy live side by side in one database: the same history is made
on each, then the same reports are sent to one through a group commit (one batch) and to the
other one at a time (``record_violation``). Ids are random, so they are compared by the order
in which they first appear.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from due_process_support import MODERATOR, NOW, PLATFORM_CLIENT, impose, snapshot
from sqlalchemy import select

from database_templates import Templates
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import appeals, catalogue, violations
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.views import imposed_view, sanction_view
from reprieve.store import queries, tables
from reprieve.store.db import Database, open_database
from reprieve.store.standing import standing_rows, standing_rows_of
from reprieve.store.uow import UnitOfWork

START = datetime(2020, 1, 1, tzinfo=NOW.tzinfo)
TWINS = (("meta", "mbook"), ("twin", "tbook"))
_ID = re.compile(r"\b[a-z]{3}_[0-9A-Z]{26}\b")


def history(db: Database, platform: str) -> None:
    """Before the batch: a ban lifted on appeal with probation (dt), a strike already (bob)."""
    ban = impose(db, f"{platform}/dt", starts_at="2024-01-01T00:00:00Z", now=NOW - timedelta(days=150))
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ban["id"],
            kind="reinstatement",
            filed_by={"name": "Counsel", "relation": "representative"},
            statement="Reinstate him.",
            channel="letter",
        ),
        caller=MODERATOR.at(NOW - timedelta(days=100)),
    )
    appeals.decide_appeal(
        db,
        appeal.id,
        appeals.DecideAppeal.parse(outcome="granted", rationale="r", reply="ok", probation={"duration": "P2Y"}),
        caller=MODERATOR.at(NOW - timedelta(days=90)),
    )
    violations.record_violation(
        db, report(platform, "old-1", "bob"), caller=PLATFORM_CLIENT.at(NOW - timedelta(days=10))
    )


#: What some reports say of the content, which reaches the reason of the sanction they bring.
CONTENT: dict[str, dict[str, Any]] = {
    "v-5": {
        "content_type": ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"],
        "keywords": ["KEYWORD_INCITEMENT_VIOLENCE_HATRED", "KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
        "territorial_scope": ["FR", "DE", "FR"],
        "content_date": "2024-05-30",
    },
    "w-2": {"content_type": ["CONTENT_TYPE_IMAGE"], "territorial_scope": ["IT"]},
    "v-4": {"keywords": ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"], "territorial_scope": ["NL", "BE"]},
}


def report(
    platform: str, id: str, account: str, severity: str = "moderate", occurred_at: str | None = None
) -> violations.RecordViolation:
    return violations.RecordViolation.parse(
        id=id,
        platform=platform,
        account=account,
        policy="Violence and Incitement",
        severity=severity,
        category="STATEMENT_CATEGORY_VIOLENCE",
        facts="A post inciting violence.",
        occurred_at=occurred_at,
        **CONTENT.get(id, {}),
    )


#: (id, account, severity, occurred_at, seconds after NOW it is handled at, who sends it)
REPORTS: list[tuple[str, str, str, str | None, int, Caller]] = [
    ("v-1", "alice", "moderate", None, 0, PLATFORM_CLIENT),
    ("v-2", "alice", "low", "2024-05-31T00:00:00Z", 1, PLATFORM_CLIENT),
    ("v-3", "bob", "moderate", None, 2, Caller("moderator (tok_m)")),
    ("v-4", "dt", "low", None, 3, PLATFORM_CLIENT),  # the probation ladder, the probation's scope
    ("v-5", "alice", "severe", None, 4, PLATFORM_CLIENT),
    ("v-1", "alice", "moderate", None, 5, PLATFORM_CLIENT),  # a repeat within the batch
    ("old-1", "bob", "moderate", None, 6, PLATFORM_CLIENT),  # a repeat of a report recorded before
    ("v-6", "carol", "high", None, 7, PLATFORM_CLIENT),
    *[(f"w-{n}", "alice", "moderate", None, 8 + n, PLATFORM_CLIENT) for n in range(8)],  # up the ladder
    ("v-7", "bob", "low", "2023-01-01T00:00:00Z", 20, PLATFORM_CLIENT),  # long ago: bob's strike expired then
]


def operator_of(db: Database, operator: str, platform: str) -> None:
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id=operator, name="Operator"), caller=Caller("setup", now=START)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id=platform, operator=operator, name="Platform", policy="meta"),
        caller=Caller("setup", now=START),
    )


@pytest.fixture
def twins(db: Database) -> Iterator[GroupCommitter]:
    """The batched twin's operator with its history, and the other twin's operator (its platform
    another operator's); the committer of ``db``."""
    for operator, platform in TWINS:
        operator_of(db, operator, platform)
    history(db, TWINS[0][1])
    committer = GroupCommitter(db)
    try:
        yield committer
    finally:
        committer.close()


@pytest.fixture
def twin_db(database_url: str, tmp_path: Path, templates: Templates) -> Iterator[Database]:
    """The twin told one report at a time, in a database of its own on the same backend: it tells
    the same instants as the batched twin, which one log cannot hold twice (its recording instants
    never go backwards, PRODUCT.md section 8)."""
    if database_url.startswith("sqlite"):
        urls: Iterator[str] = iter([templates.sqlite_copy(tmp_path / "twin.db")])
    else:
        urls = templates.postgres_copy()
    database = open_database(next(urls))
    try:
        operator, platform = TWINS[1]
        operator_of(database, operator, platform)
        history(database, platform)
        yield database
    finally:
        database.dispose()
        for _ in urls:  # the PostgreSQL copy is dropped once its generator ends
            pass


def without_seq(value: Any) -> Any:
    """Seqs differ between the twins (their events interleave in one log): checked apart. So do the
    SHA-256 of the statements issued (issue 23), over documents naming each twin's own ids and
    platform; a statement's ``decision`` is a seq."""
    if isinstance(value, dict):
        return {k: without_seq(v) for k, v in value.items() if k not in ("seq", "version", "decision", "sha256")}
    if isinstance(value, list | tuple):
        return [without_seq(v) for v in value]
    return value


def normalised(value: Any, platform: str, operator: str) -> Any:
    text = json.dumps(without_seq(value), sort_keys=True).replace(platform, "PLATFORM")
    text = text.replace(f'"{operator}"', '"OPERATOR"')
    names: dict[str, str] = {}
    return json.loads(_ID.sub(lambda m: names.setdefault(m.group(0), f"{m.group(0)[:3]}#{len(names)}"), text))


def events_of(db: Database, operator: str) -> list[Any]:
    """The operator's events recorded from NOW on: those of the reports below."""
    e = tables.events.c
    with db.read() as conn:
        rows = conn.execute(
            select(e.type, e.at, e.effective_at, e.actor, e.data)
            .where(e.operator_id == operator, e.at >= "2024-06-01T12:00:00Z")
            .order_by(e.seq)
        ).all()
    return [(r.type, r.at, r.effective_at, r.actor, json.loads(r.data)) for r in rows]


def test_a_batch_answers_and_records_exactly_what_one_at_a_time_would(
    db: Database, twins: GroupCommitter, twin_db: Database
) -> None:
    (batch_operator, batched), (single_operator, single) = TWINS
    entered, release = threading.Event(), threading.Event()

    def hold(_uow: UnitOfWork) -> None:
        entered.set()
        assert release.wait(timeout=30)

    gate = twins.submit(hold, actor="gate", now=NOW)
    assert entered.wait(timeout=30)
    futures = [
        violations.submit_violation(
            twins, report(batched, id, account, severity, occurred), caller=caller.at(NOW + timedelta(seconds=later))
        )
        for id, account, severity, occurred, later, caller in REPORTS
    ]
    release.set()
    gate.result(timeout=30)
    batch_answers = [f.result(timeout=30) for f in futures]
    assert twins.groups == 2  # the gate's, then every report in one transaction
    assert twins.batched == len(REPORTS) - 2  # all but the two repeats, which ran alone after the batch

    single_answers = [
        violations.record_violation(
            twin_db, report(single, id, account, severity, occurred), caller=caller.at(NOW + timedelta(seconds=later))
        )
        for id, account, severity, occurred, later, caller in REPORTS
    ]

    assert [a.created for a in batch_answers] == [a.created for a in single_answers]
    assert [a.created for a in batch_answers].count(False) == 2
    assert normalised([a.body for a in batch_answers], batched, batch_operator) == normalised(
        [a.body for a in single_answers], single, single_operator
    )
    ladders = [a.body["strike"]["ladder"] for a in batch_answers]
    assert "probation" in ladders and "standard" in ladders
    reasons = {a.body["violation"]: a.body["sanction"]["reason"] for a in batch_answers if a.body["sanction"]}
    assert reasons["v-5"]["territorial_scope"] == ["DE", "FR"]
    assert reasons["v-5"]["content_type"] == ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT"]
    assert reasons["w-2"]["content_type"] == ["CONTENT_TYPE_IMAGE"] and reasons["v-4"]["keywords"]
    recorded = normalised(events_of(db, batch_operator), batched, batch_operator)
    assert len(recorded) > 30
    assert recorded == normalised(events_of(twin_db, single_operator), single, single_operator)
    # Each sanction's history names the seq its sanction.imposed event was recorded at.
    e = tables.events.c
    with db.read() as conn:
        seqs = dict(conn.execute(select(e.data, e.seq).where(e.type == "sanction.imposed")).all())
    seq_of = {json.loads(data)["id"]: seq for data, seq in seqs.items()}
    imposed = [a.body["sanction"] for a in batch_answers if a.created and a.body["sanction"]]
    assert len(imposed) > 10
    assert all(s["history"][0]["seq"] == seq_of[s["id"]] for s in imposed)
    # The projections are a fold of the log: replaying it in order gives the same rows.
    before = snapshot(db)
    rebuild_projections(db)
    assert snapshot(db) == before
    assert verify_audit_log(db).ok


@pytest.mark.parametrize("whole", [True, False], ids=["the-whole-group", "after-another-command"])
def test_a_batch_with_a_refused_report_falls_back_to_one_savepoint_each(
    db: Database, twins: GroupCommitter, whole: bool
) -> None:
    """The batch fails and each report runs alone: a batch that is the whole group (run
    without a savepoint) in a new transaction, one after another command under its savepoint."""
    (_, batched), _ = TWINS
    entered, release = threading.Event(), threading.Event()

    def hold(_uow: UnitOfWork) -> None:
        entered.set()
        assert release.wait(timeout=30)

    gate = twins.submit(hold, actor="gate", now=NOW)
    assert entered.wait(timeout=30)
    other = None if whole else twins.submit(lambda uow: "done", actor="other", now=NOW)
    good = violations.submit_violation(twins, report(batched, "g-1", "erin"), caller=PLATFORM_CLIENT.at(NOW))
    # Another operator's platform, seen by a token of this operator only: refused inside the writer.
    hidden = violations.submit_violation(
        twins, report("tbook", "g-2", "erin"), caller=PLATFORM_CLIENT.at(NOW).among(["meta"])
    )
    also = violations.submit_violation(twins, report(batched, "g-3", "erin"), caller=PLATFORM_CLIENT.at(NOW))
    release.set()
    gate.result(timeout=30)

    assert good.result(timeout=30).created and also.result(timeout=30).created
    assert twins.batched == 0
    assert twins.groups == 2  # the gate's, then the reports' (a batch that was the whole group failed, undone)
    assert other is None or other.result(timeout=30) == "done"
    assert also.result().body["strike"]["count"] == 2
    with pytest.raises(Exception, match="no platform"):
        hidden.result(timeout=30)
    with db.read() as conn:
        ids = (
            conn.execute(select(tables.violations.c.external_id).where(tables.violations.c.external_id.like("g-%")))
            .scalars()
            .all()
        )
    assert sorted(ids) == ["g-1", "g-3"]
    assert verify_audit_log(db).ok


def test_the_standing_of_a_batch_of_accounts_is_read_as_each_one_alone(db: Database, twins: GroupCommitter) -> None:
    """One statement for a batch's accounts reads what one per account does: a ban lifted on
    appeal with probation (dt), a strike by violation (bob), an account never seen, repeats."""
    platform = TWINS[0][1]
    violations.record_violation(db, report(platform, "v-x", "bob"), caller=PLATFORM_CLIENT.at(NOW))
    impose(db, f"{platform}/carol", starts_at="2024-05-01T00:00:00Z", now=NOW)
    accounts = ["dt", "bob", "nobody", "carol", "dt"]
    with db.read() as conn:
        together = standing_rows_of(conn, platform, accounts)
        alone = {account: standing_rows(conn, platform, account) for account in accounts}
    assert set(together) == set(accounts)
    for account in accounts:
        assert together[account] == alone[account], account
    assert together["nobody"].identity is None
    assert together["dt"].probations and together["dt"].direct and together["bob"].reported


def test_a_sanction_as_imposed_is_viewed_from_its_event_as_from_the_sanction(db: Database) -> None:
    """``imposed_view`` (a batch's answer) shows what ``sanction_view`` shows of the sanction
    loaded back, before it starts, while it runs, at and after its end, for every kind of term."""
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("setup", now=START)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
        caller=Caller("setup", now=START),
    )
    start = NOW + timedelta(days=1)
    terms = [
        {"kind": "suspension", "ends_at": start + timedelta(days=7), "review_at": start + timedelta(days=3)},
        {"kind": "restriction", "denies": ["post", "comment"], "duration": "P30D"},
        {"kind": "termination"},
        {"kind": "warning"},
    ]
    for n, term in enumerate(terms):
        imposed = impose(db, f"facebook/user-{n}", starts_at=start, now=NOW, **term)
        e = tables.events.c
        with db.read() as conn:
            seq, data = conn.execute(
                select(e.seq, e.data).where(e.type == "sanction.imposed").order_by(e.seq.desc()).limit(1)
            ).one()
            sanction = queries.load_sanction(conn, imposed["id"])
        assert sanction is not None
        ends = sanction.changes[0].ends_at
        instants = [NOW, start, start + timedelta(days=2), *([ends, ends + timedelta(seconds=1)] if ends else [])]
        for at in instants:
            assert imposed_view(json.loads(data), seq=seq, at=at) == sanction_view(sanction, at=at).to_json(), (
                term,
                at,
            )
