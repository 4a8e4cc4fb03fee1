"""Appeals: file a complaint or a reinstatement request, attach it to a review, decide it, and
record an out-of-court dispute about it.

The requester's name and e-mail are personal data: they go to ``appeal_requesters`` in the same
transaction as the ``appeal.filed`` event, which carries only a reference to them. They are shown
to the operator's moderators and admins, and nowhere else; the e-mail only when one of them asks
to see it (``reveal_email``), which is recorded in the access log (``services.access_log``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from reprieve.domain.appeals import (
    AppealKind,
    AppealOutcome,
    AppealState,
    Channel,
    DisputeOutcome,
    Relation,
    Requester,
    complaint_deadline,
    ensure_admissible,
    ensure_decision_fits,
    ensure_human_decider,
    grant_lifts_at,
    handling_seconds,
)
from reprieve.domain.backdating import backdating_reason, parse_backdated_reason
from reprieve.domain.content import ContentState
from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from reprieve.domain.events import (
    NO_EXTRA,
    AppealAttached,
    AppealDecided,
    AppealFiled,
    CaseReopened,
    ContentRestored,
    DisputeRecorded,
    NewEvent,
)
from reprieve.domain.filters import AppealFilter
from reprieve.domain.model import SanctionKind, ensure_text, parse_enum
from reprieve.domain.notices import CaseState, NoticeState, notifier_complaint_deadline
from reprieve.domain.personal import PersonalRef
from reprieve.domain.policy import policy_of
from reprieve.domain.reviews import ReviewState
from reprieve.domain.sanctions import UNSET, Unset
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.services import access_log
from reprieve.services.backdating import keep_backdated_reason
from reprieve.services.callers import Caller
from reprieve.services.catalogue import require_platform
from reprieve.services.content_statements import issue_restoration_statement
from reprieve.services.content_strikes import strikes_of
from reprieve.services.due_process import (
    ProbationRequest,
    amendment_event,
    decision_reason,
    lift_event,
    load_sanction,
    probation_event,
)
from reprieve.services.statements import issue_statements
from reprieve.services.viewing import Page
from reprieve.store import content as content_store
from reprieve.store import due_process as store
from reprieve.store import notices as notice_store
from reprieve.store import personal, queries
from reprieve.store.asof import Known, known_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

#: The channels whose appeals are dated by when they arrived, which may be before they are
#: entered: a letter's postmark, an e-mail's date. Any other appeal (the API, the public form)
#: is received when it is recorded.
DATED_BY_ARRIVAL = frozenset({Channel.LETTER, Channel.EMAIL})
#: How far before its recording an appeal of another channel may still say it was received:
#: the clocks of a platform's machine and of this installation may disagree by that much.
CLOCK_SKEW = timedelta(minutes=5)


# --- how an appeal looks -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FiledByView:
    """Who filed: the relation, and (for the operator's moderators only) the name and e-mail."""

    relation: Relation
    name: str | None = None
    email: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"relation": self.relation.value, "name": self.name, "email": self.email}


@dataclass(frozen=True, slots=True)
class AppealDecisionView:
    outcome: AppealState
    rationale: str | None
    #: The answer sent to the requester; None once erased (``reply_erased``): null on the wire.
    reply: str | None
    decided_at: datetime | None
    decided_by: str | None
    handling_seconds: int | None
    reply_erased: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "rationale": self.rationale,
            "reply": self.reply,
            "decided_at": format_instant(self.decided_at),
            "decided_by": self.decided_by,
            "handling_seconds": self.handling_seconds,
        }


@dataclass(frozen=True, slots=True)
class DisputeView:
    """An out-of-court dispute about an appeal, with its outcome once decided."""

    id: str
    #: The settlement body and the summary; None once erased (``body_erased``, ``summary_erased``):
    #: null on the wire.
    body: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    outcome: DisputeOutcome
    summary: str | None
    body_erased: bool = False
    summary_erased: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "submitted_at": format_instant(self.submitted_at),
            "decided_at": format_instant(self.decided_at),
            "outcome": self.outcome.value,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class AppealView:
    """An appeal as it stands (or stood): what was asked, its decision, its disputes."""

    id: str
    operator: str
    #: What the appeal is about: a sanction, or (a complaint about content) a content decision.
    sanction: str | None
    kind: AppealKind
    state: AppealState
    filed_by: FiledByView
    channel: Channel
    meeting_requested: bool
    #: The requester's text; None once erased (``statement_erased``): the wire's ``statement`` is
    #: then null, never a placeholder.
    statement: str | None
    received_at: datetime
    deadline_at: datetime | None
    review: str | None
    decision: AppealDecisionView | None
    disputes: tuple[DisputeView, ...]
    statement_erased: bool = False
    content_decision: str | None = None
    #: A notifier's complaint about the decision on this notice (art. 20(1)).
    notice: str | None = None

    @property
    def about(self) -> str:
        """The id of what the appeal is about: its sanction, its content decision or its notice."""
        return self.sanction or self.content_decision or self.notice or ""

    def without_contact(self) -> AppealView:
        """The same appeal without the requester's name and e-mail (personal data)."""
        return replace(self, filed_by=replace(self.filed_by, name=None, email=None))

    def without_email(self) -> AppealView:
        """The same appeal without the requester's e-mail: shown only when asked for (``reveal_email``)."""
        return replace(self, filed_by=replace(self.filed_by, email=None))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "sanction": self.sanction,
            "content_decision": self.content_decision,
            "notice": self.notice,
            "kind": self.kind.value,
            "state": self.state.value,
            "filed_by": self.filed_by.to_json(),
            "channel": self.channel.value,
            "meeting_requested": self.meeting_requested,
            "statement": self.statement,
            "received_at": format_instant(self.received_at),
            "deadline_at": format_instant(self.deadline_at),
            "review": self.review,
            "decision": None if self.decision is None else self.decision.to_json(),
            "disputes": [d.to_json() for d in self.disputes],
        }


