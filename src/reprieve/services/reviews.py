"""Reviews: open one on a sanction (due or ad hoc), file assessments, decide with the quorum.

A decision changes the sanction in the same unit of work as the ``review.decided`` event, with
``sanction.amended`` / ``sanction.lifted`` events that name the review, and may start a probation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.backdating import backdating_reason, parse_backdated_reason
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.events import AssessmentFiled, NewEvent, ReviewDecided, ReviewOpened
from reprieve.domain.filters import ReviewFilter
from reprieve.domain.model import AccountRef, SanctionState, ensure_text, parse_enum
from reprieve.domain.personal import PANEL_KIND
from reprieve.domain.policy import policy_of
from reprieve.domain.reviews import (
    Review,
    ReviewOutcome,
    ReviewState,
    Risk,
    ensure_factors,
    ensure_outcome_allows_probation,
    ensure_panel,
    plan_content_review_decision,
    plan_review_decision,
    quorum_for,
)
from reprieve.domain.sanctions import UNSET, Change, ChangeType, Sanction, Unset
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.services import content as content_service
from reprieve.services import statements
from reprieve.services.backdating import keep_backdated_reason
from reprieve.services.callers import Caller
from reprieve.services.catalogue import require_platform
from reprieve.services.due_process import (
    ProbationRequest,
    ProbationView,
    amendment_event,
    decision_reason,
    lift_event,
    load_sanction,
    probation_event,
)
from reprieve.services.viewing import Page
from reprieve.store import content as content_store
from reprieve.store import due_process as store
from reprieve.store import personal, queries
from reprieve.store.asof import Known, known_as_of, sanctions_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

# --- how a review looks ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssessmentView:
    """A panel member's assessment of the risk."""

    reviewer: str
    risk: Risk
    factors: tuple[str, ...]
    rationale: str
    filed_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "risk": self.risk.value,
            "factors": list(self.factors),
            "rationale": self.rationale,
            "filed_at": format_instant(self.filed_at),
        }


