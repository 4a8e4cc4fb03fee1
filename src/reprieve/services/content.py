"""Decisions on content (PRODUCT.md section 9): decided, amended and restored, one at a time, and
read as they stand at an instant, as known at another.

Every event of a content decision, once recorded, passes through ``_recorded``: what follows from
a decision (its statement of reasons) is added there, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from reprieve.domain.backdating import backdating_reason, parse_backdated_reason
from reprieve.domain.content import (
    KEEP,
    ContentChange,
    ContentChangeType,
    ContentDecision,
    ContentKind,
    ContentState,
    Item,
    ensure_term,
    known_by,
    parse_countries,
    parse_kind_other,
)
from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.events import NO_EXTRA, ContentAmended, ContentDecided, ContentRestored, NewEvent
from reprieve.domain.evidence import Evidence
from reprieve.domain.model import Role, ensure_text, parse_enum
from reprieve.domain.personal import PersonalRef, ref_id
from reprieve.domain.policy import Severity, policy_of
from reprieve.domain.reason import Automation, Ground, Reason
from reprieve.domain.sanctions import Imported
from reprieve.domain.time import Duration, format_instant, parse_duration, parse_instant, to_micros
from reprieve.services.backdating import keep_backdated_reason
from reprieve.services.callers import Caller
from reprieve.services.catalogue import ensure_accounts, require_platform
from reprieve.services.content_statements import issue_content_statements, issue_restoration_statement
from reprieve.services.content_strikes import ContentStrike, record_strike, report_of, strikes_of
from reprieve.services.viewing import Page
from reprieve.services.violations import CheckedViolation, RecordViolation, ViolationAnswer, earlier_answer
from reprieve.store import content as content_store
from reprieve.store.asof import Known, known_as_of
from reprieve.store.content_evidence import KeptEvidence, evidence_of, put_evidence
from reprieve.store.content_queries import ContentFilter, list_decision_rows, with_backdated_reasons
from reprieve.store.db import Database
from reprieve.store.queries import encode_cursor
from reprieve.store.uow import UnitOfWork

#: The longest reason of an amendment or a restoration (as a sanction's).
CHANGE_REASON_MAX = 2000

# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """A decision's evidence as kept: its reference and digest (None once forgotten)."""

    reference: str | None
    sha256: str | None
    recorded_at: datetime
    forgotten_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "sha256": self.sha256,
            "recorded_at": format_instant(self.recorded_at),
            "forgotten_at": format_instant(self.forgotten_at),
        }


@dataclass(frozen=True, slots=True)
class ContentDecisionView:
    """A content decision as it stands at ``at``: its term in force then (or, before it starts,
    the one it starts with), its state, what it restricts, and its history by seq."""

    id: str
    operator: str
    item: Item
    kind: ContentKind
    kind_other: str | None
    territorial_scope: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime | None
    restored_at: datetime | None
    state: ContentState
    at: datetime
    reason: Reason
    automated: Automation
    strike: bool
    version: int
    changes: tuple[ContentChange, ...]
    #: None: none was given, or the caller may not see it (a ``platform`` token).
    evidence: EvidenceView | None = None
    #: Imported history: when its user was informed, and the platform's own statement.
    imported: Imported | None = None
    #: What its strike became (its violation, the ladder's sanction); None: it is no strike.
    strike_record: ContentStrike | None = None

    @property
    def restricts(self) -> tuple[str, ...]:
        """What the kind in force denies, of ``view``, ``interact`` and ``monetize``."""
        return tuple(sorted(self.kind.restricts))

    @property
    def backdated(self) -> bool:
        """Its creation took effect more than 24 hours before it was recorded."""
        return any(c.backdated for c in self.changes if c.type is ContentChangeType.DECIDED)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "item": self.item.to_dict(),
            "kind": self.kind.value,
            "kind_other": self.kind_other,
            "territorial_scope": list(self.territorial_scope),
            "restricts": list(self.restricts),
            "state": self.state.value,
            "at": format_instant(self.at),
            "starts_at": format_instant(self.starts_at),
            "ends_at": format_instant(self.ends_at),
            "restored_at": format_instant(self.restored_at),
            "reason": self.reason.to_dict(),
            "automated": self.automated.to_dict(),
            "strike": self.strike,
            "strike_record": self.strike_record.to_json() if self.strike_record is not None else None,
            "version": self.version,
            "backdated": self.backdated,
            "changes": [c.to_dict() for c in self.changes],
            "evidence": self.evidence.to_json() if self.evidence is not None else None,
            "imported": self.imported.to_dict() if self.imported is not None else None,
        }