@dataclass(frozen=True, slots=True)
class FileAppeal:
    """An appeal to file, parsed (``parse``): its kind and channel as enums, the requester checked,
    ``received_at`` as an instant (None: when it is recorded)."""

    sanction_id: str | None
    kind: AppealKind
    requester: Requester
    statement: str
    channel: Channel
    meeting_requested: bool = False
    received_at: datetime | None = None
    #: A complaint about a content decision, in place of ``sanction_id``.
    content_decision_id: str | None = None
    #: A notifier's complaint about the decision on their notice (art. 20(1)), in place of both.
    notice_id: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        sanction_id: str | None,
        kind: str | AppealKind,
        filed_by: dict[str, Any] | Requester,
        statement: str,
        channel: str | Channel,
        meeting_requested: bool = False,
        received_at: str | datetime | None = None,
        content_decision_id: str | None = None,
        notice_id: str | None = None,
    ) -> FileAppeal:
        """The command from what an edge was given, parsed once: ValidationError naming the field.
        It names exactly one of a sanction, a content decision and a notice; about content or a
        notice, a complaint only; about a notice, by its notifier only (and only they complain so)."""
        named = [
            n
            for n, v in (("sanction", sanction_id), ("content_decision", content_decision_id), ("notice", notice_id))
            if v is not None
        ]
        if len(named) != 1:
            raise ValidationError(
                "name exactly one of sanction, content_decision and notice: what the appeal is about",
                field=named[-1] if named else "sanction",
            )
        appeal_kind = parse_enum(AppealKind, kind, field="kind")
        if notice_id is not None and appeal_kind is not AppealKind.COMPLAINT:
            raise ValidationError(
                "a notifier contests the decision on their notice with a complaint (DSA art. 20(1))", field="kind"
            )
        if content_decision_id is not None and appeal_kind is not AppealKind.COMPLAINT:
            raise ValidationError(
                "a reinstatement request asks an account's sanction back because circumstances changed; about a "
                "content decision, file a complaint (it says the decision was wrong)",
                field="kind",
            )
        via = parse_enum(Channel, channel, field="channel")
        requester = filed_by if isinstance(filed_by, Requester) else Requester.parse(filed_by)
        if (notice_id is not None) != (requester.relation is Relation.NOTIFIER):
            raise ValidationError(
                "is notifier for a complaint about a notice's decision, and only then"
                if notice_id is not None
                else "notifier is only for a complaint about the decision on a notice (give notice)",
                field="filed_by.relation",
            )
        ensure_text(statement, field="statement", max_length=20_000)
        if not isinstance(meeting_requested, bool):
            raise ValidationError("must be true or false", field="meeting_requested")
        given = parse_instant(received_at, field="received_at") if received_at is not None else None
        return cls(
            sanction_id,
            appeal_kind,
            requester,
            statement,
            via,
            meeting_requested,
            given,
            content_decision_id,
            notice_id,
        )


def file_appeal(db: Database, command: FileAppeal, *, caller: Caller) -> AppealView:
    """File an appeal; ValidationError (422) when it is not admissible, ConflictError if one is open.

    ``received_at`` (default: when it is recorded) lies between the sanction's decision and the
    recording; only a letter or an e-mail may be dated before its recording (``DATED_BY_ARRIVAL``),
    and only theirs counts for the complaint window: any other appeal is judged when recorded.
    """
    appeal_kind, via = command.kind, command.channel
    given = command.received_at
    if command.content_decision_id is not None:
        return _file_content_complaint(db, command, command.content_decision_id, caller=caller)
    if command.notice_id is not None:
        return _file_notifier_complaint(db, command, command.notice_id, caller=caller)
    assert command.sanction_id is not None
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        recorded = uow.now  # read once the write lock is held
        received = given if given is not None else recorded
        _ensure_received(received, via, recorded=recorded)
        sanction = load_sanction(uow, command.sanction_id, caller)
        open_appeal = store.open_appeal_of(uow.conn, sanction.id)
        if open_appeal is not None:
            raise ConflictError(f"sanction {sanction.id} already has an open appeal ({open_appeal})")
        policy = policy_of(require_platform(db, uow.conn, sanction.subject.platform))
        latest = store.latest_decision_told_at(uow.conn, sanction)
        # Only a letter's or an e-mail's date of arrival counts for the window; any other appeal is
        # judged at the instant it is recorded, whatever received_at it gives.
        ensure_admissible(
            appeal_kind,
            sanction,
            received_at=received if via in DATED_BY_ARRIVAL else recorded,
            latest_decision=latest,
            window=policy.complaint_window,
        )
        decided = store.first_decided_at(uow.conn, sanction)
        if received < decided:
            raise ValidationError(
                f"{format_instant(received)} is before sanction {sanction.id} was decided "
                f"({format_instant(decided)}): no appeal about it can have been received then",
                field="received_at",
            )
        deadline = complaint_deadline(latest, policy.complaint_window) if appeal_kind is AppealKind.COMPLAINT else None
        appeal_id = _record_filed(db, uow, command, sanction.operator, received, deadline, sanction=sanction.id)
        return appeal_view(uow.conn, appeal_id, include_contact=True)