@dataclass(frozen=True, slots=True)
class TimelineEntryView:
    """One line of a review's timeline: opened, assessed, appeal received, decided."""

    at: datetime | None
    event: str
    by: str | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"at": format_instant(self.at), "event": self.event, "by": self.by, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class ReviewDecisionView:
    """What a review decided; ``ends_at`` and ``next_review_at`` as the decision recorded them."""

    rationale: str | None
    decided_by: str | None
    ends_at: str | None
    next_review_at: str | None
    probation: ProbationView | None
    #: Taking effect more than 24 hours before it was recorded (PRODUCT.md section 8), and why
    #: (None once erased).
    backdated: bool = False
    backdated_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rationale": self.rationale,
            "decided_by": self.decided_by,
            "ends_at": self.ends_at,
            "next_review_at": self.next_review_at,
            "probation": None if self.probation is None else self.probation.to_json(),
            "backdated": self.backdated,
            "backdated_reason": self.backdated_reason,
        }


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review with its panel, assessments, attached appeals, decision and timeline."""

    id: str
    operator: str
    sanction: str | None  #: None: a review of a content decision
    subject: AccountRef  #: the sanction's subject, or the author of the content decision's item
    state: ReviewState
    panel: tuple[str, ...]
    quorum: int | None
    reason: str | None
    due_at: datetime | None
    opened_at: datetime | None
    opened_by: str | None
    assessments: tuple[AssessmentView, ...]
    appeals: tuple[str, ...]
    outcome: ReviewOutcome | None
    decided_at: datetime | None
    decision: ReviewDecisionView | None
    timeline: tuple[TimelineEntryView, ...]
    content_decision: str | None = None  #: the content decision reviewed (issue 25); None: a sanction
    item: str | None = None  #: the item of the content decision reviewed

    @property
    def risk(self) -> dict[str, int]:
        """How many reviewers assessed each level of risk."""
        return {risk.value: sum(1 for a in self.assessments if a.risk is risk) for risk in Risk}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "sanction": self.sanction,
            "content_decision": self.content_decision,
            "item": self.item,
            "subject": {"platform": self.subject.platform, "account": self.subject.account},
            "state": self.state.value,
            "panel": list(self.panel),
            "quorum": self.quorum,
            "reason": self.reason,
            "due_at": format_instant(self.due_at),
            "opened_at": format_instant(self.opened_at),
            "opened_by": self.opened_by,
            "assessments": [a.to_json() for a in self.assessments],
            "risk": self.risk,
            "appeals": list(self.appeals),
            "outcome": None if self.outcome is None else self.outcome.value,
            "decided_at": format_instant(self.decided_at),
            "decision": None if self.decision is None else self.decision.to_json(),
            "timeline": [entry.to_json() for entry in self.timeline],
        }


@dataclass(frozen=True, slots=True)
class DueReviewView:
    """A sanction due for review (``state=due`` of the list), shaped on the wire as a review that
    is not open yet: no id, no panel, nothing assessed."""

    operator: str
    sanction: str
    subject: AccountRef
    due_at: datetime | None
    id: None = None
    state: ReviewState = ReviewState.DUE
    panel: tuple[str, ...] = ()
    reason: None = None
    opened_at: None = None
    content_decision: None = None  #: due reviews are of sanctions (content decisions have no review_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": None,
            "operator": self.operator,
            "sanction": self.sanction,
            "content_decision": None,
            "item": None,
            "subject": {"platform": self.subject.platform, "account": self.subject.account},
            "state": self.state.value,
            "panel": [],
            "quorum": None,
            "reason": None,
            "due_at": format_instant(self.due_at),
            "opened_at": None,
            "opened_by": None,
            "assessments": [],
            "risk": {risk.value: 0 for risk in Risk},
            "appeals": [],
            "outcome": None,
            "decided_at": None,
            "decision": None,
            "timeline": [],
        }


def open_review(
    db: Database,
    sanction_id: str,
    *,
    panel: Sequence[str],
    reason: str,
    caller: Caller,
) -> ReviewView:
    """Open a review of an active sanction (the one that fell due at its ``review_at``, or an ad-hoc
    one), or of one whose term ended with the review scheduled at its end (``awaits_review_at``)."""
    members = ensure_panel(list(panel))
    ensure_text(reason, field="reason", max_length=2000)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        now = uow.now
        sanction = load_sanction(uow, sanction_id, caller)
        if sanction.state_at(now) is not SanctionState.ACTIVE and not sanction.awaits_review_at(now):
            raise ConflictError(f"sanction {sanction.id} is {sanction.state_at(now).value}: there is nothing to review")
        existing = store.open_review_of(uow.conn, sanction.id)
        if existing is not None:
            raise ConflictError(f"sanction {sanction.id} is already under review ({existing})")
        review_at = sanction.view_at(now).review_at
        review_id = _record_opened(
            db,
            uow,
            operator=sanction.operator,
            platform=sanction.subject.platform,
            members=members,
            reason=reason,
            due_at=review_at if review_at is not None and review_at <= now else None,
            caller=caller,
            sanction=sanction.id,
        )
        return review_view(uow.conn, review_id)


def open_content_review(
    db: Database,
    decision_id: str,
    *,
    panel: Sequence[str],
    reason: str,
    caller: Caller,
) -> ReviewView:
    """Open a review of an active content decision (issue 25): an expert panel re-examines it as
    one re-examines a sanction; its decision restores the item, sets a new end, or upholds it."""
    members = ensure_panel(list(panel))
    ensure_text(reason, field="reason", max_length=2000)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        now = uow.now
        decision = content_service.load_for_change(uow, decision_id, caller)
        if not decision.is_active(now):
            state = decision.state_at(now).value
            raise ConflictError(f"content decision {decision.id} is {state}: there is nothing to review")
        existing = store.open_review_of_content(uow.conn, decision.id)
        if existing is not None:
            raise ConflictError(f"content decision {decision.id} is already under review ({existing})")
        review_id = _record_opened(
            db,
            uow,
            operator=decision.operator,
            platform=decision.item.platform,
            members=members,
            reason=reason,
            due_at=None,
            caller=caller,
            content_decision=decision.id,
        )
        return review_view(uow.conn, review_id)


def _record_opened(
    db: Database,
    uow: UnitOfWork,
    *,
    operator: str,
    platform: str,
    members: Sequence[str],
    reason: str,
    due_at: datetime | None,
    caller: Caller,
    sanction: str | None = None,
    content_decision: str | None = None,
) -> str:
    """Record ``review.opened`` of a sanction or a content decision; returns the review's id."""
    now = uow.now
    policy = policy_of(require_platform(db, uow.conn, platform))
    quorum = quorum_for(policy.review_quorum, len(members))
    review_id = db.ids.new_id("rvw", now)
    # Each name or id typed goes to personal_data, the event carries its reference (issue 21).
    refs = [
        personal.put(
            db,
            uow.conn,
            operator=operator,
            kind=PANEL_KIND,
            subject=f"review:{review_id}",
            value=member,
            now=now,
        )
        for member in members
    ]
    uow.record(
        [
            NewEvent.of(
                ReviewOpened(
                    id=review_id,
                    operator=operator,
                    sanction=sanction,
                    panel=list(refs),
                    quorum=quorum,
                    reason=reason,
                    due_at=format_instant(due_at),
                    opened_by=caller.label,
                    content_decision=content_decision,
                ),
                uow.at,
                operator,
            )
        ]
    )
    return review_id


