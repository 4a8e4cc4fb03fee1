"""Export of statements of reasons to CSV in the Transparency Database's daily-dump layout.

    python bench/dsa_export.py --backend sqlite|postgresql [--count N | --quick]

Target: 1,000,000 sanctions exported (mapped to v2 statements, validated, written as CSV) in
<= 30 s, streaming, with memory flat. The sanctions are imported first through the bulk path of
bench/ledger_import.py (not timed). Baseline measured in the same run: reading the same rows with
the same query and doing nothing with them, the floor any export pays.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

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

from reprieve.services import transparency
from reprieve.store import queries, tables
from reprieve.store.db import Database, open_database

TARGET_SECONDS_PER_MILLION = 30.0


def current_rss_mib() -> float:
    """Resident memory now (not the peak), from /proc on Linux; 0 where it cannot be read."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


@contextmanager
def kept_database(path: str, count: int, seed: int) -> Iterator[Database]:
    """A SQLite file seeded once (with ``count`` sanctions) and kept, for repeated runs of the export."""
    db = open_database(f"sqlite:///{path}")
    try:
        with db.read() as conn:
            seeded = queries.count_rows(conn, tables.sanctions)
        if seeded == 0:
            create_catalogue(db)
            imported = populate(db, count, seed, progress=progress_printer(count, "imported"))
            say(f"seeded: {imported.sanctions:,} sanctions in {imported.seconds:.1f} s (kept in {path})")
        else:
            say(f"reusing {path}: {seeded:,} sanctions")
        yield db
    finally:
        db.dispose()


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="sanctions to export")
    p.add_argument("--keep", metavar="FILE", help="SQLite file to seed once and keep (reused when it exists)")
    args = parse(p)
    header(args, f"sanctions: {args.count:,}")
    if args.keep:
        database = kept_database(args.keep, args.count, args.seed)
    else:
        database = scratch_database(args.backend, args.postgres_url)
    with database as db:
        if not args.keep:
            create_catalogue(db)
            imported = populate(db, args.count, args.seed, progress=progress_printer(args.count, "imported"))
            say(f"seeded: {imported.sanctions:,} sanctions in {imported.seconds:.1f} s (not part of the export's time)")
        within = transparency.period(None, None)
        S = tables.sanctions.c

        # Baseline: the export's query, rows read and dropped.
        started = time.perf_counter()
        with db.read() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
                tables.sanctions.select()
                .with_only_columns(S.id, S.subject_platform, S.starts_at, S.reason, S.automated, S.changes)
                .where(S.operator_id == "meta")
                .order_by(S.id)
            )
            scanned = sum(1 for _ in rows)
        scan_seconds = time.perf_counter() - started
        say(f"baseline (read the rows, nothing else): {scanned:,} rows in {scan_seconds:.1f} s")

        rss_before = current_rss_mib()
        samples: list[tuple[int, float]] = []
        tally = transparency.ExportTally()
        with tempfile.TemporaryDirectory(prefix="reprieve-dsa-") as directory:
            path = os.path.join(directory, "sor.csv")
            started, cpu_started = time.perf_counter(), time.process_time()
            lines = 0
            with open(path, "w", encoding="utf-8", newline="") as out:
                write = out.write
                for line in transparency.export_csv(db, operator="meta", within=within, tally=tally):
                    write(line)
                    lines += 1
                    if lines % 200 == 0:  # a piece holds 500 lines: a sample every 100,000
                        samples.append((lines * 500, current_rss_mib()))
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            size = os.path.getsize(path)
        per_million = seconds / max(1, scanned) * 1_000_000
        say(
            f"exported: {tally.exported:,} statements, {tally.warnings:,} warnings left out, "
            f"{tally.invalid_count:,} refused by the validator; {size / 2**20:,.0f} MiB of CSV"
        )
        verdict = "met" if per_million <= TARGET_SECONDS_PER_MILLION else "NOT met"
        say(
            f"time: {seconds:.1f} s wall, {cpu:.1f} s CPU of this process ({scanned / seconds:,.0f} sanctions/s; "
            f"{per_million:.1f} s per million; target <= {TARGET_SECONDS_PER_MILLION:.0f} s: {verdict})"
        )
        say(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        say(f"ratio to the baseline: {seconds / scan_seconds:.1f}x the time of reading the rows")
        if tally.invalid:
            first = tally.invalid[0]["problems"][0]
            say(f"first refusal: {first['field']}: {first['message']}")
        say(
            f"resident memory: {rss_before:,.0f} MiB before the export; during it "
            + ", ".join(f"{n // 1000:,}k lines: {rss:,.0f}" for n, rss in samples[:: max(1, len(samples) // 5)])
            + f" MiB; peak (max RSS) of the whole run {max_rss_mib():,.0f} MiB"
        )


if __name__ == "__main__":
    main()
