"""Reviews: a panel re-examines a sanction, each member assesses the risk, and a decision with
the panel's quorum lifts, extends, upholds, terminates or reduces it (PRODUCT.md section 2).

A sanction with a ``review_at`` is *due* for review from that instant while it is active and no
review of it is open: computed when asked, never scheduled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from reprieve.domain.errors import ConflictError, ForbiddenError, ValidationError
from reprieve.domain.model import SanctionKind, ensure_text
from reprieve.domain.sanctions import UNSET, Sanction, Unset
from reprieve.domain.text import trim
from reprieve.domain.time import format_instant

MAX_PANEL = 25
_FACTOR = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Risk(StrEnum):
    """A reviewer's assessment of the risk that the sanction guards against, mildest first."""

    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    SEVERE = "severe"


class ReviewState(StrEnum):
    DUE = "due"
    OPEN = "open"
    DECIDED = "decided"


class ReviewOutcome(StrEnum):
    LIFT = "lift"
    EXTEND = "extend"
    UPHOLD = "uphold"
    TERMINATE = "terminate"
    REDUCE = "reduce"


def ensure_panel(panel: object) -> tuple[str, ...]:
    """A panel names 1 to 25 distinct reviewers, by token name or member id."""
    if not isinstance(panel, list | tuple) or not panel:
        raise ValidationError("must name at least one reviewer", field="panel")
    if len(panel) > MAX_PANEL:
        raise ValidationError(f"at most {MAX_PANEL} reviewers", field="panel")
    names: list[str] = []
    for member in panel:
        name = trim(ensure_text(member, field="panel", max_length=200, multiline=False))
        if name in names:
            raise ValidationError(f"{name!r} is named twice", field="panel")
        names.append(name)
    return tuple(names)


def quorum_for(setting: str | int, panel_size: int) -> int:
    """Assessments a decision needs: a majority of the panel, or the policy's number."""
    if setting == "majority":
        return panel_size // 2 + 1
    assert isinstance(setting, int)
    if setting > panel_size:
        raise ValidationError(
            f"the platform's policy needs a quorum of {setting} reviewers; the panel has {panel_size}",
            field="panel",
        )
    return setting


def ensure_factors(factors: object) -> tuple[str, ...]:
    """Free tags such as ``ongoing_violence`` or ``election_period``: at most 20."""
    if factors is None:
        return ()
    if not isinstance(factors, list | tuple) or len(factors) > 20:
        raise ValidationError("must be a list of at most 20 tags", field="factors")
    for factor in factors:
        if not isinstance(factor, str) or not _FACTOR.match(factor):
            raise ValidationError(f"{factor!r} is not a tag such as ongoing_violence", field="factors")
    return tuple(dict.fromkeys(factors))


@dataclass(frozen=True, slots=True)
class Assessment:
    reviewer: str
    risk: Risk
    factors: tuple[str, ...]
    rationale: str
    filed_at: datetime


@dataclass(slots=True)
class Review:
    """A review as the guards need it: its panel, its quorum, what was filed, whether it is open."""

    id: str
    operator: str
    sanction: str | None  #: None: a review of a content decision
    panel: tuple[str, ...]
    quorum: int
    state: ReviewState
    assessments: list[Assessment] = field(default_factory=list)
    content_decision: str | None = None  #: the content decision reviewed (issue 25); None: a sanction

    def seat_of(self, names: Iterable[str]) -> str | None:
        """The panel entry that names a principal (by any of ``names``), if any."""
        wanted = set(names)
        return next((member for member in self.panel if member in wanted), None)

    def ensure_open(self) -> None:
        if self.state is not ReviewState.OPEN:
            raise ConflictError(f"review {self.id} is already decided")

    def ensure_can_assess(self, names: Iterable[str]) -> str:
        """The seat a principal assesses from; only a panel member, once, while the review is open."""
        self.ensure_open()
        seat = self.seat_of(names)
        if seat is None:
            raise ForbiddenError(f"only a member of the panel of review {self.id} files an assessment")
        if any(a.reviewer == seat for a in self.assessments):
            raise ConflictError(f"{seat!r} has already filed an assessment in review {self.id}")
        return seat

    def ensure_can_decide(self, names: Iterable[str], *, is_moderator: bool) -> None:
        """A moderator or a panel member decides, once, and only with the quorum's assessments."""
        self.ensure_open()
        if not is_moderator and self.seat_of(names) is None:
            raise ForbiddenError(f"only a moderator or a member of the panel decides review {self.id}")
        if len(self.assessments) < self.quorum:
            raise ConflictError(
                f"review {self.id} needs {self.quorum} assessments to be decided (quorum of a panel of "
                f"{len(self.panel)}); {len(self.assessments)} filed"
            )


@dataclass(frozen=True, slots=True)
class SanctionAction:
    """What a decision does to the sanction: lift it, amend its term, or leave it as it is."""

    lift: bool = False
    kind: SanctionKind | None = None
    ends_at: datetime | Unset | None = UNSET
    review_at: datetime | Unset | None = UNSET
    hold_until_review: bool | Unset = UNSET  #: UNSET keeps the term's

    @property
    def amends(self) -> bool:
        return not self.lift and (
            self.kind is not None
            or not isinstance(self.ends_at, Unset)
            or not isinstance(self.review_at, Unset)
            or not isinstance(self.hold_until_review, Unset)
        )


