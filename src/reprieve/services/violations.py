"""Violations: a platform reports that an account broke a rule; the strike is recorded and the
platform's ladder (or, during probation, the probation ladder) says what to impose. Where the
policy has a first warning (YouTube's), a violation may bring it instead: no strike, a warning
(the rule is ``reprieve.domain.strikes``'s).

Idempotent on the platform's own violation id: a repeat gets the first answer and records
nothing. The strike and the sanction both start at ``occurred_at`` (default: now), so that a
violation reported late, or imported from history, lands where it happened.

What the DSA Transparency Database wants to know about the content (``content_type``,
``content_date``, ``keywords``, ``territorial_scope``) goes into the imposed sanction's reason.
``content_date`` defaults to the (UTC) date of ``occurred_at``; no ``content_type`` means none is
guessed: the statement of such a sanction is refused by the transparency export, which says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast, overload

from reprieve.domain.content import ContentKind, Item
from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.events import (
    NO_EXTRA,
    AccountRegistered,
    EventType,
    NewEvent,
    SanctionImposed,
    ViolationRecorded,
)
from reprieve.domain.ids import IdSource
from reprieve.domain.model import AccountRef, Platform, ensure_text, parse_enum
from reprieve.domain.policy import Policy, Severity, policy_of
from reprieve.domain.reason import CATEGORIES, Automation, Ground, Reason, Source, category_problem
from reprieve.domain.sanctions import ensure_term
from reprieve.domain.strikes import (
    LadderName,
    LadderResult,
    Probation,
    StepTerm,
    count_strikes,
    evaluate_ladder,
    expiry_of,
    probation_at,
    step_term,
    strikes_made,
)
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.dsa.enums import CONTENT_TYPES, EEA_SET, KEYWORDS
from reprieve.services import statements
from reprieve.services.callers import Caller
from reprieve.services.catalogue import require_platform
from reprieve.services.committing import ALONE, Answer, Committer
from reprieve.services.sanctions import ImposeSanction, Scopes, prepare_imposed
from reprieve.services.views import imposed_view, sanction_view
from reprieve.store import due_process as store
from reprieve.store import issued, queries
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.projector import sanction_of_imposed
from reprieve.store.standing import StandingRows, standing_rows_of
from reprieve.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class RecordViolation:
    """A platform's report, parsed (``parse``): what is judged against the instant it arrives
    (``occurred_at`` in the future, the content's date after it) is judged on use."""

    id: str  #: the platform's own violation id
    ref: AccountRef
    policy: str  #: the platform's rule that was broken
    severity: Severity
    category: str
    facts: str = ""
    occurred_at: datetime | None = None  #: default: now
    automated: Automation | None = None  #: default: as the platform's policy says
    content_type: tuple[str, ...] = ()  #: CONTENT_TYPE_... codes; none: the statement cannot be exported
    content_date: date | None = None  #: default: the date of ``occurred_at``
    keywords: tuple[str, ...] = ()  #: KEYWORD_... codes (the statement's category_specification)
    territorial_scope: tuple[str, ...] = ()  #: EEA country codes; none: all of the EEA
    #: The item at fault, by the account: the report becomes a content decision of ``kind``, and
    #: its strike is that decision's (``reprieve.services.content_strikes``). None: no item.
    item: Item | None = None
    kind: ContentKind = ContentKind.REMOVAL

    @classmethod
    def parse(
        cls,
        *,
        id: str,
        platform: str,
        account: str,
        policy: str,
        severity: str | Severity,
        category: str,
        facts: str = "",
        occurred_at: str | datetime | None = None,
        automated: dict[str, Any] | Automation | None = None,
        content_type: Sequence[str] | None = None,
        content_date: str | date | None = None,
        keywords: Sequence[str] | None = None,
        territorial_scope: Sequence[str] | None = None,
        item: Mapping[str, Any] | None = None,
        kind: str | ContentKind | None = None,
    ) -> RecordViolation:
        """The report from what an edge was given (JSON-like values), parsed once: ValidationError
        naming the field, in the order the fields were always checked."""
        external_id = ensure_text(id, field="id", max_length=200).strip()
        ref = AccountRef.parse(f"{platform}/{account}", field="account")
        rule = ensure_text(policy, field="policy", max_length=500)
        parsed_severity = parse_enum(Severity, severity, field="severity")
        if category not in CATEGORIES:
            raise ValidationError(category_problem(category), field="category")
        checked_facts = ensure_text(facts, field="facts", max_length=5000, required=False)  # blank: none
        occurred = parse_instant(occurred_at, field="occurred_at") if occurred_at is not None else None
        automation = (
            automated if automated is None or isinstance(automated, Automation) else Automation.from_dict(automated)
        )
        return cls(
            external_id,
            ref,
            rule,
            parsed_severity,
            category,
            checked_facts,
            occurred,
            automation,
            _codes(content_type, VIOLATION_CONTENT_TYPES, "content_type", "CONTENT_TYPE_..."),
            _content_date(content_date),
            _codes(keywords, VIOLATION_KEYWORDS, "keywords", "KEYWORD_..."),
            _codes(territorial_scope, EEA_SET, "territorial_scope", "EEA country"),
            *_item(item, kind, ref, content_type, content_date),
        )


@dataclass(frozen=True, slots=True)
class ViolationView:
    """What a platform is told of its report: the violation, the strike it made (as its
    ``violation.recorded`` event holds it), the probation it fell in, and the sanction the ladder
    imposed (its wire form: a batch writes it from the ``sanction.imposed`` event, ``imposed_view``)."""

    id: str
    violation: str  #: the platform's own violation id
    ref: AccountRef
    identity: str
    severity: Severity
    occurred_at: datetime
    strike: dict[str, Any]
    probation: str | None
    sanction: dict[str, Any] | None
    #: The content decision whose strike this is (a report naming an item, or a decision that
    #: counts as a strike); None: a violation about no item.
    content_decision: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "violation": self.violation,
            "platform": self.ref.platform,
            "account": self.ref.account,
            "identity": self.identity,
            "severity": self.severity._value_,
            "occurred_at": format_instant(self.occurred_at),
            "strike": self.strike,
            "probation": self.probation,
            "sanction": self.sanction,
            "content_decision": self.content_decision,
        }


