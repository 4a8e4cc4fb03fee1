"""The decision rules of appeals and reviews, without a database: what an appeal's outcome allows
and when a grant lifts; who decides a review, with how many assessments, and what each outcome
does to the term. The services apply these rules inside their units of work
(``services.appeals.decide_appeal``, ``services.reviews.decide_review``); the integration tests
check what they store, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reprieve.domain.appeals import AppealOutcome, ensure_decision_fits, grant_lifts_at
from reprieve.domain.errors import ConflictError, ForbiddenError, ValidationError
from reprieve.domain.model import AccountRef, SanctionKind
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.reviews import (
    Assessment,
    Review,
    ReviewOutcome,
    ReviewState,
    Risk,
    ensure_outcome_allows_probation,
    plan_review_decision,
    quorum_for,
)
from reprieve.domain.sanctions import UNSET, Change, ChangeType, Sanction


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def sanction(
    starts: str = "2024-01-10T00:00:00Z", ends: str | None = None, *, review_at: str | None = None
) -> Sanction:
    reason = Reason.from_dict(
        {"ground": "incompatible_content", "category": "STATEMENT_CATEGORY_VIOLENCE", "explanation": "x", "policy": "p"}
    )
    start = t(starts)
    imposed = Change(
        ChangeType.IMPOSED,
        1,
        start,
        SanctionKind.SUSPENSION,
        t(ends) if ends else None,
        review_at=t(review_at) if review_at else None,
    )
    return Sanction(
        "snc_1", "meta", "idt_1", AccountRef("facebook", "a"), ("facebook",), start, reason, Automation(), [imposed]
    )


# --- appeals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "amends", "probation", "refusal", "field"),
    [
        (AppealOutcome.GRANTED, False, False, None, None),
        (AppealOutcome.GRANTED, False, True, None, None),
        (AppealOutcome.GRANTED, True, False, "only a partial grant amends", None),
        (AppealOutcome.PARTIALLY_GRANTED, True, False, None, None),
        (AppealOutcome.PARTIALLY_GRANTED, False, False, "a partial grant says how the sanction changes", None),
        (AppealOutcome.PARTIALLY_GRANTED, True, True, "only a granted appeal", "probation"),
        (AppealOutcome.DENIED, False, False, None, None),
        (AppealOutcome.DENIED, True, False, "only a partial grant amends", None),
        (AppealOutcome.DENIED, False, True, "only a granted appeal", "probation"),
    ],
)
def test_only_a_partial_grant_amends_and_only_a_grant_sets_a_probation(
    outcome: AppealOutcome, amends: bool, probation: bool, refusal: str | None, field: str | None
) -> None:
    if refusal is None:
        ensure_decision_fits(outcome, amends=amends, probation=probation)
        return
    with pytest.raises(ValidationError, match=refusal) as refused:
        ensure_decision_fits(outcome, amends=amends, probation=probation)
    assert refused.value.field == field


def test_a_grant_lifts_an_active_sanction_at_the_decision_and_a_scheduled_one_at_its_start() -> None:
    s = sanction(starts="2024-01-10T00:00:00Z", ends="2025-01-10T00:00:00Z")
    decided = t("2024-06-01T12:00:00Z")
    assert grant_lifts_at(AppealOutcome.GRANTED, s, decided) == decided
    # Granted away before it starts: lifted at its start, so it never takes effect.
    assert grant_lifts_at(AppealOutcome.GRANTED, s, t("2024-01-01T00:00:00Z")) == t("2024-01-10T00:00:00Z")
    assert grant_lifts_at(AppealOutcome.GRANTED, s, t("2024-01-10T00:00:00Z")) == t("2024-01-10T00:00:00Z")


def test_a_grant_lifts_nothing_once_the_sanction_ran_out_or_was_lifted_and_no_other_outcome_lifts() -> None:
    s = sanction(starts="2024-01-10T00:00:00Z", ends="2024-03-10T00:00:00Z")
    assert grant_lifts_at(AppealOutcome.GRANTED, s, t("2024-03-10T00:00:00Z")) is None  # ran out: its end is exclusive
    assert grant_lifts_at(AppealOutcome.GRANTED, s, t("2024-03-09T23:59:59Z")) == t("2024-03-09T23:59:59Z")
    lifted = sanction()
    lifted.lift(seq=2, effective_at=t("2024-02-01T00:00:00Z"))
    assert grant_lifts_at(AppealOutcome.GRANTED, lifted, t("2024-02-01T00:00:00Z")) is None
    assert grant_lifts_at(AppealOutcome.GRANTED, lifted, t("2024-01-31T00:00:00Z")) == t("2024-01-31T00:00:00Z")
    active = sanction()
    for outcome in (AppealOutcome.PARTIALLY_GRANTED, AppealOutcome.DENIED):
        assert grant_lifts_at(outcome, active, t("2024-06-01T00:00:00Z")) is None


# --- reviews ---------------------------------------------------------------------------------


def assessment(reviewer: str) -> Assessment:
    return Assessment(reviewer, Risk.LOW, (), "why", t("2024-06-01T00:00:00Z"))


def test_a_review_is_decided_with_its_quorum_of_assessments_and_not_one_fewer() -> None:
    panel = ("ana", "ben", "cy", "dee", "eve")
    review = Review("rvw_1", "meta", "snc_1", panel, quorum_for("majority", len(panel)), ReviewState.OPEN)
    assert review.quorum == 3
    for filed, member in enumerate(panel[:2], start=0):
        with pytest.raises(ConflictError, match=f"needs 3 assessments .* panel of 5\\); {filed} filed"):
            review.ensure_can_decide([], is_moderator=True)
        review.assessments.append(assessment(review.ensure_can_assess([member])))
    with pytest.raises(ConflictError, match="2 filed"):
        review.ensure_can_decide(["ana"], is_moderator=False)
    review.assessments.append(assessment(review.ensure_can_assess(["cy"])))
    review.ensure_can_decide([], is_moderator=True)  # a moderator outside the panel
    review.ensure_can_decide(["someone", "dee"], is_moderator=False)  # a member, even one who did not assess
    with pytest.raises(ForbiddenError, match="only a moderator or a member"):
        review.ensure_can_decide(["zed"], is_moderator=False)


def test_a_member_assesses_once_and_a_decided_review_takes_nothing_more() -> None:
    review = Review("rvw_1", "meta", "snc_1", ("ana", "tok_ben"), 1, ReviewState.OPEN)
    assert review.ensure_can_assess(["x", "tok_ben"]) == "tok_ben"
    review.assessments.append(assessment("tok_ben"))
    with pytest.raises(ConflictError, match="already filed"):
        review.ensure_can_assess(["tok_ben"])
    review.state = ReviewState.DECIDED
    with pytest.raises(ConflictError, match="already decided"):
        review.ensure_can_assess(["ana"])
    with pytest.raises(ConflictError, match="already decided"):
        review.ensure_can_decide([], is_moderator=True)


def test_a_quorum_named_by_the_policy_stands_as_long_as_the_panel_is_large_enough() -> None:
    assert [quorum_for(3, n) for n in (3, 4, 25)] == [3, 3, 3]
    with pytest.raises(ValidationError, match="quorum of 3 reviewers; the panel has 2") as refused:
        quorum_for(3, 2)
    assert refused.value.field == "panel"


def test_reduce_uphold_and_the_next_review() -> None:
    s = sanction(ends="2025-01-10T00:00:00Z", review_at="2024-05-01T00:00:00Z")
    at = t("2024-06-01T00:00:00Z")
    reduce = plan_review_decision(ReviewOutcome.REDUCE, s, effective_at=at, ends_at=t("2024-09-01T00:00:00Z"))
    # The review that fell due (2024-05-01) is done: cleared, unless a next one is named.
    assert (reduce.lift, reduce.ends_at, reduce.review_at, reduce.amends) == (
        False,
        t("2024-09-01T00:00:00Z"),
        None,
        True,
    )
    with pytest.raises(ValidationError, match="before the current end"):
        plan_review_decision(ReviewOutcome.REDUCE, s, effective_at=at, ends_at=t("2025-01-10T00:00:00Z"))
    with pytest.raises(ValidationError, match="gives the new, earlier ends_at"):
        plan_review_decision(ReviewOutcome.REDUCE, s, effective_at=at)
    uphold = plan_review_decision(ReviewOutcome.UPHOLD, s, effective_at=at)
    assert (uphold.kind, uphold.ends_at, uphold.review_at, uphold.amends) == (None, UNSET, None, True)
    later = plan_review_decision(ReviewOutcome.UPHOLD, s, effective_at=at, next_review_at=t("2024-12-01T00:00:00Z"))
    assert later.review_at == t("2024-12-01T00:00:00Z")
    not_yet_due = sanction(ends="2025-01-10T00:00:00Z", review_at="2024-12-01T00:00:00Z")
    assert not plan_review_decision(ReviewOutcome.UPHOLD, not_yet_due, effective_at=at).amends  # a later one is kept
    with pytest.raises(ValidationError, match="after the decision takes effect") as refused:
        plan_review_decision(ReviewOutcome.UPHOLD, s, effective_at=at, next_review_at=at)
    assert refused.value.field == "next_review_at"
    with pytest.raises(ValidationError, match="only extend and reduce set an end, not uphold"):
        plan_review_decision(ReviewOutcome.UPHOLD, s, effective_at=at, ends_at=t("2025-06-01T00:00:00Z"))
    with pytest.raises(ValidationError, match="a lifted sanction has no next review"):
        plan_review_decision(ReviewOutcome.LIFT, s, effective_at=at, next_review_at=t("2024-12-01T00:00:00Z"))


def test_only_a_lift_sets_a_probation() -> None:
    ensure_outcome_allows_probation(ReviewOutcome.LIFT)
    for outcome in (ReviewOutcome.EXTEND, ReviewOutcome.UPHOLD, ReviewOutcome.TERMINATE, ReviewOutcome.REDUCE):
        with pytest.raises(ValidationError, match="only a decision that lifts the sanction sets a probation"):
            ensure_outcome_allows_probation(outcome)
