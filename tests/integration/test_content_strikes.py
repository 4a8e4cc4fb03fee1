"""Strikes from content decisions (issue 25, item 1) on both backends: a decision that counts as a
strike climbs its platform's ladder as a violation does (Meta's, YouTube's with its first warning);
a report naming an item is one content decision and one strike; a restoration ends the strike; the
enforcement index (built and followed) counts as the database; a rebuild gives the same rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from due_process_support import DUE_PROCESS_TABLES, PLATFORM_CLIENT, day, operator_with

from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.model import AccountRef
from reprieve.domain.time import to_micros
from reprieve.enforcement import EnforcementIndex
from reprieve.enforcement.follower import IndexFollower
from reprieve.services import content, sanctions, standing, violations
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database

ACTOR = "moderator (tok_test)"
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "contractual_ground": "Violent or graphic content",
    "explanation": "The video shows graphic violence.",
}


def decide(
    db: Database, platform: str, account: str, item: str, when: datetime, *, strike: bool = True, **fields: Any
) -> dict[str, Any]:
    """A removal of ``item`` by ``account`` from ``when``, recorded an hour later."""
    command = content.DecideContent.parse(
        item={
            "platform": platform,
            "item": item,
            "account": account,
            "content_type": ["CONTENT_TYPE_VIDEO"],
            "content_date": "2022-12-31",
        },
        kind=fields.pop("kind", "removal"),
        reason=dict(REASON),
        starts_at=when,
        strike=strike,
        **fields,
    )
    return content.decide_content(db, command, caller=Caller(ACTOR, now=when + timedelta(hours=1))).to_json()


def sanction_of(db: Database, decided: dict[str, Any]) -> dict[str, Any] | None:
    record = decided["strike_record"]
    if record is None or record["sanction"] is None:
        return None
    return sanctions.get_sanction(db, record["sanction"], at=day(1000)).to_json()


def strikes(db: Database, ref: str, at: datetime) -> int:
    return int(standing.get_standing(db, AccountRef.parse(ref), at=at).to_json()["strikes"])


def test_metas_ladder_walked_through_content_removals(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    steps = []
    for i in range(1, 12):
        decided = decide(db, "facebook", "poster", f"post-{i}", day(i))
        record = decided["strike_record"]
        sanction = sanction_of(db, decided)
        assert sanction is not None and sanction["subject"] == {"platform": "facebook", "account": "poster"}
        steps.append((record["count"], record["ladder"], sanction["kind"], sanction["denies"], sanction["ends_at"]))
        assert record["counts"] is True and record["ends_at"] == f"2024-01-{i + 1:02d}T00:00:00Z"
    assert [s[:3] for s in steps] == [
        (1, "standard", "warning"),
        *[(n, "standard", "restriction") for n in range(2, 12)],
    ]
    assert steps[0][3] == [] and steps[0][4] == "2024-01-02T00:00:00Z"  # a warning lasts as long as its strike
    assert (
        sorted(steps[1][3]) == ["advertise", "live", "monetize"] and steps[1][4] == "2023-01-04T00:00:00Z"
    )  # 2-6: 1 day
    assert "post" in steps[6][3] and steps[6][4] == "2023-01-09T00:00:00Z"  # 7: 1 day of no content
    assert steps[7][4] == "2023-01-12T00:00:00Z"  # 8: 3 days
    assert steps[8][4] == "2023-01-17T00:00:00Z"  # 9: 7 days
    assert steps[9][4] == "2023-02-10T00:00:00Z" and steps[10][0] == 11  # 10+: 30 days
    # The standing counts them; a decision that is no strike adds none and imposes nothing.
    assert strikes(db, "facebook/poster", day(11.5)) == 11
    plain = decide(db, "facebook", "poster", "post-plain", day(12), strike=False)
    assert plain["strike_record"] is None and strikes(db, "facebook/poster", day(12.5)) == 11
    # They expire after a year, as the policy says.
    assert strikes(db, "facebook/poster", day(366.5)) == 10


def test_youtube_first_removal_is_a_first_warning_then_strikes_and_freezes(db: Database) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    first = decide(db, "youtube", "creator", "v1", day(0))
    assert first["strike"] is True
    record = first["strike_record"]
    assert (record["count"], record["ladder"], record["counts"], record["ends_at"]) == (0, "first_warning", False, None)
    warning = sanction_of(db, first)
    assert warning is not None and (warning["kind"], warning["ends_at"]) == ("warning", "2023-04-01T00:00:00Z")
    assert strikes(db, "youtube/creator", day(0.5)) == 0
    second = decide(db, "youtube", "creator", "v2", day(10))
    freeze = sanction_of(db, second)
    assert second["strike_record"]["count"] == 1 and freeze is not None
    assert (freeze["kind"], sorted(freeze["denies"]), freeze["ends_at"]) == (
        "restriction",
        ["live", "post"],
        "2023-01-18T00:00:00Z",
    )
    third = decide(db, "youtube", "creator", "v3", day(20))
    assert sanction_of(db, third)["ends_at"] == "2023-02-04T00:00:00Z"  # type: ignore[index]  # two weeks
    fourth = decide(db, "youtube", "creator", "v4", day(30))
    assert sanction_of(db, fourth)["kind"] == "termination"  # type: ignore[index]
    assert strikes(db, "youtube/creator", day(30.5)) == 3
    # Severity: severe abuse ends the channel at once, without warning.
    severe = decide(db, "youtube", "other", "v9", day(31), severity="severe")
    assert sanction_of(db, severe)["kind"] == "termination"  # type: ignore[index]


def test_a_restored_decision_stops_counting_and_the_index_agrees(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    index = EnforcementIndex.build(db, now=day(-1))
    follower = IndexFollower(index, db, listen=False)
    decided = [decide(db, "facebook", "poster", f"post-{i}", day(i)) for i in range(3)]
    decide(db, "facebook", "other", "other-1", day(2.5))
    assert strikes(db, "facebook/poster", day(2.5)) == 3
    follower.poll()  # the index holds the three strikes: the restoration alone must end one
    restored = content.restore_content(
        db,
        decided[1]["id"],
        content.RestoreContent.parse(reason="the video was newsworthy"),
        caller=Caller(ACTOR, now=day(5)),
    ).to_json()
    # It counted from day 1 until its restoration at day 5, then no more; the others still do.
    assert restored["strike_record"]["ends_at"] == "2023-01-06T00:00:00Z"
    assert restored["strike_record"]["counts"] is False
    assert strikes(db, "facebook/poster", day(4.5)) == 3
    assert strikes(db, "facebook/poster", day(5.5)) == 2
    follower.poll()
    assert index.standing("facebook", "poster", to_micros(day(5.5)))["strikes"] == 2
    # The ladder's sanction stays: the restoration ends the strike, not (here) the sanction.
    assert sanction_of(db, decided[1])["lifted_at"] is None  # type: ignore[index]
    # The next strike climbs from the two left.
    assert decide(db, "facebook", "poster", "post-9", day(6))["strike_record"]["count"] == 3
    # Amending the decision keeps its strike.
    content.amend_content(
        db,
        decided[0]["id"],
        content.AmendContent.parse(reason="shown again in Germany", kind="disabling", territorial_scope=["DE"]),
        caller=Caller(ACTOR, now=day(7)),
    )
    assert strikes(db, "facebook/poster", day(7.5)) == 3
    follower.poll()
    built = EnforcementIndex.build(db, now=day(-1))
    for at in (0.5, 1.5, 2.5, 4.5, 5.5, 6.5, 7.5, 300, 366.5, 368):
        for account in ("poster", "other", "nobody"):
            expected = standing.get_standing(db, AccountRef("facebook", account), at=day(at)).to_json()
            assert index.standing("facebook", account, to_micros(day(at))) == expected, (account, at)
            assert built.standing("facebook", account, to_micros(day(at))) == expected, (account, at)


def _rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    from sqlalchemy import select

    with db.read() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in (*DUE_PROCESS_TABLES, tables.content_decisions, tables.items, tables.content_spans)
        }


def test_a_rebuild_from_the_log_gives_the_same_rows(db: Database) -> None:
    operator_with(db, "google", ("youtube", "youtube"))
    decided = [decide(db, "youtube", "creator", f"v{i}", day(i)) for i in range(3)]
    content.restore_content(
        db, decided[2]["id"], content.RestoreContent.parse(reason="restored"), caller=Caller(ACTOR, now=day(4))
    )
    record_on_item(db, "youtube", "creator", "v7", day(5), "yt-report-7")
    before = _rows(db)
    assert sum(1 for row in before["violations"] if any(str(v).startswith("cd_") for v in row)) == 4
    rebuild_projections(db)
    assert _rows(db) == before
    assert verify_audit_log(db).ok


def record_on_item(
    db: Database, platform: str, account: str, item: str, when: datetime, report_id: str, **fields: Any
) -> violations.ViolationAnswer:
    return violations.record_violation(
        db,
        violations.RecordViolation.parse(
            id=report_id,
            platform=platform,
            account=account,
            policy="Violent or graphic content",
            severity=fields.pop("severity", "moderate"),
            category="STATEMENT_CATEGORY_VIOLENCE",
            occurred_at=when,
            item={"item": item, "content_type": ["CONTENT_TYPE_VIDEO"], "content_date": "2022-12-31"},
            **fields,
        ),
        caller=PLATFORM_CLIENT.at(when + timedelta(minutes=5)),
    )


def test_a_violation_naming_an_item_is_one_content_decision_and_one_strike(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    answer = record_on_item(db, "facebook", "poster", "post-1", day(0), "fb-1")
    body = answer.body
    assert answer.created and body["strike"]["count"] == 1 and body["sanction"]["kind"] == "warning"
    decision = content.get_content_decision(db, body["content_decision"], at=day(0.5)).to_json()
    assert (decision["kind"], decision["strike"], decision["item"]["item"]) == ("removal", True, "post-1")
    assert decision["strike_record"]["violation"] == body["id"]
    assert decision["strike_record"]["sanction"] == body["sanction"]["id"]
    assert strikes(db, "facebook/poster", day(0.5)) == 1  # one strike, not two
    # A repeat gets the first answer and records nothing more.
    again = record_on_item(db, "facebook", "poster", "post-1", day(0), "fb-1")
    assert not again.created and again.body["content_decision"] == body["content_decision"]
    second = record_on_item(db, "facebook", "poster", "post-2", day(1), "fb-2", kind="demotion").body
    assert second["strike"]["count"] == 2 and second["sanction"]["kind"] == "restriction"
    assert content.get_content_decision(db, second["content_decision"], at=day(1.5)).kind.value == "demotion"
    assert strikes(db, "facebook/poster", day(1.5)) == 2
    # The item has its author: another account's report on it is refused, and records nothing.
    with pytest.raises(ConflictError):
        record_on_item(db, "facebook", "someone-else", "post-1", day(2), "fb-3")
    assert strikes(db, "facebook/someone-else", day(2.5)) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "removal"}, "kind"),
        ({"item": "not an object"}, "item"),
        ({"item": {"item": "x", "content_type": ["CONTENT_TYPE_OTHER"], "content_date": "2022-12-31"}}, "item"),
        (
            {"item": {"item": "x", "content_type": ["CONTENT_TYPE_VIDEO"], "content_date": "2022-12-31"}, "kind": "x"},
            "kind",
        ),
        (
            {
                "item": {"item": "x", "content_type": ["CONTENT_TYPE_VIDEO"], "content_date": "2022-12-31"},
                "content_type": ["CONTENT_TYPE_TEXT"],
            },
            "content_type",
        ),
    ],
)
def test_a_report_naming_an_item_badly_is_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        violations.RecordViolation.parse(
            id="r",
            platform="facebook",
            account="a",
            policy="p",
            severity="low",
            category="STATEMENT_CATEGORY_VIOLENCE",
            **fields,
        )
    assert refused.value.field == field


def test_a_severity_without_a_strike_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        content.DecideContent.parse(
            item={
                "platform": "p",
                "item": "i",
                "account": "a",
                "content_type": ["CONTENT_TYPE_VIDEO"],
                "content_date": "2022-12-31",
            },
            kind="removal",
            reason=dict(REASON),
            severity="severe",
        )
    assert refused.value.field == "severity"
