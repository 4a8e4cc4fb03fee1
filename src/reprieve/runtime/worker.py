"""The worker: announces what time has done, delivers webhooks, publishes to the broker, and runs
the Transparency Database submissions the API and the CLI request (in a thread of its own).

Enforcement never waits for it (time is computed, PRODUCT.md section 3): it only *announces*
that a scheduled sanction started, a term ran out, a review fell due, an appeal waited past its
operator's target, a probation ended. Each announcement is an event in the log (so it reaches
webhooks and the broker through the outbox) and is made exactly once: its key is recorded in
``announcements`` in the event's own transaction, under the chain head's lock, and each kind of
announcement is a work partition leased to one worker at a time, which scans only what fell due
or changed since its watermark.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from reprieve.domain.events import (
    NO_EXTRA,
    AppealOverdue,
    NewEvent,
    ProbationEnded,
    ReviewDue,
    SanctionEnded,
    SanctionStarted,
)
from reprieve.domain.time import format_instant, from_micros, parse_duration, parse_instant, to_micros
from reprieve.dsa.submit import TdbSettings, Transport, urllib_transport
from reprieve.runtime import amnesty, broker, webhooks
from reprieve.services import appeal_targets, evidence, people, publishing, transparency
from reprieve.services.appeal_targets import DEFAULT_APPEAL_TARGET
from reprieve.services.callers import WORKER_ACTOR
from reprieve.store import eventlog
from reprieve.store import worker as store
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

log = logging.getLogger("reprieve.worker")

ACTOR = WORKER_ACTOR
LEASE_US = 60 * 1_000_000
#: Delivered outbox rows are kept this long (the delivery history the API lists), then forgotten.
KEEP_DELIVERED_US = 7 * 24 * 3600 * 1_000_000
PRUNE_EVERY_US = 60 * 1_000_000
#: How often the personal data of closed cases past their operator's retention is purged.
PURGE_EVERY_US = 60 * 1_000_000


def utc_now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


# --- what fell due -----------------------------------------------------------------------


class Due(NamedTuple):
    key: str
    effective_us: int
    operator: str
    event: SanctionStarted | SanctionEnded | ReviewDue | AppealOverdue | ProbationEnded


class Page(NamedTuple):
    """What one page of a scan found, and the id the next page starts after (None: the last page)."""

    dues: list[Due]
    next_after: str | None


#: Rows a scan reads, and announcements a transaction records, at most: a first run over years
#: of history (every term that ever ended) is announced page by page, each page committed,
#: rather than in one transaction holding it all in memory.
PAGE = 1_000


def _iso(us: int) -> str:
    return format_instant(from_micros(us)) or ""


def _subject(row: Any) -> dict[str, str]:
    return {"platform": row.subject_platform, "account": row.subject_account}


def _next_after(rows: list[Any], limit: int) -> str | None:
    return str(rows[-1].id) if len(rows) >= limit else None


def scan_started(conn: Connection, now_us: int, since_us: int, since_seq: int, after: str, limit: int) -> Page:
    """Sanctions recorded before their start (scheduled) whose start has come, unless lifted before."""
    rows = store.sanction_rows(conn, "starts_at", now_us, since_us, since_seq, after, limit)
    seqs = sorted({r.created_seq for r in rows})
    recorded = {seq: to_micros(parse_instant(at)) for seq, at in store.recorded_at(conn, seqs).items()}
    return Page(
        [
            Due(
                f"sanction.started:{r.id}",
                r.starts_at,
                r.operator_id,
                SanctionStarted(r.id, _subject(r), _iso(r.starts_at)),
            )
            for r in rows
            if r.starts_at > recorded.get(r.created_seq, r.starts_at)
            and (r.lifted_at is None or r.lifted_at > r.starts_at)
        ],
        _next_after(rows, limit),
    )


def scan_ended(conn: Connection, now_us: int, since_us: int, since_seq: int, after: str, limit: int) -> Page:
    """Sanctions whose term ran out (not lifted before)."""
    rows = store.sanction_rows(conn, "ends_at", now_us, since_us, since_seq, after, limit)
    return Page(
        [
            Due(
                f"sanction.ended:{r.id}:{r.ends_at}",
                r.ends_at,
                r.operator_id,
                SanctionEnded(r.id, _subject(r), _iso(r.ends_at)),
            )
            for r in rows
            if r.starts_at < r.ends_at and (r.lifted_at is None or r.lifted_at >= r.ends_at)
        ],
        _next_after(rows, limit),
    )


def scan_reviews(conn: Connection, now_us: int, since_us: int, since_seq: int, after: str, limit: int) -> Page:
    """Sanctions whose review instant came while they were in force (the end of the term included)."""
    rows = store.sanction_rows(conn, "review_at", now_us, since_us, since_seq, after, limit)
    return Page(
        [
            Due(
                f"review.due:{r.id}:{r.review_at}",
                r.review_at,
                r.operator_id,
                ReviewDue(r.id, _subject(r), _iso(r.review_at)),
            )
            for r in rows
            if (r.lifted_at is None or r.lifted_at > r.review_at) and (r.ends_at is None or r.ends_at >= r.review_at)
        ],
        _next_after(rows, limit),
    )


def scan_appeals(conn: Connection, now_us: int, since_us: int, since_seq: int, after: str, limit: int) -> Page:
    """Open appeals older than their operator's target. Open appeals are few: all are looked at."""
    targets = appeal_targets.appeal_targets(conn)
    found = []
    rows = store.open_appeal_rows(conn, now_us, after, limit)
    for r in rows:
        target = parse_duration(targets.get(r.operator_id, DEFAULT_APPEAL_TARGET))
        due_us = to_micros(target.after(from_micros(r.received_at)))
        if due_us <= now_us:
            found.append(
                Due(
                    f"appeal.overdue:{r.id}",
                    due_us,
                    r.operator_id,
                    AppealOverdue(
                        r.id,
                        r.sanction_id,
                        r.kind,
                        _iso(r.received_at),
                        str(target),
                        {"content_decision": r.content_decision_id}
                        if r.content_decision_id
                        else {"notice": r.notice_id}
                        if r.notice_id
                        else NO_EXTRA,
                    ),
                )
            )
    return Page(found, _next_after(rows, limit))


