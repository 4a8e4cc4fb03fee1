"""Rebuilding every projection from the event log (reprieve.services.audit.rebuild_projections).

    python bench/rebuild.py --backend sqlite|postgresql [--count N | --quick]

Target: >= 50,000 events/s over a log of 1,000,000 events. The log is made by importing
sanctions (each one adds its account.registered event when the account is new) until it
holds at least --count events.
"""

from __future__ import annotations

import hashlib
import time

from harness import (
    create_catalogue,
    header,
    max_rss_mib,
    parse,
    parser,
    populate,
    say,
    scratch_database,
)
from sqlalchemy import select

from reprieve.services.audit import rebuild_projections
from reprieve.store import eventlog, queries, tables
from reprieve.store.db import Database

TARGET_RATE = 50_000
#: Up to this many events, every projection row is compared before and after the rebuild.
COMPARE_UP_TO = 300_000
#: Sanctions per event of the generated log, a little under its real share (about 0.51).
SANCTIONS_PER_EVENT = 0.5


def main() -> None:
    args = parse(parser(__doc__.splitlines()[0], count_help="events in the log"))
    header(args, f"events in the log: at least {args.count:,}")
    with scratch_database(args.backend, args.postgres_url) as db:
        create_catalogue(db)
        events = fill_log(db, args.count, args.seed)
        before = fingerprint(db, full=events <= COMPARE_UP_TO)
        started = time.perf_counter()
        replayed = rebuild_projections(db)
        elapsed = time.perf_counter() - started
        after = fingerprint(db, full=events <= COMPARE_UP_TO)
        rate = replayed / elapsed
        say(f"rebuilt: {replayed:,} events replayed in {elapsed:.1f} s")
        say(f"projections after the rebuild: {after['rows']}")
        say(
            f"identical to the live projections: {before == after} "
            f"({'every row compared' if events <= COMPARE_UP_TO else 'row counts compared'})"
        )
        say(f"rate: {rate:,.0f} events/s (target >= {TARGET_RATE:,}: {'met' if rate >= TARGET_RATE else 'NOT met'})")
        say(f"peak memory (max RSS): {max_rss_mib():,.0f} MiB")


def fill_log(db: Database, target: int, seed: int) -> int:
    """Import generated sanctions until the log holds at least ``target`` events."""
    done = 0
    started = time.perf_counter()
    while True:
        with db.read() as conn:
            events = eventlog.count_events(conn)
        if events >= target:
            break
        more = max(1, int((target - events) * SANCTIONS_PER_EVENT))
        done += populate(db, more, seed, first=done).sanctions
        say(f"  {done:,} sanctions imported")
    say(f"log: {events:,} events ({done:,} sanctions imported in {time.perf_counter() - started:.0f} s)")
    return events


def fingerprint(db: Database, *, full: bool) -> dict[str, object]:
    """Row counts of the projections and, when ``full``, a digest of all their rows in key order."""
    counts = {}
    digest = hashlib.sha256()
    with db.read() as conn:
        for table in tables.PROJECTIONS:
            counts[table.name] = queries.count_rows(conn, table)
            if full:
                for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                    digest.update(repr(tuple(row)).encode())
    return {"rows": counts, "digest": digest.hexdigest() if full else None}


if __name__ == "__main__":
    main()
