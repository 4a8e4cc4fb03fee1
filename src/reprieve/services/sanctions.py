"""Imposing, amending and lifting sanctions, one at a time or in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from reprieve.domain.backdating import backdating_reason, parse_backdated_reason
from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.events import NewEvent, SanctionImposed
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef, Platform, SanctionKind, ensure_slug, ensure_text, parse_enum
from reprieve.domain.orders import Order
from reprieve.domain.personal import PersonalRef, ref_id
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.sanctions import (
    UNSET,
    Change,
    ChangeType,
    Imported,
    Sanction,
    Unset,
    ensure_hold,
    ensure_scope,
    ensure_term,
    imported_of,
)
from reprieve.domain.time import Duration, format_instant, parse_duration, parse_instant, to_micros
from reprieve.services import order_information, statements
from reprieve.services.backdating import keep_backdated_reason
from reprieve.services.batches import in_batches
from reprieve.services.callers import Caller
from reprieve.services.catalogue import ensure_accounts, require_platform
from reprieve.services.viewing import Page
from reprieve.services.views import SanctionView, sanction_view
from reprieve.store import queries
from reprieve.store.asof import known_as_of, sanction_as_of, sanctions_as_of
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ImposeSanction:
    """What a moderator asks for, parsed (``parse``): the term's instants, durations and the
    sanction's kind and reason as domain types; checked against the catalogue on use."""

    subject: AccountRef
    kind: SanctionKind
    reason: Reason
    scope: Sequence[str] | None = None
    denies: Sequence[str] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: Duration | None = None
    review_at: datetime | None = None
    review_after: Duration | None = None
    automated: Automation = field(default_factory=Automation)
    extra: dict[str, Any] = field(default_factory=dict)
    hold_until_review: bool = False  #: in force after ``ends_at`` until its review is decided
    #: An imported sanction's word on when its user was informed (``import_sanctions``).
    imported: Imported | None = None
    #: Why it starts more than 24 hours before it is recorded (PRODUCT.md section 8); ignored if it does not.
    backdated_reason: str | None = None
    #: The authority's order it gives effect to (DSA art. 9): it issues the art. 9(5) information
    #: instead of a statement of reasons (art. 17(5)).
    order: Order | None = None

    @classmethod
    def parse(
        cls,
        subject: AccountRef,
        kind: str | SanctionKind,
        reason: dict[str, Any] | Reason,
        *,
        scope: Sequence[str] | None = None,
        denies: Sequence[str] = (),
        starts_at: str | datetime | None = None,
        ends_at: str | datetime | None = None,
        duration: str | Duration | None = None,
        review_at: str | datetime | None = None,
        review_after: str | Duration | None = None,
        automated: dict[str, Any] | Automation | None = None,
        extra: dict[str, Any] | None = None,
        hold_until_review: bool = False,
        backdated_reason: str | None = None,
        order: Mapping[str, Any] | Order | None = None,
    ) -> ImposeSanction:
        """The command from what an edge was given (JSON-like values), parsed once: ValidationError
        naming the field, in the order the fields were always checked."""
        parsed_kind = parse_enum(SanctionKind, kind, field="kind")
        parsed_reason = reason if isinstance(reason, Reason) else Reason.from_dict(reason)
        parsed_automated = automated if isinstance(automated, Automation) else Automation.from_dict(automated)
        starts = parse_instant(starts_at, field="starts_at") if starts_at is not None else None
        if ends_at is not None and duration is not None:
            raise ValidationError("give ends_at or duration, not both", field="ends_at")
        ends = parse_instant(ends_at, field="ends_at") if ends_at is not None else None
        lasts = _duration(duration, field="duration")
        if review_at is not None and review_after is not None:
            raise ValidationError("give review_at or review_after, not both", field="review_at")
        review = parse_instant(review_at, field="review_at") if review_at is not None else None
        return cls(
            subject=subject,
            kind=parsed_kind,
            reason=parsed_reason,
            scope=scope,
            denies=denies,
            starts_at=starts,
            ends_at=ends,
            duration=lasts,
            review_at=review,
            review_after=_duration(review_after, field="review_after"),
            automated=parsed_automated,
            extra=extra if extra is not None else {},
            hold_until_review=_flag(hold_until_review, field="hold_until_review"),
            backdated_reason=parse_backdated_reason(backdated_reason),
            order=order if order is None or isinstance(order, Order) else Order.parse(order),
        )


