"""The in-memory enforcement index: build time, memory per sanction, checks per second, SQL baseline.

    python bench/enforcement_index.py --backend postgresql [--count N] [--keep | --database-url URL]

Imports N sanctions active at the benchmark's instant (one account each, mostly), builds the
index from the projections, and answers the same checks from the index and, as the baseline,
with one SQL query per check (how Mastodon and Ozone answer them). Targets: >= 1,000,000
checks/s on one core with 1,000,000 active sanctions, <= 300 bytes per active sanction,
a build in <= 10 s.
"""

from __future__ import annotations

import gc
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from enforcement_common import (
    ACTOR,
    NOW,
    PLATFORMS,
    create_catalogue,
    machine,
    parser,
    quick,
    reasons,
    say,
    scratch_database,
)
from sqlalchemy import func, select

from reprieve.domain.checks import Check
from reprieve.domain.model import DEFAULT_CAPABILITIES, AccountRef
from reprieve.domain.time import to_micros
from reprieve.enforcement import EnforcementIndex
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, import_sanctions
from reprieve.store import tables
from reprieve.store.db import Database, open_database

CAPABILITIES = [c for c in DEFAULT_CAPABILITIES if c != "appeal"]
Triple = tuple[str, str, str]


def active_commands(
    count: int, seed: int, now: datetime = NOW, min_left: timedelta = timedelta(seconds=60)
) -> Iterator[ImposeSanction]:
    """``count`` sanctions, every one active at ``now``: started in the last two years, ending at least
    ``min_left`` after it."""
    rng = random.Random(seed)
    templates = reasons(rng)
    rand = rng.random
    for i in range(count):
        platform = PLATFORMS[int(rand() * len(PLATFORMS))]
        account = f"user{int(rand() * i)}" if i and rand() < 0.05 else f"user{i}"
        scope = None
        if rand() < 0.2:
            other = PLATFORMS[int(rand() * len(PLATFORMS))]
            scope = [platform, other] if other != platform else None
        starts = now - timedelta(seconds=int(rand() * 2 * 365 * 86_400) + 1)
        ends = now + min_left + timedelta(seconds=int(rand() * 2 * 365 * 86_400))
        draw = rand()
        denies: tuple[str, ...] = ()
        if draw < 0.1:
            kind, ends_at = "warning", None
        elif draw < 0.4:
            kind, ends_at = "restriction", ends
            denies = ("post", "comment") if rand() < 0.5 else ("live", "monetize", "advertise")
        elif draw < 0.9:
            kind, ends_at = "suspension", ends if rand() < 0.9 else None
        else:
            kind, ends_at = "termination", None
        yield ImposeSanction.parse(
            subject=AccountRef(platform, account),
            kind=kind,
            reason=dict(templates[int(rand() * len(templates))]),
            scope=scope,
            denies=denies,
            starts_at=starts,
            ends_at=ends_at,
        )


def populate(
    db: Database, count: int, seed: int, now: datetime = NOW, min_left: timedelta = timedelta(seconds=60)
) -> None:
    create_catalogue(db)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 100_000 == 0 or done == count:
            elapsed = time.perf_counter() - started
            say(f"  {done:>10,} imposed in {elapsed:,.0f} s ({done / elapsed:,.0f}/s)")

    import_sanctions(db, active_commands(count, seed, now, min_left), caller=Caller(ACTOR, now=now), on_batch=progress)
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def active_sanctions(db: Database) -> int:
    at = to_micros(NOW)
    s = tables.sanctions.c
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(tables.sanctions)
                .where(
                    s.starts_at <= at,
                    (s.ends_at.is_(None)) | (s.ends_at > at),
                    (s.lifted_at.is_(None)) | (s.lifted_at > at),
                )
            ).scalar_one()
        )


def workload(sanctioned: Sequence[tuple[str, str]], n: int, share: float, seed: int) -> list[Triple]:
    """``n`` checks, ``share`` of them on sanctioned accounts, the rest on accounts in good standing.

    Every string is a new object, as a JSON parser hands them over (no cached hash, no identity
    with the index's own strings).
    """
    rng = random.Random(seed)
    fresh = "".join
    checks = []
    for _ in range(n):
        capability = CAPABILITIES[int(rng.random() * len(CAPABILITIES))]
        if rng.random() < share:
            platform, account = sanctioned[int(rng.random() * len(sanctioned))]
        else:
            platform, account = PLATFORMS[int(rng.random() * len(PLATFORMS))], f"member{rng.randrange(10**9)}"
        checks.append((fresh(platform), fresh(account), fresh(capability)))
    return checks


