"""Violations through the shipped ladders, step by step; strikes that expire by time; severity
overrides; strikes of direct sanctions; probation ladders during probation and not after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from due_process_support import (
    MODERATOR,
    NOW,
    Reporter,
    day,
    event_count,
    impose,
    operator_with,
    snapshot,
    t,
)

from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.model import AccountRef
from reprieve.domain.time import format_instant
from reprieve.services import appeals, sanctions, standing, violations
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store.db import Database

CONTENT = ["post", "comment", "message", "react", "live", "advertise", "monetize"]
FEATURES = ["live", "advertise", "monetize"]


def strikes(db: Database, account: str, when: str) -> int:
    return int(standing.get_standing(db, AccountRef.parse(account), at=t(when)).to_json()["strikes"])


def term(answer: dict[str, object]) -> tuple[object, ...] | None:
    sanction = answer["sanction"]
    if sanction is None:
        return None
    assert isinstance(sanction, dict)
    return sanction["kind"], sanction["starts_at"], sanction["ends_at"], sorted(sanction["denies"])


def iso(days: float, start: str = "2023-01-01T00:00:00Z") -> str | None:
    return format_instant(day(days, start))


def test_meta_ladder_every_step_then_strikes_expire_after_a_year(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    fb = Reporter(db, "facebook")
    answers = [fb.report("alice", day(i)) for i in range(11)]
    assert [a["strike"]["count"] for a in answers] == list(range(1, 12))
    assert {a["strike"]["ladder"] for a in answers} == {"standard"}
    expected = [("warning", iso(0), "2024-01-01T00:00:00Z", [])]
    expected += [("restriction", iso(i), iso(i + 1), sorted(FEATURES)) for i in range(1, 6)]
    expected += [
        ("restriction", iso(6), iso(7), sorted(CONTENT)),
        ("restriction", iso(7), iso(10), sorted(CONTENT)),
        ("restriction", iso(8), iso(15), sorted(CONTENT)),
        ("restriction", iso(9), iso(39), sorted(CONTENT)),
        ("restriction", iso(10), iso(40), sorted(CONTENT)),
    ]
    assert [term(a) for a in answers] == expected
    first = answers[0]
    assert first["strike"]["expires_at"] == "2024-01-01T00:00:00Z"
    assert first["sanction"]["scope"] == ["facebook"]
    # Automated as the policy says (Meta: detection, partially automated decision).
    assert first["sanction"]["automated"] == {"detection": True, "decision": "partially"}
    assert first["sanction"]["reason"]["category"] == "STATEMENT_CATEGORY_VIOLENCE"
    # A ladder's sanction adds no strike of its own: eleven violations, eleven strikes.
    assert strikes(db, "facebook/alice", "2023-01-11T12:00:00Z") == 11
    # Strike i expires a year after day i: on 2024-01-06 those of days 6 to 10 still count
    # (the one of day 5 expires at that very instant), so a new violation is the sixth strike.
    assert strikes(db, "facebook/alice", "2024-01-05T23:59:59Z") == 6
    assert strikes(db, "facebook/alice", "2024-01-06T00:00:00Z") == 5
    late = fb.report("alice", t("2024-01-06T00:00:00Z"))
    assert late["strike"]["count"] == 6
    assert term(late) == ("restriction", "2024-01-06T00:00:00Z", "2024-01-07T00:00:00Z", sorted(FEATURES))
    assert strikes(db, "facebook/alice", "2024-01-11T00:00:00Z") == 1
    assert strikes(db, "facebook/alice", "2025-01-06T00:00:00Z") == 0


def state(db: Database, account: str, days: float) -> tuple[object, ...]:
    """The standing at day ``days``: status, denials, until when, strikes."""
    at = standing.get_standing(db, AccountRef.parse(account), at=day(days)).to_json()
    return at["status"], sorted(at["denies"]), at["until"], at["strikes"]


def test_youtube_walked_a_first_warning_that_is_no_strike_then_one_and_two_week_freezes_then_termination(
    db: Database,
) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    yt = Reporter(db, "youtube")
    freeze = ["live", "post"]
    # First violation: the first warning, no strike; it denies nothing and stays 90 days.
    warning = yt.report("channel", day(0))
    assert warning["strike"] == {
        "count": 0,
        "ladder": "first_warning",
        "expires_at": iso(0),  # the strike counts at no instant
        "step": {"kind": "warning", "duration": "P90D", "denies": []},
    }
    assert term(warning) == ("warning", iso(0), iso(90), [])
    assert "not a strike" in warning["sanction"]["reason"]["explanation"]
    assert state(db, "youtube/channel", 1) == ("good", [], None, 0)
    # Second violation, the warning in force: strike 1, a one-week freeze on posting and streaming.
    first = yt.report("channel", day(10))
    assert (first["strike"]["count"], first["strike"]["ladder"]) == (1, "standard")
    assert first["strike"]["expires_at"] == iso(100)
    assert term(first) == ("restriction", iso(10), iso(17), freeze)
    assert state(db, "youtube/channel", 11) == ("restricted", freeze, iso(17), 1)
    assert state(db, "youtube/channel", 17) == ("good", [], None, 1)  # the freeze ends, the strike stays
    # Strike 2 within 90 days: two weeks.
    second = yt.report("channel", day(20))
    assert second["strike"]["count"] == 2
    assert term(second) == ("restriction", iso(20), iso(34), freeze)
    assert state(db, "youtube/channel", 21) == ("restricted", freeze, iso(34), 2)
    # Strike 3 within 90 days: the channel is terminated.
    third = yt.report("channel", day(30))
    assert third["strike"]["count"] == 3
    assert term(third) == ("termination", iso(30), None, [])
    status, denies, until, strikes = state(db, "youtube/channel", 31)
    assert (status, until, strikes) == ("terminated", None, 3) and "appeal" not in denies and "post" in denies
    # Strikes expire 90 days after they were issued; the warning never counted.
    assert state(db, "youtube/channel", 99.9)[3] == 3
    assert state(db, "youtube/channel", 100)[3] == 2
    assert state(db, "youtube/channel", 120)[3] == 0


def test_youtube_strikes_expire_after_90_days_and_a_warning_after_90_days(db: Database) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    yt = Reporter(db, "youtube")
    # Spread out: at day 100 the strike of day 10 has expired (at that instant), that of day 20 counts.
    spread = [yt.report("slow", day(i)) for i in (0, 10, 20, 100)]
    assert [(a["strike"]["count"], a["strike"]["ladder"]) for a in spread] == [
        (0, "first_warning"),
        (1, "standard"),
        (2, "standard"),
        (2, "standard"),
    ]
    assert term(spread[-1]) == ("restriction", iso(100), iso(114), ["live", "post"])
    # The warning expired at day 90, but strikes still count at day 95: a strike, not a new warning.
    after = [yt.report("mixed", day(i)) for i in (0, 10, 95)]
    assert [a["strike"]["count"] for a in after] == [0, 1, 2]
    # The warning in force until day 90: a violation just before is strike 1...
    inside = [yt.report("inside", day(i)) for i in (0, 89.9)]
    assert [(a["strike"]["count"], term(a)[0]) for a in inside] == [(0, "warning"), (1, "restriction")]
    # ...one at day 90, with no strike counting, is a first warning again.
    again = [yt.report("again", day(i)) for i in (0, 90)]
    assert [(a["strike"]["count"], term(a)) for a in again] == [
        (0, ("warning", iso(0), iso(90), [])),
        (0, ("warning", iso(90), iso(180), [])),
    ]
    assert state(db, "youtube/again", 91) == ("good", [], None, 0)


def test_truth_social_doubles_from_48_hours_then_suspends_indefinitely(db: Database) -> None:
    operator_with(db, "tmtg", ("truth-social", "truth-social"))
    ts = Reporter(db, "truth-social")
    answers = [ts.report("user", day(10 * i)) for i in range(7)]
    hours = [48, 96, 192, 384, 768]
    assert [term(a) for a in answers] == [
        *[
            ("suspension", iso(10 * i), format_instant(day(10 * i) + timedelta(hours=h)), [])
            for i, h in enumerate(hours)
        ],
        ("suspension", iso(50), None, []),
        ("suspension", iso(60), None, []),
    ]
    assert [a["strike"]["count"] for a in answers] == list(range(1, 8))
    assert answers[0]["strike"]["expires_at"] is None  # Truth Social's strikes never expire
    everything = sorted(["login", *CONTENT])  # a suspension denies everything but appeal
    assert state(db, "truth-social/user", 3650) == ("suspended", everything, None, 7)
    assert answers[0]["sanction"]["automated"] == {"detection": False, "decision": "not_automated"}


def test_parler_records_strikes_and_imposes_nothing(db: Database) -> None:
    operator_with(db, "parler", ("parler", "parler"))
    parler = Reporter(db, "parler")
    answers = [parler.report("patriot", day(i), severity="severe") for i in range(3)]
    assert [(a["strike"]["count"], a["sanction"], a["strike"]["step"]) for a in answers] == [
        (1, None, None),
        (2, None, None),
        (3, None, None),
    ]
    result = standing.get_standing(db, AccountRef("parler", "patriot"), at=day(5)).to_json()
    assert (result["status"], result["strikes"]) == ("good", 3)


def test_a_severe_violation_jumps_to_termination(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    operator_with(db, "google", ("youtube", "youtube"))
    fb, yt = Reporter(db, "facebook"), Reporter(db, "youtube")
    assert term(fb.report("bob", day(0), severity="severe")) == ("termination", iso(0), None, [])
    assert term(yt.report("bob", day(0), severity="severe")) == ("termination", iso(0), None, [])
    # A high (not severe) first violation stays on the strike ladder.
    assert term(fb.report("carol", day(0), severity="high"))[0] == "warning"


def test_a_repeated_violation_id_gets_the_first_answer_and_records_nothing(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    fb = Reporter(db, "facebook")
    first = fb.answer("dave", day(0), id="fb-829301")
    before = event_count(db)
    again = fb.answer("dave", day(3), id="fb-829301", severity="severe", now=NOW + timedelta(days=1))
    assert (first.created, again.created) == (True, False)
    assert again.body == first.body
    assert event_count(db) == before
    assert strikes(db, "facebook/dave", "2023-01-05T00:00:00Z") == 1


def test_strikes_of_direct_sanctions_count_and_a_lift_takes_them_away(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    direct = impose(db, "facebook/erin", scope=["facebook", "instagram"], duration="P7D", starts_at=day(0), now=day(0))
    assert strikes(db, "facebook/erin", iso(1) or "") == 1
    # A moderator who shortens the sanction keeps its strike...
    sanctions.amend_sanction(
        db,
        direct["id"],
        sanctions.AmendSanction.parse(reason="shorter", ends_at=day(3)),
        caller=Caller("m", now=day(1)),
    )
    assert strikes(db, "facebook/erin", iso(2) or "") == 1
    # ...and the next violation climbs the ladder from it.
    second = Reporter(db, "facebook").report("erin", day(2))
    assert (second["strike"]["count"], term(second)) == (2, ("restriction", iso(2), iso(3), sorted(FEATURES)))
    # A lift takes the direct sanction's strike away from then on, on every platform of its scope.
    sanctions.lift_sanction(
        db,
        direct["id"],
        # Recorded after the violations reported before it (the log's instants never go back),
        # it takes effect at day 2.5: backdated, with its reason.
        sanctions.LiftSanction.parse(
            reason="wrongly imposed", effective_at=day(2.5), backdated_reason="decided on day 2.5, entered later"
        ),
        caller=Caller("m", now=day(2.5)),
    )
    assert strikes(db, "facebook/erin", iso(2.25) or "") == 2
    assert strikes(db, "facebook/erin", iso(2.75) or "") == 1
    # Without a policy, a strike never expires; with Meta's it does after a year.
    assert strikes(db, "facebook/erin", "2024-01-02T00:00:00Z") == 1
    assert strikes(db, "facebook/erin", "2024-01-03T00:00:00Z") == 0


def test_the_probation_ladder_applies_during_probation_and_not_after(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    ban = impose(
        db,
        "facebook/DonaldTrump",
        scope=["facebook", "instagram"],
        starts_at="2021-01-07T00:00:00Z",
        now=t("2021-01-07T12:00:00Z"),
    )
    letter = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ban["id"],
            kind="reinstatement",
            filed_by={"name": "Campaign counsel", "relation": "representative"},
            statement="Reinstate him.",
            channel="letter",
            meeting_requested=True,
            received_at="2023-01-17T00:00:00Z",
        ),
        caller=MODERATOR.at(t("2023-01-18T00:00:00Z")),
    )
    appeals.decide_appeal(
        db,
        letter.id,
        appeals.DecideAppeal.parse(
            outcome="granted",
            rationale="The risk has receded.",
            reply="Reinstated with guardrails.",
            effective_at="2023-01-25T00:00:00Z",
            probation={"duration": "P2Y"},
        ),
        caller=MODERATOR.at(t("2023-01-25T00:00:00Z")),
    )
    during = standing.get_standing(db, AccountRef("facebook", "DonaldTrump"), at=t("2023-02-01T00:00:00Z")).to_json()
    assert during["status"] == "good"
    assert during["probation"]["until"] == "2025-01-25T00:00:00Z"
    assert during["strikes"] == 0  # the lifted ban's strike went with it
    fb = Reporter(db, "facebook")
    low = fb.report("DonaldTrump", t("2023-03-01T00:00:00Z"), severity="low")
    assert low["strike"]["ladder"] == "probation" and low["probation"] == during["probation"]["id"]
    assert term(low) == ("suspension", "2023-03-01T00:00:00Z", "2023-04-01T00:00:00Z", [])
    assert low["sanction"]["scope"] == ["facebook", "instagram"]  # the probation's scope
    severe = fb.report("DonaldTrump", t("2024-06-01T00:00:00Z"), severity="severe")
    assert term(severe) == ("suspension", "2024-06-01T00:00:00Z", "2026-06-01T00:00:00Z", [])
    after = standing.get_standing(db, AccountRef("facebook", "DonaldTrump"), at=t("2025-01-25T00:00:00Z")).to_json()
    assert after["probation"] is None
    late = fb.report("DonaldTrump", t("2026-07-01T00:00:00Z"), severity="low", now=t("2026-07-01T00:00:00Z"))
    assert late["strike"]["ladder"] == "standard"
    assert (late["strike"]["count"], term(late)[0]) == (1, "warning")  # the 2023 and 2024 strikes expired


def test_a_probation_ladder_without_a_step_falls_back_to_the_standard_ladder(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    ban = impose(db, "facebook/frank", starts_at=day(0), now=day(0))
    complaint = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ban["id"], kind="complaint", filed_by={"name": "Frank"}, statement="Wrong.", channel="web"
        ),
        caller=MODERATOR.at(day(1)),
    )
    appeals.decide_appeal(
        db,
        complaint.id,
        appeals.DecideAppeal.parse(
            outcome="granted",
            rationale="r",
            reply="ok",
            probation={"duration": "P1Y", "ladder": {"by_severity": {"severe": {"kind": "termination"}}}},
        ),
        caller=MODERATOR.at(day(2)),
    )
    fb = Reporter(db, "facebook")
    low = fb.report("frank", day(3), severity="low")
    assert (low["strike"]["ladder"], term(low)[0]) == ("standard", "warning")
    severe = fb.report("frank", day(4), severity="severe")
    assert (severe["strike"]["ladder"], term(severe)) == ("probation", ("termination", iso(4), None, []))


def test_bad_reports_are_refused_and_change_nothing(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    operator_with(db, "x", ("twitter", None))
    before = event_count(db)

    def report(**changes: object) -> None:
        fields: dict[str, object] = {
            "id": "v",
            "platform": "facebook",
            "account": "gina",
            "policy": "Spam",
            "severity": "low",
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "occurred_at": "2024-01-01T00:00:00Z",
        }
        fields.update(changes)
        operators = fields.pop("operators", None)
        violations.record_violation(
            db, violations.RecordViolation.parse(**fields), caller=MODERATOR.at(NOW).among(operators)
        )

    for changes, error in [
        ({"severity": "extreme"}, ValidationError),
        ({"category": "SPAM"}, ValidationError),
        ({"occurred_at": "2030-01-01T00:00:00Z"}, ValidationError),
        ({"policy": ""}, ValidationError),
        ({"account": "two words"}, ValidationError),
        ({"platform": "myspace"}, NotFoundError),
        ({"platform": "twitter", "operators": ["meta"]}, NotFoundError),
    ]:
        with pytest.raises(error):
            report(**changes)
    assert event_count(db) == before


def test_rebuilding_the_projections_reproduces_violations_and_probations(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    ban = impose(db, "facebook/hank", scope=["facebook", "instagram"], starts_at=day(0), now=day(0))
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ban["id"],
            kind="reinstatement",
            filed_by={"name": "Hank", "email": "hank@example.com"},
            statement="Please.",
            channel="email",
        ),
        caller=MODERATOR.at(day(1)),
    )
    appeals.decide_appeal(
        db,
        appeal.id,
        appeals.DecideAppeal.parse(outcome="granted", rationale="r", reply="ok", probation={}),
        caller=MODERATOR.at(day(2)),
    )
    fb = Reporter(db, "facebook")
    for i in range(4):
        fb.report("hank", day(3 + i), severity=("low", "moderate", "high", "severe")[i])
    Reporter(db, "instagram").report("hank-ig", day(3))
    before = snapshot(db)
    assert before["violations"] and before["probations"]
    rebuild_projections(db)
    assert snapshot(db) == before
    assert verify_audit_log(db).ok