def _flag(value: object, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("must be true or false", field=field)
    return value


def _duration(value: str | Duration | None, *, field: str) -> Duration | None:
    if value is None or isinstance(value, Duration):
        return value
    return parse_duration(value, field=field)


#: Scopes already checked, by (subject's platform, scope asked for): ``_prepare``'s cache.
Scopes = dict[tuple[str, tuple[str, ...] | None], list[Platform]]


def impose_sanction(
    db: Database,
    command: ImposeSanction,
    *,
    caller: Caller,
) -> SanctionView:
    """Impose one sanction; platforms of operators the caller may not see do not exist.
    ``caller.now``: an instant or a clock, read once the write lock is held (``UnitOfWork``).
    A ``starts_at`` more than 24 hours before that instant needs ``backdated_reason`` (an import,
    ``import_sanctions``, is backdated by nature and needs none)."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        sanction = impose_decided_within(db, uow, command, caller=caller)
    return sanction_view(sanction, at=uow.now)


def impose_decided_within(
    db: Database, uow: UnitOfWork, command: ImposeSanction, *, caller: Caller, notice: dict[str, Any] | None = None
) -> Sanction:
    """Impose one sanction decided now inside ``uow``, with its statement of reasons (or the art.
    9(5) information of an order); ``notice``: taken on notices, as its statement says it
    (``sor.Context.notice``)."""
    if caller.operators is not None:
        for platform_id in [command.subject.platform, *(command.scope or ())]:
            caller.seen(db.platform(uow.conn, platform_id), "platform", platform_id)
    sanction = _impose(db, uow, [command], decided=True)[0]
    creation = sanction.changes[0]
    if command.order is not None:  # art. 17(5): the art. 9(5) information instead of a statement
        order_information.issue_order_information(uow, sanction.id, creation.seq)
    elif creation.kind is not None and statements.creation_needs_statement(creation.kind):
        statements.issue_statements(uow, [(sanction.id, creation.seq)], notice=notice)
    return sanction


#: Rows of history one ``POST /v1/imports`` takes at most: one transaction, all or nothing.
MAX_IMPORT_ROWS = 1000


def imported_command(
    command: ImposeSanction,
    informed_at: str | datetime | None,
    statement: Mapping[str, Any] | None = None,
    *,
    informed_at_start: bool = False,
) -> ImposeSanction:
    """A row of imported history: ``command`` with when the platform informed its user
    (``informed_at``, required; with ``informed_at_start``, a row without one says its user was
    informed when the sanction started) and the platform's own statement (``{reference,
    issued_at}``), recorded instead of issuing one (PRODUCT.md section 8)."""
    imported = imported_of(command.starts_at, informed_at, statement, informed_at_start=informed_at_start)
    return replace(command, imported=imported)


def import_history(db: Database, rows: Sequence[ImposeSanction], *, caller: Caller) -> int:
    """``POST /v1/imports``: at most ``MAX_IMPORT_ROWS`` rows of history (``imported_command``),
    imported in one transaction by ``import_sanctions``: all of them, or none (the error names
    the row). Returns how many."""
    if not rows or len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError(f"give 1 to {MAX_IMPORT_ROWS} sanctions", field="sanctions")
    assert all(row.imported is not None for row in rows), "import_history: every row says when its user was informed"
    return import_sanctions(db, rows, caller=caller, batch_size=len(rows))


def import_sanctions(
    db: Database,
    commands: Iterable[ImposeSanction],
    *,
    caller: Caller,
    batch_size: int = 10_000,
    on_batch: Any = None,
) -> int:
    """Impose many sanctions, ``batch_size`` per transaction; returns how many were imposed.

    Each batch is all-or-nothing: a bad command rolls back its batch, and the error names it.
    ``caller.now``: the instant of every batch (a clock is read once, here). A command that says
    when its user was informed (``imported``: history, PRODUCT.md section 8) has it recorded; the
    edges require it (``reprieve sanction import``, ``POST /v1/imports``). Platforms of operators
    the caller may not see do not exist.
    """
    seen: set[str] = set()

    def record(uow: UnitOfWork, chunk: Sequence[ImposeSanction], offset: int) -> None:
        if caller.operators is not None:
            _ensure_platforms_seen(db, uow, caller, chunk, seen)
        _impose(db, uow, chunk, offset=offset, keep=False)

    return in_batches(db, commands, record, caller=caller, batch_size=batch_size, on_batch=on_batch)


def _ensure_platforms_seen(
    db: Database, uow: UnitOfWork, caller: Caller, commands: Sequence[ImposeSanction], seen: set[str]
) -> None:
    """NotFoundError for a platform of the commands of an operator the caller may not see (``seen``: checked ones)."""
    for command in commands:
        for platform_id in [command.subject.platform, *(command.scope or ())]:
            if platform_id not in seen:
                caller.seen(db.platform(uow.conn, platform_id), "platform", platform_id)
                seen.add(platform_id)


def _impose(
    db: Database,
    uow: UnitOfWork,
    commands: Sequence[ImposeSanction],
    offset: int = 0,
    *,
    keep: bool = True,
    decided: bool = False,
) -> list[Sanction]:
    """Check and record ``commands``; returns the sanctions, unless ``keep`` is false (a bulk import).
    ``decided``: each is a decision taken now, whose ``starts_at`` may be backdated only with a
    reason (not an import, nor a ladder's sanction, which starts when its violation occurred)."""
    ensured = ensure_accounts(db, uow, [_checked_subject(db, uow, c.subject) for c in commands])
    identities = ensured.identities
    ids = db.ids.new_ids("snc", uow.now, len(commands))
    scopes: Scopes = {}
    sanctions: list[Sanction] = []
    events: list[NewEvent] = []
    seq = uow.next_seq()
    for index, command in enumerate(commands):
        try:
            imposed = _prepare(
                db,
                uow,
                command,
                identities[command.subject],
                seq,
                ids[index],
                scopes,
                sanctions if keep else None,
                decided=decided,
            )
        except ValidationError as exc:
            if len(commands) > 1:
                raise ValidationError(f"sanction #{offset + index + 1}: {exc.message}") from None
            raise
        events.append(NewEvent.of(imposed, imposed.starts_at, imposed.operator))
        seq += 1
    uow.record(events)
    return sanctions


def impose_within(db: Database, uow: UnitOfWork, commands: Sequence[ImposeSanction]) -> list[Sanction]:
    """Impose sanctions inside the caller's unit of work (a violation's ladder): same checks, same events."""
    return _impose(db, uow, commands)


def prepare_imposed(
    db: Database,
    uow: UnitOfWork,
    command: ImposeSanction,
    *,
    identity: str,
    seq: int,
    sanction_id: str,
    scopes: Scopes,
) -> NewEvent:
    """The sanction.imposed event ``impose_within`` would record as event ``seq``, checked alike
    but not recorded: for a caller that records many commands' events together (a batch of
    violations, ``UnitOfWork.record_runs``; ``views.imposed_view`` shows the sanction from the
    event). ``starts_at`` must be given. ``scopes``: the scopes the caller's earlier commands
    had checked (a dict the caller keeps for its batch: each is checked once)."""
    assert command.starts_at is not None, "prepare_imposed: the instant of the batch's command is its own"
    imposed = _prepare(db, uow, command, identity, seq, sanction_id, scopes, None)
    return NewEvent.of(imposed, imposed.starts_at, imposed.operator)


def _checked_subject(db: Database, uow: UnitOfWork, subject: AccountRef) -> AccountRef:
    require_platform(db, uow.conn, subject.platform)
    return subject


def _prepare(
    db: Database,
    uow: UnitOfWork,
    c: ImposeSanction,
    identity: str,
    seq: int,
    sanction_id: str,
    scopes: Scopes,
    sanctions: list[Sanction] | None,
    *,
    decided: bool = False,
) -> SanctionImposed:
    """The payload of the sanction.imposed event; the Sanction itself is added to ``sanctions``.
    ``decided``: as ``_impose``'s."""
    subject_platform = require_platform(db, uow.conn, c.subject.platform)
    # A bulk import names the same few scopes again and again: each is checked once per batch.
    scope_key = (subject_platform.id, tuple(c.scope) if c.scope else None)
    scope = scopes.get(scope_key)
    if scope is None:
        scope = scopes[scope_key] = _checked_scope(db, uow, subject_platform, c.scope)
    kind, reason, automated = c.kind, c.reason, c.automated
    starts_at = c.starts_at if c.starts_at is not None else uow.now
    ends_at = c.ends_at
    if ends_at is None and c.duration is not None:
        ends_at = c.duration.after(starts_at, field="duration")
    review_at = c.review_at
    if review_at is None and c.review_after is not None:
        review_at = c.review_after.after(starts_at, field="review_after")
    denies = tuple(dict.fromkeys(c.denies))
    ensure_term(kind, starts_at, ends_at, denies, scope)
    ensure_hold(c.hold_until_review, review_at)
    backdated = None
    if decided:
        why = backdating_reason(starts_at, uow.now, c.backdated_reason, field="starts_at")
        backdated = keep_backdated_reason(
            uow, operator=subject_platform.operator, subject=f"sanction:{sanction_id}", reason=why
        )
    scope_ids = tuple(p.id for p in scope)
    origin = c.extra  # where the sanction comes from, e.g. {"violation": id} for a ladder's
    if c.imported is not None:
        c.imported.ensure_within(starts_at, uow.now)
        origin = {**origin, "imported": c.imported.to_dict()}
    if c.order is not None:
        c.order.ensure_received(uow.now)
        origin = {**origin, "order": c.order.to_dict()}
    if sanctions is not None:
        sanctions.append(
            Sanction(
                id=sanction_id,
                operator=subject_platform.operator,
                identity=identity,
                subject=c.subject,
                scope=scope_ids,
                starts_at=starts_at,
                reason=reason,
                automated=automated,
                changes=[
                    Change(
                        ChangeType.IMPOSED,
                        seq,
                        starts_at,
                        kind,
                        ends_at,
                        denies,
                        review_at,
                        c.hold_until_review,
                        c.imported,
                        ref_id(backdated),
                        c.backdated_reason if backdated else None,
                        uow.now if backdated else None,
                        c.order,
                    )
                ],
            )
        )
    return SanctionImposed.of(
        id=sanction_id,
        operator=subject_platform.operator,
        identity=identity,
        subject=c.subject,
        scope=scope_ids,
        kind=kind._value_,  # not .value, two Python calls (3.11), once per sanction of an import
        denies=denies,
        starts_at=starts_at,
        ends_at=ends_at,
        review_at=review_at,
        reason=reason.to_dict(),
        automated=automated.to_dict(),
        origin=origin,
        hold_until_review=c.hold_until_review,
        backdated_reason=backdated,
    )


def _checked_scope(
    db: Database, uow: UnitOfWork, subject_platform: Platform, requested: Sequence[str] | None
) -> list[Platform]:
    scope_ids = list(dict.fromkeys(requested)) if requested else [subject_platform.id]
    if len(scope_ids) > 100:
        raise ValidationError("at most 100 platforms", field="scope")
    scope = [require_platform(db, uow.conn, ensure_slug(p, field="scope")) for p in scope_ids]
    ensure_scope(subject_platform, scope)
    return scope


def _load(db: Database, uow: UnitOfWork, sanction_id: str, caller: Caller) -> Sanction:
    return caller.seen(queries.load_sanction(uow.conn, sanction_id), "sanction", sanction_id)


@dataclass(frozen=True, slots=True)
class AmendSanction:
    """A change of a sanction's term, parsed (``parse``): UNSET keeps a field, None clears it."""

    reason: str
    ends_at: datetime | Unset | None = UNSET
    review_at: datetime | Unset | None = UNSET
    kind: SanctionKind | None = None
    denies: Sequence[str] | None = None
    effective_at: datetime | None = None  #: default: now (a sanction not started yet: its start)
    hold_until_review: bool | Unset = UNSET  #: UNSET keeps the term's
    #: Why it takes effect more than 24 hours before it is recorded; ignored if it does not.
    backdated_reason: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        reason: str,
        ends_at: str | datetime | Unset | None = UNSET,
        review_at: str | datetime | Unset | None = UNSET,
        kind: str | SanctionKind | None = None,
        denies: Sequence[str] | None = None,
        effective_at: str | datetime | None = None,
        hold_until_review: bool | Unset | None = UNSET,
        backdated_reason: str | None = None,
    ) -> AmendSanction:
        """The command from what an edge was given, parsed once: ValidationError naming the field,
        in the order the fields were always checked."""
        ensure_text(reason, field="reason", max_length=2000)
        given = parse_instant(effective_at, field="effective_at") if effective_at is not None else None
        new_ends = _instant_or_kept(ends_at, field="ends_at")
        new_review = _instant_or_kept(review_at, field="review_at")
        new_kind = parse_enum(SanctionKind, kind, field="kind") if kind is not None else None
        hold = (
            UNSET
            if isinstance(hold_until_review, Unset) or hold_until_review is None
            else _flag(hold_until_review, field="hold_until_review")
        )
        if (
            isinstance(new_ends, Unset)
            and isinstance(new_review, Unset)
            and new_kind is None
            and denies is None
            and isinstance(hold, Unset)
        ):
            raise ValidationError("an amendment must change ends_at, review_at, kind, denies or hold_until_review")
        return cls(
            reason,
            new_ends,
            new_review,
            new_kind,
            tuple(denies) if denies is not None else None,
            given,
            hold,
            parse_backdated_reason(backdated_reason),
        )


