"""The amnesty runner: runs an amnesty's pending pass (its lifts, or a revert's re-impositions)
batch by batch (``services.amnesty.lift_batch``/``revert_batch``), in this thread or in the
background, and resumes after a crash what a stopped process left.

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
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reprieve.domain.amnesty import AmnestyState, Phase
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.time import format_instant, from_micros
from reprieve.services.amnesty import (
    LEASE_US,
    AmnestyView,
    get,
    lift_batch,
    revert_batch,
    visible_row,
    wall_us,
)
from reprieve.store import amnesty as store
from reprieve.store.db import Database

log = logging.getLogger(__name__)

#: Targets per transaction: large enough to amortise the statements, small enough that other
#: writers wait at most a fraction of a second between two batches.
BATCH_SIZE = 10_000

ProgressCallback = Callable[[AmnestyView], None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
        now_us = wall_us()
        if store.claim(conn, amnesty_id, phase, owner, now_us, LEASE_US):
            claimed = store.run_row(conn, amnesty_id, phase)
            assert claimed is not None
            return claimed
        if _owner_is_gone(run_row.claimed_by):  # killed: its lease need not run out
            taken = store.take_over(conn, amnesty_id, phase, run_row.claimed_by, owner, now_us, LEASE_US)
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
) -> AmnestyView:
    """Process the amnesty's pending pass to its end, then return it.

    Events are recorded at ``now`` if given, else at ``clock()`` (default: the wall clock) for each
    batch. Raises ConflictError if another live process holds the pass.
    """
    if batch_size < 1:
        raise ValidationError("must be at least 1", field="batch_size")
    with db.read() as conn:
        row = visible_row(conn, amnesty_id, None)
    state = AmnestyState(row["state"])
    if state not in (AmnestyState.RUNNING, AmnestyState.REVERTING):
        return get(db, amnesty_id)
    phase = Phase.LIFT if state is AmnestyState.RUNNING else Phase.REVERT
    me = owner or new_owner()
    claimed = _claim(db, amnesty_id, phase, me)
    instant: Callable[[], datetime] = (lambda: now) if now is not None else (clock or _utc_now)
    try:
        if not claimed.done:
            step = lift_batch if phase is Phase.LIFT else revert_batch
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


def resume_unfinished(db: Database, *, now: datetime | None = None) -> list[str]:
    """Run to their end the passes nobody is working on (after a crash or a restart); returns the
    ids of the amnesties it finished. A pass another live process holds is left to it."""
    with db.read() as conn:
        candidates = store.unfinished_runs(conn, wall_us())
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