@dataclass(frozen=True, slots=True)
class FileAssessment:
    """A panel member's assessment, parsed (``parse``): the risk as an enum, the factors checked."""

    risk: Risk
    factors: tuple[str, ...]
    rationale: str

    @classmethod
    def parse(cls, *, risk: str | Risk, factors: Sequence[str] | None, rationale: str) -> FileAssessment:
        """The command from what an edge was given, parsed once: ValidationError naming the field."""
        level = parse_enum(Risk, risk, field="risk")
        tags = ensure_factors(list(factors) if factors is not None else None)
        ensure_text(rationale, field="rationale", max_length=10_000)
        return cls(level, tags, rationale)


def file_assessment(db: Database, review_id: str, command: FileAssessment, *, caller: Caller) -> ReviewView:
    """A panel member's assessment of the risk; once per member, while the review is open."""
    level, tags, rationale = command.risk, command.factors, command.rationale
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        review, _row = _load(uow.conn, review_id, caller)
        seat = review.ensure_can_assess(caller.names)
        uow.record(
            [
                NewEvent.of(
                    AssessmentFiled(
                        review=review.id,
                        sanction=review.sanction,
                        content_decision=review.content_decision,
                        reviewer=caller.actor,
                        seat=review.panel.index(seat),
                        risk=level.value,
                        factors=list(tags),
                        rationale=rationale,
                    ),
                    uow.at,
                    review.operator,
                )
            ]
        )
        return review_view(uow.conn, review.id)


@dataclass(frozen=True, slots=True)
class DecideReview:
    """A review's decision, parsed (``parse``). ``ends_at`` and ``next_review_at``: UNSET keeps
    them; ``probation`` follows a lift; ``effective_at`` None: when it is recorded."""

    outcome: ReviewOutcome
    rationale: str
    ends_at: datetime | Unset | None = UNSET
    next_review_at: datetime | Unset | None = UNSET
    probation: ProbationRequest | None = None
    effective_at: datetime | None = None
    #: Why it takes effect more than 24 hours before it is recorded; ignored if it does not.
    backdated_reason: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        outcome: str | ReviewOutcome,
        rationale: str,
        ends_at: str | datetime | Unset | None = UNSET,
        next_review_at: str | datetime | Unset | None = UNSET,
        probation: dict[str, Any] | ProbationRequest | None = None,
        effective_at: str | datetime | None = None,
        backdated_reason: str | None = None,
    ) -> DecideReview:
        """The command from what an edge was given, parsed once: ValidationError naming the field."""
        decided = parse_enum(ReviewOutcome, outcome, field="outcome")
        ensure_text(rationale, field="rationale", max_length=10_000)
        given = parse_instant(effective_at, field="effective_at") if effective_at is not None else None
        new_ends = ends_at if isinstance(ends_at, Unset) or ends_at is None else parse_instant(ends_at, field="ends_at")
        next_review = (
            next_review_at
            if isinstance(next_review_at, Unset) or next_review_at is None
            else parse_instant(next_review_at, field="next_review_at")
        )
        return cls(
            decided,
            rationale,
            new_ends,
            next_review,
            None if probation is None else ProbationRequest.parse(probation),
            given,
            parse_backdated_reason(backdated_reason),
        )


