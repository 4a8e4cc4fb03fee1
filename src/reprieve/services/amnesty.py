"""Amnesties: a bulk lift that can be previewed, watched, resumed after a crash, and reverted.

The use cases: ``preview`` (changes nothing), ``start`` (records amnesty.started and freezes the
matched set; lifts nothing yet), ``revert`` (records amnesty.revert_started), ``get``,
``list_amnesties`` and ``progress_snapshot``; and one batch of a pass, ``lift_batch`` or
``revert_batch``, each in one transaction. ``runtime.amnesty`` runs the passes batch by batch:
its leases, process checks and threads.

The ``Caller`` says what the caller may see (its ``operators``; None: everything), as in the
other services; another operator's amnesty is "not found". They return views: ``AmnestyView``
(with its ``RevertView``), ``AmnestyPreview`` and ``AmnestyProgress``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from reprieve.domain.amnesty import (
    SAMPLE_SIZE,
    AmnestyFilter,
    AmnestyState,
    Phase,
    progress,
)
from reprieve.domain.backdating import REASON_KIND, backdating_reason, parse_backdated_reason
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.events import (
    NO_EXTRA,
    AmnestyCompleted,
    AmnestyReverted,
    AmnestyRevertStarted,
    AmnestyStarted,
    NewEvent,
    SanctionImposed,
    SanctionLifted,
    parse_json,
)
from reprieve.domain.model import ensure_text
from reprieve.domain.sanctions import Sanction
from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.services import content as content_service
from reprieve.services.backdating import keep_backdated_reason
from reprieve.services.callers import Caller
from reprieve.services.content import ContentDecisionView, decision_view
from reprieve.services.views import SanctionView, sanction_view
from reprieve.store import amnesty as store
from reprieve.store import content as content_store
from reprieve.store import personal, queries
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

#: How long a pass stays claimed without a batch committing (renewed by every batch).
LEASE_SECONDS = 60
LEASE_US = LEASE_SECONDS * 1_000_000


# --- the views ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RevertView:
    """The revert of an amnesty: who started it, why, and how far it is."""

    reason: str
    by: str | None
    started_at: datetime
    finished_at: datetime | None
    processed: int
    restored: int
    left_alone: int | None  #: lifted ones left alone (changed since); set at the end
    rate: float | None
    eta_seconds: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "by": self.by,
            "started_at": format_instant(self.started_at),
            "finished_at": format_instant(self.finished_at),
            "processed": self.processed,
            "restored": self.restored,
            "left_alone": self.left_alone,
            "rate": self.rate,
            "eta_seconds": self.eta_seconds,
        }


@dataclass(frozen=True, slots=True)
class AmnestyView:
    """An amnesty with its progress (rate: targets processed per second), and its revert if any."""

    id: str
    operator: str
    state: AmnestyState
    filter: Mapping[str, Any]  #: as recorded in amnesty.started
    reason: str
    effective_at: datetime
    matched: int  #: sanctions and content decisions
    processed: int
    lifted: int  #: sanctions lifted
    skipped: int
    rate: float | None
    eta_seconds: float | None
    started_at: datetime
    finished_at: datetime | None
    created_by: str
    error: str | None
    revert: RevertView | None
    #: Effective more than 24 hours before it was recorded (PRODUCT.md section 8), and why (None once erased).
    backdated: bool = False
    backdated_reason: str | None = None
    #: Of ``matched``, the content decisions (issue 25), and how many of their items it restored.
    content_matched: int = 0
    content_restored: int = 0

    @property
    def sanctions_matched(self) -> int:
        return self.matched - self.content_matched

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "state": self.state.value,
            "filter": dict(self.filter),
            "reason": self.reason,
            "effective_at": format_instant(self.effective_at),
            "matched": self.matched,
            "sanctions_matched": self.sanctions_matched,
            "content_matched": self.content_matched,
            "content_restored": self.content_restored,
            "processed": self.processed,
            "lifted": self.lifted,
            "skipped": self.skipped,
            "rate": self.rate,
            "eta_seconds": self.eta_seconds,
            "started_at": format_instant(self.started_at),
            "finished_at": format_instant(self.finished_at),
            "created_by": self.created_by,
            "error": self.error,
            "revert": self.revert.to_json() if self.revert is not None else None,
            "backdated": self.backdated,
            "backdated_reason": self.backdated_reason,
        }


@dataclass(frozen=True, slots=True)
class AmnestyPreview:
    """A dry run: how many sanctions an amnesty would lift and content decisions it would restore
    (``matched``: both), and the first of each."""

    matched: int
    sample: tuple[SanctionView, ...]  #: at the amnesty's effective instant
    content_matched: int = 0
    content_sample: tuple[ContentDecisionView, ...] = ()

    @property
    def sanctions_matched(self) -> int:
        return self.matched - self.content_matched

    def to_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "sanctions_matched": self.sanctions_matched,
            "content_matched": self.content_matched,
            "sample": [s.to_json() for s in self.sample],
            "content_sample": [d.to_json() for d in self.content_sample],
        }


@dataclass(frozen=True, slots=True)
class AmnestyProgress:
    """An amnesty's state and progress, as ``/metrics`` shows them."""

    id: str
    operator: str
    state: AmnestyState
    matched: int
    processed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "state": self.state.value,
            "matched": self.matched,
            "processed": self.processed,
        }


