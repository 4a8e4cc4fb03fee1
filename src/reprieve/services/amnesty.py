"""Amnesties: a bulk lift that can be previewed, watched, resumed after a crash, and reverted.

Public interface, kept stable for the API, the CLI, the console, the worker and ``/metrics``:

    preview(db, *, operator, platforms=None, kinds=None, states=None, started_before=None,
            exclude_categories=None, exclude_policies=None, effective_at=None, now, operators=None)
        -> {"matched": int, "sample": [sanction, ...]}          (changes nothing)
    start(db, *, operator, reason, <the filter, as preview>, effective_at=None, caller, now, operators=None)
        -> amnesty                      (records amnesty.started and freezes the matched set; lifts nothing yet)
    run(db, amnesty_id, *, now=None, clock=None, batch_size=BATCH_SIZE, on_progress=None) -> amnesty
        processes the pending pass (lifts, or a revert's re-impositions) to its end, one transaction per
        batch; safe to call again after a crash: it continues after the last committed batch
    get(db, amnesty_id, *, operators=None, now=None) -> amnesty
    list_amnesties(db, *, operator=None, operators=None) -> [amnesty, ...]
    revert(db, amnesty_id, *, reason, caller, now, operators=None) -> amnesty
        (records amnesty.revert_started; ``run`` then re-imposes what the amnesty lifted)
    resume_unfinished(db, *, now=None) -> [amnesty id, ...]
        claims every pass left unfinished (its lease expired, or its process is gone) and runs it
    run_in_background(db, amnesty_id, *, clock=None) / resume_in_background(db) / join_background(timeout)
    progress_snapshot(db) -> [{"id", "operator", "state", "matched", "processed"}, ...]

``operators`` restricts what the caller may see (None: everything), as in the other services;
another operator's amnesty is "not found". An amnesty dict holds: id, operator, state (running,
completed, reverting, reverted, failed), filter, reason, effective_at, matched, processed, lifted,
skipped, rate (per s), eta_seconds, started_at, finished_at, created_by, error, revert (null, or
reason, by, started_at, finished_at, processed, restored, left_alone, rate, eta_seconds).

Each pass holds a lease (``claimed_by``/``lease_until``) renewed by every batch, and every batch
moves the cursor only if it still holds it: two processes never work on one amnesty at once.
A lease whose process is gone (same machine, pid no longer alive) is taken over at once;
otherwise it is taken over once it expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from reprieve.domain.amnesty import (
    SAMPLE_SIZE,
    AmnestyFilter,
    AmnestyState,
    Phase,
    make_filter,
    progress,
)
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.events import (
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
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.services.due_process import Caller
from reprieve.services.views import sanction_view
from reprieve.store import amnesty as store
from reprieve.store import queries
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

log = logging.getLogger(__name__)

#: Targets per transaction: large enough to amortise the statements, small enough that other
#: writers wait at most a fraction of a second between two batches.
BATCH_SIZE = 10_000
#: How long a pass stays claimed without a batch committing (renewed by every batch).
LEASE_SECONDS = 60
_LEASE_US = LEASE_SECONDS * 1_000_000

ProgressCallback = Callable[[dict[str, Any]], None]


def _wall_us() -> int:
    return int(time.time() * 1_000_000)


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- preview and start -------------------------------------------------------------------


def _checked_filter(
    db: Database, conn: Connection, operator: str, operators: Sequence[str] | None, **fields: Any
) -> AmnestyFilter:
    f = make_filter(operator, **fields)
    if (operators is not None and operator not in operators) or queries.operator_row(conn, operator) is None:
        raise NotFoundError(f"no operator {operator!r}")
    for platform_id in f.platforms:
        platform = db.platform(conn, platform_id)
        if platform is None or platform.operator != operator:
            raise ValidationError(f"operator {operator!r} has no platform {platform_id!r}", field="platforms")
    return f


def preview(
    db: Database,
    *,
    operator: str,
    platforms: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    started_before: str | datetime | None = None,
    exclude_categories: Sequence[str] | None = None,
    exclude_policies: Sequence[str] | None = None,
    effective_at: str | datetime | None = None,
    now: datetime,
    operators: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A dry run: how many sanctions the amnesty would lift at ``effective_at``, and the first 20."""
    effective = parse_instant(effective_at, field="effective_at") if effective_at is not None else now
    with db.read() as conn:
        f = _checked_filter(
            db,
            conn,
            operator,
            operators,
            platforms=platforms,
            kinds=kinds,
            states=states,
            started_before=started_before,
            exclude_categories=exclude_categories,
            exclude_policies=exclude_policies,
        )
        t = to_micros(effective)
        matched = store.count_matching(conn, f, t)
        sample = queries.load_sanctions(conn, store.sample_rows(conn, f, t, SAMPLE_SIZE))
    return {"matched": matched, "sample": [sanction_view(s, at=effective) for s in sample]}