def _record_filed(
    db: Database,
    uow: UnitOfWork,
    command: FileAppeal,
    operator: str,
    received: datetime,
    deadline: datetime | None,
    *,
    sanction: str | None = None,
    content_decision: str | None = None,
    notice: str | None = None,
) -> str:
    """Record the ``appeal.filed`` event of ``command``, its requester and statement beside it."""
    recorded = uow.now
    requester = command.requester
    appeal_id = db.ids.new_id("apl", recorded)
    reference = db.ids.new_id("rqr", recorded)
    # Personal data: beside the event, never in it (see the module docstring).
    store.insert_requester(
        uow.conn,
        id=reference,
        appeal_id=appeal_id,
        name=requester.name,
        email=requester.email,
        created_at=uow.at,
    )
    statement = personal.put(
        db,
        uow.conn,
        operator=operator,
        kind="appeal.statement",
        subject=reference,
        value=command.statement,
        now=recorded,
    )
    uow.record(
        [
            NewEvent.of(
                AppealFiled(
                    id=appeal_id,
                    operator=operator,
                    sanction=sanction,
                    kind=command.kind.value,
                    requester=reference,
                    relation=requester.relation.value,
                    channel=command.channel.value,
                    meeting_requested=command.meeting_requested,
                    statement=statement,
                    received_at=format_instant(received),
                    deadline_at=format_instant(deadline),
                    extra={"content_decision": content_decision}
                    if content_decision is not None
                    else {"notice": notice}
                    if notice is not None
                    else NO_EXTRA,
                ),
                format_instant(received) or "",
                operator,
            )
        ]
    )
    return appeal_id


def _file_content_complaint(db: Database, command: FileAppeal, decision_id: str, *, caller: Caller) -> AppealView:
    """``file_appeal`` of a complaint about a content decision: admissible while the decision
    stands (not restored) and within the complaint window, which runs from when its user was told
    of its latest decision (``store.due_process.content_decision_told``), as for a sanction."""
    via, given = command.channel, command.received_at
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        recorded = uow.now  # read once the write lock is held
        received = given if given is not None else recorded
        _ensure_received(received, via, recorded=recorded)
        decision = caller.seen(content_store.load_decision(uow.conn, decision_id), "content decision", decision_id)
        open_appeal = store.open_complaint_about(uow.conn, decision.id)
        if open_appeal is not None:
            raise ConflictError(f"content decision {decision.id} already has an open complaint ({open_appeal})")
        policy = policy_of(require_platform(db, uow.conn, decision.item.platform))
        latest = store.content_decision_told(uow.conn, decision).at
        judged = received if via in DATED_BY_ARRIVAL else recorded
        state = decision.state_at(judged)
        if state in (ContentState.RESTORED, ContentState.CANCELLED):
            raise ValidationError(
                f"content decision {decision.id} is {state.value} at {format_instant(judged)}: there is no decision "
                "left to complain about",
                field="content_decision",
            )
        deadline = complaint_deadline(latest, policy.complaint_window)
        if judged > deadline:
            raise ValidationError(
                f"the complaint window closed at {format_instant(deadline)} ({policy.complaint_window} after the "
                f"user was told of the latest decision on content decision {decision.id}, {format_instant(latest)})",
                field="received_at" if via in DATED_BY_ARRIVAL else "content_decision",
            )
        decided = min(decision.starts_at, content_store.recorded_at(uow.conn, decision))
        if received < decided:
            raise ValidationError(
                f"{format_instant(received)} is before content decision {decision.id} was decided "
                f"({format_instant(decided)}): no complaint about it can have been received then",
                field="received_at",
            )
        appeal_id = _record_filed(db, uow, command, decision.operator, received, deadline, content_decision=decision.id)
        return appeal_view(uow.conn, appeal_id, include_contact=True)


def _file_notifier_complaint(db: Database, command: FileAppeal, notice_id: str, *, caller: Caller) -> AppealView:
    """``file_appeal`` of a notifier's complaint about the decision on their notice (art. 20(1)),
    "no action" included: only once the notice is decided (409 before), one open at a time (409),
    within six months of the decision, when the notifier was told (422 after)."""
    via, given = command.channel, command.received_at
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        recorded = uow.now  # read once the write lock is held
        received = given if given is not None else recorded
        _ensure_received(received, via, recorded=recorded)
        notice = caller.seen(notice_store.notice_row(uow.conn, notice_id), "notice", notice_id, operator="operator_id")
        if notice["state"] != NoticeState.DECIDED.value or notice["decided_at"] is None:
            raise ConflictError(f"notice {notice_id} is not decided: there is no decision to complain about yet")
        open_appeal = store.open_notifier_complaint(uow.conn, notice_id)
        if open_appeal is not None:
            raise ConflictError(f"notice {notice_id} already has an open complaint ({open_appeal})")
        decided = from_micros(notice["decided_at"])
        deadline = notifier_complaint_deadline(decided)
        judged = received if via in DATED_BY_ARRIVAL else recorded
        if judged > deadline:
            raise ValidationError(
                f"the complaint window closed at {format_instant(deadline)} (six months after the notifier was told "
                f"of the decision on notice {notice_id}, {format_instant(decided)})",
                field="received_at" if via in DATED_BY_ARRIVAL else "notice",
            )
        if received < decided:
            raise ValidationError(
                f"{format_instant(received)} is before notice {notice_id} was decided ({format_instant(decided)})",
                field="received_at",
            )
        appeal_id = _record_filed(db, uow, command, notice["operator_id"], received, deadline, notice=notice_id)
        return appeal_view(uow.conn, appeal_id, include_contact=True)


def _ensure_received(received: datetime, via: Channel, *, recorded: datetime) -> None:
    """``received_at`` is never after the appeal is recorded, and only a letter or an e-mail may
    be dated (by its arrival) more than ``CLOCK_SKEW`` before it."""
    if received > recorded:
        raise ValidationError("an appeal cannot be received in the future", field="received_at")
    if via not in DATED_BY_ARRIVAL and received < recorded - CLOCK_SKEW:
        raise ValidationError(
            f"only a letter or an e-mail may be dated before it is recorded; an appeal by {via.value!r} is "
            f"received when it is recorded ({format_instant(recorded)}): leave received_at out",
            field="received_at",
        )