def wall_us() -> int:
    return int(time.time() * 1_000_000)


# --- preview and start -------------------------------------------------------------------


def _checked_filter(db: Database, conn: Connection, f: AmnestyFilter, caller: Caller) -> AmnestyFilter:
    """``f`` if the caller sees its operator and the operator has its platforms."""
    operator = f.operator
    if not caller.sees(operator) or queries.operator_row(conn, operator) is None:
        raise NotFoundError(f"no operator {operator!r}")
    for platform_id in f.platforms:
        platform = db.platform(conn, platform_id)
        if platform is None or platform.operator != operator:
            raise ValidationError(f"operator {operator!r} has no platform {platform_id!r}", field="platforms")
    return f


def preview(db: Database, f: AmnestyFilter, *, effective_at: datetime | None = None, caller: Caller) -> AmnestyPreview:
    """A dry run: how many sanctions the amnesty would lift at ``effective_at`` (default: the
    caller's now), and the first 20. ``f`` and ``effective_at`` as ``parse_amnesty`` makes them."""
    effective = effective_at if effective_at is not None else caller.instant
    with db.read() as conn:
        f = _checked_filter(db, conn, f, caller)
        t = to_micros(effective)
        matched = store.count_matching(conn, f, t)
        sample = queries.load_sanctions(conn, store.sample_rows(conn, f, t, SAMPLE_SIZE))
        content_matched = store.count_content_matching(conn, f, t)
        decisions = [content_store.load_decision(conn, i) for i in store.content_sample_ids(conn, f, t, SAMPLE_SIZE)]
    return AmnestyPreview(
        matched + content_matched,
        tuple(sanction_view(s, at=effective) for s in sample),
        content_matched,
        tuple(decision_view(d, at=effective) for d in decisions if d is not None),
    )