def _instant_or_kept(value: str | datetime | Unset | None, *, field: str) -> datetime | Unset | None:
    return value if isinstance(value, Unset) or value is None else parse_instant(value, field=field)


def amend_sanction(
    db: Database,
    sanction_id: str,
    command: AmendSanction,
    *,
    caller: Caller,
    if_version: int | None = None,
) -> SanctionView:
    """Change a sanction's term from ``command.effective_at`` on (default: now; a sanction not
    started yet: its start, as a lift).

    ``caller.now``: an instant or a clock, read once the write lock is held, so that the change is
    judged against the sanction as it stands then. ``if_version``: the version the caller saw
    (``If-Match``); PreconditionFailedError (412) and nothing written if it changed since.
    """
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        sanction = _load(db, uow, sanction_id, caller)
        sanction.ensure_version(if_version)
        effective = command.effective_at if command.effective_at is not None else max(uow.now, sanction.starts_at)
        platforms = _scope_platforms(db, uow, sanction)
        before = sanction.term_at(effective) or sanction.latest
        change = sanction.amend(
            seq=uow.next_seq(),
            effective_at=effective,
            ends_at=command.ends_at,
            review_at=command.review_at,
            kind=command.kind,
            denies=command.denies,
            platforms=platforms,
            hold_until_review=command.hold_until_review,
        )
        assert change.kind is not None
        # After the model's own rules, whose errors say more about a change that cannot be made at all.
        why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
        backdated = keep_backdated_reason(
            uow, operator=sanction.operator, subject=f"sanction:{sanction.id}", reason=why
        )
        mark_backdated(sanction, change, backdated, why, uow.now)
        uow.record(
            [
                NewEvent.of(
                    sanction.amended_event(change, reason=command.reason, backdated_reason=backdated),
                    format_instant(effective) or "",
                    sanction.operator,
                )
            ]
        )
        if statements.amendment_needs_statement(before, change):
            statements.issue_statements(uow, [(sanction.id, change.seq)])
    return sanction_view(sanction, at=uow.now)