@dataclass(frozen=True, slots=True)
class ViolationAnswer:
    """The ladder's result, and whether it was recorded now (False: a repeat of an earlier report)."""

    view: ViolationView
    created: bool

    @property
    def body(self) -> dict[str, Any]:
        """The answer's wire form (``view.to_json()``): what the API and the CLI send."""
        return self.view.to_json()


@dataclass(frozen=True, slots=True)
class CheckedViolation:
    """A report whose fields were checked: what ``record_violation_within`` takes."""

    external_id: str
    ref: AccountRef
    rule: str
    severity: Severity
    category: str
    facts: str
    occurred: datetime
    automation: Automation | None
    content: dict[str, Any]  #: content_type, content_date, keywords, territorial_scope: for the reason
    #: The content decision whose strike this is (``reprieve.services.content``); None: none.
    content_decision: str | None = None


#: The content types a violation may name: the Transparency Database's v2 list, but for
#: CONTENT_TYPE_OTHER, which needs a description (content_type_other) a reason does not carry.
VIOLATION_CONTENT_TYPES = CONTENT_TYPES - {"CONTENT_TYPE_OTHER"}
#: The keywords a violation may name: the v2 list, but for KEYWORD_OTHER (which needs a description too).
VIOLATION_KEYWORDS = KEYWORDS - {"KEYWORD_OTHER"}


def record_violation(db: Database, report: RecordViolation, *, caller: Caller) -> ViolationAnswer:
    """Record a violation and its strike, and impose what the ladder says, in one transaction;
    at ``caller.now``, on a platform of an operator ``caller`` sees."""
    now = caller.instant
    checked = check_violation(report, now=now)
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        if report.item is not None:
            return _on_item(db, uow, report, checked, caller)
        return record_violation_within(db, uow, checked, caller=caller)