def start(
    db: Database,
    f: AmnestyFilter,
    *,
    reason: str,
    effective_at: datetime | None = None,
    backdated_reason: str | None = None,
    caller: Caller,
) -> AmnestyView:
    """Record the amnesty and freeze the sanctions it matches; ``run`` then lifts them. An
    ``effective_at`` more than 24 hours before now needs ``backdated_reason`` (PRODUCT.md section 8)."""
    ensure_text(reason, field="reason", max_length=2000)
    given_why = parse_backdated_reason(backdated_reason)
    now = caller.instant
    effective = effective_at if effective_at is not None else now
    amnesty_id = db.ids.new_id("amn", now)
    operator = f.operator
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        f = _checked_filter(db, uow.conn, f, caller)
        why = backdating_reason(effective, uow.now, given_why, field="effective_at")
        backdated = keep_backdated_reason(uow, operator=operator, subject=f"amnesty:{amnesty_id}", reason=why)
        sanctions_matched = store.freeze_targets(uow.conn, amnesty_id, f, to_micros(effective))
        content_matched = store.freeze_content_targets(uow.conn, amnesty_id, f, to_micros(effective), sanctions_matched)
        matched = sanctions_matched + content_matched
        uow.record(
            [
                NewEvent.of(
                    AmnestyStarted(
                        id=amnesty_id,
                        operator=operator,
                        filter=f.to_dict(),
                        reason=reason,
                        effective_at=format_instant(effective) or "",
                        matched=matched,
                        by=caller.actor,
                        started_at=uow.at,
                        backdated_reason=backdated,
                        # Only when it covers content: an amnesty of sanctions records what it always did.
                        extra={"content_matched": content_matched} if f.covers.content else NO_EXTRA,
                    ),
                    format_instant(effective) or "",
                    operator,
                )
            ]
        )
        store.create_run(uow.conn, amnesty_id, Phase.LIFT, matched, wall_us())
        if matched == 0:
            uow.record([_completed(amnesty_id, operator, uow.at, lifted=0, skipped=0)])
    return get(db, amnesty_id)


def _completed(amnesty_id: str, operator: str, at: str, *, lifted: int, skipped: int) -> NewEvent:
    return NewEvent.of(AmnestyCompleted(id=amnesty_id, lifted=lifted, skipped=skipped, finished_at=at), at, operator)


# --- revert ------------------------------------------------------------------------------


def revert(
    db: Database,
    amnesty_id: str,
    *,
    reason: str,
    caller: Caller,
) -> AmnestyView:
    """Start re-imposing what a completed amnesty lifted; ``run`` does it, batch by batch."""
    ensure_text(reason, field="reason", max_length=2000)
    with UnitOfWork(db, actor=caller.actor, now=caller.instant) as uow:
        row = visible_row(uow.conn, amnesty_id, caller)
        state = AmnestyState(row["state"])
        if state is not AmnestyState.COMPLETED:
            raise ConflictError(
                f"amnesty {amnesty_id} is {state.value}: only a completed amnesty can be reverted"
                + (" (let it finish first)" if state is AmnestyState.RUNNING else "")
            )
        uow.record(
            [
                NewEvent.of(
                    AmnestyRevertStarted(id=amnesty_id, reason=reason, by=caller.actor, started_at=uow.at),
                    uow.at,
                    row["operator_id"],
                )
            ]
        )
        total = int(row["matched"])
        store.create_run(uow.conn, amnesty_id, Phase.REVERT, total, wall_us())
        if total == 0:
            uow.record([_reverted(amnesty_id, row["operator_id"], uow.at, restored=0, left_alone=0)])
    return get(db, amnesty_id)


def _reverted(amnesty_id: str, operator: str, at: str, *, restored: int, left_alone: int) -> NewEvent:
    return NewEvent.of(
        AmnestyReverted(id=amnesty_id, restored=restored, left_alone=left_alone, finished_at=at), at, operator
    )


# --- one batch of a pass (the runner, ``runtime.amnesty``, calls these) -------------------