def mark_backdated(
    sanction: Sanction, change: Change, ref: PersonalRef | None, reason: str | None, recorded: datetime
) -> None:
    """Show ``change`` (just made, the last of ``sanction.changes``) as backdated in what the
    use case answers, as a later read will (``store.queries.load_sanction``)."""
    if ref is not None:
        assert sanction.changes[-1] is change
        sanction.changes[-1] = replace(change, backdated_ref=ref.id, backdated_reason=reason, recorded_at=recorded)


@dataclass(frozen=True, slots=True)
class LiftSanction:
    """An early end of a sanction, parsed (``parse``)."""

    reason: str
    effective_at: datetime | None = None  #: default: now (a sanction not started yet: its start)
    #: Why it takes effect more than 24 hours before it is recorded; ignored if it does not.
    backdated_reason: str | None = None

    @classmethod
    def parse(
        cls, *, reason: str, effective_at: str | datetime | None = None, backdated_reason: str | None = None
    ) -> LiftSanction:
        ensure_text(reason, field="reason", max_length=2000)
        return cls(
            reason,
            parse_instant(effective_at, field="effective_at") if effective_at is not None else None,
            parse_backdated_reason(backdated_reason),
        )


def lift_sanction(
    db: Database,
    sanction_id: str,
    command: LiftSanction,
    *,
    caller: Caller,
    if_version: int | None = None,
) -> SanctionView:
    """End a sanction early, from ``command.effective_at`` on (default: now; a future instant schedules it).

    A sanction that has not started yet is cancelled by default: lifted from its start, it never
    takes effect. ``caller.now`` and ``if_version`` as for ``amend_sanction``: of two lifts racing, the
    second sees the sanction lifted at the instant it is recorded, and gets ConflictError (409).
    """
    given, reason = command.effective_at, command.reason
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        sanction = _load(db, uow, sanction_id, caller)
        sanction.ensure_version(if_version)
        effective = given if given is not None else max(uow.now, sanction.starts_at)
        sanction.ensure_not_before_start(
            effective, hint="to cancel it before it starts, lift it at its start or without effective_at"
        )
        change = sanction.lift(seq=uow.next_seq(), effective_at=effective)
        # After the model's own rules, whose errors say more about a lift that cannot be made at all.
        why = backdating_reason(effective, uow.now, command.backdated_reason, field="effective_at")
        backdated = keep_backdated_reason(
            uow, operator=sanction.operator, subject=f"sanction:{sanction.id}", reason=why
        )
        mark_backdated(sanction, change, backdated, why, uow.now)
        event = sanction.lifted_event(reason=reason, backdated_reason=backdated)
        uow.record([NewEvent.of(event, format_instant(effective) or "", sanction.operator)])
    return sanction_view(sanction, at=uow.now)


