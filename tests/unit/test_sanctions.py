"""Sanctions over time: terms in force, state, spans, and the guards on every change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.model import AccountRef, Platform, PlatformKind, SanctionKind, SanctionState
from reprieve.domain.reason import Automation, Ground, Reason
from reprieve.domain.sanctions import (
    UNSET,
    Change,
    ChangeType,
    Sanction,
    Span,
    denials_on,
    ensure_scope,
    ensure_term,
    state_of,
)
from reprieve.domain.time import END_OF_TIME, to_micros

T0 = datetime(2021, 1, 7, tzinfo=UTC)
FACEBOOK = Platform("facebook", "meta", "Facebook", PlatformKind.SOCIAL)
INSTAGRAM = Platform("instagram", "meta", "Instagram", PlatformKind.SOCIAL, ("login", "post", "comment", "appeal"))
TWITTER = Platform("twitter", "x", "Twitter", PlatformKind.SOCIAL)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def us(n: float) -> int:
    return to_micros(day(n))


def sanction(
    kind: SanctionKind = SanctionKind.SUSPENSION,
    ends: float | None = 10,
    *,
    starts: float = 0,
    denies: Sequence[str] = (),
) -> Sanction:
    reason = Reason(Ground.INCOMPATIBLE_CONTENT, "STATEMENT_CATEGORY_VIOLENCE", "praise of violence")
    return Sanction(
        id="snc_1",
        operator="meta",
        identity="idt_1",
        subject=AccountRef("facebook", "DonaldTrump"),
        scope=("facebook", "instagram"),
        starts_at=day(starts),
        reason=reason,
        automated=Automation(),
        changes=[
            Change(
                ChangeType.IMPOSED,
                1,
                day(starts),
                kind,
                None if ends is None else day(ends),
                tuple(denies),
            )
        ],
    )


def amend(
    s: Sanction,
    seq: int,
    effective: float,
    *,
    ends: float | object | None = UNSET,
    kind: SanctionKind | None = None,
    denies: Sequence[str] | None = None,
) -> Change:
    new_ends = ends if ends is UNSET or ends is None else day(ends)  # type: ignore[arg-type]
    return s.amend(
        seq=seq,
        effective_at=day(effective),
        ends_at=new_ends,
        review_at=UNSET,
        kind=kind,  # type: ignore[arg-type]
        denies=denies,
        platforms=[FACEBOOK, INSTAGRAM],
    )


class TestStateAt:
    def test_follows_the_term(self) -> None:
        s = sanction(ends=10)
        assert s.state_at(day(-1)) is SanctionState.SCHEDULED
        assert s.state_at(day(0)) is SanctionState.ACTIVE
        assert s.state_at(day(10) - timedelta(microseconds=1)) is SanctionState.ACTIVE
        assert s.state_at(day(10)) is SanctionState.EXPIRED  # the term is half-open: [starts, ends)
        assert not s.is_active(day(-1))
        assert s.is_active(day(0))
        assert not s.is_active(day(10))

    def test_an_indefinite_sanction_never_expires(self) -> None:
        s = sanction(SanctionKind.TERMINATION, ends=None)
        assert s.state_at(day(100_000)) is SanctionState.ACTIVE

    def test_a_lift_ends_it_from_its_effective_instant(self) -> None:
        s = sanction(ends=10)
        s.lift(seq=2, effective_at=day(4))
        assert s.state_at(day(4) - timedelta(microseconds=1)) is SanctionState.ACTIVE
        assert s.state_at(day(4)) is SanctionState.LIFTED
        assert s.state_at(day(20)) is SanctionState.LIFTED
        assert s.lifted_at == day(4)

    def test_the_state_is_the_pure_rule_over_the_term_in_force(self) -> None:
        """``state_at`` is ``state_of`` over the start, the end of the term in force, and the lift."""
        # lifted at or before its start: cancelled, whenever it is asked about (issue 22)
        assert state_of(day(0), day(10), day(-1), lifted=day(-2)) is SanctionState.CANCELLED
        assert state_of(day(0), day(10), day(-1), lifted=day(0)) is SanctionState.CANCELLED
        assert state_of(day(0), day(10), day(-1)) is SanctionState.SCHEDULED
        assert state_of(day(0), day(10), day(4), lifted=day(4)) is SanctionState.LIFTED
        assert state_of(day(0), day(10), day(10)) is SanctionState.EXPIRED
        assert state_of(day(0), None, day(100_000)) is SanctionState.ACTIVE
        s = sanction(ends=10)
        s.amend(
            seq=2, effective_at=day(2), ends_at=day(30), review_at=UNSET, kind=None, denies=None, platforms=[FACEBOOK]
        )
        s.lift(seq=3, effective_at=day(25))
        for t in (day(-1), day(5), day(12), day(25), day(40)):
            term = s.term_at(t)
            ends = term.ends_at if term is not None else None
            assert s.state_at(t) is state_of(day(0), ends, t, lifted=day(25))

    def test_a_future_lift_schedules_an_early_release(self) -> None:
        s = sanction(SanctionKind.TERMINATION, ends=None)
        s.lift(seq=2, effective_at=day(30))
        assert s.is_active(day(29))
        assert s.state_at(day(30)) is SanctionState.LIFTED

    def test_the_earliest_lift_counts(self) -> None:
        s = sanction(ends=None)
        s.lift(seq=2, effective_at=day(8))
        s.lift(seq=3, effective_at=day(3))  # backdated: active at day 3, so allowed
        assert s.lifted_at == day(3)
        assert s.state_at(day(5)) is SanctionState.LIFTED

    def test_an_extension_keeps_it_active(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 5, ends=20)
        assert s.state_at(day(15)) is SanctionState.ACTIVE
        assert s.term_at(day(4)) == s.changes[0]
        assert s.term_at(day(5)) == s.changes[1]
        assert s.latest.ends_at == day(20)

    def test_a_shortening_ends_it_early(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 5, ends=7)
        assert s.state_at(day(6)) is SanctionState.ACTIVE
        assert s.state_at(day(7)) is SanctionState.EXPIRED

    def test_the_latest_effective_term_wins_not_the_latest_recorded(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 6, ends=30)
        amend(s, 3, 4, ends=8)  # backdated, recorded later, but effective earlier
        assert s.term_at(day(5)).ends_at == day(8)  # type: ignore[union-attr]
        assert s.term_at(day(7)).ends_at == day(30)  # type: ignore[union-attr]
        assert s.is_active(day(20))

    def test_ties_go_to_the_one_recorded_last(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 5, ends=20)
        amend(s, 3, 5, ends=6)
        assert s.term_at(day(5)).ends_at == day(6)  # type: ignore[union-attr]
        assert s.state_at(day(6)) is SanctionState.EXPIRED

    def test_an_amendment_at_the_start_replaces_the_creation(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 0, kind=SanctionKind.RESTRICTION, denies=["post"])
        assert s.term_at(day(0)).kind is SanctionKind.RESTRICTION  # type: ignore[union-attr]
        assert s.view_at(day(-1)).kind is SanctionKind.RESTRICTION  # what it will start as

    def test_a_term_can_leave_a_gap(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 7, ends=30)
        amend(s, 3, 5, ends=6)  # in force from day 5 until the day-7 amendment takes over
        assert [s.state_at(day(n)) for n in (5, 6, 6.5, 7, 29, 30)] == [
            SanctionState.ACTIVE,
            SanctionState.EXPIRED,
            SanctionState.EXPIRED,
            SanctionState.ACTIVE,
            SanctionState.ACTIVE,
            SanctionState.EXPIRED,
        ]


class TestSpans:
    def test_one_span_for_a_plain_term(self) -> None:
        assert sanction(ends=10).spans() == [Span("snc_1", us(0), us(10), SanctionKind.SUSPENSION, ())]

    def test_no_end_is_the_end_of_time(self) -> None:
        spans = sanction(SanctionKind.TERMINATION, ends=None).spans()
        assert [(s.start, s.end) for s in spans] == [(us(0), END_OF_TIME)]

    def test_an_extension_merges_into_one_span(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 5, ends=20)
        assert [(x.start, x.end) for x in s.spans()] == [(us(0), us(20))]

    def test_a_change_of_kind_splits_the_span(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 5, kind=SanctionKind.RESTRICTION, denies=["post", "live"])
        assert s.spans() == [
            Span("snc_1", us(0), us(5), SanctionKind.SUSPENSION, ()),
            Span("snc_1", us(5), us(10), SanctionKind.RESTRICTION, ("post", "live")),
        ]

    def test_a_lift_cuts_every_span(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 5, ends=20, kind=SanctionKind.RESTRICTION, denies=["post"])
        s.lift(seq=3, effective_at=day(3))
        assert [(x.start, x.end, x.kind) for x in s.spans()] == [(us(0), us(3), SanctionKind.SUSPENSION)]

    def test_a_gap_gives_two_spans(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 7, ends=30)
        amend(s, 3, 5, ends=6)
        assert [(x.start, x.end) for x in s.spans()] == [(us(0), us(6)), (us(7), us(30))]

    def test_change_round_trips_through_its_dict(self) -> None:
        s = sanction(ends=10)
        amend(s, 2, 5, kind=SanctionKind.RESTRICTION, denies=["post"])
        s.lift(seq=3, effective_at=day(6))
        assert [Change.from_dict(c.to_dict()) for c in s.changes] == s.changes


class TestGuards:
    def test_no_change_before_the_sanction_starts(self) -> None:
        s = sanction(starts=2, ends=10)
        with pytest.raises(ValidationError) as caught:
            s.lift(seq=2, effective_at=day(1))
        assert caught.value.field == "effective_at"
        with pytest.raises(ValidationError):
            amend(s, 2, 1, ends=20)
        assert len(s.changes) == 1

    def test_no_lift_of_a_sanction_not_active(self) -> None:
        s = sanction(ends=10)
        with pytest.raises(ConflictError, match="expired"):
            s.lift(seq=2, effective_at=day(10))
        s.lift(seq=2, effective_at=day(5))
        with pytest.raises(ConflictError, match="lifted"):
            s.lift(seq=3, effective_at=day(6))
        assert len(s.changes) == 2

    def test_no_amendment_of_a_sanction_not_active(self) -> None:
        s = sanction(ends=10)
        with pytest.raises(ConflictError):
            amend(s, 2, 11, ends=20)  # an expired suspension is not revived by an amendment
        assert len(s.changes) == 1

    def test_an_amendment_ends_after_it_takes_effect(self) -> None:
        s = sanction(ends=10)
        with pytest.raises(ValidationError) as caught:
            amend(s, 2, 5, ends=5)
        assert caught.value.field == "ends_at"
        with pytest.raises(ValidationError):
            amend(s, 2, 5, ends=4)  # after starts_at, but before the amendment's own instant

    def test_a_termination_is_permanent(self) -> None:
        s = sanction(ends=10)
        change = amend(s, 2, 5, kind=SanctionKind.TERMINATION)
        assert change.ends_at is None
        with pytest.raises(ValidationError, match="permanent"):
            amend(s, 3, 6, ends=20)
        with pytest.raises(ValidationError, match="permanent"):
            amend(sanction(ends=10), 2, 5, kind=SanctionKind.TERMINATION, ends=20)

    def test_a_suspension_from_a_termination_is_indefinite_unless_dated(self) -> None:
        s = sanction(SanctionKind.TERMINATION, ends=None)
        assert amend(s, 2, 5, kind=SanctionKind.SUSPENSION).ends_at is None
        assert amend(s, 3, 6, ends=9).ends_at == day(9)

    def test_a_restriction_keeps_or_replaces_its_denials(self) -> None:
        s = sanction(SanctionKind.RESTRICTION, ends=10, denies=["post"])
        assert amend(s, 2, 2, ends=12).denies == ("post",)
        assert amend(s, 3, 3, denies=["live", "comment"]).denies == ("live", "comment")
        assert amend(s, 4, 4, kind=SanctionKind.SUSPENSION).denies == ()

    def test_a_restriction_needs_denials(self) -> None:
        s = sanction(ends=10)
        with pytest.raises(ValidationError, match="must list"):
            amend(s, 2, 5, kind=SanctionKind.RESTRICTION)

    def test_only_a_restriction_lists_denials(self) -> None:
        s = sanction(ends=10)
        with pytest.raises(ValidationError) as caught:
            amend(s, 2, 5, denies=["post"])
        assert caught.value.field == "denies"


class TestEnsureTerm:
    platforms = (FACEBOOK, INSTAGRAM)

    def test_accepts_valid_terms(self) -> None:
        ensure_term(SanctionKind.SUSPENSION, day(0), day(1), (), self.platforms)
        ensure_term(SanctionKind.TERMINATION, day(0), None, (), self.platforms)
        ensure_term(SanctionKind.WARNING, day(0), None, (), self.platforms)
        ensure_term(SanctionKind.RESTRICTION, day(0), day(1), ("live", "post"), self.platforms)

    @pytest.mark.parametrize(
        ("kind", "ends", "denies", "field", "message"),
        [
            (SanctionKind.SUSPENSION, 0, (), "ends_at", "not after starts_at"),
            (SanctionKind.SUSPENSION, -1, (), "ends_at", "not after starts_at"),
            (SanctionKind.TERMINATION, 10, (), "ends_at", "permanent"),
            (SanctionKind.RESTRICTION, 10, (), "denies", "must list"),
            (SanctionKind.RESTRICTION, 10, ("appeal",), "denies", "never be denied"),
            (SanctionKind.RESTRICTION, 10, ("teleport",), "denies", "not a capability"),
            (SanctionKind.SUSPENSION, 10, ("post",), "denies", "everything but appeal"),
            (SanctionKind.WARNING, 10, ("post",), "denies", "denies nothing"),
        ],
    )
    def test_refuses_broken_terms(
        self, kind: SanctionKind, ends: float, denies: tuple[str, ...], field: str, message: str
    ) -> None:
        with pytest.raises(ValidationError, match=message) as caught:
            ensure_term(kind, day(0), day(ends), denies, self.platforms)
        assert caught.value.field == field

    def test_a_capability_of_any_platform_in_scope_will_do(self) -> None:
        custom = Platform("threads", "meta", "Threads", PlatformKind.SOCIAL, ("teleport", "appeal"))
        ensure_term(SanctionKind.RESTRICTION, day(0), None, ("teleport",), (FACEBOOK, custom))


class TestEnsureScope:
    def test_accepts_platforms_of_one_operator_holding_the_subject(self) -> None:
        ensure_scope(FACEBOOK, [FACEBOOK])
        ensure_scope(FACEBOOK, [INSTAGRAM, FACEBOOK])

    def test_refuses_two_operators(self) -> None:
        with pytest.raises(ValidationError, match="two operators") as caught:
            ensure_scope(FACEBOOK, [FACEBOOK, TWITTER])
        assert caught.value.field == "scope"

    def test_refuses_a_scope_without_the_subject(self) -> None:
        with pytest.raises(ValidationError, match="subject's platform") as caught:
            ensure_scope(FACEBOOK, [INSTAGRAM])
        assert caught.value.field == "scope"


class TestDenials:
    def test_a_warning_denies_nothing(self) -> None:
        assert denials_on(FACEBOOK, SanctionKind.WARNING, ["post"]) == frozenset()

    def test_a_restriction_denies_what_the_platform_offers(self) -> None:
        assert denials_on(INSTAGRAM, SanctionKind.RESTRICTION, ["post", "live", "appeal"]) == {"post"}

    @pytest.mark.parametrize("kind", [SanctionKind.SUSPENSION, SanctionKind.TERMINATION])
    def test_a_suspension_denies_everything_but_appeal(self, kind: SanctionKind) -> None:
        assert denials_on(INSTAGRAM, kind, []) == {"login", "post", "comment"}
        assert "appeal" not in denials_on(FACEBOOK, kind, [])