def lift_batch(db: Database, amnesty: dict[str, Any], owner: str, now: datetime, size: int) -> bool:
    """Lift the next batch in one transaction; False once the pass is over."""
    amnesty_id, operator = amnesty["id"], amnesty["operator_id"]
    t = int(amnesty["effective_at"])
    effective = format_instant(from_micros(t)) or ""
    with UnitOfWork(db, actor=amnesty["created_by"], now=now) as uow:
        current = store.run_row(uow.conn, amnesty_id, Phase.LIFT)
        if current is None or current.done:
            return False
        if current.claimed_by != owner:
            raise store.LeaseLost(amnesty_id)
        upto = min(current.position + size, current.total)
        # The sanctions come first in the work list, the content decisions after them.
        last_sanction = current.total - int(amnesty["content_matched"])
        targets = (
            store.lift_batch(uow.conn, amnesty_id, current.position, min(upto, last_sanction), t)
            if current.position < last_sanction
            else []
        )
        active = [target for target in targets if target.active]
        reason = amnesty["reason"]
        origin = {"amnesty": amnesty_id}
        recorded = uow.record(
            [
                NewEvent.of(SanctionLifted(id=target.sanction_id, reason=reason, extra=origin), effective, operator)
                for target in active
            ]
        )
        if recorded:
            store.record_lift_range(uow.conn, amnesty_id, recorded[0].seq, recorded[-1].seq)
        restored = 0
        if upto > last_sanction:
            restored = _restore_content(
                uow, amnesty, store.content_targets(uow.conn, amnesty_id, max(current.position, last_sanction), upto)
            )
        processed = upto - current.position
        skipped = processed - len(active) - restored
        store.advance(
            uow.conn,
            current,
            owner=owner,
            position=upto,
            processed=processed,
            skipped=skipped,
            now_us=wall_us(),
            lease_us=LEASE_US,
        )
        if upto >= current.total:
            all_skipped = current.skipped + skipped
            all_restored = store.count_restored_content(uow.conn, amnesty_id) if amnesty["content_matched"] else 0
            uow.record(
                [
                    _completed(
                        amnesty_id,
                        operator,
                        uow.at,
                        lifted=current.processed + processed - all_skipped - all_restored,
                        skipped=all_skipped,
                    )
                ]
            )
            return False
    return True


def _restore_content(uow: UnitOfWork, amnesty: dict[str, Any], targets: list[tuple[int, str]]) -> int:
    """Restore the items of the content decisions among ``targets`` still active at the amnesty's
    instant, each with its ``content.restored`` event naming the amnesty; returns how many."""
    amnesty_id, t = amnesty["id"], from_micros(int(amnesty["effective_at"]))
    backdated = personal.text_of_subject(
        uow.conn, operator=amnesty["operator_id"], subject=f"amnesty:{amnesty_id}", kind=REASON_KIND
    )
    command = content_service.RestoreContent(
        amnesty["reason"], t, backdated.value if backdated is not None and backdated.value else None
    )
    restored = 0
    for _position, decision_id in targets:
        decision = content_service.load_for_change(uow, decision_id, None)
        if decision.is_active(t):
            content_service.restore_within(uow, decision, command, {"amnesty": amnesty_id})
            restored += 1
    return restored


def revert_batch(db: Database, amnesty: dict[str, Any], owner: str, now: datetime, size: int) -> bool:
    """Re-impose the next batch of what the amnesty lifted, in one transaction; False once over."""
    amnesty_id, operator = amnesty["id"], amnesty["operator_id"]
    lifted_at = from_micros(int(amnesty["effective_at"]))
    with UnitOfWork(db, actor=amnesty["reverted_by"] or amnesty["created_by"], now=now) as uow:
        current = store.run_row(uow.conn, amnesty_id, Phase.REVERT)
        if current is None or current.done:
            return False
        if current.claimed_by != owner:
            raise store.LeaseLost(amnesty_id)
        upto = min(current.position + size, current.total)
        # Only what nothing has changed since this amnesty's own lift: a later lift, a backdated one,
        # or any other change recorded on the sanction leaves it alone.
        rows = store.revert_batch(uow.conn, amnesty_id, current.position, upto)
        sanctions = queries.load_sanctions(uow.conn, rows)
        starts = max(now, lifted_at)
        planned = [(row.position, s, _reimposed(s, lifted_at, starts)) for row, s in zip(rows, sanctions, strict=True)]
        plans = [p for p in planned if p[2] is not None]
        ids = db.ids.new_ids("snc", now, len(plans))
        events = []
        restored = []
        for (position, sanction, imposed), new_sanction_id in zip(plans, ids, strict=True):
            assert imposed is not None
            imposed = imposed._replace(
                id=new_sanction_id, extra={"amnesty_revert": amnesty_id, "reimposes": sanction.id}
            )
            events.append(NewEvent.of(imposed, imposed.starts_at, operator))
            restored.append((position, new_sanction_id))
        uow.record(events)
        store.mark_restored(uow.conn, amnesty_id, restored)
        processed = upto - current.position
        store.advance(
            uow.conn,
            current,
            owner=owner,
            position=upto,
            processed=processed,
            skipped=processed - len(restored),
            now_us=wall_us(),
            lease_us=LEASE_US,
        )
        if upto >= current.total:
            all_restored = store.count_restored(uow.conn, amnesty_id)
            left_alone = int(amnesty["lifted"]) - all_restored
            uow.record([_reverted(amnesty_id, operator, uow.at, restored=all_restored, left_alone=left_alone)])
            return False
    return True