def scan_probations(conn: Connection, now_us: int, since_us: int, since_seq: int, after: str, limit: int) -> Page:
    """Probations whose period is over (one announcement per probation, naming its platforms)."""
    rows, next_after = store.ended_probation_rows(conn, now_us, since_us, since_seq, after, limit)
    grouped: dict[str, tuple[Any, list[str]]] = {}
    for r in rows:
        grouped.setdefault(r.id, (r, []))[1].append(r.platform_id)
    return Page(
        [
            Due(
                f"probation.ended:{id_}",
                r.until,
                r.operator_id,
                ProbationEnded(id_, r.identity_id, r.sanction_id, platforms, _iso(r.until)),
            )
            for id_, (r, platforms) in grouped.items()
        ],
        next_after,
    )


#: ``scan(conn, now_us, since_us, since_seq, after, limit)``: a page of what fell due, by id.
Scanner = Callable[[Connection, int, int, int, str, int], Page]
#: The work partitions (rows of ``worker_partitions``, made by the migration) and their scans.
PARTITIONS: dict[str, Scanner] = {
    "sanction.started": scan_started,
    "sanction.ended": scan_ended,
    "review.due": scan_reviews,
    "appeal.overdue": scan_appeals,
    "probation.ended": scan_probations,
}


def release_leases(db: Database, *, owner: str) -> None:
    store.release_leases(db, owner=owner)