def decide_review(db: Database, review_id: str, command: DecideReview, *, caller: Caller) -> ReviewView:
    """Decide a review with the panel's quorum; the sanction changes in the same transaction."""
    decided, rationale, given, probation = command.outcome, command.rationale, command.effective_at, command.probation
    new_ends, next_review = command.ends_at, command.next_review_at
    if probation is not None:
        ensure_outcome_allows_probation(decided)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        effective = given if given is not None else uow.now  # a clock is read under the write lock
        review, row = _load(uow.conn, review_id, caller)
        review.ensure_can_decide(caller.names, is_moderator=caller.is_moderator)
        if effective < from_micros(row["opened_at"]):
            raise ValidationError("a review is decided after it was opened", field="effective_at")
        if review.content_decision is not None:
            _decide_content_review(uow, review, command, effective, caller)
            return review_view(uow.conn, review.id)
        assert review.sanction is not None
        sanction = load_sanction(uow, review.sanction, None)
        sanction.ensure_not_before_start(effective)
        action = plan_review_decision(
            decided, sanction, effective_at=effective, ends_at=new_ends, next_review_at=next_review
        )
        origin = {"review": review.id}
        reason = decision_reason(f"Review {review.id} decided to {decided.value}", rationale)
        decision_seq = uow.next_seq()
        seq = decision_seq + 1  # the review.decided event comes first
        change: Change | None = None
        if action.lift:
            change = sanction.lift(seq=seq, effective_at=effective, reviewing=True)
        elif action.amends:
            platforms = [require_platform(db, uow.conn, p) for p in sanction.scope]
            change = sanction.amend(
                seq=seq,
                effective_at=effective,
                ends_at=action.ends_at,
                review_at=action.review_at,
                kind=action.kind,
                denies=None,
                platforms=platforms,
                reviewing=True,
                hold_until_review=action.hold_until_review,
            )
        # After the model's own rules, whose errors say more about a decision that cannot be made at all.
        why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
        backdated = keep_backdated_reason(uow, operator=review.operator, subject=f"review:{review.id}", reason=why)
        changes: list[NewEvent] = []
        if change is not None and change.type is ChangeType.LIFTED:
            changes.append(lift_event(sanction, effective, reason, origin, backdated))
        elif change is not None:
            changes.append(amendment_event(sanction, change, reason, origin, backdated))
        probation_data = None
        if probation is not None:
            event, probation_data = probation_event(
                db, uow, sanction, probation, starts_at=effective, source=f"review:{review.id}"
            )
            changes.append(event)
        uow.record(
            [
                NewEvent.of(
                    ReviewDecided(
                        id=review.id,
                        sanction=sanction.id,
                        outcome=decided.value,
                        rationale=rationale,
                        decided_by=caller.label,
                        ends_at=None if isinstance(new_ends, Unset) else format_instant(new_ends),
                        next_review_at=None if isinstance(next_review, Unset) else format_instant(next_review),
                        assessments=len(review.assessments),
                        quorum=review.quorum,
                        probation=probation_data["id"] if probation_data else None,
                        backdated_reason=backdated,
                    ),
                    format_instant(effective) or "",
                    review.operator,
                ),
                *changes,
            ]
        )
        statements.issue_statements(uow, [(sanction.id, decision_seq)])
        return review_view(uow.conn, review.id)


