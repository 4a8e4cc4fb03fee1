"""The pure rules of due process: strikes and probation, review decisions, appeal admissibility."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reprieve.domain.appeals import (
    AppealKind,
    Requester,
    complaint_deadline,
    ensure_admissible,
    ensure_human_decider,
)
from reprieve.domain.errors import ConflictError, ForbiddenError, ValidationError
from reprieve.domain.model import AccountRef, Role, SanctionKind
from reprieve.domain.policy import Ladder, Severity, ladder_from_data
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.reviews import Review, ReviewOutcome, ReviewState, plan_review_decision, quorum_for
from reprieve.domain.sanctions import Change, ChangeType, Sanction
from reprieve.domain.strikes import (
    LadderName,
    Probation,
    StrikeMark,
    count_strikes,
    evaluate_ladder,
    expiry_of,
    probation_at,
    step_term,
    strike_end,
    strikes_made,
)
from reprieve.domain.time import END_OF_TIME, parse_duration, to_micros
from reprieve.policies import shipped_policy


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def sanction(starts: str = "2024-01-10T00:00:00Z", ends: str | None = None) -> Sanction:
    reason = Reason.from_dict(
        {"ground": "incompatible_content", "category": "STATEMENT_CATEGORY_VIOLENCE", "explanation": "x", "policy": "p"}
    )
    start = t(starts)
    return Sanction(
        "snc_1",
        "meta",
        "idt_1",
        AccountRef("facebook", "a"),
        ("facebook",),
        start,
        reason,
        Automation(),
        [Change(ChangeType.IMPOSED, 1, start, SanctionKind.SUSPENSION, t(ends) if ends else None)],
    )


def test_a_strike_counts_from_its_start_until_it_expires_or_is_voided() -> None:
    assert strike_end(10, expires_at=None) == END_OF_TIME
    assert strike_end(10, expires_at=50, voided=(None, 30, 40)) == 30
    assert strike_end(10, expires_at=50, voided=(5,)) == 10  # voided before it began: never counts
    marks = [StrikeMark(10, 20), StrikeMark(15, 30), (20, 25)]
    assert [count_strikes(marks, at) for at in (9, 10, 15, 20, 25, 30)] == [0, 1, 2, 2, 1, 0]
    leap_day = to_micros(t("2024-02-29T00:00:00Z"))
    assert expiry_of(leap_day, parse_duration("P1Y")) == to_micros(t("2025-02-28T00:00:00Z"))
    assert expiry_of(0, None) is None


def test_sanctions_and_violations_make_strikes_by_one_rule() -> None:
    """Direct sanctions expire under the policy; violations keep the expiry they were recorded
    with; a lift or a granted appeal voids either from then."""
    year = parse_duration("P1Y")
    start = to_micros(t("2024-01-01T00:00:00Z"))
    expiry = expiry_of(start, year)
    assert expiry is not None
    direct = [(start, None, None), (start, start + 5, None), (start, None, start + 7)]
    reported = [(start, None, None, None), (start, start + 9, None, None), (start, None, start + 3, start + 4)]
    assert strikes_made(direct, reported, year) == [
        (start, expiry),
        (start, start + 5),
        (start, start + 7),
        (start, END_OF_TIME),
        (start, start + 9),
        (start, start + 3),
    ]


def test_probation_picks_the_latest_in_force_and_its_ladder_falls_back_to_the_standard_one() -> None:
    severe_only = ladder_from_data({"by_severity": {"severe": {"kind": "termination"}}})
    older = Probation("p1", 0, 100, severe_only, {})
    newer = Probation("p2", 50, 80, Ladder(), {})
    assert probation_at([older, newer], 60) is newer
    assert probation_at([older, newer], 90) is older
    assert probation_at([older, newer], 100) is None
    meta = shipped_policy("meta").ladder
    low = evaluate_ladder(meta, strikes_before=0, severity=Severity.LOW, probation=older)
    assert (low.strikes, low.ladder, low.step and low.step.kind) == (1, LadderName.STANDARD, SanctionKind.WARNING)
    severe = evaluate_ladder(meta, strikes_before=3, severity=Severity.SEVERE, probation=older)
    assert (severe.strikes, severe.ladder) == (4, LadderName.PROBATION)


def test_a_warning_without_duration_lasts_as_long_as_its_strike() -> None:
    warning = shipped_policy("meta").ladder.step_for(1, Severity.LOW)
    assert warning is not None
    assert step_term(warning, t("2024-01-01T00:00:00Z"), parse_duration("P1Y")).ends_at == t("2025-01-01T00:00:00Z")
    assert step_term(warning, t("2024-01-01T00:00:00Z"), None).ends_at is None


def test_quorum_is_a_majority_unless_the_policy_names_a_number() -> None:
    assert [quorum_for("majority", n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert quorum_for(2, 5) == 2
    with pytest.raises(ValidationError, match="quorum of 3"):
        quorum_for(3, 2)


def test_a_review_guards_its_seats_and_its_quorum() -> None:
    review = Review("rvw_1", "meta", "snc_1", ("ana", "tok_ben"), 2, ReviewState.OPEN)
    assert review.seat_of(["someone", "tok_ben"]) == "tok_ben"
    with pytest.raises(ForbiddenError):
        review.ensure_can_assess(["eve"])
    with pytest.raises(ConflictError, match="needs 2"):
        review.ensure_can_decide([], is_moderator=True)
    with pytest.raises(ForbiddenError):
        review.ensure_can_decide(["eve"], is_moderator=False)


def test_what_each_outcome_does_to_the_term() -> None:
    s = sanction(ends="2025-01-10T00:00:00Z")
    at = t("2024-06-01T00:00:00Z")
    assert plan_review_decision(ReviewOutcome.LIFT, s, effective_at=at).lift
    extend = plan_review_decision(ReviewOutcome.EXTEND, s, effective_at=at, ends_at=t("2026-01-01T00:00:00Z"))
    assert (extend.ends_at, extend.amends) == (t("2026-01-01T00:00:00Z"), True)
    assert not plan_review_decision(ReviewOutcome.UPHOLD, s, effective_at=at).amends  # no review_at to clear
    terminate = plan_review_decision(ReviewOutcome.TERMINATE, s, effective_at=at)
    assert (terminate.kind, terminate.ends_at) == (SanctionKind.TERMINATION, None)
    with pytest.raises(ValidationError, match="after the current end"):
        plan_review_decision(ReviewOutcome.EXTEND, s, effective_at=at, ends_at=t("2024-12-01T00:00:00Z"))
    with pytest.raises(ValidationError, match="no end to extend"):
        plan_review_decision(ReviewOutcome.EXTEND, sanction(), effective_at=at, ends_at=t("2026-01-01T00:00:00Z"))


def test_the_complaint_window_is_inclusive_and_clamps_month_ends() -> None:
    window = parse_duration("P6M")
    assert complaint_deadline(t("2024-08-31T12:00:00Z"), window) == t("2025-02-28T12:00:00Z")
    s = sanction(starts="2024-08-31T12:00:00Z")
    latest = t("2024-08-31T12:00:00Z")
    ensure_admissible(
        AppealKind.COMPLAINT, s, received_at=t("2025-02-28T12:00:00Z"), latest_decision=latest, window=window
    )
    with pytest.raises(ValidationError, match="closed at 2025-02-28T12:00:00Z"):
        ensure_admissible(
            AppealKind.COMPLAINT, s, received_at=t("2025-02-28T12:00:01Z"), latest_decision=latest, window=window
        )


def test_requesters_and_deciders() -> None:
    assert Requester.parse({"name": " Jane ", "email": "jane@example.com"}).name == "Jane"
    with pytest.raises(ValidationError, match="unknown field 'phone'"):
        Requester.parse({"name": "Jane", "phone": "1"})
    ensure_human_decider(None)
    ensure_human_decider(Role.ADMIN)
    with pytest.raises(ForbiddenError):
        ensure_human_decider(Role.PLATFORM)