def _scope_platforms(db: Database, uow: UnitOfWork, sanction: Sanction) -> list[Platform]:
    return [require_platform(db, uow.conn, p) for p in sanction.scope]


def get_sanction(
    db: Database, sanction_id: str, *, at: datetime, caller: Caller | None = None, as_of: datetime | None = None
) -> SanctionView:
    """The sanction as it stands at ``at``; caller None: the installation, which sees every operator.
    ``as_of``: as the events recorded by then knew it (not found if created later); None: now."""
    with db.read() as conn:
        sanction = queries.load_sanction(conn, sanction_id)
        if sanction is not None and as_of is not None:
            sanction = sanction_as_of(conn, sanction, known_as_of(conn, as_of))
    if sanction is None or (caller is not None and not caller.sees(sanction.operator)):
        raise NotFoundError(f"no sanction {sanction_id!r}")
    return sanction_view(sanction, at=at)


def list_sanctions(
    db: Database,
    f: SanctionFilter,
    *,
    at: datetime,
    limit: int = 50,
    cursor: str | None = None,
    as_of: datetime | None = None,
) -> Page[SanctionView]:
    """A page of sanctions matching ``f`` at ``at``; ``as_of``: as the events recorded by then
    knew them (those created later are absent, the others' terms and states as then known)."""
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")
    if as_of is not None:
        return _list_known_by(db, f, at=at, limit=limit, cursor=cursor, as_of=as_of)
    with db.read() as conn:
        rows, next_cursor = queries.list_sanction_rows(conn, f, at_us=to_micros(at), limit=limit, cursor=cursor)
        sanctions = queries.load_sanctions(conn, rows)
    return Page(tuple(sanction_view(s, at=at) for s in sanctions), next_cursor)