def _reimposed(sanction: Sanction, lifted_at: datetime, starts: datetime) -> SanctionImposed | None:
    """The sanction.imposed payload putting back what the lift at ``lifted_at`` took away, from
    ``starts`` on: the same subject, identity, scope, kind, denials and reason, for what was left of
    its term; None if that term would have ended by then."""
    term = sanction.term_at(lifted_at)
    if term is None or term.kind is None:
        return None
    held = term.hold_until_review  # in force past its end until its review, which is still owed
    ends_at = term.ends_at
    if ends_at is not None and ends_at <= starts:
        if not held:
            return None
        ends_at = None  # held past its end: in force until the review decides
    review_at = term.review_at if term.review_at is not None and (held or term.review_at > starts) else None
    return SanctionImposed.of(
        id="",  # given once the batch's ids are made
        operator=sanction.operator,
        identity=sanction.identity,
        subject=sanction.subject,
        scope=sanction.scope,
        kind=term.kind.value,
        denies=term.denies,
        starts_at=starts,
        ends_at=ends_at,
        review_at=review_at,
        reason=sanction.reason.to_dict(),
        automated=sanction.automated.to_dict(),
        hold_until_review=held,
    )


# --- reading -----------------------------------------------------------------------------


def visible_row(conn: Connection, amnesty_id: str, caller: Caller | None) -> dict[str, Any]:
    """The amnesty's row; NotFoundError if none the caller sees (None: every operator's)."""
    row = store.amnesty_row(conn, amnesty_id)
    if row is None or (caller is not None and not caller.sees(row["operator_id"])):
        raise NotFoundError(f"no amnesty {amnesty_id!r}")
    return row


def get(db: Database, amnesty_id: str, *, caller: Caller | None = None) -> AmnestyView:
    """An amnesty with its progress; caller None: the installation, which sees every operator's."""
    with db.read() as conn:
        row = visible_row(conn, amnesty_id, caller)
        runs = {r.phase: r for r in store.all_runs(conn, [amnesty_id])}
        reverting = row["state"] == AmnestyState.REVERTING.value
        restored = store.count_restored(conn, amnesty_id) if reverting else 0
        view = amnesty_view(row, runs, now_us=wall_us(), restored_so_far=restored)
        return _with_backdating(conn, view)


def _with_backdating(conn: Connection, view: AmnestyView) -> AmnestyView:
    """``view``, marked backdated with its reason if it was (PRODUCT.md section 8)."""
    kept = personal.text_of_subject(conn, operator=view.operator, subject=f"amnesty:{view.id}", kind=REASON_KIND)
    return view if kept is None else replace(view, backdated=True, backdated_reason=kept.value)


def list_amnesties(db: Database, *, operator: str | None = None, caller: Caller | None = None) -> list[AmnestyView]:
    """Amnesties (of ``operator``, if given) the caller sees (None: every operator's)."""
    with db.read() as conn:
        rows = store.amnesty_rows(conn, operator)
        rows = caller.visible(rows, "operator_id") if caller is not None else rows
        runs: dict[str, dict[str, store.RunRow]] = {}
        for r in store.all_runs(conn, [row["id"] for row in rows]):
            runs.setdefault(r.amnesty_id, {})[r.phase] = r
        now_us = wall_us()
        return [_with_backdating(conn, amnesty_view(row, runs.get(row["id"], {}), now_us=now_us)) for row in rows]