def _decide_content_review(
    uow: UnitOfWork, review: Review, command: DecideReview, effective: datetime, caller: Caller
) -> None:
    """The decision of a review of a content decision, in ``uow``: ``review.decided``, then the
    restoration (lift) or the amendment (extend, reduce) it makes, naming the review."""
    assert review.content_decision is not None
    decided = command.outcome
    decision = content_service.load_for_change(uow, review.content_decision, None)
    decision.ensure_not_before_start(effective)
    term = decision.term_at(effective) or decision.latest
    action = plan_content_review_decision(
        decided,
        term.ends_at,
        ends_at=command.ends_at,
        next_review_at=command.next_review_at,
        probation=command.probation is not None,
    )
    why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
    backdated = keep_backdated_reason(uow, operator=review.operator, subject=f"review:{review.id}", reason=why)
    uow.record(
        [
            NewEvent.of(
                ReviewDecided(
                    id=review.id,
                    sanction=None,
                    outcome=decided.value,
                    rationale=command.rationale,
                    decided_by=caller.label,
                    ends_at=None if isinstance(command.ends_at, Unset) else format_instant(command.ends_at),
                    assessments=len(review.assessments),
                    quorum=review.quorum,
                    backdated_reason=backdated,
                    content_decision=decision.id,
                ),
                format_instant(effective) or "",
                review.operator,
            )
        ]
    )
    origin = {"review": review.id}
    why_changed = f"Review {review.id} decided to {decided.value}: {command.rationale}"[
        : content_service.CHANGE_REASON_MAX
    ]
    if action.restore:
        restore = content_service.RestoreContent(why_changed, effective, command.backdated_reason)
        content_service.restore_within(uow, decision, restore, origin, with_statement=True)
    elif action.amends:
        amend = content_service.AmendContent(
            why_changed, None, action.ends_at, None, effective, command.backdated_reason
        )
        content_service.amend_within(uow, decision, amend, origin)


def get_review(
    db: Database,
    review_id: str,
    *,
    caller: Caller | None = None,
    at: datetime | None = None,
    as_of: datetime | None = None,
) -> ReviewView:
    """A review as it stands, or as it stood at ``at`` (not found if opened after it), as Reprieve
    knew it ``as_of`` (not found if recorded after it; None: now); caller None: the
    installation, which sees every operator's."""
    with db.read() as conn:
        _, row = _load(conn, review_id, caller)
        at_us = None if at is None else to_micros(at)
        if at_us is not None and row["opened_at"] > at_us:
            raise NotFoundError(f"review {review_id} was opened after {format_instant(at)}")
        known = None if as_of is None else known_as_of(conn, as_of)
        if known is not None and row["created_seq"] not in known.of(conn, [row["created_seq"]]):
            raise NotFoundError(f"review {review_id} was recorded after {format_instant(as_of)}")
        return review_view(conn, review_id, row=row, at_us=at_us, known=known)


def list_reviews(
    db: Database,
    f: ReviewFilter,
    *,
    at: datetime,
    limit: int = 50,
    cursor: str | None = None,
    stood: bool = False,
    as_of: datetime | None = None,
) -> Page[ReviewView | DueReviewView]:
    """A page of reviews; ``state=due`` lists the sanctions due for review at ``at`` instead.

    Open and decided reviews are listed as they stand, or with ``stood`` as they stood at ``at``:
    opened by then, and open then if decided later; ``as_of``: as Reprieve knew them then
    (recorded by then, decided if the decision was); due reviews then as the sanctions and
    reviews recorded by then made them."""
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")
    with db.read() as conn:
        if f.state is ReviewState.DUE and as_of is not None:
            due, next_cursor = _due_as_of(conn, f, at, known_as_of(conn, as_of), limit, cursor)
            items: list[ReviewView | DueReviewView] = [due_view(s, at) for s in due]
        elif f.state is ReviewState.DUE:
            rows, next_cursor = store.due_sanction_rows(conn, f, at_us=to_micros(at), limit=limit, cursor=cursor)
            items = [due_view(s, at) for s in queries.load_sanctions(conn, rows)]
        else:
            at_us = to_micros(at) if stood else None
            known = None if as_of is None else known_as_of(conn, as_of)
            review_rows, next_cursor = store.list_review_rows(
                conn, f, limit=limit, cursor=cursor, at_us=at_us, recorded=None if known is None else known.sql
            )
            items = [review_view(conn, r["id"], row=r, at_us=at_us, known=known) for r in review_rows]
    return Page(tuple(items), next_cursor)