def _list_known_by(
    db: Database, f: SanctionFilter, *, at: datetime, limit: int, cursor: str | None, as_of: datetime
) -> Page[SanctionView]:
    """``list_sanctions`` as of a past recording instant. The kind and state the projections hold
    are today's knowledge: the rows are read without those two filters, each sanction is taken
    back to what was known by then, and the filters are applied to that, page after page of
    rows until the answer's page is full."""
    unfiltered = replace(f, kind=None, state=None)
    found: list[SanctionView] = []
    next_cursor = cursor
    with db.read() as conn:
        known = known_as_of(conn, as_of)
        while True:
            rows, next_cursor = queries.list_sanction_rows(
                conn, unfiltered, at_us=to_micros(at), limit=limit, cursor=next_cursor, created=known.sql
            )
            loaded = queries.load_sanctions(conn, rows)
            as_known = sanctions_as_of(conn, loaded, known)
            for sanction in loaded:
                then = as_known.get(sanction.id)
                if then is None:
                    continue
                view = sanction_view(then, at=at)
                if (f.kind is None or view.kind is f.kind) and (f.state is None or view.state is f.state):
                    found.append(view)
                if len(found) == limit:
                    more = rows[-1].id != sanction.id or next_cursor is not None
                    return Page(tuple(found), queries.encode_cursor(sanction.id) if more else None)
            if next_cursor is None:
                return Page(tuple(found), None)