def progress_snapshot(db: Database) -> list[AmnestyProgress]:
    """For ``/metrics``: every amnesty's state and progress, cheaply."""
    with db.read() as conn:
        rows = store.amnesty_rows(conn)
        runs: dict[str, dict[str, store.RunRow]] = {}
        for r in store.all_runs(conn):
            runs.setdefault(r.amnesty_id, {})[r.phase] = r
    result = []
    for row in rows:
        lift = runs.get(row["id"], {}).get(Phase.LIFT.value)
        result.append(
            AmnestyProgress(
                id=row["id"],
                operator=row["operator_id"],
                state=_state(row, runs.get(row["id"], {})),
                matched=int(row["matched"]),
                processed=lift.processed if lift else int(row["matched"]),
            )
        )
    return result


def _state(row: dict[str, Any], runs: dict[str, store.RunRow]) -> AmnestyState:
    state = AmnestyState(row["state"])
    phase = {AmnestyState.RUNNING: Phase.LIFT, AmnestyState.REVERTING: Phase.REVERT}.get(state)
    if phase is not None:
        pass_ = runs.get(phase.value)
        if pass_ is not None and pass_.error is not None:
            return AmnestyState.FAILED
    return state


def _pass_progress(pass_: store.RunRow | None, now_us: int) -> dict[str, Any]:
    if pass_ is None:
        return {"processed": 0, "rate": None, "eta_seconds": None}
    since, base = pass_.started_at, 0
    if pass_.resumed_at is not None and pass_.resumed_from:
        since, base = pass_.resumed_at, pass_.resumed_from  # a resumed pass: its own pace since
    until = pass_.updated_at if pass_.done or pass_.claimed_by is None else now_us
    p = progress(pass_.processed - base, pass_.total - base, started_us=since, now_us=until, finished=bool(pass_.done))
    return {"processed": pass_.processed, "rate": p.rate, "eta_seconds": p.eta_seconds}


def amnesty_view(
    row: dict[str, Any], runs: dict[str, store.RunRow], *, now_us: int, restored_so_far: int = 0
) -> AmnestyView:
    lift = runs.get(Phase.LIFT.value)
    lift_progress = _pass_progress(lift, now_us)
    state = _state(row, runs)
    error = None
    for pass_ in runs.values():
        if pass_.error and state is AmnestyState.FAILED:
            error = pass_.error
    revert = None
    if row["revert_started_at"] is not None:
        back = runs.get(Phase.REVERT.value)
        back_progress = _pass_progress(back, now_us)
        revert = RevertView(
            reason=row["revert_reason"],
            by=row["reverted_by"],
            started_at=from_micros(row["revert_started_at"]),
            finished_at=from_micros(row["reverted_at"]) if row["reverted_at"] is not None else None,
            processed=back_progress["processed"],
            restored=int(row["restored"]) if row["reverted_at"] is not None else restored_so_far,
            left_alone=int(row["left_alone"]) if row["left_alone"] is not None else None,
            rate=back_progress["rate"],
            eta_seconds=back_progress["eta_seconds"],
        )
    return AmnestyView(
        id=row["id"],
        operator=row["operator_id"],
        state=state,
        filter=parse_json(row["filter"]),
        reason=row["reason"],
        effective_at=from_micros(row["effective_at"]),
        matched=int(row["matched"]),
        processed=lift_progress["processed"] if lift else int(row["matched"]),
        lifted=int(row["lifted"]),
        skipped=int(row["skipped"]) if row["skipped"] is not None else (lift.skipped if lift else 0),
        rate=lift_progress["rate"],
        eta_seconds=lift_progress["eta_seconds"],
        started_at=from_micros(row["started_at"]),
        finished_at=from_micros(row["finished_at"]) if row["finished_at"] is not None else None,
        created_by=row["created_by"],
        error=error,
        revert=revert,
        content_matched=int(row["content_matched"]),
        content_restored=int(row["content_restored"]),
    )
