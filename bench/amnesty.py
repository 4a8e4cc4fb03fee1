"""Amnesty over N matching sanctions: the dry run, then the real run with its audit events.

    python bench/amnesty.py --backend sqlite|postgresql [--count N | --quick]

Targets at 1,000,000 matching sanctions: dry run <= 2 s; the amnesty (every sanction lifted, with
its event, in batches) <= 60 s; peak memory (max RSS of the process running it) <= 500 MiB.

The sanctions are seeded in this process by the bulk path of bench/ledger_import.py (the
harness's generated sanctions, made indefinite so that every one is active and matches). The
amnesty then runs in a child process, as ``reprieve amnesty create`` would, so that its peak
memory is its own. Baseline, measured in the same run: lifting 1,000 sanctions one at a time
through ``lift_sanction``; the ratio is the amnesty's rate over that one.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace

from harness import (
    ACTOR,
    NOW,
    OPERATOR,
    commands,
    create_catalogue,
    header,
    parse,
    parser,
    progress_printer,
    say,
    scratch_database,
)

from reprieve.domain.amnesty import make_filter
from reprieve.domain.model import AccountRef
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty
from reprieve.services.audit import verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.catalogue import CreateOperator, CreatePlatform, create_operator, create_platform
from reprieve.services.sanctions import ImposeSanction, LiftSanction, import_sanctions, lift_sanction
from reprieve.store import eventlog

TARGET_SECONDS = 60.0
TARGET_DRY_RUN_SECONDS = 2.0
TARGET_RSS_MIB = 500
BASELINE = 1_000
VERIFY_UP_TO = 200_000
EXCLUSIONS = {
    "exclude_categories": ["STATEMENT_CATEGORY_PROTECTION_OF_MINORS"],
    "exclude_policies": ["community-standards/violence"],
}


def indefinite(count: int, seed: int) -> Iterator[ImposeSanction]:
    """The harness's sanctions, without an end: all of them active at NOW."""
    for command in commands(count, seed):
        yield replace(command, duration=None, review_after=None)