def decision_view(
    decision: ContentDecision,
    *,
    at: datetime,
    evidence: EvidenceView | None = None,
    strike: ContentStrike | None = None,
) -> ContentDecisionView:
    term = decision.view_at(at)
    assert term.kind is not None
    return ContentDecisionView(
        id=decision.id,
        operator=decision.operator,
        item=decision.item,
        kind=term.kind,
        kind_other=decision.kind_other,
        territorial_scope=term.territorial_scope,
        starts_at=decision.starts_at,
        ends_at=term.ends_at,
        restored_at=decision.restored_at,
        state=decision.state_at(at),
        at=at,
        reason=decision.reason,
        automated=decision.automated,
        strike=decision.strike,
        version=decision.version,
        changes=tuple(sorted(decision.changes, key=lambda c: c.seq)),
        evidence=evidence,
        imported=decision.imported,
        strike_record=strike,
    )


# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecideContent:
    """A decision about an item, parsed (``parse``); checked against the catalogue on use."""

    item: Item
    kind: ContentKind
    reason: Reason
    kind_other: str | None = None
    territorial_scope: tuple[str, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: Duration | None = None
    strike: bool = False
    #: How serious, for the ladder's severity overrides, when it is a strike.
    severity: Severity = Severity.MODERATE
    automated: Automation = field(default_factory=Automation)
    #: Why it starts more than 24 hours before it is recorded (PRODUCT.md section 8); ignored if it does not.
    backdated_reason: str | None = None
    evidence: Evidence | None = None
    #: History imported (``content_import``): when its user was informed, and the platform's own
    #: statement, recorded instead of issuing one (PRODUCT.md section 8).
    imported: Imported | None = None

    @classmethod
    def parse(
        cls,
        *,
        item: object,
        kind: object,
        reason: object,
        kind_other: object = None,
        territorial_scope: object = None,
        starts_at: str | datetime | None = None,
        ends_at: str | datetime | None = None,
        duration: str | Duration | None = None,
        strike: object = False,
        severity: object = None,
        automated: Mapping[str, Any] | Automation | None = None,
        backdated_reason: str | None = None,
        evidence: object = None,
    ) -> DecideContent:
        """The command from what an edge was given (JSON-like values), parsed once: ValidationError
        naming the field. The reason's content type and date are the item's, its territorial scope
        the decision's: a reason that says otherwise is refused."""
        parsed_item = Item.parse(item)
        parsed_kind = parse_enum(ContentKind, kind, field="kind")
        other = parse_kind_other(parsed_kind, kind_other)
        scope = parse_countries(territorial_scope)
        parsed_reason = Reason.from_dict(reason)
        if parsed_reason.territorial_scope and parsed_reason.territorial_scope != scope:
            raise ValidationError(
                f"{list(parsed_reason.territorial_scope)} is not the decision's territorial_scope ({list(scope)}): "
                "leave it out, it is the decision's",
                field="reason.territorial_scope",
            )
        if parsed_reason.content_type and set(parsed_reason.content_type) != set(parsed_item.content_type):
            raise ValidationError(
                "is not the item's content_type: leave it out, it is the item's", field="reason.content_type"
            )
        if parsed_reason.content_date and parsed_reason.content_date != parsed_item.content_date:
            raise ValidationError(
                "is not the item's content_date: leave it out, it is the item's", field="reason.content_date"
            )
        parsed_reason = replace(
            parsed_reason,
            territorial_scope=scope,
            content_type=parsed_item.content_type,
            content_date=parsed_item.content_date,
        )
        if isinstance(automated, Automation):
            parsed_automated = automated
        else:
            parsed_automated = Automation.from_dict(dict(automated) if automated is not None else None)
        starts = parse_instant(starts_at, field="starts_at") if starts_at is not None else None
        if ends_at is not None and duration is not None:
            raise ValidationError("give ends_at or duration, not both", field="ends_at")
        ends = parse_instant(ends_at, field="ends_at") if ends_at is not None else None
        lasts = duration if duration is None or isinstance(duration, Duration) else parse_duration(duration)
        if not isinstance(strike, bool):
            raise ValidationError("must be true or false", field="strike")
        parsed_severity = Severity.MODERATE if severity is None else parse_enum(Severity, severity, field="severity")
        if severity is not None and not strike:
            raise ValidationError("a severity is for a decision that counts as a strike", field="severity")
        return cls(
            item=parsed_item,
            kind=parsed_kind,
            reason=parsed_reason,
            kind_other=other,
            territorial_scope=scope,
            starts_at=starts,
            ends_at=ends,
            duration=lasts,
            strike=strike,
            severity=parsed_severity,
            automated=parsed_automated,
            backdated_reason=parse_backdated_reason(backdated_reason),
            evidence=Evidence.parse(evidence) if evidence is not None else None,
        )


@dataclass(frozen=True, slots=True)
class AmendContent:
    """A change of a content decision's term, parsed (``parse``): KEEP keeps a field, None (for
    ``ends_at``) makes it indefinite."""

    reason: str
    kind: ContentKind | None = None
    ends_at: datetime | Any = KEEP
    territorial_scope: tuple[str, ...] | None = None
    effective_at: datetime | None = None  #: default: now (a decision not started yet: its start)
    backdated_reason: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        reason: str,
        kind: object = None,
        ends_at: str | datetime | Any = KEEP,
        territorial_scope: object = None,
        effective_at: str | datetime | None = None,
        backdated_reason: str | None = None,
    ) -> AmendContent:
        """The command from what an edge was given; ``ends_at``: KEEP when not given."""
        ensure_text(reason, field="reason", max_length=CHANGE_REASON_MAX)
        new_kind = parse_enum(ContentKind, kind, field="kind") if kind is not None else None
        new_ends = ends_at if ends_at is KEEP or ends_at is None else parse_instant(ends_at, field="ends_at")
        scope = parse_countries(territorial_scope) if territorial_scope is not None else None
        if new_kind is None and new_ends is KEEP and scope is None:
            raise ValidationError("an amendment must change kind, ends_at or territorial_scope")
        return cls(
            reason,
            new_kind,
            new_ends,
            scope,
            parse_instant(effective_at, field="effective_at") if effective_at is not None else None,
            parse_backdated_reason(backdated_reason),
        )


