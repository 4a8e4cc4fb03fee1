"""The enforcement index follower catching up after each group commit of violations, no HTTP.

    python bench/follower_catch_up.py [--backend sqlite|postgresql] [--batches K] [--batch B]
                                      [--accounts A] [--quick]

Records K batches of B violations (one unit of work each, as the group committer writes them,
spread over A accounts of one platform with Meta's shipped policy: warnings, feature limits and
suspensions imposed by its ladder) and after each batch times ``IndexFollower.poll``, which
brings the index up to date: what every ``POST /v1/violations`` answer waits for (issue 4).
Reports the poll's wall and CPU time per violation applied (mean, and median and p90 of the
batches), the time of a poll with nothing new (what the follower's timer thread costs between
writes), and checks that the followed index equals one built afresh from the database.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from harness import DEFAULT_POSTGRES, header, parser, say, scratch_database

from reprieve.enforcement import EnforcementIndex, IndexFollower
from reprieve.services import catalogue, violations
from reprieve.services.callers import Caller
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

ACTOR = "token:bench"
PLATFORM = "facebook"
EMPTY_POLLS = 200


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="unused")
    p.add_argument("--batches", type=int, default=400, help="group commits (default %(default)s)")
    p.add_argument("--batch", type=int, default=50, help="violations per group commit (default %(default)s)")
    p.add_argument("--accounts", type=int, default=5_000, help="accounts the violations spread over")
    args = p.parse_args()
    if args.quick:
        args.batches = 60
    header(args, f"{args.batches} batches of {args.batch} violations over {args.accounts:,} accounts")
    with scratch_database(args.backend, args.postgres_url or DEFAULT_POSTGRES) as db:
        run(db, batches=args.batches, batch=args.batch, accounts=args.accounts)


def run(db: Database, *, batches: int, batch: int, accounts: int) -> None:
    start = datetime.now(UTC)
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller(ACTOR, now=start)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id=PLATFORM, operator="meta", name="Facebook", policy="meta"),
        caller=Caller(ACTOR, now=start),
    )
    index = EnforcementIndex.build(db, now=start)
    follower = IndexFollower(index, db)
    follower.poll()
    walls: list[float] = []
    cpus: list[float] = []
    for b in range(batches):
        record(db, range(b * batch, (b + 1) * batch), accounts)
        wall, cpu = time.perf_counter(), time.thread_time()
        follower.poll()
        walls.append((time.perf_counter() - wall) / batch * 1e6)
        cpus.append((time.thread_time() - cpu) / batch * 1e6)
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(EMPTY_POLLS):
        follower.poll()
    empty_wall = (time.perf_counter() - wall) / EMPTY_POLLS * 1e6
    empty_cpu = (time.thread_time() - cpu) / EMPTY_POLLS * 1e6
    fresh = EnforcementIndex.build(db, now=start)
    same = fresh.slots[PLATFORM].accounts == index.slots[PLATFORM].accounts and fresh.probations == index.probations
    say(f"violations: {batches * batch:,}; accounts with an entry: {len(index):,}")
    say(
        f"poll per violation, wall: mean {statistics.fmean(walls):6.1f} us  median {statistics.median(walls):6.1f} us"
        f"  p90 {percentile(walls, 0.9):6.1f} us"
    )
    say(
        f"poll per violation, CPU:  mean {statistics.fmean(cpus):6.1f} us  median {statistics.median(cpus):6.1f} us"
        f"  p90 {percentile(cpus, 0.9):6.1f} us"
    )
    say(f"poll with nothing new: {empty_wall:,.0f} us wall, {empty_cpu:,.0f} us CPU")
    say(f"followed index equals a fresh build: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


def record(db: Database, numbers: range, accounts: int) -> None:
    """One group commit of violations numbered ``numbers``, as the group committer records them."""
    now = datetime.now(UTC)
    items = [
        violations.PendingViolation(
            violations.check_violation(
                violations.RecordViolation.parse(
                    id=f"v-{n}",
                    platform=PLATFORM,
                    account=f"acct-{n % accounts}",
                    policy="Violence and Incitement",
                    severity="moderate",
                    category="STATEMENT_CATEGORY_VIOLENCE",
                    facts="A post inciting violence.",
                ),
                now=now,
            ),
            ACTOR,
            now,
            None,
        )
        for n in numbers
    ]
    with UnitOfWork(db, actor=ACTOR, now=now) as uow:
        violations.record_violations_within(uow, items)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    main()
