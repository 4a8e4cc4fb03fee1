"""Reviews: due by time, opened with a panel, assessed once per member, decided with the quorum,
each outcome applied to the sanction in the same transaction; Meta's 2023 story end to end."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from due_process_support import (
    MODERATOR,
    Reporter,
    all_event_text,
    event_count,
    impose,
    operator_with,
    snapshot,
    t,
)

from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from reprieve.domain.filters import ReviewFilter
from reprieve.domain.model import AccountRef, Role
from reprieve.domain.reviews import ReviewState
from reprieve.domain.time import to_micros
from reprieve.enforcement import EnforcementIndex, IndexFollower
from reprieve.services import catalogue, reviews, sanctions, standing
from reprieve.services.audit import rebuild_projections
from reprieve.services.callers import Caller
from reprieve.store.db import Database

EXPERTS = ("expert-1", "expert-2", "expert-3")


def expert(name: str) -> Caller:
    return Caller(f"{name} (tok_{name})", names=(name, f"tok_{name}"), role=Role.REVIEWER)


def due(db: Database, when: str) -> list[str]:
    page = reviews.list_reviews(db, ReviewFilter(state=ReviewState.DUE), at=t(when))
    return [item.sanction for item in page.items]


def assess(db: Database, review: str, names: tuple[str, ...], when: str, risk: str = "low") -> reviews.ReviewView:
    result = None
    for name in names:
        result = reviews.file_assessment(
            db,
            review,
            reviews.FileAssessment.parse(risk=risk, factors=["ongoing_violence"], rationale=f"{name}: calm"),
            caller=expert(name).at(t(when)),
        )
    assert result is not None
    return result


def opened(db: Database, sanction: str, when: str, panel: tuple[str, ...] = EXPERTS) -> str:
    review = reviews.open_review(
        db, sanction, panel=list(panel), reason="Is the risk still there?", caller=MODERATOR.at(t(when))
    )
    return review.id


def test_the_meta_story_review_due_panel_lift_with_probation_then_a_month_at_least(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    catalogue.link_identities(
        db,
        catalogue.LinkIdentities.parse(
            operator="meta",
            accounts=[AccountRef("facebook", "DonaldTrump"), AccountRef("instagram", "realdonaldtrump")],
        ),
        caller=Caller("setup", now=t("2021-01-01T00:00:00Z")),
    )
    ban = impose(
        db,
        "facebook/DonaldTrump",
        scope=["facebook", "instagram"],
        starts_at="2021-01-07T00:00:00Z",
        now=t("2021-01-07T16:00:00Z"),
    )
    sanctions.amend_sanction(
        db,
        ban["id"],
        sanctions.AmendSanction.parse(
            reason="Two years, then experts assess the risk.",
            review_at="2023-01-07T00:00:00Z",
            effective_at="2021-06-04T00:00:00Z",
        ),
        caller=Caller("m", now=t("2021-06-04T15:00:00Z")),
    )
    assert due(db, "2023-01-06T23:59:59Z") == []
    assert due(db, "2023-01-07T00:00:00Z") == [ban["id"]]
    review = opened(db, ban["id"], "2023-01-09T00:00:00Z")
    assert due(db, "2023-01-10T00:00:00Z") == []  # open now, no longer merely due
    shown = reviews.get_review(db, review)
    assert (shown.state, shown.quorum, shown.due_at) == ("open", 2, t("2023-01-07T00:00:00Z"))
    assess(db, review, EXPERTS[:1], "2023-01-12T00:00:00Z", risk="moderate")
    with pytest.raises(ConflictError, match="needs 2 assessments"):
        reviews.decide_review(
            db,
            review,
            reviews.DecideReview.parse(outcome="lift", rationale="early"),
            caller=MODERATOR.at(t("2023-01-13T00:00:00Z")),
        )
    result = assess(db, review, EXPERTS[1:], "2023-01-16T00:00:00Z")
    assert result.risk == {"none": 0, "low": 2, "moderate": 1, "high": 0, "severe": 0}
    decided = reviews.decide_review(
        db,
        review,
        reviews.DecideReview.parse(
            outcome="lift",
            rationale="The risk to public safety has sufficiently receded.",
            probation={"duration": "P2Y"},
            effective_at="2023-01-25T00:00:00Z",
        ),
        caller=MODERATOR.at(t("2023-01-25T18:00:00Z")),
    )
    assert decided.state == "decided" and decided.outcome == "lift"
    assert decided.decision is not None and decided.decision.probation is not None
    assert decided.decision.probation.until == t("2025-01-25T00:00:00Z")
    assert [e.event for e in decided.timeline] == ["opened", "assessed", "assessed", "assessed", "decided"]
    lifted = sanctions.get_sanction(db, ban["id"], at=t("2023-02-01T00:00:00Z")).to_json()
    assert (lifted["state"], lifted["lifted_at"]) == ("lifted", "2023-01-25T00:00:00Z")
    assert f'"review":"{review}"' in all_event_text(db).replace(" ", "")  # the lift names the review
    for ref in (AccountRef("facebook", "DonaldTrump"), AccountRef("instagram", "realdonaldtrump")):
        now_standing = standing.get_standing(db, ref, at=t("2023-02-01T00:00:00Z")).to_json()
        assert now_standing["status"] == "good" and now_standing["probation"] is not None
    new = Reporter(db, "facebook").report("DonaldTrump", t("2023-03-01T00:00:00Z"), severity="low")
    suspension = new["sanction"]
    assert suspension["kind"] == "suspension" and new["strike"]["ladder"] == "probation"
    assert t(suspension["ends_at"]) >= t("2023-04-01T00:00:00Z")
    on_instagram = standing.get_standing(
        db, AccountRef("instagram", "realdonaldtrump"), at=t("2023-03-15T00:00:00Z")
    ).to_json()
    assert on_instagram["status"] == "suspended"


def test_panel_members_assess_once_and_only_they_or_a_moderator_decide(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    ban = impose(db, "facebook/ivan", duration="P1Y", now=t("2024-01-01T00:00:00Z"))
    review = opened(db, ban["id"], "2024-02-01T00:00:00Z")
    with pytest.raises(ForbiddenError, match="panel"):
        reviews.file_assessment(
            db,
            review,
            reviews.FileAssessment.parse(risk="low", factors=[], rationale="x"),
            caller=expert("outsider").at(t("2024-02-02T00:00:00Z")),
        )
    assess(db, review, ("expert-1",), "2024-02-02T00:00:00Z")
    with pytest.raises(ConflictError, match="already filed"):
        assess(db, review, ("expert-1",), "2024-02-03T00:00:00Z")
    # A token sits on a panel under the name or the id the panel lists, not under another one.
    by_id = Caller("someone", names=("renamed-token", "tok_expert-2"), role=Role.REVIEWER)
    with pytest.raises(ForbiddenError):
        reviews.file_assessment(
            db,
            review,
            reviews.FileAssessment.parse(risk="low", factors=[], rationale="x"),
            caller=by_id.at(t("2024-02-03T00:00:00Z")),
        )
    other = impose(db, "facebook/ivan2", duration="P1Y", now=t("2024-01-01T00:00:00Z"))
    listed_by_id = opened(db, other["id"], "2024-02-01T00:00:00Z", panel=("tok_expert-2",))
    assert (
        reviews.file_assessment(
            db,
            listed_by_id,
            reviews.FileAssessment.parse(risk="none", factors=[], rationale="x"),
            caller=by_id.at(t("2024-02-03T00:00:00Z")),
        )
        .assessments[0]
        .reviewer
        == "tok_expert-2"
    )
    assess(db, review, ("expert-2",), "2024-02-03T00:00:00Z")
    with pytest.raises(ForbiddenError, match="moderator or a member"):
        reviews.decide_review(
            db,
            review,
            reviews.DecideReview.parse(outcome="uphold", rationale="x"),
            caller=expert("outsider").at(t("2024-02-04T00:00:00Z")),
        )
    decided = reviews.decide_review(
        db,
        review,
        reviews.DecideReview.parse(outcome="uphold", rationale="keep it"),
        caller=expert("expert-3").at(t("2024-02-04T00:00:00Z")),
    )
    # the decision names who took it as the log names them (the actor, by id since issue 21)
    assert decided.decision is not None and decided.decision.decided_by == "expert-3 (tok_expert-3)"
    with pytest.raises(ConflictError, match="already decided"):
        assess(db, review, ("expert-3",), "2024-02-05T00:00:00Z")
    with pytest.raises(ConflictError, match="already decided"):
        reviews.decide_review(
            db,
            review,
            reviews.DecideReview.parse(outcome="lift", rationale="x"),
            caller=MODERATOR.at(t("2024-02-05T00:00:00Z")),
        )


def test_panels_and_quorums_are_checked_when_a_review_opens(db: Database) -> None:
    start = t("2020-01-01T00:00:00Z")
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="club", name="Club"), caller=Caller("setup", now=start)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(
            id="forum", operator="club", name="Forum", policy={"name": "strict", "reviews": {"quorum": 3}}
        ),
        caller=Caller("setup", now=start),
    )
    ban = impose(db, "forum/jo", now=t("2024-01-01T00:00:00Z"))
    for panel, message in [([], "at least one"), (["a", "a"], "twice"), (["a", "b"], "quorum of 3")]:
        with pytest.raises(ValidationError, match=message):
            reviews.open_review(db, ban["id"], panel=panel, reason="r", caller=MODERATOR.at(t("2024-01-02T00:00:00Z")))
    review = opened(db, ban["id"], "2024-01-02T00:00:00Z", panel=("a", "b", "c", "d"))
    assert reviews.get_review(db, review).quorum == 3
    with pytest.raises(ConflictError, match="already under review"):
        opened(db, ban["id"], "2024-01-03T00:00:00Z")
    ended = impose(db, "forum/kim", duration="P1D", now=t("2024-01-01T00:00:00Z"))
    with pytest.raises(ConflictError, match="expired"):
        opened(db, ended["id"], "2024-01-05T00:00:00Z")
    with pytest.raises(NotFoundError):
        reviews.open_review(
            db, ban["id"], panel=["a"], reason="r", caller=MODERATOR.at(t("2024-01-02T00:00:00Z")).among(["meta"])
        )


def _decided(db: Database, outcomes: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each account's sanction (imposed on 2024-01-01) reviewed and decided with its outcome; told
    step by step across them (opened on 07-02, assessed on 07-03, decided on 07-04), in the order
    of their instants, as the log's never go backwards. The sanctions as they stand on 07-05."""
    bans = {
        account: impose(db, f"facebook/{account}", duration="P1Y", review_after="P6M", now=t("2024-01-01T00:00:00Z"))
        for account in outcomes
    }
    opened_reviews = {account: opened(db, ban["id"], "2024-07-02T00:00:00Z") for account, ban in bans.items()}
    for review in opened_reviews.values():
        assess(db, review, EXPERTS[:2], "2024-07-03T00:00:00Z")
    for account, (outcome, fields) in outcomes.items():
        reviews.decide_review(
            db,
            opened_reviews[account],
            reviews.DecideReview.parse(outcome=outcome, rationale=f"{outcome} it", **fields),
            caller=MODERATOR.at(t("2024-07-04T00:00:00Z")),
        )
    return {
        account: sanctions.get_sanction(db, ban["id"], at=t("2024-07-05T00:00:00Z")).to_json()
        for account, ban in bans.items()
    }