def content_complaint_deadline(db: Database, decision_id: str, *, caller: Caller | None = None) -> datetime:
    """The last instant a complaint about the content decision can be received (for a form)."""
    with db.read() as conn:
        decision = content_store.load_decision(conn, decision_id)
        if decision is None or (caller is not None and not caller.sees(decision.operator)):
            raise NotFoundError(f"no content decision {decision_id!r}")
        policy = policy_of(require_platform(db, conn, decision.item.platform))
        return complaint_deadline(store.content_decision_told(conn, decision).at, policy.complaint_window)


def complaint_deadline_of(db: Database, sanction_id: str, *, caller: Caller | None = None) -> datetime:
    """The last instant a complaint about the sanction can be received (for a form to tell the user)."""
    with db.read() as conn:
        sanction = queries.load_sanction(conn, sanction_id)
        if sanction is None or (caller is not None and not caller.sees(sanction.operator)):
            raise NotFoundError(f"no sanction {sanction_id!r}")
        policy = policy_of(require_platform(db, conn, sanction.subject.platform))
        return complaint_deadline(store.latest_decision_told_at(conn, sanction), policy.complaint_window)


def attach_appeal(
    db: Database,
    appeal_id: str,
    *,
    review_id: str,
    caller: Caller,
) -> AppealView:
    """Put an open appeal before the open review of its sanction, so that the panel sees it."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        appeal = _appeal(uow.conn, appeal_id, caller)
        review = store.review_row(uow.conn, review_id)
        if review is None or review["operator_id"] != appeal["operator_id"]:
            raise NotFoundError(f"no review {review_id!r}")
        if appeal["state"] != AppealState.OPEN.value:
            raise ConflictError(f"appeal {appeal_id} is already decided")
        if appeal["sanction_id"] is None:
            raise ValidationError(
                f"appeal {appeal_id} is a complaint about content decision {appeal['content_decision_id']}: a review "
                f"of a sanction does not decide it",
                field="review",
            )
        if review["state"] != ReviewState.OPEN.value:
            raise ConflictError(f"review {review_id} is already decided")
        if review["sanction_id"] != appeal["sanction_id"]:
            raise ValidationError(
                f"review {review_id} is of sanction {review['sanction_id']}, not {appeal['sanction_id']}",
                field="review",
            )
        if appeal["review_id"] == review_id:
            raise ConflictError(f"appeal {appeal_id} is already attached to review {review_id}")
        uow.record(
            [
                NewEvent.of(
                    AppealAttached(id=appeal_id, review=review_id, sanction=appeal["sanction_id"]),
                    uow.at,
                    appeal["operator_id"],
                )
            ]
        )
        return appeal_view(uow.conn, appeal_id, include_contact=True)


@dataclass(frozen=True, slots=True)
class DecideAppeal:
    """A decision on an appeal, parsed (``parse``). ``ends_at`` (UNSET: kept), ``kind`` and
    ``denies`` say how a partial grant amends the sanction; ``probation`` follows a grant's lift."""

    outcome: AppealOutcome
    rationale: str
    reply: str
    effective_at: datetime | None = None
    ends_at: datetime | Unset | None = UNSET
    kind: SanctionKind | None = None
    denies: Sequence[str] | None = None
    probation: ProbationRequest | None = None
    #: Why it takes effect more than 24 hours before it is recorded; ignored if it does not.
    backdated_reason: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        outcome: str | AppealOutcome,
        rationale: str,
        reply: str,
        effective_at: str | datetime | None = None,
        ends_at: str | datetime | Unset | None = UNSET,
        kind: str | SanctionKind | None = None,
        denies: Sequence[str] | None = None,
        probation: dict[str, Any] | ProbationRequest | None = None,
        backdated_reason: str | None = None,
    ) -> DecideAppeal:
        """The command from what an edge was given, parsed once: ValidationError naming the field."""
        decided = parse_enum(AppealOutcome, outcome, field="outcome")
        ensure_text(rationale, field="rationale", max_length=10_000)
        ensure_text(reply, field="reply", max_length=20_000)
        given = parse_instant(effective_at, field="effective_at") if effective_at is not None else None
        new_ends = ends_at if isinstance(ends_at, Unset) or ends_at is None else parse_instant(ends_at, field="ends_at")
        new_kind = parse_enum(SanctionKind, kind, field="kind") if kind is not None else None
        return cls(
            decided,
            rationale,
            reply,
            given,
            new_ends,
            new_kind,
            denies,
            None if probation is None else ProbationRequest.parse(probation),
            parse_backdated_reason(backdated_reason),
        )