def _on_item(
    db: Database, uow: UnitOfWork, report: RecordViolation, checked: CheckedViolation, caller: Caller
) -> ViolationAnswer:
    # Imported here: content decisions build on violations (their strikes are violations).
    from reprieve.services.content import record_violation_on_item_within

    return record_violation_on_item_within(db, uow, report, checked, caller=caller)


@overload
def submit_violation(
    committer: Committer, report: RecordViolation, *, caller: Caller, answer: None = None
) -> Future[ViolationAnswer]: ...
@overload
def submit_violation(committer: Committer, report: RecordViolation, *, caller: Caller, answer: Answer) -> None: ...
def submit_violation(
    committer: Committer, report: RecordViolation, *, caller: Caller, answer: Answer | None = None
) -> Future[ViolationAnswer] | None:
    """``record_violation`` as one command of a group commit: the answer is set once it is committed
    (with ``answer``: ``answer(result, error)`` is called then, in the writer's thread)."""
    now = caller.instant
    checked = check_violation(report, now=now)
    db = committer.db

    def body(uow: UnitOfWork) -> ViolationAnswer:
        return record_violation_within(db, uow, checked, caller=caller)

    actor = caller.actor
    if report.item is not None:  # a content decision too: alone, not in a batch of violations
        if answer is not None:
            committer.submit_answering(
                answer, lambda uow: _on_item(db, uow, report, checked, caller), actor=actor, now=now
            )
            return None
        return committer.submit(lambda uow: _on_item(db, uow, report, checked, caller), actor=actor, now=now)
    item = PendingViolation(checked, actor, now, caller.operators)
    if answer is not None:
        committer.submit_answering(answer, body, actor=actor, now=now, batch=record_violations_within, item=item)
        return None
    return committer.submit(body, actor=actor, now=now, batch=record_violations_within, item=item)


@dataclass(frozen=True, slots=True)
class PendingViolation:
    """A checked report waiting for the writer, with who sent it, when, and what they may see."""

    checked: CheckedViolation
    actor: str
    now: datetime
    operators: Sequence[str] | None


def check_violation(report: RecordViolation, *, now: datetime) -> CheckedViolation:
    """The report judged against ``now``, before any transaction is opened (ValidationError if
    it occurred in the future, or its content dates from after it)."""
    occurred = report.occurred_at if report.occurred_at is not None else now
    if occurred > now:
        raise ValidationError(
            f"{format_instant(occurred)} is after the report is received ({format_instant(now)}): "
            "a violation cannot occur in the future (a reported fact needs no reason, but is never ahead of now)",
            field="occurred_at",
        )
    return CheckedViolation(
        report.id,
        report.ref,
        report.policy,
        report.severity,
        report.category,
        report.facts,
        occurred,
        report.automated,
        _content(report, occurred),
    )


def _item(
    item: Mapping[str, Any] | None,
    kind: str | ContentKind | None,
    ref: AccountRef,
    content_type: Sequence[str] | None,
    content_date: str | date | None,
) -> tuple[Item | None, ContentKind]:
    """The item a report names, by its account on its platform, and the content decision's kind."""
    if item is None:
        if kind is not None:
            raise ValidationError("a kind is that of the decision on an item: name the item", field="kind")
        return None, ContentKind.REMOVAL
    if not isinstance(item, Mapping):
        raise ValidationError("must be an object {item, content_type, content_date, language?}", field="item")
    if content_type is not None or content_date is not None:
        raise ValidationError("the item's content_type and content_date are given in item", field="content_type")
    unknown = set(item) - {"item", "content_type", "content_date", "language"}
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field="item")
    parsed = Item.parse({**item, "platform": ref.platform, "account": ref.account})
    if any(code not in VIOLATION_CONTENT_TYPES for code in parsed.content_type):
        raise ValidationError("CONTENT_TYPE_OTHER needs a description a violation does not carry", field="item")
    return parsed, parse_enum(ContentKind, kind, field="kind") if kind is not None else ContentKind.REMOVAL


