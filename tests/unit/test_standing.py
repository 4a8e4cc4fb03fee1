"""Standing of an account on a platform at an instant, from the spans that reach it."""

from __future__ import annotations

import pytest

from reprieve.domain.model import SanctionKind, Status
from reprieve.domain.standing import ResolvedSpan, denial_ends_after, standing_at
from reprieve.domain.time import END_OF_TIME

ALL = frozenset({"login", "post", "comment", "message"})
SUSPENSION = SanctionKind.SUSPENSION
RESTRICTION = SanctionKind.RESTRICTION


def span(
    sid: str, start: int, end: int, kind: SanctionKind = SUSPENSION, denies: frozenset[str] | None = None
) -> ResolvedSpan:
    if denies is None:
        denies = frozenset() if kind is SanctionKind.WARNING else ALL
    return ResolvedSpan(sid, start, end, kind, denies)


def test_nothing_is_good_standing() -> None:
    standing = standing_at([], 5)
    assert standing.status is Status.GOOD
    assert standing.denies == ()
    assert standing.until is None
    assert standing.sanctions == ()


def test_a_suspension_holds_for_its_half_open_term() -> None:
    spans = [span("s1", 10, 20)]
    assert standing_at(spans, 9).status is Status.GOOD
    during = standing_at(spans, 10)
    assert (during.status, during.denies, during.until, during.sanctions) == (
        Status.SUSPENDED,
        tuple(sorted(ALL)),
        20,
        ("s1",),
    )
    assert standing_at(spans, 20).status is Status.GOOD


def test_an_indefinite_denial_has_no_until() -> None:
    standing = standing_at([span("s1", 10, END_OF_TIME, SanctionKind.TERMINATION)], 15)
    assert standing.status is Status.TERMINATED
    assert standing.until is None


def test_until_runs_across_chained_sanctions() -> None:
    # Serving one suspension after another: free only when the last one ends.
    spans = [span("s2", 20, 30), span("s1", 10, 20), span("s3", 30, 45, RESTRICTION, frozenset({"post"}))]
    assert standing_at(spans, 12).until == 45
    assert standing_at(spans, 25).until == 45
    assert standing_at(spans, 35).status is Status.RESTRICTED


def test_until_stops_at_a_gap() -> None:
    spans = [span("s1", 10, 20), span("s2", 21, 30)]
    assert standing_at(spans, 15).until == 20
    assert standing_at(spans, 20).until is None  # nothing is denied at 20
    assert standing_at(spans, 22).until == 30


def test_until_runs_into_an_indefinite_chain() -> None:
    spans = [span("s1", 10, 20), span("s2", 15, END_OF_TIME, SanctionKind.TERMINATION)]
    assert standing_at(spans, 12).until is None


def test_a_warning_denies_nothing_and_causes_nothing() -> None:
    spans = [span("w1", 0, END_OF_TIME, SanctionKind.WARNING)]
    standing = standing_at(spans, 5)
    assert (standing.status, standing.denies, standing.until, standing.sanctions) == (Status.GOOD, (), None, ())
    # ... and does not stretch another sanction's until.
    assert standing_at([*spans, span("s1", 0, 10)], 5).until == 10


def test_the_worst_kind_wins_and_denials_add_up() -> None:
    spans = [
        span("r1", 0, 30, RESTRICTION, frozenset({"post", "live"})),
        span("s1", 5, 10),
        span("t1", 8, END_OF_TIME, SanctionKind.TERMINATION, frozenset({"login"})),
    ]
    assert standing_at(spans, 1).status is Status.RESTRICTED
    assert standing_at(spans, 1).denies == ("live", "post")
    at_6 = standing_at(spans, 6)
    assert at_6.status is Status.SUSPENDED
    assert set(at_6.denies) == ALL | {"live"}
    assert at_6.sanctions == ("s1", "r1")  # worst first
    assert standing_at(spans, 9).sanctions == ("t1", "s1", "r1")
    assert standing_at(spans, 9).status is Status.TERMINATED


@pytest.mark.parametrize(("t", "expected"), [(0, 10), (3, 10), (9, 10)])
def test_denial_ends_after_covers_overlaps(t: int, expected: int) -> None:
    spans = [span("a", 0, 4), span("b", 2, 7), span("c", 7, 10)]
    assert denial_ends_after(spans, t) == expected