@dataclass(frozen=True, slots=True)
class RestoreContent:
    """The item restored: the decision's early end, parsed (``parse``)."""

    reason: str
    effective_at: datetime | None = None  #: default: now (a decision not started yet: its start, cancelling it)
    backdated_reason: str | None = None

    @classmethod
    def parse(
        cls, *, reason: str, effective_at: str | datetime | None = None, backdated_reason: str | None = None
    ) -> RestoreContent:
        ensure_text(reason, field="reason", max_length=CHANGE_REASON_MAX)
        return cls(
            reason,
            parse_instant(effective_at, field="effective_at") if effective_at is not None else None,
            parse_backdated_reason(backdated_reason),
        )


# --- use cases -----------------------------------------------------------------------------


def decide_content(db: Database, command: DecideContent, *, caller: Caller) -> ContentDecisionView:
    """Record one decision about an item. Its platform must be one of an operator the caller sees
    (else 404); its author is registered on first use; an item keeps the author it was first
    recorded with (409 naming it). ``caller.now``: read once the write lock is held; a
    ``starts_at`` more than 24 hours before it needs ``backdated_reason``."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        decision = decide_within(db, uow, [command], caller=caller)[0]
        kept = _evidence_views(uow.conn, [decision], caller).get(decision.id)
        strike = strikes_of(uow.conn, [decision.id], at=uow.now).get(decision.id)
    return decision_view(decision, at=uow.now, evidence=kept, strike=strike)


def decide_within(
    db: Database,
    uow: UnitOfWork,
    commands: Sequence[DecideContent],
    *,
    caller: Caller,
    report: CheckedViolation | None = None,
    notice: dict[str, Any] | None = None,
) -> list[ContentDecision]:
    """Check and record ``commands`` inside ``uow`` (one decision each, in order), with their
    evidence and, for one that counts as a strike, its violation and what its ladder imposes
    (``reprieve.services.content_strikes``); the decisions as recorded. An item named twice keeps
    its first author here too. ``report``: the platform's report whose strike the one command is
    (``record_violation_on_item``); none: the decision's own. ``notice``: a decision taken on
    notices, as its statement says it (``sor.Context.notice``)."""
    for command in commands:
        caller.seen(db.platform(uow.conn, command.item.platform), "platform", command.item.platform)
    ensure_accounts(db, uow, [c.item.author for c in commands])
    ids = db.ids.new_ids("cd", uow.now, len(commands))
    first: dict[tuple[str, str], Item] = {}
    decisions: list[ContentDecision] = []
    for index, (command, decision_id) in enumerate(zip(commands, ids, strict=True)):
        try:
            decisions.append(_decide(db, uow, command, decision_id, first, report, notice))
        except ValidationError as exc:
            if len(commands) > 1:
                raise ValidationError(f"content decision #{index + 1}: {exc.message}") from None
            raise
    return decisions


def _decide(
    db: Database,
    uow: UnitOfWork,
    c: DecideContent,
    decision_id: str,
    first: dict[tuple[str, str], Item],
    report: CheckedViolation | None = None,
    notice: dict[str, Any] | None = None,
) -> ContentDecision:
    platform = require_platform(db, uow.conn, c.item.platform)
    event, why = prepare_decided(uow, c, decision_id, platform.operator, first)
    seq = uow.next_seq()
    uow.record([NewEvent.of(event, event.starts_at, platform.operator)])
    if c.evidence is not None:  # beside the event, never in it
        put_evidence(
            uow.conn,
            decision_id=decision_id,
            operator=platform.operator,
            platform=c.item.platform,
            item=c.item.item,
            evidence=c.evidence,
            now=uow.now,
        )
    decision = content_store.decision_of_decided(seq, event)
    _mark_backdated(decision, event.backdated_reason, why, uow.now)
    _recorded(uow, decision, seq, decision.changes[-1], notice)
    if c.strike and c.imported is None:  # imported history records what was, not a new strike
        own = report_of(decision, c.severity)
        record_strike(
            uow, own if report is None else replace(report, occurred=own.occurred, content_decision=decision_id)
        )
    return decision


class Unknown:
    """Marks an item not looked up yet (``prepare_decided``): None means "not recorded"."""


UNKNOWN = Unknown()


def prepare_decided(
    uow: UnitOfWork,
    c: DecideContent,
    decision_id: str,
    operator: str,
    first: dict[tuple[str, str], Item],
    recorded: Item | Unknown | None = UNKNOWN,
) -> tuple[ContentDecided, str | None]:
    """The ``content.decided`` event of ``c`` (not recorded), checked: its item keeps the author it
    was first recorded with (``first``: the items this batch named first; ``recorded``: the item as
    the database has it, if the caller read it already), its term, and its backdating (a decision
    taken now needs a reason to start more than 24 hours before; an import, which says when its
    user was informed, is backdated by nature). Returns the event and the backdating reason."""
    item = c.item
    key = (item.platform, item.item)
    known = first.get(key)
    if known is None:
        known = content_store.load_item(uow.conn, *key) if isinstance(recorded, Unknown) else recorded
    if known is not None:
        item.ensure_same_author(known)
        if known != item:  # an item keeps its first description: the decision is about that one
            item = known
            c = replace(
                c,
                item=known,
                reason=replace(c.reason, content_type=known.content_type, content_date=known.content_date),
            )
    else:
        first[key] = item
    starts_at = c.starts_at if c.starts_at is not None else uow.now
    ends_at = c.ends_at
    if ends_at is None and c.duration is not None:
        ends_at = c.duration.after(starts_at, field="duration")
    ensure_term(starts_at, ends_at)
    extra: dict[str, Any] = {}
    why: str | None = None
    backdated: PersonalRef | None = None
    if c.imported is not None:
        c.imported.ensure_within(starts_at, uow.now)
        extra["imported"] = c.imported.to_dict()
    else:
        why = backdating_reason(starts_at, uow.now, c.backdated_reason, field="starts_at")
        backdated = keep_backdated_reason(uow, operator=operator, subject=f"content_decision:{decision_id}", reason=why)
    # tuple.__new__: the generated __new__ binds thirteen arguments, once per decision of an import;
    # _value_, not value: the enum property is two Python calls (3.11).
    event: ContentDecided = tuple.__new__(
        ContentDecided,
        (
            decision_id,
            operator,
            item.to_payload(),
            c.kind._value_,
            format_instant(starts_at) or "",
            format_instant(ends_at),
            c.reason.to_payload(),
            c.automated.to_dict(),
            c.kind_other,
            c.territorial_scope,
            c.strike,
            backdated,
            extra or NO_EXTRA,
        ),
    )
    return event, why


def _recorded(
    uow: UnitOfWork, decision: ContentDecision, seq: int, change: ContentChange, notice: dict[str, Any] | None = None
) -> None:
    """Every content decision event, once recorded as ``seq`` (``change``: what it did, the last
    of ``decision.changes``), passes here, inside its transaction: what follows from a decision
    (its statement of reasons, issue 24 item 3) is added here."""
    issue_content_statements(uow, [(decision.id, seq)], notice=notice)


def _mark_backdated(decision: ContentDecision, ref: PersonalRef | None, reason: str | None, recorded: datetime) -> None:
    """Show the change just made (the last) as backdated in the answer, as a later read will."""
    if ref is not None:
        change = decision.changes[-1]
        decision.changes[-1] = replace(change, backdated_ref=ref_id(ref), backdated_reason=reason, recorded_at=recorded)


def _load(uow: UnitOfWork, decision_id: str, caller: Caller) -> ContentDecision:
    decision = caller.seen(content_store.load_decision(uow.conn, decision_id), "content decision", decision_id)
    with_backdated_reasons(uow.conn, [decision])
    return decision


def amend_content(
    db: Database, decision_id: str, command: AmendContent, *, caller: Caller, if_version: int | None = None
) -> ContentDecisionView:
    """Change a decision's term from ``command.effective_at`` on (default: now; one not started
    yet: its start). ``if_version``: the version the caller saw (``If-Match``): 412 if it changed
    since; 409 if the decision is not active then."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        decision = _load(uow, decision_id, caller)
        decision.ensure_version(if_version)
        amend_within(uow, decision, command)
        kept = _evidence_views(uow.conn, [decision], caller).get(decision.id)
        strike = strikes_of(uow.conn, [decision.id], at=uow.now).get(decision.id)
    return decision_view(decision, at=uow.now, evidence=kept, strike=strike)