def rate(run: Callable[[], object], count: int, repeat: int = 2) -> tuple[float, float]:
    """Best of ``repeat`` runs: items per second of this process's CPU time (one core), and per
    second of wall time. On a shared machine the wall clock also counts other processes' turns."""
    cpu = wall = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.freeze()  # what a server does after start-up: the index and the inputs are long-lived
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        run()
        cpu = min(cpu, time.process_time() - cpu_started)
        wall = min(wall, time.perf_counter() - wall_started)
    return count / cpu, count / wall


def in_batches(index: EnforcementIndex, checks: list[Triple], at_us: int, size: int) -> Callable[[], object]:
    def run() -> None:
        decide = index.decide_many
        for i in range(0, len(checks), size):
            decide(checks[i : i + size], at_us)

    return run


def as_views(index: EnforcementIndex, checks: list[Triple], at_us: int, size: int) -> Callable[[], object]:
    objects = [Check(AccountRef(p, a), c) for p, a, c in checks]

    def run() -> None:
        for i in range(0, len(objects), size):
            index.check_many(objects[i : i + size], at_us)

    return run


def one_by_one(index: EnforcementIndex, checks: list[Triple], at_us: int) -> Callable[[], object]:
    def run() -> None:
        check = index.check
        for p, a, c in checks:
            check(p, a, c, at_us)

    return run


BASELINE_SQL = """
SELECT sp.kind, sp.denies, sp.active_until, sp.sanction_id
  FROM accounts a JOIN sanction_spans sp
    ON sp.identity_id = a.identity_id AND sp.platform_id = a.platform_id
 WHERE a.platform_id = {p} AND a.account_id = {p} AND sp.active_from <= {p} AND sp.active_until > {p}
"""


def baseline(db: Database, checks: list[Triple], at_us: int) -> float:
    """One SQL query per check on a raw driver connection, statements prepared: checks per wall
    second (the time is the database's as much as this process's)."""
    with db.engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        marker = "%s" if db.dialect == "postgresql" else "?"
        sql = BASELINE_SQL.format(p=marker)
        cursor = raw.cursor()
        started = time.perf_counter()
        for platform, account, capability in checks:
            cursor.execute(sql, (platform, account, at_us, at_us))
            rows = cursor.fetchall()
            _ = any(capability in denies for _kind, denies, _until, _sid in rows)
        elapsed = time.perf_counter() - started
        cursor.close()
        raw.rollback()
    return len(checks) / elapsed


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def deep_size(index: EnforcementIndex) -> int:
    """Bytes held by the index's containers, keys and entries (sys.getsizeof, no allocator slack)."""
    total = sys.getsizeof(index.slots)
    for slot in index.slots.values():
        total += sys.getsizeof(slot.accounts) + sys.getsizeof(slot.filter[1])
        total += sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in slot.accounts.items())
    return total


def main() -> None:
    p = parser(__doc__.splitlines()[0], 1_000_000)
    p.add_argument("--database-url", help="a database populated by an earlier run (with --keep)")
    p.add_argument("--keep", action="store_true", help="keep the database for later runs")
    p.add_argument("--checks", type=int, default=1_000_000, help="checks per workload")
    p.add_argument("--baseline-checks", type=int, default=20_000)
    args = quick(p.parse_args(), count=20_000, checks=50_000, baseline_checks=2_000)
    say(f"machine: {machine()}")
    if args.database_url:
        db = open_database(args.database_url, migrate=False)
        say(f"backend: {db.dialect}")
        measure(db, args)
        db.dispose()
        return
    with scratch_database(args.backend, args.postgres_url, keep=args.keep) as db:
        say(f"backend: {db.dialect}; importing {args.count:,} sanctions active at {NOW:%Y-%m-%d}")
        populate(db, args.count, args.seed)
        # Measure in a new process, as a server starting up: not in the heap the import left.
        url = db.engine.url.render_as_string(hide_password=False)
        again = [a for a in sys.argv[1:] if a != "--keep"]
        subprocess.run([sys.executable, __file__, *again, "--database-url", url], check=True)