def plan_review_decision(
    outcome: ReviewOutcome,
    sanction: Sanction,
    *,
    effective_at: datetime,
    ends_at: datetime | Unset | None = UNSET,
    next_review_at: datetime | Unset | None = UNSET,
) -> SanctionAction:
    """What ``outcome`` does to ``sanction`` from ``effective_at``; guards the outcome's fields.

    Whatever the outcome, the review that fell due is done: unless ``next_review_at`` names the
    next one, a ``review_at`` at or before the decision is cleared (a later one is kept).

    A term held until its review (``hold_until_review``, PRODUCT.md section 8): lift ends it;
    extend, reduce and terminate set a new term, no longer held; uphold with ``next_review_at``
    holds it to that review; uphold without ends it at the decision (or at its ``ends_at`` if
    that is still to come), no longer held.
    """
    if not isinstance(next_review_at, Unset) and next_review_at is not None and next_review_at <= effective_at:
        raise ValidationError("must lie after the decision takes effect", field="next_review_at")
    if outcome is ReviewOutcome.LIFT:
        _no_end(outcome, ends_at)
        if not isinstance(next_review_at, Unset) and next_review_at is not None:
            raise ValidationError("a lifted sanction has no next review", field="next_review_at")
        return SanctionAction(lift=True)
    term = sanction.term_at(effective_at) or sanction.latest
    current_end = term.ends_at
    held = term.hold_until_review
    release: bool | Unset = False if held else UNSET
    review: datetime | Unset | None = next_review_at
    if isinstance(review, Unset) and term.review_at is not None and term.review_at <= effective_at:
        review = None
    if outcome is ReviewOutcome.EXTEND:
        if isinstance(ends_at, Unset) or ends_at is None:
            raise ValidationError("an extension gives the new ends_at", field="ends_at")
        if current_end is None:
            raise ValidationError(
                "the sanction has no end to extend; uphold it, or reduce it to set an end", field="ends_at"
            )
        if ends_at <= current_end:
            raise ValidationError(
                f"must lie after the current end ({format_instant(current_end)}) to extend it", field="ends_at"
            )
        return SanctionAction(ends_at=ends_at, review_at=review, hold_until_review=release)
    if outcome is ReviewOutcome.REDUCE:
        if isinstance(ends_at, Unset) or ends_at is None:
            raise ValidationError("a reduction gives the new, earlier ends_at", field="ends_at")
        if current_end is not None and ends_at >= current_end:
            raise ValidationError(
                f"must lie before the current end ({format_instant(current_end)}) to reduce it", field="ends_at"
            )
        return SanctionAction(ends_at=ends_at, review_at=review, hold_until_review=release)
    _no_end(outcome, ends_at)
    if outcome is ReviewOutcome.TERMINATE:
        return SanctionAction(kind=SanctionKind.TERMINATION, ends_at=None, review_at=review, hold_until_review=release)
    if held and review is None:  # uphold, and no review left to hold it to
        over = current_end is None or current_end <= effective_at
        return SanctionAction(ends_at=effective_at if over else UNSET, review_at=review, hold_until_review=False)
    return SanctionAction(review_at=review)  # uphold


def _no_end(outcome: ReviewOutcome, ends_at: datetime | Unset | None) -> None:
    if not isinstance(ends_at, Unset):
        raise ValidationError(f"only extend and reduce set an end, not {outcome.value}", field="ends_at")


def ensure_outcome_allows_probation(outcome: ReviewOutcome) -> None:
    if outcome is not ReviewOutcome.LIFT:
        raise ValidationError("only a decision that lifts the sanction sets a probation", field="probation")


@dataclass(frozen=True, slots=True)
class ContentAction:
    """What a decision does to a content decision: restore the item, set a new end, or nothing."""

    restore: bool = False
    ends_at: datetime | Unset | None = UNSET

    @property
    def amends(self) -> bool:
        return not self.restore and not isinstance(self.ends_at, Unset)


def plan_content_review_decision(
    outcome: ReviewOutcome,
    current_end: datetime | None,
    *,
    ends_at: datetime | Unset | None = UNSET,
    next_review_at: datetime | Unset | None = UNSET,
    probation: bool = False,
) -> ContentAction:
    """What ``outcome`` does to a content decision whose term in force ends at ``current_end``
    (None: indefinite): lift restores the item, extend and reduce set a new end, uphold keeps it.
    ``terminate`` ends an account and a probation follows an account's reinstatement: neither is
    a decision about an item, and a content decision has no scheduled review to name."""
    if probation:
        raise ValidationError("a probation follows a sanction's lift, not a content decision's", field="probation")
    if not isinstance(next_review_at, Unset) and next_review_at is not None:
        raise ValidationError("a content decision has no scheduled review", field="next_review_at")
    if outcome is ReviewOutcome.TERMINATE:
        raise ValidationError(
            "terminate ends an account: a content decision is lifted, extended, reduced or upheld", field="outcome"
        )
    if outcome is ReviewOutcome.LIFT:
        _no_end(outcome, ends_at)
        return ContentAction(restore=True)
    if outcome is ReviewOutcome.UPHOLD:
        _no_end(outcome, ends_at)
        return ContentAction()
    if isinstance(ends_at, Unset) or ends_at is None:
        raise ValidationError(f"to {outcome.value} a content decision, give its new ends_at", field="ends_at")
    if outcome is ReviewOutcome.EXTEND:
        if current_end is None:
            raise ValidationError("the content decision has no end to extend; uphold it", field="ends_at")
        if ends_at <= current_end:
            raise ValidationError(
                f"must lie after the current end ({format_instant(current_end)}) to extend it", field="ends_at"
            )
    elif current_end is not None and ends_at >= current_end:
        raise ValidationError(
            f"must lie before the current end ({format_instant(current_end)}) to reduce it", field="ends_at"
        )
    return ContentAction(ends_at=ends_at)