def amend_within(
    uow: UnitOfWork, decision: ContentDecision, command: AmendContent, origin: Mapping[str, Any] | None = None
) -> int:
    """Record the amendment of ``decision`` (loaded in ``uow``) and what follows from it; returns
    its seq. ``origin``: what decided it (``{"review": id}``), kept in the event."""
    effective = command.effective_at if command.effective_at is not None else max(uow.now, decision.starts_at)
    seq = uow.next_seq()
    change = decision.amend(
        seq=seq,
        effective_at=effective,
        ends_at=command.ends_at,
        kind=command.kind,
        territorial_scope=command.territorial_scope,
    )
    assert change.kind is not None
    why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
    backdated = keep_backdated_reason(
        uow, operator=decision.operator, subject=f"content_decision:{decision.id}", reason=why
    )
    event = ContentAmended(
        id=decision.id,
        kind=change.kind.value,
        ends_at=format_instant(change.ends_at),
        territorial_scope=change.territorial_scope,
        reason=command.reason,
        backdated_reason=backdated,
        extra=origin or NO_EXTRA,
    )
    uow.record([NewEvent.of(event, format_instant(effective) or "", decision.operator)])
    _mark_backdated(decision, backdated, why, uow.now)
    _recorded(uow, decision, seq, decision.changes[-1])
    return seq