def test_each_outcome_changes_the_sanction_as_it_says(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    decided = _decided(
        db,
        {
            "l": ("lift", {}),
            "e": ("extend", {"ends_at": "2025-06-01T00:00:00Z", "next_review_at": "2025-03-01T00:00:00Z"}),
            "u": ("uphold", {}),
            "t": ("terminate", {}),
            "r": ("reduce", {"ends_at": "2024-08-01T00:00:00Z"}),
        },
    )
    lifted, extended, upheld, terminated, reduced = (decided[a] for a in "leutr")
    assert lifted["state"] == "lifted"
    assert (extended["ends_at"], extended["review_at"]) == ("2025-06-01T00:00:00Z", "2025-03-01T00:00:00Z")
    assert (upheld["ends_at"], upheld["review_at"], upheld["state"]) == ("2025-01-01T00:00:00Z", None, "active")
    assert (terminated["kind"], terminated["ends_at"]) == ("termination", None)
    assert reduced["ends_at"] == "2024-08-01T00:00:00Z"
    history = [(c["type"], c["effective_at"]) for c in reduced["history"]]
    assert history[-1] == ("amended", "2024-07-04T00:00:00Z")
    # Every decided review is done: none is due any more; the extended one falls due again.
    assert due(db, "2024-08-01T00:00:00Z") == []
    assert due(db, "2025-03-01T00:00:00Z") == [extended["id"]]


@pytest.mark.parametrize(
    ("outcome", "fields", "message"),
    [
        ("extend", {}, "new ends_at"),
        ("extend", {"ends_at": "2024-12-01T00:00:00Z"}, "after the current end"),
        ("reduce", {"ends_at": "2026-01-01T00:00:00Z"}, "before the current end"),
        ("uphold", {"ends_at": "2026-01-01T00:00:00Z"}, "only extend and reduce"),
        ("uphold", {"probation": {"duration": "P1Y"}}, "only a decision that lifts"),
        ("lift", {"next_review_at": "2025-01-01T00:00:00Z"}, "no next review"),
        ("lift", {"effective_at": "2024-07-01T00:00:00Z"}, "after it was opened"),
        (
            "lift",
            {"probation": {"duration": "P1Y", "ladder": {"by_strikes": [{"strikes": 1, "kind": "ban"}]}}},
            "probation.ladder.by_strikes",
        ),
        ("dismiss", {}, "lift, extend"),
    ],
)
def test_a_wrong_decision_is_refused_and_changes_nothing(
    db: Database, outcome: str, fields: dict[str, Any], message: str
) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    ban = impose(db, "facebook/nina", duration="P1Y", now=t("2024-01-01T00:00:00Z"))
    review = opened(db, ban["id"], "2024-07-02T00:00:00Z")
    assess(db, review, EXPERTS[:2], "2024-07-03T00:00:00Z")
    before = event_count(db)
    with pytest.raises(ValidationError, match=message):
        reviews.decide_review(
            db,
            review,
            reviews.DecideReview.parse(outcome=outcome, rationale="r", **fields),
            caller=MODERATOR.at(t("2024-07-04T00:00:00Z")),
        )
    assert event_count(db) == before
    assert reviews.get_review(db, review).state == "open"


def test_two_decisions_at_once_one_wins_the_other_conflicts(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    ban = impose(db, "facebook/olga", duration="P1Y", now=t("2024-01-01T00:00:00Z"))
    review = opened(db, ban["id"], "2024-02-01T00:00:00Z")
    assess(db, review, EXPERTS, "2024-02-02T00:00:00Z")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(outcome: str) -> None:
        barrier.wait()
        try:
            reviews.decide_review(
                db,
                review,
                reviews.DecideReview.parse(outcome=outcome, rationale="r"),
                caller=MODERATOR.at(t("2024-02-03T00:00:00Z")),
            )
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(o,)) for o in ("lift", "terminate")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"]
    final = sanctions.get_sanction(db, ban["id"], at=t("2024-02-04T00:00:00Z")).to_json()
    decided = reviews.get_review(db, review)
    assert (final["state"] == "lifted") == (decided.outcome == "lift")
    assert (final["kind"] == "termination") == (decided.outcome == "terminate")


def test_rebuilding_the_projections_reproduces_reviews(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    for account, outcome in (("p", "lift"), ("q", "uphold")):
        ban = impose(db, f"facebook/{account}", duration="P1Y", review_after="P1M", now=t("2024-01-01T00:00:00Z"))
        review = opened(db, ban["id"], "2024-02-02T00:00:00Z")
        assess(db, review, EXPERTS, "2024-02-03T00:00:00Z")
        reviews.decide_review(
            db,
            review,
            reviews.DecideReview.parse(outcome=outcome, rationale="r", probation={} if outcome == "lift" else None),
            caller=MODERATOR.at(t("2024-02-04T00:00:00Z")),
        )
    still_open = impose(db, "facebook/r", duration="P1Y", now=t("2024-01-01T00:00:00Z"))
    assess(db, opened(db, still_open["id"], "2024-02-05T00:00:00Z"), EXPERTS[:1], "2024-02-06T00:00:00Z")
    before = snapshot(db)
    assert len(before["reviews"]) == 3 and len(before["review_assessments"]) == 7
    rebuild_projections(db)
    assert snapshot(db) == before


def _ended_awaiting_review(db: Database, account: str) -> str:
    """Two years from 2021-01-07, the review scheduled at the end of the term (Meta's announcement)."""
    ban = impose(
        db,
        f"facebook/{account}",
        scope=["facebook", "instagram"],
        starts_at="2021-01-07T00:00:00Z",
        duration="P2Y",
        review_after="P2Y",
        now=t("2021-01-07T16:00:00Z"),
    )
    assert (ban["ends_at"], ban["review_at"]) == ("2023-01-07T00:00:00Z", "2023-01-07T00:00:00Z")
    return str(ban["id"])


def _suspended(db: Database, account: str, when: str) -> bool:
    status = standing.get_standing(db, AccountRef("facebook", account), at=t(when)).to_json()["status"]
    return status in {"suspended", "terminated"}


def test_a_review_scheduled_at_the_end_of_the_term_falls_due_as_the_term_ends(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    ban = _ended_awaiting_review(db, "DonaldTrump")
    assert due(db, "2023-01-06T23:59:59Z") == []
    assert _suspended(db, "DonaldTrump", "2023-01-06T23:59:59Z")
    # The term ends on time, panel or not; the review it was scheduled for is owed until decided.
    assert not _suspended(db, "DonaldTrump", "2023-01-07T00:00:00Z")
    assert due(db, "2023-01-07T00:00:00Z") == due(db, "2024-06-01T00:00:00Z") == [ban]
    review = opened(db, ban, "2023-01-09T00:00:00Z")
    assert reviews.get_review(db, review).due_at == t("2023-01-07T00:00:00Z")
    assert due(db, "2023-01-10T00:00:00Z") == []
    # A sanction that simply ended, its review long done or never set, has nothing to review.
    ended = impose(db, "facebook/kim", duration="P1D", review_after="PT12H", now=t("2024-01-01T00:00:00Z"))
    plain = impose(db, "facebook/lee", duration="P1D", now=t("2024-01-01T00:00:00Z"))
    afterwards = impose(db, "facebook/max", duration="P1D", review_after="P2D", now=t("2024-01-01T00:00:00Z"))
    assert due(db, "2024-01-05T00:00:00Z") == []
    for sanction in (ended, plain, afterwards):
        with pytest.raises(ConflictError, match="expired: there is nothing to review"):
            opened(db, sanction["id"], "2024-01-05T00:00:00Z")
    lifted = _ended_awaiting_review(db, "lifted-early")
    sanctions.lift_sanction(
        db,
        lifted,
        # Recorded after the 2024 sanctions above (the log's instants never go back): backdated.
        sanctions.LiftSanction.parse(
            reason="error", effective_at="2022-01-01T00:00:00Z", backdated_reason="an error found in the 2022 files"
        ),
        caller=Caller("m", now=t("2022-01-01T00:00:00Z")),
    )
    assert due(db, "2023-02-01T00:00:00Z") == []


@pytest.mark.parametrize(
    ("outcome", "fields", "state", "suspended_after"),
    [
        ("lift", {"probation": {"duration": "P2Y"}}, "lifted", False),
        ("extend", {"ends_at": "2024-01-07T00:00:00Z", "next_review_at": "2023-12-01T00:00:00Z"}, "active", True),
        ("terminate", {}, "active", True),
        ("uphold", {}, "expired", False),
    ],
)
def test_the_review_at_the_end_of_the_term_is_decided_after_it(
    db: Database, outcome: str, fields: dict[str, Any], state: str, suspended_after: bool
) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    ban = _ended_awaiting_review(db, "DonaldTrump")
    review = opened(db, ban, "2023-01-09T00:00:00Z")
    assess(db, review, EXPERTS, "2023-01-16T00:00:00Z")
    index = EnforcementIndex.build(db, now=t("2023-01-20T00:00:00Z"))  # the hot path's answers, kept current
    decided = reviews.decide_review(
        db,
        review,
        reviews.DecideReview.parse(outcome=outcome, rationale="decided", effective_at="2023-01-25T00:00:00Z", **fields),
        caller=MODERATOR.at(t("2023-01-25T18:00:00Z")),
    )
    IndexFollower(index, db, listen=False).poll()
    for when in ("2023-01-24T23:59:59Z", "2023-01-25T00:00:00Z", "2023-12-01T00:00:00Z", "2024-01-07T00:00:00Z"):
        expected = standing.get_standing(db, AccountRef("facebook", "DonaldTrump"), at=t(when)).to_json()
        assert index.standing("facebook", "DonaldTrump", to_micros(t(when))) == expected, when
    assert (decided.state, decided.outcome) == ("decided", outcome)
    after = sanctions.get_sanction(db, ban, at=t("2023-02-01T00:00:00Z")).to_json()
    assert after["state"] == state
    # Between the end of the term and the decision the account was free: nothing is backdated.
    assert not _suspended(db, "DonaldTrump", "2023-01-24T23:59:59Z")
    assert _suspended(db, "DonaldTrump", "2023-02-01T00:00:00Z") is suspended_after
    assert due(db, "2023-06-01T00:00:00Z") == []
    if outcome == "lift":
        assert after["lifted_at"] == "2023-01-25T00:00:00Z"
        assert decided.decision is not None and decided.decision.probation is not None
        assert decided.decision.probation.until == t("2025-01-25T00:00:00Z")
    if outcome == "extend":
        assert (after["ends_at"], after["review_at"]) == ("2024-01-07T00:00:00Z", "2023-12-01T00:00:00Z")
        assert not _suspended(db, "DonaldTrump", "2024-01-07T00:00:00Z")
        assert due(db, "2023-12-01T00:00:00Z") == [ban]
    if outcome == "terminate":
        assert (after["kind"], after["ends_at"]) == ("termination", None)
    if outcome == "uphold":
        assert (after["ends_at"], after["review_at"]) == ("2023-01-07T00:00:00Z", None)
    before = snapshot(db)
    rebuild_projections(db)
    assert snapshot(db) == before


def test_an_ended_term_cannot_be_reduced(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    ban = _ended_awaiting_review(db, "DonaldTrump")
    review = opened(db, ban, "2023-01-09T00:00:00Z")
    assess(db, review, EXPERTS, "2023-01-16T00:00:00Z")
    before = event_count(db)
    with pytest.raises(ValidationError, match="must lie after the amendment takes effect"):
        reviews.decide_review(
            db,
            review,
            reviews.DecideReview.parse(outcome="reduce", ends_at="2022-06-01T00:00:00Z", rationale="r"),
            caller=MODERATOR.at(t("2023-01-25T00:00:00Z")),
        )
    assert event_count(db) == before
    assert reviews.get_review(db, review).state == "open"