def decide_appeal(db: Database, appeal_id: str, command: DecideAppeal, *, caller: Caller) -> AppealView:
    """Decide an open appeal, by a person: granted lifts the sanction, partially_granted amends it.

    A grant on a sanction that has already run out lifts nothing, but still takes its strike away.
    """
    ensure_human_decider(caller.role)
    decided, rationale, reply, given = command.outcome, command.rationale, command.reply, command.effective_at
    new_ends, new_kind, denies, probation = command.ends_at, command.kind, command.denies, command.probation
    amends = not isinstance(new_ends, Unset) or new_kind is not None or denies is not None
    ensure_decision_fits(decided, amends=amends, probation=probation is not None)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        effective = given if given is not None else uow.now  # a clock is read under the write lock
        appeal = _appeal(uow.conn, appeal_id, caller)
        if appeal["state"] != AppealState.OPEN.value:
            raise ConflictError(f"appeal {appeal_id} is already decided: {appeal['state']}")
        if effective < from_micros(appeal["received_at"]):
            raise ValidationError("an appeal is decided after it was received", field="effective_at")
        if appeal["content_decision_id"] is not None:
            _decide_content_complaint(db, uow, appeal, command, effective, caller=caller)
            return appeal_view(uow.conn, appeal_id, include_contact=True)
        if appeal["notice_id"] is not None:
            _decide_notifier_complaint(db, uow, appeal, command, effective, caller=caller)
            return appeal_view(uow.conn, appeal_id, include_contact=True)
        sanction = load_sanction(uow, appeal["sanction_id"], None)
        origin = {"appeal": appeal_id}
        reason = decision_reason(f"Appeal {appeal_id} {decided.value.replace('_', ' ')}", rationale)
        seq = uow.next_seq() + 1  # the appeal.decided event comes first
        changes: list[NewEvent] = []
        lifted = False
        lift_at = grant_lifts_at(decided, sanction, effective)
        change = None
        if lift_at is not None:
            sanction.lift(seq=seq, effective_at=lift_at)
            lifted = True
        elif decided is AppealOutcome.PARTIALLY_GRANTED:
            platforms = [require_platform(db, uow.conn, p) for p in sanction.scope]
            change = sanction.amend(
                seq=seq,
                effective_at=effective,
                ends_at=new_ends,
                review_at=UNSET,
                kind=new_kind,
                denies=denies,
                platforms=platforms,
            )
        # After the model's own rules, whose errors say more about a decision that cannot be made at all.
        why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
        backdated = keep_backdated_reason(
            uow, operator=appeal["operator_id"], subject=f"appeal:{appeal_id}", reason=why
        )
        if lift_at is not None:
            changes.append(lift_event(sanction, lift_at, reason, origin, backdated))
        elif change is not None:
            changes.append(amendment_event(sanction, change, reason, origin, backdated))
        if probation is not None:
            if not lifted:
                raise ConflictError(
                    f"sanction {sanction.id} is not active at {format_instant(effective)}: there is no lift to "
                    "follow with a probation"
                )
            event, _data = probation_event(
                db, uow, sanction, probation, starts_at=effective, source=f"appeal:{appeal_id}"
            )
            changes.append(event)
        reply_ref = personal.put(
            db,
            uow.conn,
            operator=appeal["operator_id"],
            kind="appeal.reply",
            subject=appeal["requester"],
            value=reply,
            now=uow.now,
        )
        uow.record(
            [
                NewEvent.of(
                    AppealDecided(
                        id=appeal_id,
                        sanction=sanction.id,
                        outcome=decided.value,
                        rationale=rationale,
                        reply=reply_ref,
                        decided_by=caller.label,
                        handling_seconds=handling_seconds(from_micros(appeal["received_at"]), uow.now),
                        lifted=lifted,
                        backdated_reason=backdated,
                    ),
                    format_instant(effective) or "",
                    appeal["operator_id"],
                ),
                *changes,
            ]
        )
        return appeal_view(uow.conn, appeal_id, include_contact=True)


@dataclass(frozen=True, slots=True)
class RecordDispute:
    """An out-of-court dispute about an appeal, or (``dispute_id``) its progress, parsed (``parse``)."""

    body: str
    submitted_at: datetime
    outcome: DisputeOutcome = DisputeOutcome.PENDING
    decided_at: datetime | None = None
    summary: str = ""
    dispute_id: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        body: str,
        submitted_at: str | datetime,
        outcome: str | DisputeOutcome = DisputeOutcome.PENDING,
        decided_at: str | datetime | None = None,
        summary: str = "",
        dispute_id: str | None = None,
    ) -> RecordDispute:
        """The command from what an edge was given, parsed once: ValidationError naming the field."""
        ensure_text(body, field="body", max_length=300)
        ensure_text(summary, field="summary", max_length=10_000, required=False)
        result = parse_enum(DisputeOutcome, outcome, field="outcome")
        submitted = parse_instant(submitted_at, field="submitted_at")
        decided = parse_instant(decided_at, field="decided_at") if decided_at is not None else None
        return cls(body, submitted, result, decided, summary, dispute_id)


def record_dispute(db: Database, appeal_id: str, command: RecordDispute, *, caller: Caller) -> AppealView:
    """Record an out-of-court dispute about an appeal (DSA art. 21), or, with ``dispute_id``, its progress."""
    ensure_human_decider(caller.role)
    body, result, summary, dispute_id = command.body, command.outcome, command.summary, command.dispute_id
    submitted, decided = command.submitted_at, command.decided_at
    now = caller.instant
    if submitted > now:
        raise ValidationError("lies in the future", field="submitted_at")
    if decided is not None and (decided < submitted or decided > now):
        raise ValidationError("must lie between submitted_at and now", field="decided_at")
    if (result is DisputeOutcome.PENDING) != (decided is None):
        raise ValidationError(
            "a dispute has a decided_at exactly when its outcome is no longer pending", field="decided_at"
        )
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        now = uow.now
        appeal = _appeal(uow.conn, appeal_id, caller)
        if dispute_id is not None:
            existing = store.dispute_row(uow.conn, dispute_id)
            if existing is None or existing["appeal_id"] != appeal_id:
                raise NotFoundError(f"no dispute {dispute_id!r} about appeal {appeal_id}")

        def keep(kind: str, value: str) -> PersonalRef:
            return personal.put(
                db,
                uow.conn,
                operator=appeal["operator_id"],
                kind=kind,
                subject=appeal["requester"],
                value=value,
                now=now,
            )

        uow.record(
            [
                NewEvent.of(
                    DisputeRecorded(
                        id=dispute_id or db.ids.new_id("dsp", now),
                        appeal=appeal_id,
                        operator=appeal["operator_id"],
                        body=keep("dispute.body", body),
                        submitted_at=format_instant(submitted),
                        decided_at=format_instant(decided),
                        outcome=result.value,
                        # An empty summary says nothing of anyone: no row for it.
                        summary=keep("dispute.summary", summary) if summary else "",
                        update=dispute_id is not None,
                    ),
                    uow.at,
                    appeal["operator_id"],
                )
            ]
        )
        return appeal_view(uow.conn, appeal_id, include_contact=True)