def restore_content(
    db: Database, decision_id: str, command: RestoreContent, *, caller: Caller, if_version: int | None = None
) -> ContentDecisionView:
    """Restore the item from ``command.effective_at`` on (default: now; a decision not started yet
    is cancelled: restored at its start). ``if_version`` as for ``amend_content``; 409 if the
    decision is not active then (of two restorations racing, the second)."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        decision = _load(uow, decision_id, caller)
        decision.ensure_version(if_version)
        restore_within(uow, decision, command)
        kept = _evidence_views(uow.conn, [decision], caller).get(decision.id)
        strike = strikes_of(uow.conn, [decision.id], at=uow.now).get(decision.id)
    return decision_view(decision, at=uow.now, evidence=kept, strike=strike)


def restore_within(
    uow: UnitOfWork,
    decision: ContentDecision,
    command: RestoreContent,
    origin: Mapping[str, Any] | None = None,
    *,
    with_statement: bool = False,
) -> int:
    """Record the restoration of ``decision`` (loaded in ``uow``) and what follows from it; returns
    its seq. ``origin``: what decided it (``{"review": id}``, ``{"amnesty": id}``), kept in the event;
    ``with_statement``: a decision on a review, which issues its statement saying why (the
    command's reason; an amnesty's issues none)."""
    effective = command.effective_at if command.effective_at is not None else max(uow.now, decision.starts_at)
    seq = uow.next_seq()
    decision.restore(seq=seq, effective_at=effective)
    why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
    backdated = keep_backdated_reason(
        uow, operator=decision.operator, subject=f"content_decision:{decision.id}", reason=why
    )
    event = ContentRestored(id=decision.id, reason=command.reason, backdated_reason=backdated, extra=origin or NO_EXTRA)
    uow.record([NewEvent.of(event, format_instant(effective) or "", decision.operator)])
    _mark_backdated(decision, backdated, why, uow.now)
    _recorded(uow, decision, seq, decision.changes[-1])
    if with_statement:
        issue_restoration_statement(uow, decision.id, seq, why=command.reason)
    return seq


def load_for_change(uow: UnitOfWork, decision_id: str, caller: Caller | None) -> ContentDecision:
    """A content decision to change in ``uow``, with its backdating reasons; not found if the
    caller does not see it (None: the installation)."""
    if caller is None:
        decision = content_store.load_decision(uow.conn, decision_id)
        if decision is None:
            raise NotFoundError(f"no content decision {decision_id!r}")
        with_backdated_reasons(uow.conn, [decision])
        return decision
    return _load(uow, decision_id, caller)


# --- reads ---------------------------------------------------------------------------------


def _shows_evidence(caller: Caller | None) -> bool:
    """A platform's machines never read evidence back: people deciding and auditing do."""
    return caller is None or caller.role is not Role.PLATFORM