def _content(report: RecordViolation, occurred: datetime) -> dict[str, Any]:
    """The report's content fields, as the reason takes them (an item's, if it names one)."""
    if report.item is not None:
        day = date.fromisoformat(report.item.content_date)
        if day > occurred.date():
            raise ValidationError(
                "the content cannot date from after the violation (occurred_at)", field="item.content_date"
            )
        types: Sequence[str] = report.item.content_type
    else:
        day = report.content_date if report.content_date is not None else occurred.date()
        types = report.content_type
    if day > occurred.date():
        raise ValidationError("the content cannot date from after the violation (occurred_at)", field="content_date")
    content: dict[str, Any] = {"content_type": list(types), "content_date": day.isoformat()}
    if report.keywords:
        content["keywords"] = list(report.keywords)
    if report.territorial_scope:
        content["territorial_scope"] = list(report.territorial_scope)
    return content


def _content_date(given: str | date | None) -> date | None:
    if given is None:
        return None
    if isinstance(given, date) and not isinstance(given, datetime):
        day = given
    else:
        try:
            if not isinstance(given, str) or len(given) != 10:
                raise ValueError
            day = date.fromisoformat(given)
        except ValueError:
            raise ValidationError(f"{given!r} is not a date such as 2021-01-06", field="content_date") from None
    if day < _EARLIEST_CONTENT:
        raise ValidationError("the Transparency Database takes no content older than 2000-01-01", field="content_date")
    return day


_EARLIEST_CONTENT = date(2000, 1, 1)


def _codes(values: Sequence[str] | None, allowed: frozenset[str], field: str, example: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) > 20:
        raise ValidationError(f"must be a list of at most 20 {example} codes", field=field)
    for value in values:
        if not isinstance(value, str) or value not in allowed:
            listed = f"one of {', '.join(sorted(allowed))}" if len(allowed) <= 10 else f"a v2 {example} code"
            raise ValidationError(f"{value!r} is not {listed}", field=field)
    return tuple(dict.fromkeys(values))


def record_violation_within(
    db: Database, uow: UnitOfWork, checked: CheckedViolation, *, caller: Caller
) -> ViolationAnswer:
    """``record_violation``'s body, inside ``uow`` (its own, or one command of a group commit):
    the batch of one, or the first answer again for a report already recorded. ``uow`` says who
    acts and when; ``caller`` which operators' platforms they may report on."""
    answer = record_violations_within(uow, [PendingViolation(checked, uow.actor, uow.now, caller.operators)])[0]
    if answer is ALONE:
        earlier = store.violation_by_external_id(uow.conn, checked.ref.platform, checked.external_id)
        assert earlier is not None
        return ViolationAnswer(_answer(uow, earlier), created=False)
    assert isinstance(answer, ViolationAnswer)
    return answer


def _ladder_command(
    conn: Connection,
    checked: CheckedViolation,
    platform: Platform,
    policy: Policy,
    result: LadderResult,
    probation: Probation | None,
    automation: Automation,
    violation_id: str,
) -> ImposeSanction:
    """The sanction the ladder's step imposes, from the violation's instant on."""
    assert result.step is not None
    term = step_term(result.step, checked.occurred, policy.strike_expiry)
    scope = [platform.id]
    if result.ladder is LadderName.PROBATION and probation is not None:
        row = store.probation_row(conn, probation.id)
        scope = row["scope"] if row else scope
    return ImposeSanction(
        subject=checked.ref,
        kind=term.kind,
        scope=scope,
        denies=term.denies,
        starts_at=checked.occurred,
        ends_at=term.ends_at,
        reason=Reason.from_dict(
            {
                "ground": "incompatible_content",
                "category": checked.category,
                "policy": checked.rule,
                "explanation": _explanation(platform, policy, result),
                "facts": checked.facts,
                **checked.content,
            }
        ),
        automated=automation,
        extra={"violation": violation_id},
    )