def get_appeal(
    db: Database,
    appeal_id: str,
    *,
    caller: Caller | None = None,
    include_contact: bool = False,
    at: datetime | None = None,
    as_of: datetime | None = None,
) -> AppealView:
    """An appeal as it stands, or as it stood at ``at`` (not found if received after it), as
    Reprieve knew it ``as_of`` (not found if recorded after it; None: now);
    caller None: the installation, which sees every operator's."""
    with db.read() as conn:
        return _read_appeal(conn, appeal_id, caller, include_contact=include_contact, at=at, as_of=as_of)[1]


def reveal_email(
    db: Database,
    appeal_id: str,
    *,
    caller: Caller,
    via: str,
    at: datetime | None = None,
    as_of: datetime | None = None,
    retention: timedelta = access_log.DEFAULT_RETENTION,
) -> AppealView:
    """An appeal with its requester's name and e-mail, for a moderator or an admin who asked to
    see the e-mail (the console's button, the API's read of one appeal); when there is an e-mail
    to show, who saw it, when, of which appeal, is recorded in the access log (``via``: console,
    api, cli). ForbiddenError for any other role."""
    if not caller.is_moderator:
        raise ForbiddenError("only the operator's moderators and admins see a requester's e-mail")
    with db.read() as conn:
        row, view = _read_appeal(conn, appeal_id, caller, include_contact=True, at=at, as_of=as_of)
    if view.filed_by.email is not None:
        access_log.record_access(
            db,
            at=caller.instant,
            operator=view.operator,
            actor=caller.actor,
            via=via,
            appeal_id=view.id,
            requester=row["requester"],
            fields=("email",),
            retention=retention,
        )
    return view


def _read_appeal(
    conn: Connection,
    appeal_id: str,
    caller: Caller | None,
    *,
    include_contact: bool,
    at: datetime | None,
    as_of: datetime | None = None,
) -> tuple[dict[str, Any], AppealView]:
    row = _appeal(conn, appeal_id, caller)
    at_us = None if at is None else to_micros(at)
    if at_us is not None and row["received_at"] > at_us:
        raise NotFoundError(f"appeal {appeal_id} was received after {format_instant(at)}")
    known = None if as_of is None else known_as_of(conn, as_of)
    if known is not None and row["created_seq"] not in known.of(conn, [row["created_seq"]]):
        raise NotFoundError(f"appeal {appeal_id} was recorded after {format_instant(as_of)}")
    contact = store.requester_row(conn, row["requester"]) if include_contact else None
    return row, _view(conn, row, contact, include_contact, at_us=at_us, known=known)


def list_appeals(
    db: Database,
    f: AppealFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    include_contact: bool = False,
    as_of: datetime | None = None,
) -> Page[AppealView]:
    """A page of appeals matching ``f``; ``as_of``: as Reprieve knew them then (None: now)."""
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")
    if f.state is not None:
        parse_enum(AppealState, f.state, field="state")
    if f.kind is not None:
        parse_enum(AppealKind, f.kind, field="kind")
    with db.read() as conn:
        known = None if as_of is None else known_as_of(conn, as_of)
        recorded = None if known is None else known.sql
        rows, next_cursor = store.list_appeal_rows(conn, f, limit=limit, cursor=cursor, recorded=recorded)
        contacts = store.requester_rows(conn, [r["requester"] for r in rows]) if include_contact else {}
        items = _views(conn, rows, contacts, include_contact, at_us=f.at, known=known)
    return Page(tuple(items), next_cursor)


def complaints_about(
    db: Database,
    decision_ids: Sequence[str],
    *,
    operators: Sequence[str] | None = None,
    as_of: datetime | None = None,
) -> list[AppealView]:
    """The complaints about these content decisions (of ``operators``; None: every operator's),
    by id, without their requesters' contact; ``as_of``: those recorded by then, as then known."""
    found: list[AppealView] = []
    for decision_id in decision_ids:
        f = AppealFilter(content_decision=decision_id, operators=operators)
        found.extend(list_appeals(db, f, limit=1000, as_of=as_of).items)
    return sorted(found, key=lambda a: a.id)


def _appeal(conn: Connection, appeal_id: str, caller: Caller | None) -> dict[str, Any]:
    row = store.appeal_row(conn, appeal_id)
    if row is None or (caller is not None and not caller.sees(row["operator_id"])):
        raise NotFoundError(f"no appeal {appeal_id!r}")
    return row


# --- building the view -------------------------------------------------------------------


def _dispute(d: dict[str, Any], texts: dict[str, personal.PersonalText], *, shown: bool) -> DisputeView:
    """A dispute's view; ``shown`` False: as it stood before its outcome took effect (pending)."""
    body, body_erased = personal.resolved(d["body"], d["body_ref"], texts)
    summary, summary_erased = personal.resolved(d["summary"], d["summary_ref"], texts) if shown else ("", False)
    return DisputeView(
        id=d["id"],
        body=body,
        submitted_at=_instant(d["submitted_at"]),
        decided_at=_instant(d["decided_at"]) if shown else None,
        outcome=DisputeOutcome(d["outcome"]) if shown else DisputeOutcome.PENDING,
        summary=summary,
        body_erased=body_erased,
        summary_erased=summary_erased,
    )