def announce_partition(db: Database, name: str, *, now: datetime, owner: str) -> int:
    """Announce what fell due in partition ``name``, if we hold its lease; how many announcements.

    Page by page (``PAGE``), each page's announcements in a transaction of their own, so that a
    long backlog (a first run over years of history) holds neither one huge transaction nor all
    of it in memory, and what is done stays done if the worker stops half-way: each
    announcement's key is recorded with it, and the next run skips what is there. The
    partition's watermarks move once the whole scan is done."""
    now_us = to_micros(now)
    marks = store.take_lease(db, name, owner=owner, now_us=now_us, lease_us=LEASE_US)
    if marks is None:
        return 0
    since_us, since_seq = marks
    with db.read() as conn:
        # The head first: whatever committed before it is visible to the scans that follow.
        head_seq, _ = eventlog.head(conn)
    scan = PARTITIONS[name]
    announced = 0
    after = ""
    while True:
        with db.read() as conn:
            page = scan(conn, now_us, since_us, since_seq, after, PAGE)
            dues = page.dues
            if dues:
                seen = store.announced(conn, [d.key for d in dues])
                dues = [d for d in dues if d.key not in seen]
        if dues:
            announced += _record(db, dues, now=now)
        if page.next_after is None:
            break
        after = page.next_after
        log.info(
            "announcing %s: %d so far, going on after %s",
            name,
            announced,
            after,
            extra={"fields": {"partition": name, "announced": announced, "after": after}},
        )
        if store.take_lease(db, name, owner=owner, now_us=now_us, lease_us=LEASE_US) is None:
            return announced  # another worker took the partition over: it goes on from the watermarks
    store.move_watermarks(
        db, name, owner=owner, scanned_until=max(since_us, now_us), scanned_seq=max(since_seq, head_seq)
    )
    return announced


def _record(db: Database, dues: list[Due], *, now: datetime) -> int:
    """Record the announcements of ``dues`` not made yet, in one transaction; how many."""
    with UnitOfWork(db, actor=ACTOR, now=now) as uow:
        # Under the chain head's lock: a key seen here cannot be written by anyone else meanwhile.
        seen = store.announced(uow.conn, [d.key for d in dues])
        fresh = sorted((d for d in dues if d.key not in seen), key=lambda d: (d.effective_us, d.key))
        if not fresh:
            return 0
        recorded = uow.record([NewEvent.of(d.event, _iso(d.effective_us), d.operator) for d in fresh])
        store.record_announcements(uow.conn, [(d.key, r.seq) for d, r in zip(fresh, recorded, strict=True)])
    return len(fresh)


def announce(db: Database, *, now: datetime, owner: str) -> int:
    return sum(announce_partition(db, name, now=now, owner=owner) for name in PARTITIONS)


def resume_amnesties(db: Database, *, now: datetime) -> None:
    """Run to their end the amnesty passes nobody is working on (``runtime.amnesty.resume_unfinished``)."""
    amnesty.resume_unfinished(db, now=now)


# --- the loop ----------------------------------------------------------------------------


@dataclass
class CycleReport:
    announced: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    published: int = 0
    publish_retried: int = 0
    submissions: int = 0  #: Transparency Database submission runs taken up (run in the background)
    purged: int = 0  #: people whose closed cases' personal data the retention period purged
    evidence_forgotten: int = 0  #: content decisions whose evidence was forgotten (``services.evidence``)

    @property
    def busy(self) -> bool:
        return bool(self.announced or self.delivered or self.published)