def _evidence_views(
    conn: Any, decisions: Sequence[ContentDecision], caller: Caller | None, as_of: datetime | None = None
) -> dict[str, EvidenceView]:
    if not decisions or not _shows_evidence(caller):
        return {}
    found: dict[str, EvidenceView] = {}
    for decision_id, kept in evidence_of(conn, [d.id for d in decisions]).items():
        if as_of is not None and kept.recorded_at > as_of:
            continue
        found[decision_id] = _evidence_view(kept, as_of)
    return found


def _evidence_view(kept: KeptEvidence, as_of: datetime | None) -> EvidenceView:
    if as_of is not None and kept.forgotten_at is not None and kept.forgotten_at > as_of:
        # Forgotten since: what it was is gone, but it was then still kept.
        return EvidenceView(None, None, kept.recorded_at, None)
    return EvidenceView(kept.reference, kept.sha256, kept.recorded_at, kept.forgotten_at)


def _as_known(conn: Any, decision: ContentDecision, known: Known) -> ContentDecision | None:
    return known_by(decision, known.of(conn, (c.seq for c in decision.changes)))


def get_content_decision(
    db: Database, decision_id: str, *, at: datetime, caller: Caller | None = None, as_of: datetime | None = None
) -> ContentDecisionView:
    """The decision as it stands at ``at``; ``as_of``: as the events recorded by then knew it (not
    found if decided later); caller None: the installation, which sees every operator."""
    with db.read() as conn:
        decision = content_store.load_decision(conn, decision_id)
        if decision is not None and caller is not None and not caller.sees(decision.operator):
            decision = None
        known = known_as_of(conn, as_of) if as_of is not None else None
        if decision is not None:
            with_backdated_reasons(conn, [decision])
            if known is not None:
                decision = _as_known(conn, decision, known)
        if decision is None:
            raise NotFoundError(f"no content decision {decision_id!r}")
        kept = _evidence_views(conn, [decision], caller, as_of).get(decision.id)
        known_seq = known.seq if known is not None else None
        strike = strikes_of(conn, [decision.id], at=at, known_seq=known_seq).get(decision.id)
    return decision_view(decision, at=at, evidence=kept, strike=strike)


@dataclass(frozen=True, slots=True)
class ListContent:
    """What ``list_content_decisions`` keeps, parsed: the SQL filter and those judged at ``at``."""

    platform: str | None = None
    account: str | None = None
    item: str | None = None
    kind: ContentKind | None = None
    state: ContentState | None = None


