"""Standing of one account as it stood at a past instant (``at = as_of``), with a million sanctions
recorded over three years, beside the present's standing measured in the same run.

    python bench/standing_as_of.py --backend sqlite|postgresql [--count N | --quick] [--lookups K] [--changes C]

The history: the sanctions are imported in ten batches, recorded 120 days apart over three years
(each batch's recording instant after the one before: "recorded by T" is a prefix of the log);
then ``--changes`` of them (default 10,000), drawn at random, are changed at recording instants
spread over the same years, after their creation: half lifted, half given a new end.

Target (issue 22): at 1,000,000 sanctions, standing with ``as_of`` in the past p50 <= 2 ms and
p99 <= 10 ms on SQLite. The past instant is the middle of the history (after the fifth batch);
nine in ten accounts asked about were known by then, one in ten never seen. The present is asked
about the same accounts, and the ratio of the two is printed.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta

from harness import (
    ACTOR,
    NOW,
    PLATFORMS,
    commands,
    create_catalogue,
    header,
    import_as,
    parse,
    parser,
    progress_printer,
    say,
    scratch_database,
)
from sqlalchemy import func, select

from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.model import AccountRef
from reprieve.services.callers import Caller
from reprieve.services.sanctions import AmendSanction, LiftSanction, amend_sanction, lift_sanction
from reprieve.services.standing import get_standing
from reprieve.store import tables
from reprieve.store.asof import seq_as_of
from reprieve.store.db import Database
from reprieve.store.eventlog import head

TARGET_P50_MS = 2.0
TARGET_P99_MS = 10.0
WARM_UP = 200
BATCHES = 10
FIRST_RECORDED = NOW - timedelta(days=3 * 365)
APART = timedelta(days=120)


def recorded_at(batch: int) -> datetime:
    return FIRST_RECORDED + batch * APART


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="sanctions recorded before measuring")
    p.add_argument("--lookups", type=int, default=5_000, help="accounts asked about (default 5,000)")
    p.add_argument("--changes", type=int, default=10_000, help="sanctions changed after creation (default 10,000)")
    args = parse(p)
    what = f"sanctions: {args.count:,} in {BATCHES} batches; changes: {args.changes:,}"
    header(args, f"{what}; lookups: {args.lookups:,}")
    rng = random.Random(args.seed)
    with scratch_database(args.backend, args.postgres_url) as db:
        create_catalogue(db, now=FIRST_RECORDED - timedelta(days=1))  # before the history
        started = time.perf_counter()
        generated = commands(args.count, args.seed)
        per_batch = -(-args.count // BATCHES)
        report = progress_printer(args.count, "recorded")
        done = 0
        ends = [0]  # the last seq of each batch
        for batch in range(BATCHES):
            chunk = [c for _, c in zip(range(per_batch), generated, strict=False)]
            if not chunk:
                break
            base = done
            import_as(db, chunk, actor=ACTOR, now=recorded_at(batch), on_batch=lambda n, base=base: report(base + n))
            done += len(chunk)
            with db.read() as conn:
                ends.append(head(conn)[0])
        say(f"recorded: {done:,} sanctions in {time.perf_counter() - started:.1f} s")
        changed = change_some(db, args.changes, ends, rng)
        say(f"changed: {changed:,} of {args.changes:,} drawn (the rest had ended or been lifted by then)")
        past = recorded_at(BATCHES // 2) + timedelta(days=1)
        refs = sample_accounts(db, args.lookups + WARM_UP, past, rng)
        say(f"the past instant: at = as_of = {past:%Y-%m-%d}")
        past_ms, past_statuses = measure(db, refs, at=past, as_of=past)
        now_ms, now_statuses = measure(db, refs, at=NOW, as_of=None)
        summary("past (at = as_of)", past_ms, past_statuses)
        summary("present", now_ms, now_statuses)
        p50, p99 = statistics.median(past_ms), pct(past_ms, 0.99)
        say(f"ratio past / present: p50 {p50 / statistics.median(now_ms):.2f}x, p99 {p99 / pct(now_ms, 0.99):.2f}x")
        say(
            f"target past p50 <= {TARGET_P50_MS} ms: {'met' if p50 <= TARGET_P50_MS else 'NOT met'}; "
            f"p99 <= {TARGET_P99_MS} ms: {'met' if p99 <= TARGET_P99_MS else 'NOT met'}"
        )


def change_some(db: Database, count: int, ends: list[int], rng: random.Random) -> int:
    """Change ``count`` random sanctions, each at a recording instant after its creation's batch,
    in the order of those instants (so that the log's recording instants never go backwards)."""
    s = tables.sanctions.c
    with db.read() as conn:
        rows = list(conn.execute(select(s.id, s.created_seq, s.ends_at).order_by(func.random()).limit(count)))
    plans = []
    for sid, created_seq, ends_at in rows:
        batch = next(b for b in range(BATCHES) if created_seq <= ends[b + 1])
        lo = recorded_at(batch) + timedelta(days=1)
        instant = lo + (NOW - lo) * rng.random()
        plans.append((instant, sid, ends_at))
    plans.sort()
    report = progress_printer(len(plans), "changed")
    skipped = 0
    for i, (instant, sid, _ends) in enumerate(plans, 1):
        caller = Caller(ACTOR, now=instant)
        try:
            if i % 2:
                lift_sanction(db, sid, LiftSanction.parse(reason="Lifted on review."), caller=caller)
            else:
                command = AmendSanction.parse(reason="Term changed.", ends_at=instant + timedelta(days=90))
                amend_sanction(db, sid, command, caller=caller)
        except (ConflictError, ValidationError):  # a sanction already over, say: skipped
            skipped += 1
        if i % 1000 == 0:
            report(i)
    return len(plans) - skipped


def sample_accounts(db: Database, n: int, past: datetime, rng: random.Random) -> list[AccountRef]:
    """``n`` accounts in random order: nine in ten known by ``past``, the rest never seen."""
    a = tables.accounts.c
    with db.read() as conn:
        known_by = seq_as_of(conn, past)
        known = [
            AccountRef(r.platform_id, r.account_id)
            for r in conn.execute(
                select(a.platform_id, a.account_id).where(a.created_seq <= known_by).order_by(func.random()).limit(n)
            )
        ]
    refs = [
        ref if rng.random() < 0.9 else AccountRef(rng.choice(PLATFORMS), f"stranger{rng.randrange(10**9)}")
        for ref in known
    ]
    rng.shuffle(refs)
    return refs


def measure(
    db: Database, refs: list[AccountRef], *, at: datetime, as_of: datetime | None
) -> tuple[list[float], dict[str, int]]:
    statuses: dict[str, int] = {}
    timings = []
    clock = time.perf_counter
    for i, ref in enumerate(refs):
        started = clock()
        standing = get_standing(db, ref, at=at, as_of=as_of)
        elapsed = clock() - started
        if i >= WARM_UP:  # the first ones fill the connection pool and the platform cache
            timings.append(elapsed * 1000)
            statuses[standing.status.value] = statuses.get(standing.status.value, 0) + 1
    return timings, statuses


def pct(timings: list[float], q: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(label: str, timings: list[float], statuses: dict[str, int]) -> None:
    say(f"{label}: {len(timings):,} lookups ({', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))})")
    say(
        f"{label}: p50 {statistics.median(timings):.3f} ms, p90 {pct(timings, 0.90):.3f} ms, "
        f"p99 {pct(timings, 0.99):.3f} ms, max {max(timings):.3f} ms, mean {statistics.fmean(timings):.3f} ms"
    )


if __name__ == "__main__":
    main()