def _due_as_of(
    conn: Connection, f: ReviewFilter, at: datetime, known: Known, limit: int, cursor: str | None
) -> tuple[list[Sanction], str | None]:
    """The sanctions due for review at ``at`` as the events recorded by ``known.as_of`` made them:
    the store's candidates taken back to then, kept if their review then was due by ``at`` and
    they were in force then or ended with the term it was scheduled at the end of."""
    at_us, after = to_micros(at), queries.decode_cursor(cursor) if cursor else None
    due: list[Sanction] = []
    while len(due) <= limit:
        rows = store.due_candidate_rows(conn, f, at_us=at_us, recorded=known.sql, limit=500, after=after)
        if not rows:
            break
        after = rows[-1].id
        then = sanctions_as_of(conn, queries.load_sanctions(conn, rows), known)
        for sanction in (then[row.id] for row in rows if row.id in then):
            review_at = sanction.view_at(at).review_at
            if review_at is not None and review_at <= at and (sanction.is_active(at) or sanction.awaits_review_at(at)):
                due.append(sanction)
    next_cursor = queries.encode_cursor(due[limit - 1].id) if len(due) > limit else None
    return due[:limit], next_cursor


def _load(conn: Connection, review_id: str, caller: Caller | None) -> tuple[Review, dict[str, Any]]:
    found = store.load_review(conn, review_id)
    if found is None or (caller is not None and not caller.sees(found[0].operator)):
        raise NotFoundError(f"no review {review_id!r}")
    return found


# --- building the view -------------------------------------------------------------------