def baseline_rate(db: object) -> float:
    """Lifts per second, one ``lift_sanction`` each, on another operator's sanctions."""
    from reprieve.store.db import Database

    assert isinstance(db, Database)
    create_operator(db, CreateOperator.parse(id="baseline", name="Baseline"), caller=Caller(ACTOR, now=NOW))
    create_platform(
        db,
        CreatePlatform.parse(id="baseline-social", operator="baseline", name="Baseline"),
        caller=Caller(ACTOR, now=NOW),
    )
    reason = {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "policy": "spam",
        "explanation": "spam",
    }
    ids: list[str] = []
    import_sanctions(
        db,
        (
            ImposeSanction.parse(AccountRef("baseline-social", f"b{i}"), "termination", reason, starts_at="2025-01-01")
            for i in range(BASELINE)
        ),
        caller=Caller(ACTOR, now=NOW),
    )
    with db.read() as conn:
        from sqlalchemy import select

        from reprieve.store import tables

        ids = list(
            conn.execute(select(tables.sanctions.c.id).where(tables.sanctions.c.operator_id == "baseline")).scalars()
        )
    started = time.perf_counter()
    for sanction_id in ids:
        lift_sanction(db, sanction_id, LiftSanction.parse(reason="one by one"), caller=Caller(ACTOR, now=NOW))
    return len(ids) / (time.perf_counter() - started)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(url: str) -> None:
    """The amnesty itself, in its own process: prints one JSON line of figures."""
    from reprieve.store.db import open_database

    db = open_database(url)
    figures: dict[str, float] = {}
    cpu = _cpu_seconds()
    started = time.perf_counter()
    preview = amnesty.preview(db, make_filter(OPERATOR), caller=Caller("bench", now=NOW))
    figures["dry_run_seconds"] = time.perf_counter() - started
    figures["dry_run_cpu_seconds"] = _cpu_seconds() - cpu
    print(
        f"  dry run: {figures['dry_run_seconds']:.2f} s, of which {figures['dry_run_cpu_seconds']:.2f} s of CPU"
        " in this process (SQLite computes in it; PostgreSQL in its server)",
        file=sys.stderr,
        flush=True,
    )
    figures["matched"] = preview.matched
    started = time.perf_counter()
    figures["matched_with_exclusions"] = amnesty.preview(
        db, make_filter(OPERATOR, **EXCLUSIONS), caller=Caller("bench", now=NOW)
    ).matched
    figures["dry_run_exclusions_seconds"] = time.perf_counter() - started
    cpu = _cpu_seconds()
    started = time.perf_counter()
    begun = amnesty.start(db, make_filter(OPERATOR), reason="General amnesty", caller=Caller("bench").at(NOW))
    figures["start_seconds"] = time.perf_counter() - started
    last = [time.perf_counter()]

    def report(view: amnesty.AmnestyView) -> None:
        moment = time.perf_counter()
        if moment - last[0] >= 5:
            last[0] = moment
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  {view.processed:>10,} processed ({view.rate}/s, max RSS {rss:,.0f} MiB)",
                file=sys.stderr,
                flush=True,
            )

    done = amnesty_runner.run(db, begun.id, now=NOW, on_progress=report)
    figures["seconds"] = time.perf_counter() - started
    figures["cpu_seconds"] = _cpu_seconds() - cpu
    figures["lifted"] = done.lifted
    figures["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db.dispose()
    print(json.dumps(figures), flush=True)


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="matching sanctions")
    p.add_argument("--child", help=None)
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1])
        return
    args = parse(p)
    header(args, f"matching sanctions: {args.count:,}")
    with scratch_database(args.backend, args.postgres_url) as db:
        create_catalogue(db)
        seeded = time.perf_counter()
        import_sanctions(
            db,
            indefinite(args.count, args.seed),
            caller=Caller(ACTOR, now=NOW),
            on_batch=progress_printer(args.count, "seeded"),
        )
        say(f"seeded: {args.count:,} sanctions in {time.perf_counter() - seeded:.1f} s (bulk import, not measured)")
        if db.dialect == "postgresql":
            # What autovacuum does after a bulk load (it is off on the benchmark server): statistics,
            # and the visibility map that lets the dry run read its index alone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE sanctions, sanction_spans, sanction_scope, sanction_kind_periods")
        baseline = baseline_rate(db)
        say(f"baseline: lift_sanction one at a time: {baseline:,.0f} lifts/s ({BASELINE:,} lifts)")
        url = db.engine.url.render_as_string(hide_password=False)
        process = subprocess.run(
            [sys.executable, __file__, "--child", url], stdout=subprocess.PIPE, text=True, check=True
        )
        figures = json.loads(process.stdout.strip().splitlines()[-1])
        seconds, dry = figures["seconds"], figures["dry_run_seconds"]
        rate = figures["lifted"] / seconds
        say(
            f"dry run: {figures['matched']:,.0f} matched in {dry:.2f} s (target <= {TARGET_DRY_RUN_SECONDS} s: "
            f"{'met' if dry <= TARGET_DRY_RUN_SECONDS else 'NOT met'}); with exclusions "
            f"{figures['matched_with_exclusions']:,.0f} in {figures['dry_run_exclusions_seconds']:.2f} s"
        )
        say(
            f"amnesty: {figures['lifted']:,.0f} lifted with their events in {seconds:.1f} s "
            f"(of which {figures['start_seconds']:.1f} s freezing the targets), {rate:,.0f} lifts/s "
            f"(target <= {TARGET_SECONDS:.0f} s: {'met' if seconds <= TARGET_SECONDS else 'NOT met'})"
        )
        say(
            f"  CPU time of the amnesty's process meanwhile: {figures['cpu_seconds']:.1f} s "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end)"
        )
        say(f"ratio to the baseline: {rate / baseline:,.1f} x the rate of one lift_sanction at a time")
        say(
            f"peak memory of the amnesty's process (max RSS): {figures['rss_mib']:,.0f} MiB "
            f"(target <= {TARGET_RSS_MIB}: {'met' if figures['rss_mib'] <= TARGET_RSS_MIB else 'NOT met'})"
        )
        if args.count <= VERIFY_UP_TO:
            verification = verify_audit_log(db)
            say(f"hash chain verified: {verification.ok} ({verification.events:,} events)")
        with db.read() as conn:
            say(f"log: {eventlog.count_events(conn):,} events")


if __name__ == "__main__":
    main()
