"""A policy's first warning, which is not a strike (YouTube's): taken back by a granted complaint
or a lift, never given on probation, given in a batch as one at a time, and counted alike by the
database's standing and the enforcement index (the rule: ``reprieve.domain.strikes``)."""

from __future__ import annotations

import threading
from datetime import timedelta

from due_process_support import MODERATOR, NOW, PLATFORM_CLIENT, Reporter, day, impose, operator_with, snapshot

from reprieve.domain.model import AccountRef
from reprieve.domain.time import to_micros
from reprieve.enforcement import EnforcementIndex
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import appeals, sanctions, standing, violations
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork


def ladder_of(answer: dict[str, object]) -> tuple[object, object]:
    strike = answer["strike"]
    sanction = answer["sanction"]
    assert isinstance(strike, dict)
    return strike["count"], sanction["kind"] if isinstance(sanction, dict) else None


def test_a_first_warning_taken_back_leaves_none_in_force(db: Database) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    yt = Reporter(db, "youtube")
    # A granted complaint against the warning: the next violation is a first warning again.
    warning = yt.report("contested", day(0), now=day(0))
    complaint = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=warning["sanction"]["id"],
            kind="complaint",
            filed_by={"name": "Creator"},
            statement="The video was satire.",
            channel="web",
        ),
        caller=MODERATOR.at(day(1)),
    )
    appeals.decide_appeal(
        db,
        complaint.id,
        appeals.DecideAppeal.parse(outcome="granted", rationale="Satire.", reply="Warning removed."),
        caller=MODERATOR.at(day(2)),
    )
    assert ladder_of(yt.report("contested", day(3), now=day(3))) == (0, "warning")
    # A lift of the warning, from day 5: a violation at day 6 is a first warning again; one
    # at day 4, when the warning was in force, is a strike.
    lifted = yt.report("lifted", day(0))
    sanctions.lift_sanction(
        db,
        lifted["sanction"]["id"],
        sanctions.LiftSanction.parse(reason="issued in error", effective_at=day(5), backdated_reason="entered later"),
        caller=Caller("m", now=NOW + timedelta(days=3)),
    )
    now = NOW + timedelta(days=4)
    assert ladder_of(yt.report("lifted", day(6), now=now)) == (0, "warning")
    assert ladder_of(yt.report("lifted", day(4), now=now)) == (1, "restriction")
    # A moderator's sanction is a strike: the next violation climbs the ladder, no warning.
    impose(db, "youtube/struck", "warning", starts_at=day(0), now=NOW)
    assert ladder_of(yt.report("struck", day(1), now=now)) == (2, "restriction")


def test_no_first_warning_on_probation(db: Database) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    ban = impose(db, "youtube/returning", starts_at=day(0), now=day(0))
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ban["id"],
            kind="reinstatement",
            filed_by={"name": "Creator"},
            statement="Please.",
            channel="web",
        ),
        caller=MODERATOR.at(day(1)),
    )
    appeals.decide_appeal(
        db,
        appeal.id,
        appeals.DecideAppeal.parse(
            outcome="granted",
            rationale="r",
            reply="ok",
            probation={"duration": "P1Y", "ladder": {"by_severity": {"severe": {"kind": "termination"}}}},
        ),
        caller=MODERATOR.at(day(2)),
    )
    yt = Reporter(db, "youtube")
    # No strike counts (the lifted ban's went with it), but the account is on probation: a strike.
    during = yt.report("returning", day(3))
    assert (during["strike"]["count"], during["strike"]["ladder"], during["sanction"]["kind"]) == (
        1,
        "standard",
        "restriction",
    )
    # After the probation, with the strike expired: a first warning.
    assert ladder_of(yt.report("returning", day(400))) == (0, "warning")


def test_a_batch_gives_the_first_warning_once_as_one_at_a_time_would(db: Database) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    committer = GroupCommitter(db)
    entered, release = threading.Event(), threading.Event()

    def hold(_uow: UnitOfWork) -> None:
        entered.set()
        assert release.wait(timeout=30)

    try:
        # The writer held while the reports arrive: they are then recorded in one batch.
        gate = committer.submit(hold, actor="gate", now=NOW)
        assert entered.wait(timeout=30)
        futures = [
            violations.submit_violation(
                committer,
                violations.RecordViolation.parse(
                    id=f"yt-{i}",
                    platform="youtube",
                    account="burst",
                    policy="Harassment",
                    severity="moderate",
                    category="STATEMENT_CATEGORY_VIOLENCE",
                    occurred_at=day(i),
                ),
                caller=PLATFORM_CLIENT.at(NOW + timedelta(seconds=i)),
            )
            for i in range(4)
        ]
        release.set()
        gate.result(timeout=30)
        answers = [f.result(timeout=30).body for f in futures]
        assert committer.batched == 4
    finally:
        release.set()
        committer.close()
    assert [(a["strike"]["ladder"], *ladder_of(a)) for a in answers] == [
        ("first_warning", 0, "warning"),
        ("standard", 1, "restriction"),
        ("standard", 2, "restriction"),
        ("standard", 3, "termination"),
    ]
    # The projections are a fold of the log: the first warning's row comes back as it was.
    before = snapshot(db)
    assert any("first_warning" in row for row in before["violations"])
    rebuild_projections(db)
    assert snapshot(db) == before
    assert verify_audit_log(db).ok


def test_the_index_counts_first_warnings_and_strikes_as_the_database(db: Database) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    yt = Reporter(db, "youtube")
    for account, days in {"a": (0, 10, 20, 30), "b": (0, 95), "c": (0, 89, 100, 200), "d": (0,)}.items():
        for i in days:
            yt.report(account, day(i))
    index = EnforcementIndex.build(db, now=day(-1))
    seen = set()
    for at in (0, 0.5, 9, 10, 17, 25, 31, 89.5, 90, 95, 99, 100, 110, 120, 189, 190, 200, 300):
        for account in "abcde":
            expected = standing.get_standing(db, AccountRef("youtube", account), at=day(at)).to_json()
            assert index.standing("youtube", account, to_micros(day(at))) == expected, (account, at)
            seen.add(expected["strikes"])
    assert seen == {0, 1, 2, 3}