def _instant(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def review_view(
    conn: Connection,
    review_id: str,
    *,
    row: dict[str, Any] | None = None,
    at_us: int | None = None,
    known: Known | None = None,
) -> ReviewView:
    """A review with its panel, assessments, attached appeals, decision and timeline; as it stood
    at ``at_us`` if given (open if decided later, with what was filed and received by then)."""
    row = row or store.review_row(conn, review_id)
    assert row is not None
    item: str | None = None
    if row["content_decision_id"] is not None:
        decision = content_store.load_decision(conn, row["content_decision_id"])
        assert decision is not None
        subject, item = decision.item.author, decision.item.item
    else:
        sanction = queries.load_sanction(conn, row["sanction_id"])
        assert sanction is not None
        subject = AccountRef(sanction.subject.platform, sanction.subject.account)
    assessments = store.assessment_rows(conn, review_id)
    appeals = store.appeals_of_review(conn, review_id)
    if known is not None:
        seqs = [a["seq"] for a in assessments] + [a["created_seq"] for a in appeals] + [row["updated_seq"]]
        recorded = known.of(conn, seqs)
        assessments = [a for a in assessments if a["seq"] in recorded]
        appeals = [a for a in appeals if a["created_seq"] in recorded]
        if row["updated_seq"] not in recorded and row["decided_at"] is not None:
            row = {**row, "state": ReviewState.OPEN.value, "outcome": None, "decided_at": None, "decision": None}
    if at_us is not None:
        assessments = [a for a in assessments if a["filed_at"] <= at_us]
        appeals = [a for a in appeals if a["received_at"] <= at_us]
        if row["decided_at"] is not None and row["decided_at"] > at_us:
            row = {**row, "state": ReviewState.OPEN.value, "outcome": None, "decided_at": None, "decision": None}
    decision = json.loads(row["decision"]) if row["decision"] else None
    probation = None
    if decision and decision.get("probation"):
        probation_row = store.probation_row(conn, decision["probation"])
        if probation_row is not None:
            probation = ProbationView(
                id=probation_row["id"],
                starts_at=from_micros(probation_row["starts_at"]),
                until=from_micros(probation_row["until"]),
                scope=tuple(probation_row["scope"]),
                ladder=json.loads(probation_row["ladder"]),
                sanction=probation_row["sanction_id"],
                source=probation_row["source"],
            )
    backdated_ref = decision.get("backdated_ref") if decision else None
    backdated_text = personal.read_many(conn, [backdated_ref]).get(backdated_ref or "")
    panel = json.loads(row["panel"])
    # The panel's entries and who filed each assessment, resolved outside the chain (issue 21).
    names = personal.names_of(conn, [*panel, *(a["reviewer"] for a in assessments)])
    filed = tuple(
        AssessmentView(
            reviewer=names.get(a["reviewer"], a["reviewer"]),
            risk=Risk(a["risk"]),
            factors=tuple(json.loads(a["factors"])),
            rationale=a["rationale"],
            filed_at=_instant(a["filed_at"]),
        )
        for a in assessments
    )
    timeline = [
        TimelineEntryView(
            _instant(row["opened_at"]),
            "opened",
            row["opened_by"],
            f"panel of {len(json.loads(row['panel']))}, quorum {row['quorum']}: {row['reason']}",
        ),
    ]
    timeline += [TimelineEntryView(a.filed_at, "assessed", a.reviewer, f"risk {a.risk.value}") for a in filed]
    timeline += [
        TimelineEntryView(
            _instant(a["received_at"]),
            "appeal received",
            a["relation"],
            f"{a['kind']} {a['id']} by {a['channel']}" + (", meeting requested" if a["meeting_requested"] else ""),
        )
        for a in appeals
    ]
    if row["state"] == ReviewState.DECIDED.value and decision is not None:
        timeline.append(
            TimelineEntryView(
                _instant(row["decided_at"]),
                "decided",
                decision.get("decided_by"),
                f"{row['outcome']}: {decision.get('rationale')}"
                # A backdated decision says so, and why (PRODUCT.md section 8).
                + (f" (backdated: {backdated_text.value or ''})" if backdated_text is not None else ""),
            )
        )
    # In the order of the instants as written (RFC 3339), as the timeline always was.
    timeline.sort(key=lambda entry: format_instant(entry.at) or "")
    return ReviewView(
        id=row["id"],
        operator=row["operator_id"],
        sanction=row["sanction_id"],
        subject=subject,
        state=ReviewState(row["state"]),
        panel=tuple(names.get(entry, entry) for entry in panel),
        quorum=row["quorum"],
        reason=row["reason"],
        due_at=_instant(row["due_at"]),
        opened_at=_instant(row["opened_at"]),
        opened_by=row["opened_by"],
        assessments=filed,
        appeals=tuple(a["id"] for a in appeals),
        outcome=None if row["outcome"] is None else ReviewOutcome(row["outcome"]),
        decided_at=_instant(row["decided_at"]),
        decision=None
        if decision is None
        else ReviewDecisionView(
            rationale=decision.get("rationale"),
            decided_by=decision.get("decided_by"),
            ends_at=decision.get("ends_at"),
            next_review_at=decision.get("next_review_at"),
            probation=probation,
            backdated=backdated_ref is not None,
            backdated_reason=backdated_text.value if backdated_text is not None else None,
        ),
        timeline=tuple(timeline),
        content_decision=row["content_decision_id"],
        item=item,
    )


def due_view(sanction: Any, at: datetime) -> DueReviewView:
    """A sanction due for review, shaped as a review that is not open yet."""
    return DueReviewView(
        operator=sanction.operator,
        sanction=sanction.id,
        subject=AccountRef(sanction.subject.platform, sanction.subject.account),
        due_at=sanction.view_at(at).review_at,
    )
