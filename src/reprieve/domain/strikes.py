"""Strikes, the ladder that turns them into sanctions, and probation (PRODUCT.md sections 2 and 3).

The strike rule, which the standing computed from the database and the in-memory enforcement
index both follow. A strike is a half-open interval ``[start, end)`` of an identity on one
platform; the strike count at ``t`` is the number of intervals holding ``t``.

* A **violation** adds one strike on its platform, starting at its ``occurred_at`` (unless it
  brings the policy's first warning: below).
* A **sanction imposed directly** (by a moderator, an import, a review...) adds one strike on
  each platform of its scope, starting at its ``starts_at``. A warning counts like any other kind.
* A **content decision that counts as a strike** (``strike: true``; issue 25) adds one strike
  against its item's author on the item's platform, starting at the decision's ``starts_at``. It
  is recorded as a violation naming the decision (``violations.content_decision_id``; the
  violation's ``external_id`` is the decision's id, or the platform's own id when the platform
  reported a violation naming the item), so that it is counted, climbs the ladder, gets the first
  warning and is followed by the index exactly as a violation's strike: one rule, one record.
* A **sanction imposed by a violation's ladder** adds no strike of its own: the violation's
  strike stands for it, and is tied to it.
* A strike stops counting at the earliest of:
  - its expiry: ``start`` + the platform policy's ``strikes.expire_after`` (no expiry: never);
  - the first lift of the sanction it is tied to, whoever lifts it (a moderator, a granted
    appeal, a review, an amnesty): a lift says the sanction no longer stands. A moderator who
    only wants to shorten a sanction amends its ``ends_at``, which keeps the strike;
  - a granted appeal against that sanction (the decision's ``effective_at``), so that a
    complaint upheld after the sanction ran out still takes its strike away;
  - for a content decision's strike, the decision's first restoration (its ``effective_at``: the
    item's "lift" says the decision no longer stands); the projection writes it into the
    violation's ``strike_expires_at``, which is then "the strike's own end", so the reads above
    need not know of content. An amendment of the decision keeps its strike. Being a violation's
    strike, it also ends at the first lift of its ladder's sanction or a granted appeal against it.
  A sanction that simply runs to the end of its term keeps its strike until the strike expires.

The first warning, which is not a strike (a policy's ``strikes.first_warning``: YouTube's "the
first violation is typically only a warning", which expires after 90 days). A violation gets it,
instead of a step of the ladder, when at its ``occurred_at`` on its platform:
  - no strike counts,
  - no first warning is in force,
  - the identity is not on probation (a probation is a stricter ladder, not a fresh start), and
  - the standard ladder has no severity override for the violation's severity (YouTube: "a
    single case of severe abuse will result in channel termination without warning").
Otherwise the violation is a strike, and climbs the ladder as above. The first warning is a
sanction of kind ``warning`` lasting ``first_warning.expire_after``; it is in force from the
violation's ``occurred_at`` until the earliest of that expiry, the first lift of the warning and a
granted appeal against it: the strike rule's instants, so a warning taken back leaves none in force.
Its violation makes a strike that counts at no instant (``strike_expires_at`` is its
``occurred_at``, ``count`` 0, ladder ``first_warning``): the standing's reads and the enforcement
index, which count the violations' strike intervals, need not know of first warnings; only the
ladder's read (which warnings are in force) does.

Probation: a decision that lifts a sanction (review or appeal) may put the identity on probation
on the sanction's platforms for a while. A violation on one of those platforms during probation
goes through the probation ladder; where that ladder has no step for the count and severity,
the platform's standard ladder applies. The strike count is the same in both cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from reprieve.domain.errors import ValidationError
from reprieve.domain.model import SanctionKind
from reprieve.domain.policy import Ladder, Severity, Step
from reprieve.domain.time import END_OF_TIME, Duration, from_micros, to_micros


class LadderName(StrEnum):
    """Which ladder a violation went through."""

    STANDARD = "standard"
    PROBATION = "probation"
    #: No ladder: the policy's first warning, which is not a strike (see the module's docstring).
    FIRST_WARNING = "first_warning"


@dataclass(frozen=True, slots=True)
class StrikeMark:
    """One strike on one platform: counts at ``t`` iff ``start <= t < end`` (µs)."""

    start: int
    end: int


def strike_end(start: int, *, expires_at: int | None, voided: Iterable[int | None] = ()) -> int:
    """Where a strike starting at ``start`` stops counting: its expiry or the first voiding instant."""
    end = END_OF_TIME if expires_at is None else expires_at
    for instant in voided:
        if instant is not None and instant < end:
            end = instant
    return max(end, start)


def expiry_of(start: int, expire_after: Duration | None) -> int | None:
    """The instant a strike starting at ``start`` expires under a policy (None: never)."""
    if expire_after is None:
        return None
    try:
        return to_micros(expire_after.after(from_micros(start)))
    except (ValidationError, OverflowError):  # beyond the last instant there is: never, in effect
        return None


def strikes_made(
    direct: Iterable[tuple[int, int | None, int | None]],
    reported: Iterable[tuple[int, int | None, int | None, int | None]],
    expire_after: Duration | None,
) -> list[tuple[int, int]]:
    """The strikes, as ``(start, end)`` marks (µs), that these sanctions and violations make under a
    policy's expiry: the one rule of the store's reads and of the enforcement index.

    ``direct``: ``(starts_at, lifted_at, granted_at)`` of each sanction imposed directly (not by a
    violation's ladder); its strike expires under the policy. ``reported``: ``(occurred_at,
    strike_expires_at, lifted_at, granted_at)`` of each violation, the last two those of the
    sanction its ladder imposed. A lift or a granted appeal (its first grant) voids a strike from then.
    """
    marks = [
        (start, strike_end(start, expires_at=expiry_of(start, expire_after), voided=(lifted, granted)))
        for start, lifted, granted in direct
    ]
    marks.extend(
        (occurred, strike_end(occurred, expires_at=expires, voided=(lifted, granted)))
        for occurred, expires, lifted, granted in reported
    )
    return marks


def count_strikes(marks: Iterable[StrikeMark | tuple[int, int]], t: int) -> int:
    """How many strikes count at ``t``."""
    total = 0
    for mark in marks:
        start, end = (mark.start, mark.end) if isinstance(mark, StrikeMark) else mark
        if start <= t < end:
            total += 1
    return total


@dataclass(frozen=True, slots=True)
class Probation:
    """A period ``[start, until)`` (µs) during which violations go through a stricter ladder."""

    id: str
    start: int
    until: int
    ladder: Ladder
    ladder_data: dict[str, Any]
    sanction: str | None = None

    def holds(self, t: int) -> bool:
        return self.start <= t < self.until


def probation_at(probations: Sequence[Probation], t: int) -> Probation | None:
    """The probation in force at ``t``: of several, the one that started last (ties: ends last)."""
    best: Probation | None = None
    for probation in probations:
        if probation.holds(t) and (best is None or (probation.start, probation.until) > (best.start, best.until)):
            best = probation
    return best


@dataclass(frozen=True, slots=True)
class LadderResult:
    """What a violation brings: its place in the count, the ladder used, and the step (None: none)."""

    strikes: int
    ladder: LadderName
    step: Step | None


def evaluate_ladder(
    standard: Ladder,
    *,
    strikes_before: int,
    severity: Severity,
    probation: Probation | None = None,
    first_warning: Step | None = None,
    warned: bool = False,
) -> LadderResult:
    """The step for a new violation, given the strikes that count when it occurs (itself excluded).

    ``first_warning``: the policy's first warning (None: it has none), given by the rule of the
    module's docstring; ``warned``: whether a first warning is in force when the violation occurs.
    A first warning's result counts 0 strikes: the violation makes none."""
    if (
        first_warning is not None
        and strikes_before == 0
        and not warned
        and probation is None
        and severity not in standard.by_severity
    ):
        return LadderResult(0, LadderName.FIRST_WARNING, first_warning)
    strikes = strikes_before + 1
    if probation is not None:
        step = probation.ladder.step_for(strikes, severity)
        if step is not None:
            return LadderResult(strikes, LadderName.PROBATION, step)
    return LadderResult(strikes, LadderName.STANDARD, standard.step_for(strikes, severity))


@dataclass(frozen=True, slots=True)
class StepTerm:
    """The term of the sanction a ladder step imposes from ``starts_at``."""

    kind: SanctionKind
    starts_at: datetime
    ends_at: datetime | None
    denies: tuple[str, ...]


def step_term(step: Step, starts_at: datetime, strike_expiry: Duration | None) -> StepTerm:
    """A step's term: its duration from ``starts_at``; a warning with none lasts as long as its strike."""
    ends_at: datetime | None = None
    if step.kind is SanctionKind.TERMINATION:
        ends_at = None
    elif step.duration is not None:
        ends_at = step.duration.after(starts_at)
    elif step.kind is SanctionKind.WARNING and strike_expiry is not None:
        ends_at = strike_expiry.after(starts_at)
    return StepTerm(step.kind, starts_at, ends_at, step.denies)