def _explanation(platform: Platform, policy: Policy, result: LadderResult) -> str:
    assert result.step is not None
    if result.ladder is LadderName.FIRST_WARNING:
        return (
            f"First warning on {platform.id} under policy {policy.name!r}: not a strike; "
            f"it stays in force for {result.step.duration}."
        )
    step = result.step.kind.value + (f" for {result.step.duration}" if result.step.duration else "")
    return (
        f"Strike {result.strikes} on {platform.id} under the {result.ladder.value} "
        f"ladder of policy {policy.name!r}: {step}."
    )


def _imposed_on_platform(
    checked: CheckedViolation,
    platform: Platform,
    policy: Policy,
    result: LadderResult,
    automation: Automation,
    *,
    violation_id: str,
    identity: str,
    sanction_id: str,
) -> tuple[SanctionImposed, StepTerm]:
    """The ``sanction.imposed`` payload ``prepare_imposed`` makes of ``_ladder_command``'s command
    when the sanction's scope is its platform alone (every ladder but probation's), built
    directly: the command's fields are checked already (``check_violation``, the policy), so
    they are not parsed from text again. With the term, for ``imposed_view``."""
    assert result.step is not None
    term = step_term(result.step, checked.occurred, policy.strike_expiry)
    ensure_term(term.kind, term.starts_at, term.ends_at, term.denies, (platform,))
    content = checked.content
    reason = {
        "ground": _INCOMPATIBLE_CONTENT,
        "category": checked.category,
        "explanation": ensure_text(_explanation(platform, policy, result), field="reason.explanation", max_length=2000),
        "policy": checked.rule,
        "legal_ground": None,
        "contractual_ground": checked.rule,  # the platform's rule is the contractual ground
        "keywords": list(content.get("keywords", ())),
        "facts": checked.facts or "",
        "source": _VOLUNTARY,
        "territorial_scope": sorted(set(content.get("territorial_scope", ()))),
        "content_type": list(content["content_type"]),
        "content_date": content["content_date"],
    }
    imposed = SanctionImposed.of(
        id=sanction_id,
        operator=platform.operator,
        identity=identity,
        subject=checked.ref,
        scope=(platform.id,),
        kind=term.kind.value,
        denies=list(dict.fromkeys(term.denies)),
        starts_at=term.starts_at,
        ends_at=term.ends_at,
        review_at=None,
        reason=reason,
        automated=automation.to_dict(),
        origin={"violation": violation_id},
    )
    return imposed, term


_INCOMPATIBLE_CONTENT = Ground.INCOMPATIBLE_CONTENT.value
_VOLUNTARY = Source.VOLUNTARY.value


def _strike(result: LadderResult, expires: int | None) -> dict[str, Any]:
    return {
        "count": result.strikes,
        "ladder": result.ladder.value,
        "expires_at": None if expires is None else format_instant(from_micros(expires)),
        "step": result.step.to_dict() if result.step is not None else None,
    }


def _recorded_event(
    checked: CheckedViolation,
    platform: Platform,
    identity: str,
    violation_id: str,
    automation: Automation,
    strike: dict[str, Any],
    sanction: str | None,
    probation: Probation | None,
    at: str,
) -> NewEvent:
    # tuple.__new__ with the fields in their order (id, external_id, operator, platform, account,
    # identity, policy, severity, category, facts, occurred_at, automated, strike, sanction,
    # probation, answered_at, extra): the generated __new__ binding sixteen keywords is one
    # Python call per violation.
    recorded = tuple.__new__(
        ViolationRecorded,
        (
            violation_id,
            checked.external_id,
            platform.operator,
            platform.id,
            checked.ref.account,
            identity,
            checked.rule,
            checked.severity._value_,
            checked.category,
            checked.facts,
            format_instant(checked.occurred),
            automation.to_dict(),
            strike,
            sanction,
            probation.id if probation is not None else None,
            at,
            NO_EXTRA if checked.content_decision is None else {"content_decision": checked.content_decision},
        ),
    )
    return NewEvent.of(
        recorded,
        format_instant(checked.occurred) or "",
        platform.operator,
    )