def start(
    db: Database,
    *,
    operator: str,
    reason: str,
    platforms: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    started_before: str | datetime | None = None,
    exclude_categories: Sequence[str] | None = None,
    exclude_policies: Sequence[str] | None = None,
    effective_at: str | datetime | None = None,
    caller: Caller,
    now: datetime,
    operators: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Record the amnesty and freeze the sanctions it matches; ``run`` then lifts them."""
    ensure_text(reason, field="reason", max_length=2000)
    effective = parse_instant(effective_at, field="effective_at") if effective_at is not None else now
    amnesty_id = db.ids.new_id("amn", now)
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        f = _checked_filter(
            db,
            uow.conn,
            operator,
            operators,
            platforms=platforms,
            kinds=kinds,
            states=states,
            started_before=started_before,
            exclude_categories=exclude_categories,
            exclude_policies=exclude_policies,
        )
        matched = store.freeze_targets(uow.conn, amnesty_id, f, to_micros(effective))
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
                    ),
                    format_instant(effective) or "",
                    operator,
                )
            ]
        )
        store.create_run(uow.conn, amnesty_id, Phase.LIFT, matched, _wall_us())
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
    now: datetime,
    operators: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Start re-imposing what a completed amnesty lifted; ``run`` does it, batch by batch."""
    ensure_text(reason, field="reason", max_length=2000)
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        row = _visible_row(uow.conn, amnesty_id, operators)
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
        store.create_run(uow.conn, amnesty_id, Phase.REVERT, total, _wall_us())
        if total == 0:
            uow.record([_reverted(amnesty_id, row["operator_id"], uow.at, restored=0, left_alone=0)])
    return get(db, amnesty_id)


def _reverted(amnesty_id: str, operator: str, at: str, *, restored: int, left_alone: int) -> NewEvent:
    return NewEvent.of(
        AmnestyReverted(id=amnesty_id, restored=restored, left_alone=left_alone, finished_at=at), at, operator
    )


# --- running the passes ------------------------------------------------------------------


def new_owner() -> str:
    """How a lease names this process: host, pid, and a token of this attempt."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def _owner_is_gone(owner: str | None) -> bool:
    """True if ``owner`` was a process of this machine that no longer runs."""
    if owner is None:
        return True
    host, _, rest = owner.partition("/")
    pid_text = rest.partition("/")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _write(db: Database) -> Any:
    return db.engine.connect().execution_options(reprieve_write=True)


def _claim(db: Database, amnesty_id: str, phase: Phase, owner: str) -> store.RunRow:
    """Take the pass, or raise ConflictError naming the live process that holds it."""
    with _write(db) as conn, conn.begin():
        run_row = store.run_row(conn, amnesty_id, phase)
        if run_row is None:
            raise NotFoundError(f"amnesty {amnesty_id} has no {phase.value} pass")
        if run_row.done:
            return run_row
        now_us = _wall_us()
        if store.claim(conn, amnesty_id, phase, owner, now_us, _LEASE_US):
            claimed = store.run_row(conn, amnesty_id, phase)
            assert claimed is not None
            return claimed
        if _owner_is_gone(run_row.claimed_by):  # killed: its lease need not run out
            taken = store.take_over(conn, amnesty_id, phase, run_row.claimed_by, owner, now_us, _LEASE_US)
            if taken:
                claimed = store.run_row(conn, amnesty_id, phase)
                assert claimed is not None
                return claimed
    raise ConflictError(
        f"amnesty {amnesty_id} is being processed by {run_row.claimed_by} "
        f"(lease until {format_instant(from_micros(run_row.lease_until or 0))})"
    )


def run(
    db: Database,
    amnesty_id: str,
    *,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Process the amnesty's pending pass to its end, then return it.

    Events are recorded at ``now`` if given, else at ``clock()`` (default: the wall clock) for each
    batch. Raises ConflictError if another live process holds the pass.
    """
    if batch_size < 1:
        raise ValidationError("must be at least 1", field="batch_size")
    with db.read() as conn:
        row = _visible_row(conn, amnesty_id, None)
    state = AmnestyState(row["state"])
    if state not in (AmnestyState.RUNNING, AmnestyState.REVERTING):
        return get(db, amnesty_id)
    phase = Phase.LIFT if state is AmnestyState.RUNNING else Phase.REVERT
    me = owner or new_owner()
    claimed = _claim(db, amnesty_id, phase, me)
    instant: Callable[[], datetime] = (lambda: now) if now is not None else (clock or _utc_now)
    try:
        if not claimed.done:
            step = _lift_batch if phase is Phase.LIFT else _revert_batch
            while step(db, row, me, instant(), batch_size):
                if on_progress is not None:
                    on_progress(get(db, amnesty_id))
    except store.LeaseLost:
        log.warning("amnesty %s: lease lost; another process continues it", amnesty_id)
        raise ConflictError(f"amnesty {amnesty_id}: another process took over its {phase.value} pass") from None
    except KeyboardInterrupt:
        _release(db, amnesty_id, phase, me, None)
        raise
    except Exception as exc:
        log.exception("amnesty %s: %s pass failed", amnesty_id, phase.value)
        _release(db, amnesty_id, phase, me, f"{type(exc).__name__}: {exc}"[:2000])
        raise
    result = get(db, amnesty_id)
    if on_progress is not None:
        on_progress(result)
    return result


def _release(db: Database, amnesty_id: str, phase: Phase, owner: str, error: str | None) -> None:
    with _write(db) as conn, conn.begin():
        store.release(conn, amnesty_id, phase, owner, error)


def _lift_batch(db: Database, amnesty: dict[str, Any], owner: str, now: datetime, size: int) -> bool:
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
        targets = store.lift_batch(uow.conn, amnesty_id, current.position, upto, t)
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
        processed = upto - current.position
        skipped = processed - len(active)
        store.advance(
            uow.conn,
            current,
            owner=owner,
            position=upto,
            processed=processed,
            skipped=skipped,
            now_us=_wall_us(),
            lease_us=_LEASE_US,
        )
        if upto >= current.total:
            all_skipped = current.skipped + skipped
            uow.record(
                [
                    _completed(
                        amnesty_id,
                        operator,
                        uow.at,
                        lifted=current.processed + processed - all_skipped,
                        skipped=all_skipped,
                    )
                ]
            )
            return False
    return True


def _revert_batch(db: Database, amnesty: dict[str, Any], owner: str, now: datetime, size: int) -> bool:
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
            now_us=_wall_us(),
            lease_us=_LEASE_US,
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
    if term.ends_at is not None and term.ends_at <= starts:
        return None
    review_at = term.review_at if term.review_at is not None and term.review_at > starts else None
    return SanctionImposed.of(
        id="",  # given once the batch's ids are made
        operator=sanction.operator,
        identity=sanction.identity,
        subject=sanction.subject,
        scope=sanction.scope,
        kind=term.kind.value,
        denies=term.denies,
        starts_at=starts,
        ends_at=term.ends_at,
        review_at=review_at,
        reason=sanction.reason.to_dict(),
        automated=sanction.automated.to_dict(),
    )


def resume_unfinished(db: Database, *, now: datetime | None = None) -> list[str]:
    """Run to their end the passes nobody is working on (after a crash or a restart); returns the
    ids of the amnesties it finished. A pass another live process holds is left to it."""
    with db.read() as conn:
        candidates = store.unfinished_runs(conn, _wall_us())
        dead = [r for r in store.all_runs(conn) if not r.done and r.error is None and _owner_is_gone(r.claimed_by)]
    finished = []
    for amnesty_id in dict.fromkeys([r.amnesty_id for r in candidates] + [r.amnesty_id for r in dead]):
        try:
            run(db, amnesty_id, now=now)
        except ConflictError:
            continue  # another process got it first
        finished.append(amnesty_id)
    return finished


# --- background runs (the API server) ----------------------------------------------------

_background: list[threading.Thread] = []
_background_lock = threading.Lock()


def run_in_background(
    db: Database, amnesty_id: str | None = None, *, clock: Callable[[], datetime] | None = None
) -> threading.Thread:
    """Run one amnesty's pending pass (or, with no id, every unfinished one) in a daemon thread."""

    def work() -> None:
        try:
            if amnesty_id is None:
                resume_unfinished(db)
            else:
                run(db, amnesty_id, clock=clock)
        except ConflictError as exc:
            log.info("amnesty: %s", exc.message)
        except Exception:  # logged by run(), and recorded as the pass's error
            log.debug("amnesty %s stopped", amnesty_id, exc_info=True)

    thread = threading.Thread(target=work, name=f"amnesty-{amnesty_id or 'resume'}", daemon=True)
    with _background_lock:
        _background[:] = [t for t in _background if t.is_alive()]
        _background.append(thread)
    thread.start()
    return thread


def resume_in_background(db: Database) -> threading.Thread:
    """At server start-up: continue, in the background, the amnesties a stopped process left."""
    return run_in_background(db)


def join_background(timeout: float | None = None) -> bool:
    """Wait for the background runs started so far; True if they all ended."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _background_lock:
        threads = list(_background)
    for thread in threads:
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)


# --- reading -----------------------------------------------------------------------------


def _visible_row(conn: Connection, amnesty_id: str, operators: Sequence[str] | None) -> dict[str, Any]:
    row = store.amnesty_row(conn, amnesty_id)
    if row is None or (operators is not None and row["operator_id"] not in operators):
        raise NotFoundError(f"no amnesty {amnesty_id!r}")
    return row


def get(
    db: Database, amnesty_id: str, *, operators: Sequence[str] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """An amnesty with its progress."""
    with db.read() as conn:
        row = _visible_row(conn, amnesty_id, operators)
        runs = {r.phase: r for r in store.all_runs(conn, [amnesty_id])}
        reverting = row["state"] == AmnestyState.REVERTING.value
        restored = store.count_restored(conn, amnesty_id) if reverting else 0
    return amnesty_view(row, runs, now_us=to_micros(now) if now is not None else _wall_us(), restored_so_far=restored)


def list_amnesties(
    db: Database, *, operator: str | None = None, operators: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = [r for r in store.amnesty_rows(conn, operator) if operators is None or r["operator_id"] in operators]
        runs: dict[str, dict[str, store.RunRow]] = {}
        for r in store.all_runs(conn, [row["id"] for row in rows]):
            runs.setdefault(r.amnesty_id, {})[r.phase] = r
    now_us = _wall_us()
    return [amnesty_view(row, runs.get(row["id"], {}), now_us=now_us) for row in rows]


def progress_snapshot(db: Database) -> list[dict[str, Any]]:
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
            {
                "id": row["id"],
                "operator": row["operator_id"],
                "state": _state(row, runs.get(row["id"], {})).value,
                "matched": int(row["matched"]),
                "processed": lift.processed if lift else int(row["matched"]),
            }
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
) -> dict[str, Any]:
    lift = runs.get(Phase.LIFT.value)
    lift_progress = _pass_progress(lift, now_us)
    state = _state(row, runs)
    lifted = int(row["lifted"])
    view: dict[str, Any] = {
        "id": row["id"],
        "operator": row["operator_id"],
        "state": state.value,
        "filter": parse_json(row["filter"]),
        "reason": row["reason"],
        "effective_at": format_instant(from_micros(row["effective_at"])),
        "matched": int(row["matched"]),
        "processed": lift_progress["processed"] if lift else int(row["matched"]),
        "lifted": lifted,
        "skipped": int(row["skipped"]) if row["skipped"] is not None else (lift.skipped if lift else 0),
        "rate": lift_progress["rate"],
        "eta_seconds": lift_progress["eta_seconds"],
        "started_at": format_instant(from_micros(row["started_at"])),
        "finished_at": format_instant(from_micros(row["finished_at"])) if row["finished_at"] is not None else None,
        "created_by": row["created_by"],
        "error": None,
        "revert": None,
    }
    for pass_ in runs.values():
        if pass_.error and state is AmnestyState.FAILED:
            view["error"] = pass_.error
    if row["revert_started_at"] is not None:
        back = runs.get(Phase.REVERT.value)
        back_progress = _pass_progress(back, now_us)
        view["revert"] = {
            "reason": row["revert_reason"],
            "by": row["reverted_by"],
            "started_at": format_instant(from_micros(row["revert_started_at"])),
            "finished_at": format_instant(from_micros(row["reverted_at"])) if row["reverted_at"] is not None else None,
            "processed": back_progress["processed"],
            "restored": int(row["restored"]) if row["reverted_at"] is not None else restored_so_far,
            "left_alone": int(row["left_alone"]) if row["left_alone"] is not None else None,
            "rate": back_progress["rate"],
            "eta_seconds": back_progress["eta_seconds"],
        }
    return view