def calibration() -> float:
    """ns per iteration of an empty Python loop: how fast this core runs Python, to scale by."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(5_000_000):
            pass
        best = min(best, time.process_time() - started)
    return best / 5_000_000 * 1e9


def measure(db: Database, args: Any) -> None:
    """Everything but the import, on a populated database."""
    say(f"calibration: an empty Python loop takes {calibration():.0f} ns an iteration")
    active = active_sanctions(db)
    say(f"active sanctions: {active:,}")
    at_us = to_micros(NOW)

    gc.collect()
    rss_before = rss_bytes()
    wall, cpu = time.perf_counter(), time.process_time()
    index = EnforcementIndex.build(db, now=NOW)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.collect()
    rss_delta = rss_bytes() - rss_before
    where = "PostgreSQL's own is not" if db.dialect == "postgresql" else "SQLite's work is"
    say(
        f"build: {wall:.2f} s ({active / wall:,.0f} sanctions/s) for {len(index):,} accounts; "
        f"CPU of this process (both threads): {cpu:.2f} s ({where} in it)"
    )
    say(f"memory (RSS growth over the build): {rss_delta / 2**20:,.1f} MiB = {rss_delta / active:.0f} B/sanction")
    deep = deep_size(index)
    say(f"memory (sizeof of keys, entries, dicts, filters): {deep / 2**20:,.1f} MiB = {deep / active:.0f} B/sanction")

    sanctioned = [(slot.platform.id, a) for slot in index.slots.values() for a in slot.accounts]
    results: dict[str, float] = {}
    for name, share in (("sanctioned accounts only", 1.0), ("10 % sanctioned", 0.1), ("none sanctioned", 0.0)):
        checks = workload(sanctioned, args.checks, share, args.seed)
        denied = sum(1 for d in index.decide_many(checks, at_us) if not d[0])
        batch, batch_wall = rate(in_batches(index, checks, at_us, 10_000), len(checks))
        results[name] = batch_wall
        views, _ = rate(as_views(index, checks, at_us, 10_000), len(checks), 1)
        single, _ = rate(one_by_one(index, checks[:200_000], at_us), 200_000, 1)
        say(
            f"checks, {name} ({denied / len(checks):.0%} denied), per CPU second: decide_many "
            f"{batch:,.0f}/s, check_many {views:,.0f}/s, check() {single:,.0f}/s; "
            f"decide_many per wall second {batch_wall:,.0f}/s"
        )
    # The same index, its entries hot in the CPU caches: what the code costs without memory latency.
    hot = sanctioned[:20_000]
    checks = workload(hot, args.checks, 1.0, args.seed)
    hot_rate, _ = rate(in_batches(index, checks, at_us, 10_000), len(checks))
    say(f"checks, 20,000 hot sanctioned accounts, per CPU second: decide_many {hot_rate:,.0f}/s")

    sample = workload(sanctioned, args.baseline_checks, 0.1, args.seed + 1)
    sql = baseline(db, sample, at_us)
    say(f"baseline, one SQL query per check ({db.dialect}, 10 % sanctioned): {sql:,.0f} checks/s")
    say(f"ratio, index (10 % sanctioned, decide_many) / SQL, wall time: {results['10 % sanctioned'] / sql:,.0f}x")
    sample = workload(sanctioned, args.baseline_checks, 1.0, args.seed + 2)
    sql_hit = baseline(db, sample, at_us)
    say(
        f"baseline, one SQL query per check (sanctioned only): {sql_hit:,.0f} checks/s; ratio, "
        f"wall time: {results['sanctioned accounts only'] / sql_hit:,.0f}x"
    )

    del index
    gc.unfreeze()
    gc.collect()
    tracemalloc.start()
    rebuilt = EnforcementIndex.build(db, now=NOW)
    gc.collect()
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    say(
        f"memory (tracemalloc, live after a build of {len(rebuilt):,} accounts): "
        f"{traced / 2**20:,.1f} MiB = {traced / active:.0f} B/sanction"
    )
    say(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
