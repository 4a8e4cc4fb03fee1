"""Standing of one account, read from the database, with a million sanctions stored.

    python bench/standing_latency.py --backend sqlite|postgresql [--count N | --quick] [--lookups K]

Target: p50 <= 1 ms and p99 <= 5 ms for reprieve.services.standing.get_standing, over a few
thousand random accounts (nine in ten sanctioned, one in ten never seen), each asked once.
"""

from __future__ import annotations

import random
import statistics
import time

from harness import (
    NOW,
    PLATFORMS,
    create_catalogue,
    header,
    parse,
    parser,
    populate,
    progress_printer,
    say,
    scratch_database,
)
from sqlalchemy import func, select

from reprieve.domain.model import AccountRef
from reprieve.services.standing import get_standing
from reprieve.store import tables
from reprieve.store.db import Database

TARGET_P50_MS = 1.0
TARGET_P99_MS = 5.0
WARM_UP = 200


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="sanctions stored before measuring")
    p.add_argument("--lookups", type=int, default=5_000, help="accounts asked about (default 5,000)")
    args = parse(p)
    header(args, f"sanctions stored: {args.count:,}; lookups: {args.lookups:,}")
    with scratch_database(args.backend, args.postgres_url) as db:
        create_catalogue(db)
        imported = populate(db, args.count, args.seed, progress=progress_printer(args.count, "imposed"))
        say(f"stored: {imported.sanctions:,} sanctions in {imported.seconds:.1f} s")
        refs = sample_accounts(db, args.lookups + WARM_UP, random.Random(args.seed))
        statuses: dict[str, int] = {}
        timings = []
        clock = time.perf_counter
        for i, ref in enumerate(refs):
            started = clock()
            standing = get_standing(db, ref, at=NOW)
            elapsed = clock() - started
            if i >= WARM_UP:  # the first ones fill the connection pool and the platform cache
                timings.append(elapsed * 1000)
                statuses[standing.status.value] = statuses.get(standing.status.value, 0) + 1
        report(timings, statuses)


def sample_accounts(db: Database, n: int, rng: random.Random) -> list[AccountRef]:
    """``n`` accounts in random order: nine in ten drawn from the stored ones, the rest unknown."""
    a = tables.accounts.c
    with db.read() as conn:
        total = int(conn.execute(select(func.count()).select_from(tables.accounts)).scalar_one())
        known = [
            AccountRef(r.platform_id, r.account_id)
            for r in conn.execute(select(a.platform_id, a.account_id).order_by(func.random()).limit(n))
        ]
    refs = [
        ref if rng.random() < 0.9 else AccountRef(rng.choice(PLATFORMS), f"stranger{rng.randrange(total)}")
        for ref in known
    ]
    rng.shuffle(refs)
    return refs


def report(timings: list[float], statuses: dict[str, int]) -> None:
    ordered = sorted(timings)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    p50, p99 = statistics.median(ordered), pct(0.99)
    say(f"lookups: {len(ordered):,} ({', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))})")
    say(
        f"latency: p50 {p50:.3f} ms, p90 {pct(0.90):.3f} ms, p99 {p99:.3f} ms, max {ordered[-1]:.3f} ms, "
        f"mean {statistics.fmean(ordered):.3f} ms"
    )
    say(
        f"target p50 <= {TARGET_P50_MS} ms: {'met' if p50 <= TARGET_P50_MS else 'NOT met'}; "
        f"p99 <= {TARGET_P99_MS} ms: {'met' if p99 <= TARGET_P99_MS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
