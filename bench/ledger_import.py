"""Bulk import through the service layer: events, hash chain and projections included.

    python bench/ledger_import.py --backend sqlite|postgresql [--count N | --quick]

Target: 1,000,000 sanctions at >= 30,000 sanctions/s, peak memory (max RSS) under 1 GiB.
The rate is that of reprieve.services.sanctions.import_sanctions: the time the benchmark
spends making its input (the ImposeSanction commands) is measured apart and left out.
"""

from __future__ import annotations

from harness import (
    create_catalogue,
    header,
    max_rss_mib,
    parse,
    parser,
    populate,
    progress_printer,
    say,
    scratch_database,
)

from reprieve.services.audit import verify_audit_log
from reprieve.store import eventlog, queries, tables

TARGET_RATE = 30_000
TARGET_RSS_MIB = 1024
VERIFY_UP_TO = 200_000


def main() -> None:
    args = parse(parser(__doc__.splitlines()[0], count_help="sanctions to import"))
    header(args, f"sanctions: {args.count:,}")
    with scratch_database(args.backend, args.postgres_url) as db:
        create_catalogue(db)
        result = populate(db, args.count, args.seed, progress=progress_printer(args.count, "imposed"))
        with db.read() as conn:
            events = eventlog.count_events(conn)
            accounts = queries.count_rows(conn, tables.accounts)
            spans = queries.count_rows(conn, tables.sanction_spans)
        rate = result.sanctions / result.seconds
        rss = max_rss_mib()
        say(
            f"imported: {result.sanctions:,} sanctions in {result.seconds:.1f} s "
            f"(+ {result.input_seconds:.1f} s making the input, left out)"
        )
        say(f"log: {events:,} events; {accounts:,} accounts created on first use; {spans:,} spans")
        say(f"rate: {rate:,.0f} sanctions/s (target >= {TARGET_RATE:,}: {'met' if rate >= TARGET_RATE else 'NOT met'})")
        say(
            f"peak memory (max RSS): {rss:,.0f} MiB (target < {TARGET_RSS_MIB:,}: "
            f"{'met' if rss < TARGET_RSS_MIB else 'NOT met'})"
        )
        if args.count <= VERIFY_UP_TO:
            verification = verify_audit_log(db)
            say(f"hash chain verified: {verification.ok} ({verification.events:,} events)")


if __name__ == "__main__":
    main()