#: The events a batch of violations records; their projections are inserts into distinct tables.
_BATCH_ORDER = (
    EventType.ACCOUNT_REGISTERED,
    EventType.SANCTION_IMPOSED,
    EventType.VIOLATION_RECORDED,
    EventType.STATEMENT_ISSUED,  # projected nowhere: its document is inserted after the batch
)


def record_violations_within(uow: UnitOfWork, items: list[PendingViolation]) -> list[Any]:
    """Many violations at once, inside ``uow``: the answers they would get one after the other,
    in order, with the same events, made with one read per account and one insert per table.
    A report already recorded, or repeated within the batch, is answered ``ALONE`` (the group
    committer runs it alone, after the batch, and it sees it). Raises if any report is refused;
    the caller then undoes the whole batch."""
    platforms = _platforms_seen(uow, items)
    todo = _not_yet_recorded(uow.conn, items)
    answers: list[Any] = [ALONE] * len(items)
    if not todo:
        return answers
    reads = _standing_of(uow.conn, [items[i].checked.ref for i in todo])
    batch = _Batch(uow, platforms, reads, first=items[todo[0]].now, reports=len(todo))
    runs: list[tuple[str, str, list[NewEvent]]] = []
    now = uow.stamp(items[todo[0]].now)
    for index in todo:
        item = items[index]
        # Recorded at its instant, never before the one before it (PRODUCT.md section 8).
        now = max(now, uow.stamp(item.now))
        at = format_instant(now) or ""
        events, body = batch.record(item.checked, now, at)
        runs.append((item.actor, at, events))
        answers[index] = ViolationAnswer(body, created=True)
    uow.record_runs(runs, order=_BATCH_ORDER)
    issued.insert(uow.conn, batch.issued)
    return answers


def _platforms_seen(uow: UnitOfWork, items: list[PendingViolation]) -> dict[str, Platform]:
    """The reports' platforms, each checked to be seen by the report's sender (NotFoundError if not)."""
    db, conn = uow.db, uow.conn
    platforms: dict[str, Platform] = {}
    for item in items:
        ref = item.checked.ref
        platform = platforms.get(ref.platform) or require_platform(db, conn, ref.platform)
        if item.operators is not None and platform.operator not in item.operators:
            raise NotFoundError(f"no platform {ref.platform!r}")
        platforms[ref.platform] = platform
    return platforms


def _not_yet_recorded(conn: Connection, items: list[PendingViolation]) -> list[int]:
    """The indexes of the reports recorded neither before nor earlier in the batch."""
    recorded = store.recorded_external_ids(conn, [(i.checked.ref.platform, i.checked.external_id) for i in items])
    todo = []
    for index, item in enumerate(items):
        key = (item.checked.ref.platform, item.checked.external_id)
        if key not in recorded:
            recorded.add(key)
            todo.append(index)
    return todo


def _standing_of(conn: Connection, refs: list[AccountRef]) -> dict[AccountRef, StandingRows]:
    """The identity, strikes and probations of each account (as standing reads them): one read per platform."""
    by_platform: dict[str, list[str]] = {}
    for ref in refs:
        by_platform.setdefault(ref.platform, []).append(ref.account)
    return {
        AccountRef(platform_id, account): rows
        for platform_id, accounts in by_platform.items()
        for account, rows in standing_rows_of(conn, platform_id, accounts).items()
    }


def _ids_on_first_use(ids: IdSource, prefix: str, now: datetime, count: int) -> Iterator[str]:
    """``count`` ids for ``now``, made at the first ``next``: a batch makes each kind in one run
    (they sort in the order they are used), and a batch of one makes the ids a lone report
    would, in the same order (none for an identity or a sanction it does not need)."""
    yield from ids.new_ids(prefix, now, count)