class Worker:
    """``async with Worker(db) as worker: await worker.run()``; ``await worker.cycle()`` does one round."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        owner: str | None = None,
        nats_url: str | None = None,
        batch: int = 1000,
        concurrency: int = 64,
        http_timeout: float = 10.0,
        rng: random.Random | None = None,
        tdb: TdbSettings | None = None,
        tdb_transport: Transport = urllib_transport,
        tdb_sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.owner = owner or worker_name()
        self.batch = batch
        self.concurrency = concurrency
        self.http_timeout = http_timeout
        self.rng = rng or random.Random()
        self.publisher = broker.Publisher(nats_url) if nats_url else None
        self.sender: webhooks.Sender | None = None
        self._pruned_at = 0
        self._purged_at = 0
        #: None: read from the environment at each cycle (``REPRIEVE_TDB_URL``, ``REPRIEVE_TDB_TOKEN_*``).
        self.tdb = tdb
        self.tdb_transport = tdb_transport
        self.tdb_sleep = tdb_sleep  #: how a run waits out a 429 or 5xx (None: until then, or until stopped)
        self._submitting: threading.Thread | None = None
        self._stop_submitting = threading.Event()

    async def __aenter__(self) -> Worker:
        self.sender = webhooks.Sender(self.concurrency, self.http_timeout)
        if self.publisher is not None:
            publishing.enable_broker(self.db, actor=ACTOR, now=self.clock())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop_submitting.set()  # a run stops after its current batch (or wait), and is handed on
        await self.settle()
        if self.sender is not None:
            self.sender.close()
        if self.publisher is not None:
            await self.publisher.close()
        release_leases(self.db, owner=self.owner)

    async def cycle(self) -> CycleReport:
        assert self.sender is not None, "use the worker as an async context manager"
        report = CycleReport()
        now = self.clock()
        try:
            resume_amnesties(self.db, now=now)
        except Exception:  # another feature's failure must not stop announcements and deliveries
            log.exception("resuming an amnesty failed")
        report.announced = announce(self.db, now=now, owner=self.owner)
        now_us = to_micros(now)
        if now_us - self._pruned_at >= PRUNE_EVERY_US:
            store.prune_outbox(self.db, before_us=now_us - KEEP_DELIVERED_US)
            self._pruned_at = now_us
        if now_us - self._purged_at >= PURGE_EVERY_US:
            try:
                report.purged = people.purge_closed_cases(self.db, now=now)
            except Exception:  # a failed purge is tried again at the next pass; deliveries go on
                log.exception("purging closed cases' personal data failed")
            try:  # notifiers' data, once the six months to contest their notice's decision are over
                report.purged += people.purge_decided_notices(self.db, now=now)
            except Exception:  # the same: tried again at the next pass
                log.exception("purging decided notices' personal data failed")
            try:
                report.evidence_forgotten = evidence.forget_expired_evidence(self.db, now=now)
            except Exception:  # the same: tried again at the next pass
                log.exception("forgetting content decisions' evidence failed")
            self._purged_at = now_us
        delivered = await webhooks.deliver_due(
            self.db,
            self.sender,
            now=self.clock,
            owner=self.owner,
            limit=self.batch,
            rounds=10,
            rng=self.rng,
        )
        report.delivered, report.retried, report.dead = delivered.delivered, delivered.retried, delivered.dead
        report.submissions = self.start_submission()
        if self.publisher is not None:
            published = await broker.publish_due(
                self.db, self.publisher, now=self.clock, owner=self.owner, limit=self.batch, rng=self.rng
            )
            report.published, report.publish_retried = published.delivered, published.retried
        return report

    def start_submission(self) -> int:
        """Take up a due Transparency Database submission run in a thread, unless one is running;
        1 if one was taken up. The thread sends, waits out 429 and 5xx answers and records progress
        in the run; the cycle goes on meanwhile (announcements and deliveries never wait for it)."""
        if self._submitting is not None and self._submitting.is_alive():
            return 0
        settings = self.tdb or TdbSettings.from_env()
        if settings.url is None or self._stop_submitting.is_set():
            return 0
        run_id = transparency.claim_run(self.db, owner=self.owner, now=self.clock())
        if run_id is None:
            return 0

        def run() -> None:
            try:
                done = transparency.execute_run(
                    self.db,
                    settings,
                    run_id,
                    owner=self.owner,
                    transport=self.tdb_transport,
                    clock=self.clock,
                    sleep=self.tdb_sleep,
                    stop=self._stop_submitting,
                )
                log.info(
                    "submission %s: %s",
                    run_id,
                    done.run.state,
                    extra={"fields": {"run": run_id, "state": done.run.state, "progress": dict(done.run.progress)}},
                )
            except Exception:  # the run stays leased until its lease runs out, then is taken up again
                log.exception("submission %s failed", run_id)

        self._submitting = threading.Thread(target=run, name=f"tdb-{run_id}", daemon=True)
        self._submitting.start()
        return 1

    async def settle(self) -> None:
        """Wait for the submission run in progress, if any, to end (done, failed, waiting or handed on)."""
        if self._submitting is not None:
            await asyncio.to_thread(self._submitting.join)

    async def run(self, *, interval: float = 1.0, stop: asyncio.Event | None = None) -> None:
        """Cycle until ``stop`` is set: at once again while there is work, else after ``interval`` seconds."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                report = await self.cycle()
            except Exception:  # the database restarting, a secret key changed: say so, and go on
                log.exception("worker cycle failed; trying again in %s s", interval)
                report = CycleReport()
            if report.busy:
                log.info("worker cycle", extra={"fields": {"owner": self.owner, **dataclasses.asdict(report)}})
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