def list_content_decisions(
    db: Database,
    f: ListContent,
    *,
    at: datetime,
    caller: Caller | None = None,
    limit: int = 50,
    cursor: str | None = None,
    as_of: datetime | None = None,
) -> Page[ContentDecisionView]:
    """A page of the decisions matching ``f`` at ``at``, by id; ``as_of``: as the events recorded
    by then knew them (those decided later are absent, the others' terms as then known). The kind
    and state are those at ``at`` as known ``as_of``: rows are read page after page and judged
    until the answer's page is full."""
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")
    query = ContentFilter(
        operators=caller.operators if caller is not None else None,
        platform=f.platform,
        account=f.account,
        item=f.item,
        # In force now as the projection knows it: only a present read may narrow rows by it.
        active_at_us=to_micros(at) if f.state is ContentState.ACTIVE and as_of is None else None,
    )
    found: list[ContentDecisionView] = []
    next_cursor = cursor
    with db.read() as conn:
        known = known_as_of(conn, as_of) if as_of is not None else None
        while True:
            rows, next_cursor = list_decision_rows(
                conn, query, limit=limit, cursor=next_cursor, created=known.sql if known is not None else None
            )
            loaded = content_store.load_decisions(conn, rows)
            with_backdated_reasons(conn, loaded)
            if known is not None:
                loaded = [d for d in (_as_known(conn, d, known) for d in loaded) if d is not None]
            matching = []
            for decision in loaded:
                view = decision_view(decision, at=at)
                if (f.kind is None or view.kind is f.kind) and (f.state is None or view.state is f.state):
                    matching.append(decision)
            kept = _evidence_views(conn, matching, caller, as_of)
            struck = strikes_of(
                conn, [d.id for d in matching if d.strike], at=at, known_seq=known.seq if known is not None else None
            )
            for decision in matching:
                found.append(
                    decision_view(decision, at=at, evidence=kept.get(decision.id), strike=struck.get(decision.id))
                )
                if len(found) == limit:
                    more = rows[-1].id != decision.id or next_cursor is not None
                    return Page(tuple(found), encode_cursor(decision.id) if more else None)
            if next_cursor is None:
                return Page(tuple(found), None)


# --- violations that name an item ----------------------------------------------------------


def record_violation_on_item_within(
    db: Database, uow: UnitOfWork, report: RecordViolation, checked: CheckedViolation, *, caller: Caller
) -> ViolationAnswer:
    """A platform's report that names an item (``report.item``), inside ``uow``: a content decision
    of ``report.kind`` on the item from ``occurred_at``, counting as a strike, whose strike is the
    report's violation (one strike: ``reprieve.services.content_strikes``). A repeat of a report
    recorded already gets the first answer and records nothing; an item recorded with another
    author is refused (409), as for any decision."""
    assert report.item is not None
    earlier = earlier_answer(uow, checked.ref.platform, checked.external_id)
    if earlier is not None:
        return ViolationAnswer(earlier, created=False)
    platform = caller.seen(db.platform(uow.conn, checked.ref.platform), "platform", checked.ref.platform)
    policy = policy_of(platform)
    automation = checked.automation or Automation(policy.automated_detection, policy.automated_decision)
    content = checked.content
    reason = Reason.from_dict(
        {
            "ground": Ground.INCOMPATIBLE_CONTENT.value,
            "category": checked.category,
            "policy": checked.rule,
            "contractual_ground": checked.rule,
            "explanation": f"The item breaks the platform's rule {checked.rule!r}: {report.kind.value}.",
            "facts": checked.facts,
            "keywords": content.get("keywords", []),
            "territorial_scope": content.get("territorial_scope", []),
        }
    )
    command = DecideContent(
        item=report.item,
        kind=report.kind,
        reason=replace(reason, content_type=report.item.content_type, content_date=report.item.content_date),
        territorial_scope=reason.territorial_scope,
        starts_at=checked.occurred,
        strike=True,
        severity=checked.severity,
        automated=automation,
    )
    decide_within(db, uow, [command], caller=caller, report=checked)
    recorded = earlier_answer(uow, checked.ref.platform, checked.external_id)
    assert recorded is not None
    return ViolationAnswer(recorded, created=True)