class _Batch:
    """What the reports of a batch share as each is recorded in turn: their platforms, the
    accounts' standing read before the batch, the strikes added since, the ids and the seqs."""

    def __init__(
        self,
        uow: UnitOfWork,
        platforms: dict[str, Platform],
        reads: dict[AccountRef, StandingRows],
        *,
        first: datetime,
        reports: int,
    ) -> None:
        self.uow = uow
        self.platforms = platforms
        self.policies = {platform_id: policy_of(platform) for platform_id, platform in platforms.items()}
        self.reads = reads
        self.identities = {ref: rows.identity for ref, rows in reads.items() if rows.identity is not None}
        #: Strikes recorded earlier in this batch, by (identity, platform): the reads above miss them.
        self.added: dict[tuple[str, str], list[tuple[int, int]]] = {}
        #: First warnings given earlier in this batch, by (identity, platform), as marks.
        self.warned: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.seq = uow.next_seq()
        self.scopes: Scopes = {}
        #: The statements issued for the sanctions imposed, kept once the batch's events are.
        self.issued: list[issued.IssuedDocument] = []
        # Ids made at the batch's first instant, as many of each kind as it has reports.
        self.identity_ids, self.violation_ids, self.sanction_ids, self.statement_ids = (
            _ids_on_first_use(uow.db.ids, prefix, first, reports) for prefix in ("idt", "vio", "snc", "stm")
        )

    def record(self, checked: CheckedViolation, now: datetime, at: str) -> tuple[list[NewEvent], ViolationView]:
        """The events of one report, and its answer; the seq and strikes move on past it."""
        ref = checked.ref
        platform = self.platforms[ref.platform]
        policy = self.policies[platform.id]
        events: list[NewEvent] = []
        identity = self._identity(ref, platform, at, events)
        occurred_us = to_micros(checked.occurred)
        probation, result = self._ladder(checked, identity, platform, policy, occurred_us)
        automation = checked.automation or Automation(policy.automated_detection, policy.automated_decision)
        violation_id = next(self.violation_ids)
        imposed, view = None, None
        if result.step is not None:
            imposed, view = self._sanction(
                checked, identity, platform, policy, result, probation, automation, violation_id, now, len(events)
            )
            events.append(imposed)
        if result.ladder is LadderName.FIRST_WARNING:
            # No strike: one that counts at no instant. The warning is in force until it expires.
            expires: int | None = occurred_us
            self.warned.setdefault((identity, platform.id), []).extend(
                strikes_made(((occurred_us, None, None),), (), policy.first_warning)
            )
        else:
            expires = expiry_of(occurred_us, policy.strike_expiry)
            # The strike this violation makes: its sanction, if any, is neither lifted nor appealed yet.
            self.added.setdefault((identity, platform.id), []).extend(
                strikes_made((), ((occurred_us, expires, None, None),), policy.strike_expiry)
            )
        strike = _strike(result, expires)
        sanction_id = imposed.data["id"] if imposed is not None else None
        events.append(
            _recorded_event(checked, platform, identity, violation_id, automation, strike, sanction_id, probation, at)
        )
        if imposed is not None and statements.creation_needs_statement(imposed.data["kind"]):
            # A sanction that restricts something: its statement is issued right after its report's
            # events, as one report alone would, from the event itself (nothing is read back).
            creation = self.seq + events.index(imposed)
            sanction = sanction_of_imposed(creation, cast(SanctionImposed, imposed.event))
            doc = statements.issue_document(
                self.uow.db,
                self.uow.conn,
                sanction,
                statement_id=next(self.statement_ids),
                decision_seq=creation,
                now=now,
                policy=policy,
            )
            self.issued.append(doc)
            events.append(statements.issued_event(doc, at))
        self.seq += len(events)
        body = ViolationView(
            violation_id,
            checked.external_id,
            ref,
            identity,
            checked.severity,
            checked.occurred,
            strike,
            probation.id if probation is not None else None,
            view,
            checked.content_decision,
        )
        return events, body

    def _identity(self, ref: AccountRef, platform: Platform, at: str, events: list[NewEvent]) -> str:
        """The account's identity; a new account is registered first, in an identity of its own."""
        identity = self.identities.get(ref)
        if identity is None:
            identity = self.identities[ref] = next(self.identity_ids)
            events.append(
                NewEvent.of(
                    AccountRegistered(ref.platform, ref.account, identity, platform.operator), at, platform.operator
                )
            )
        return identity

    def _ladder(
        self, checked: CheckedViolation, identity: str, platform: Platform, policy: Policy, occurred_us: int
    ) -> tuple[Probation | None, LadderResult]:
        """The probation the account is on when the violation occurred, and the ladder's answer
        to the strikes it had then and the first warning in force then, if any (those recorded
        earlier in the batch included)."""
        rows = self.reads[checked.ref]
        marks = store.marks_of(rows.direct, rows.reported, policy.strike_expiry)
        marks.extend(self.added.get((identity, platform.id), ()))
        probation = probation_at(rows.probations, occurred_us)
        warned = False
        if policy.first_warning is not None:
            warnings = store.first_warning_marks_of(rows.reported, policy.first_warning)
            warnings.extend(self.warned.get((identity, platform.id), ()))
            warned = count_strikes(warnings, occurred_us) > 0
        result = evaluate_ladder(
            policy.ladder,
            strikes_before=count_strikes(marks, occurred_us),
            severity=checked.severity,
            probation=probation,
            first_warning=policy.first_warning_step,
            warned=warned,
        )
        return probation, result

    def _sanction(
        self,
        checked: CheckedViolation,
        identity: str,
        platform: Platform,
        policy: Policy,
        result: LadderResult,
        probation: Probation | None,
        automation: Automation,
        violation_id: str,
        now: datetime,
        offset: int,
    ) -> tuple[NewEvent, dict[str, Any]]:
        """The ``sanction.imposed`` event of the ladder's step, recorded as the report's event
        ``offset``, and the sanction's view at ``now``."""
        seq = self.seq + offset
        if result.ladder is LadderName.PROBATION:  # the sanction's scope is the probation's
            uow = self.uow
            command = _ladder_command(uow.conn, checked, platform, policy, result, probation, automation, violation_id)
            imposed = prepare_imposed(
                uow.db,
                uow,
                command,
                identity=identity,
                seq=seq,
                sanction_id=next(self.sanction_ids),
                scopes=self.scopes,
            )
            return imposed, imposed_view(imposed.data, seq=seq, at=now)
        event, term = _imposed_on_platform(
            checked,
            platform,
            policy,
            result,
            automation,
            violation_id=violation_id,
            identity=identity,
            sanction_id=next(self.sanction_ids),
        )
        imposed = NewEvent.of(event, event.starts_at, platform.operator)
        return imposed, imposed_view(imposed.data, seq=seq, at=now, starts=term.starts_at, ends=term.ends_at)


def earlier_answer(uow: UnitOfWork, platform: str, external_id: str) -> ViolationView | None:
    """The first answer to the report ``external_id`` on ``platform``, if it was recorded (a repeat)."""
    row = store.violation_by_external_id(uow.conn, platform, external_id)
    return _answer(uow, row) if row is not None else None


def _answer(uow: UnitOfWork, row: dict[str, Any]) -> ViolationView:
    """The first answer again, for a repeat: the sanction as it stood when it was first given."""
    answer = json.loads(row["answer"])
    sanction = None
    if row["sanction_id"]:
        loaded = queries.load_sanction(uow.conn, row["sanction_id"])
        assert loaded is not None
        sanction = sanction_view(loaded, at=parse_instant(answer["answered_at"])).to_json()
    return ViolationView(
        row["id"],
        row["external_id"],
        AccountRef(row["platform_id"], row["account_id"]),
        row["identity_id"],
        Severity(row["severity"]),
        from_micros(row["occurred_at"]),
        answer["strike"],
        answer["probation"],
        sanction,
        row["content_decision_id"],
    )