def _instant(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def appeal_view(conn: Connection, appeal_id: str, *, include_contact: bool) -> AppealView:
    row = store.appeal_row(conn, appeal_id)
    assert row is not None
    contact = store.requester_row(conn, row["requester"]) if include_contact else None
    return _view(conn, row, contact, include_contact)


def _view(
    conn: Connection,
    row: dict[str, Any],
    contact: dict[str, Any] | None,
    include_contact: bool,
    *,
    at_us: int | None = None,
    known: Known | None = None,
) -> AppealView:
    """How the appeal looks, or looked at ``at_us`` (as known by a past ``as_of``: ``known``)."""
    contacts = {row["requester"]: contact} if contact else {}
    return _views(conn, [row], contacts, include_contact, at_us=at_us, known=known)[0]


def _views(
    conn: Connection,
    rows: Sequence[dict[str, Any]],
    contacts: dict[str, dict[str, Any]],
    include_contact: bool,
    *,
    at_us: int | None = None,
    known: Known | None = None,
) -> list[AppealView]:
    """How the appeals look, or looked at ``at_us``: one query for the disputes of them all, one
    for their personal texts."""
    disputes = store.dispute_rows_of(conn, [r["id"] for r in rows])
    recorded: frozenset[int] | None = None
    if known is not None:
        seqs = [r["updated_seq"] for r in rows] + [d["updated_seq"] for found in disputes.values() for d in found]
        recorded = known.of(conn, seqs)
    for appeal_id, found in disputes.items():
        disputes[appeal_id] = [
            d
            for d in found
            if (at_us is None or d["submitted_at"] <= at_us) and (recorded is None or d["updated_seq"] in recorded)
        ]
    refs = [r for row in rows for r in (row["statement_ref"], row["reply_ref"])]
    refs += [r for found in disputes.values() for d in found for r in (d["body_ref"], d["summary_ref"])]
    texts = personal.read_many(conn, refs)
    return [
        _build(
            row,
            contacts.get(row["requester"]),
            include_contact,
            disputes[row["id"]],
            texts,
            at_us=at_us,
            known=recorded is None or row["updated_seq"] in recorded,
        )
        for row in rows
    ]


def _build(
    row: dict[str, Any],
    contact: dict[str, Any] | None,
    include_contact: bool,
    disputes: list[dict[str, Any]],
    texts: dict[str, personal.PersonalText],
    *,
    at_us: int | None,
    known: bool = True,
) -> AppealView:
    """How the appeal looks, or looked at ``at_us`` (a decision or a dispute's outcome recorded
    as taking effect later is not shown); ``known`` False: its last change (its decision) was
    recorded after the ``as_of`` read, which shows it open."""

    def by_then(instant: int | None) -> bool:
        return instant is not None and (at_us is None or instant <= at_us)

    decided = known and row["state"] != AppealState.OPEN.value and by_then(row["decided_at"])
    state = AppealState(row["state"])
    shown = include_contact and contact
    statement, statement_erased = personal.resolved(row["statement"], row["statement_ref"], texts)
    reply, reply_erased = personal.resolved(row["reply"], row["reply_ref"], texts)
    return AppealView(
        id=row["id"],
        operator=row["operator_id"],
        sanction=row["sanction_id"],
        content_decision=row["content_decision_id"],
        notice=row["notice_id"],
        kind=AppealKind(row["kind"]),
        state=state if decided else AppealState.OPEN,
        filed_by=FiledByView(
            relation=Relation(row["relation"]),
            # Personal data, for the operator's moderators only (see the module docstring).
            name=contact["name"] if shown and contact else None,
            email=contact["email"] if shown and contact else None,
        ),
        channel=Channel(row["channel"]),
        meeting_requested=bool(row["meeting_requested"]),
        statement=statement,
        statement_erased=statement_erased,
        received_at=from_micros(row["received_at"]),
        deadline_at=_instant(row["deadline_at"]),
        review=row["review_id"],
        decision=AppealDecisionView(
            outcome=state,
            rationale=row["rationale"],
            reply=reply,
            reply_erased=reply_erased,
            decided_at=_instant(row["decided_at"]),
            decided_by=row["decided_by"],
            handling_seconds=row["handling_seconds"],
        )
        if decided
        else None,
        disputes=tuple(_dispute(d, texts, shown=d["decided_at"] is None or by_then(d["decided_at"])) for d in disputes),
    )


def _decide_content_complaint(
    db: Database, uow: UnitOfWork, appeal: dict[str, Any], command: DecideAppeal, effective: datetime, *, caller: Caller
) -> None:
    """``decide_appeal`` of a complaint about a content decision, inside ``uow``. Denied: the
    appeal alone changes. Granted, in the same transaction, each change with its reason naming the
    complaint: the item is restored (the decision's restoration, if it is still in force then),
    its strike ends (the projection of the grant ends it, even on a decision that ran out), and
    the sanction its strike made the ladder impose is lifted (only that one: a sanction another
    strike caused stays). A partial grant has nothing to amend on a decision about content."""
    appeal_id, decision_id = appeal["id"], appeal["content_decision_id"]
    decided = command.outcome
    if decided is AppealOutcome.PARTIALLY_GRANTED:
        raise ValidationError(
            "a complaint about content is granted (the item restored, its strike removed) or denied; to change a "
            "decision's term, amend the content decision",
            field="outcome",
        )
    if command.probation is not None:
        raise ValidationError(
            "a complaint about content lifts only the sanction its strike caused: a probation follows the lift of "
            "an account's sanction (an appeal or a review of it)",
            field="probation",
        )
    decision = content_store.load_decision(uow.conn, decision_id)
    assert decision is not None
    why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
    backdated = keep_backdated_reason(uow, operator=appeal["operator_id"], subject=f"appeal:{appeal_id}", reason=why)
    first = uow.next_seq()  # the appeal.decided event comes first
    changes: list[NewEvent] = []
    restored_seq: int | None = None
    restored_why = ""
    lifted: tuple[str, int, str] | None = None  # the sanction lifted, its lift's seq and reason
    if decided is AppealOutcome.GRANTED:
        restore_at = max(effective, decision.starts_at)
        if decision.state_at(restore_at) in (ContentState.ACTIVE, ContentState.SCHEDULED):
            restored_seq = first + 1
            decision.restore(seq=restored_seq, effective_at=restore_at)
            restored_why = reason = decision_reason(
                f"Complaint {appeal_id} granted: the item is restored and its strike removed", command.rationale
            )
            restored = ContentRestored(id=decision.id, reason=reason, backdated_reason=backdated)
            changes.append(NewEvent.of(restored, format_instant(restore_at) or "", decision.operator))
        strike = strikes_of(uow.conn, [decision.id], at=effective).get(decision.id)
        if strike is not None and strike.sanction is not None:
            sanction = load_sanction(uow, strike.sanction, None)
            lift_at = grant_lifts_at(decided, sanction, effective)
            if lift_at is not None:
                lift_seq = first + 1 + len(changes)
                sanction.lift(seq=lift_seq, effective_at=lift_at)
                reason = decision_reason(
                    f"Complaint {appeal_id} about content decision {decision.id} granted: the strike that made the "
                    "ladder impose this sanction is removed",
                    command.rationale,
                )
                changes.append(lift_event(sanction, lift_at, reason, {"appeal": appeal_id}, backdated))
                lifted = (sanction.id, lift_seq, reason)
    _record_decided(
        db,
        uow,
        appeal,
        command,
        effective,
        caller=caller,
        lifted=lifted is not None,
        backdated=backdated,
        about={"content_decision": decision.id},
        changes=changes,
    )
    # Each decision taken on the complaint issues its statement saying why (services.statements).
    if restored_seq is not None:
        issue_restoration_statement(uow, decision.id, restored_seq, why=restored_why)
    if lifted is not None:
        sanction_id, lift_seq, why = lifted
        issue_statements(uow, [(sanction_id, lift_seq)], decided_as="complaint", why=why)


def _record_decided(
    db: Database,
    uow: UnitOfWork,
    appeal: dict[str, Any],
    command: DecideAppeal,
    effective: datetime,
    *,
    caller: Caller,
    lifted: bool,
    backdated: PersonalRef | None,
    about: dict[str, str],
    changes: list[NewEvent],
) -> None:
    """Record the decision of a complaint about something else than a sanction (``about``: the
    content decision or the notice it names): its reply kept beside the log, its
    ``appeal.decided``, then the ``changes`` the decision makes."""
    reply_ref = personal.put(
        db,
        uow.conn,
        operator=appeal["operator_id"],
        kind="appeal.reply",
        subject=appeal["requester"],
        value=command.reply,
        now=uow.now,
    )
    decided = AppealDecided(
        id=appeal["id"],
        sanction=None,
        outcome=command.outcome.value,
        rationale=command.rationale,
        reply=reply_ref,
        decided_by=caller.label,
        handling_seconds=handling_seconds(from_micros(appeal["received_at"]), uow.now),
        lifted=lifted,
        backdated_reason=backdated,
        extra=about,
    )
    uow.record([NewEvent.of(decided, format_instant(effective) or "", appeal["operator_id"]), *changes])


def _decide_notifier_complaint(
    db: Database, uow: UnitOfWork, appeal: dict[str, Any], command: DecideAppeal, effective: datetime, *, caller: Caller
) -> None:
    """``decide_appeal`` of a notifier's complaint about the decision on their notice, inside
    ``uow``, by a person (``decide_appeal`` refuses an automated decider). Denied: the appeal alone
    changes. Granted: the notice's case is reopened (``case.reopened``: the case and the notices
    its decision decided open again) for a new decision; what that decision made (a content
    decision, a sanction) stands until it is changed on its own. Nothing to amend partially."""
    appeal_id, notice_id = appeal["id"], appeal["notice_id"]
    decided = command.outcome
    if decided is AppealOutcome.PARTIALLY_GRANTED or command.probation is not None:
        raise ValidationError(
            "a notifier's complaint is granted (the case reopened for a new decision) or denied",
            field="outcome" if command.probation is None else "probation",
        )
    if command.backdated_reason is not None or effective < uow.now - timedelta(days=1):
        raise ValidationError("a notifier's complaint is decided now", field="effective_at")
    changes: list[NewEvent] = []
    if decided is AppealOutcome.GRANTED:
        notice = notice_store.notice_row(uow.conn, notice_id)
        assert notice is not None
        case = notice_store.case_row(uow.conn, notice["case_id"])
        assert case is not None
        decision = notice_store.case_decision(case)
        if case["state"] == CaseState.DECIDED.value and decision is not None:
            reopened = CaseReopened(
                id=case["id"],
                operator=case["operator_id"],
                appeal=appeal_id,
                notices=[
                    n["id"]
                    for n in notice_store.notices_of_case(uow.conn, case["id"])
                    if n["state"] == NoticeState.DECIDED.value
                ],
            )
            changes.append(NewEvent.of(reopened, uow.at, case["operator_id"]))
    _record_decided(
        db,
        uow,
        appeal,
        command,
        effective,
        caller=caller,
        lifted=False,
        backdated=None,
        about={"notice": notice_id},
        changes=changes,
    )
