"""Item checks from the in-memory enforcement index (issue 24): checks per second, memory per decision.

    python bench/item_checks.py --backend postgresql [--count N] [--sanctions N] [--keep | --database-url URL]

The mix: N content decisions active at the benchmark's instant (default 1,000,000) on the five
platforms of the accounts benchmark; half the item ids numeric of 19 digits, half strings of 35
characters; about 5 % of the decisions on an item already decided (so ~0.95 N items); authors
``author<n>``, one in ten of them ``user<n>``, an account of the accounts benchmark (where most
are sanctioned); kinds: removal 40 %, disabling 15 %,
interaction restriction 10 %, demonetization 10 %, demotion 10 %, label 10 %, age restriction
5 %; 20 % of them in some EEA countries only (1 to 3); ends at least a minute after the instant,
or never (30 %). The projections (items, content_decisions, content_spans) are filled by bulk
inserts (``store.bulk.insert_rows``), not through the content service: the bench measures the
index, not the writes. The accounts side is the accounts benchmark's own import of
``--sanctions`` sanctions (default: as many as content decisions) through ``import_sanctions``.

Checks: 10 % on decided items, 90 % on items never decided (the accounts benchmark's mix),
capability drawn from view/interact/monetize, half with a country (EEA or US), by batches of
10,000 through ``decide_items``; the same run measures account checks (10 % sanctioned,
``decide_many``) as the baseline. Targets: >= 1,000,000 item checks/s on one core, <= 250 bytes
per active content decision in the index.
"""

from __future__ import annotations

import gc
import json
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from enforcement_common import NOW, OPERATOR, PLATFORMS, machine, parser, quick, say, scratch_database
from enforcement_index import calibration, populate, rate, workload
from sqlalchemy import func, select

from reprieve.domain.ids import RandomIds
from reprieve.domain.reason import EEA_COUNTRIES
from reprieve.domain.time import END_OF_TIME, format_instant, from_micros, to_micros
from reprieve.enforcement import EnforcementIndex
from reprieve.enforcement.items import ItemRow
from reprieve.enforcement.loader import load_items
from reprieve.store import content as content_store
from reprieve.store import content_index, eventlog, queries, tables
from reprieve.store.bulk import insert_rows
from reprieve.store.db import Database, open_database

KINDS = (
    ("removal", 0.40),
    ("disabling", 0.15),
    ("interaction_restriction", 0.10),
    ("demonetization", 0.10),
    ("demotion", 0.10),
    ("label", 0.10),
    ("age_restriction", 0.05),
)
EEA = sorted(EEA_COUNTRIES)
ITEM_CAPABILITIES = ("view", "interact", "monetize")
REASON = json.dumps(
    {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "policy": "community-standards/violence",
        "explanation": "Incitement to violence",
    }
)
AUTOMATED = json.dumps({"detection": True, "decision": "partially"})
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def item_id(rng: random.Random) -> str:
    """Half numeric of 19 digits (a tweet's, a Facebook post's), half strings of 35 characters."""
    if rng.random() < 0.5:
        return str(rng.randrange(10**18, 10**19))
    return "Ugkx" + "".join(rng.choice(_ALPHABET) for _ in range(31))


def populate_content(db: Database, count: int, seed: int, accounts: int) -> None:
    rng = random.Random(seed)
    ids = RandomIds().new_ids("cd", NOW, count)
    now_us = to_micros(NOW)
    weights = [w for _, w in KINDS]
    kinds = [k for k, _ in KINDS]
    items: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    batch: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for i, decision_id in enumerate(ids):
        if items and rng.random() < 0.05:
            platform, item, author = items[int(rng.random() * len(items))]
            new = False
        else:
            author = f"user{rng.randrange(accounts)}" if rng.random() < 0.1 else f"author{rng.randrange(count)}"
            platform, item = rng.choice(PLATFORMS), item_id(rng)
            items.append((platform, item, author))
            new = True
        kind = rng.choices(kinds, weights)[0]
        scope = sorted(rng.sample(EEA, rng.randint(1, 3))) if rng.random() < 0.2 else []
        starts = now_us - rng.randrange(1, 2 * 365 * 86_400) * 1_000_000
        ends = None if rng.random() < 0.3 else now_us + (60 + rng.randrange(2 * 365 * 86_400)) * 1_000_000
        change = {
            "type": "decided",
            "seq": i + 1,
            "effective_at": format_instant(from_micros(starts)),
            "kind": kind,
            "territorial_scope": scope,
        }
        if new:
            batch[0].append((platform, item, OPERATOR, author, '["CONTENT_TYPE_TEXT"]', "2025-12-01", None, i + 1))
        batch[1].append(
            (
                decision_id,
                OPERATOR,
                platform,
                item,
                author,
                kind,
                None,
                json.dumps(scope),
                starts,
                ends,
                None,
                "STATEMENT_CATEGORY_VIOLENCE",
                REASON,
                AUTOMATED,
                False,
                json.dumps([change]),
                i + 1,
                i + 1,
            )
        )
        batch[2].append(
            (decision_id, starts, END_OF_TIME if ends is None else ends, platform, item, kind, " ".join(scope))
        )
        if len(batch[1]) == 50_000 or i == count - 1:
            with db.engine.begin() as conn:
                insert_rows(conn, tables.items, content_store.ITEM_COLUMNS, batch[0])
                insert_rows(conn, tables.content_decisions, content_store.DECISION_COLUMNS, batch[1])
                insert_rows(conn, tables.content_spans, content_store.SPAN_COLUMNS, batch[2])
            batch = ([], [], [])
            elapsed = time.perf_counter() - started
            say(f"  {i + 1:>10,} content decisions inserted in {elapsed:,.0f} s")
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def active_decisions(db: Database) -> int:
    at = to_micros(NOW)
    cs = tables.content_spans.c
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(tables.content_spans).where(cs.active_from <= at, cs.active_until > at)
            ).scalar_one()
        )


def item_workload(
    decided: Sequence[tuple[str, str]], n: int, share: float, seed: int, *, stated: bool = False
) -> list[ItemRow]:
    """``n`` item checks, ``share`` of them on decided items; every string a new object, as a JSON
    parser hands them over. ``stated``: each row names an author (the platform's statement)."""
    rng = random.Random(seed)
    fresh = "".join
    countries = [*EEA, "US"]
    rows: list[ItemRow] = []
    for _ in range(n):
        capability = ITEM_CAPABILITIES[int(rng.random() * 3)]
        if rng.random() < share:
            platform, item = decided[int(rng.random() * len(decided))]
        else:
            platform, item = PLATFORMS[int(rng.random() * len(PLATFORMS))], item_id(rng)
        country = fresh(countries[int(rng.random() * len(countries))]) if rng.random() < 0.5 else None
        account = fresh(f"user{rng.randrange(10**7)}") if stated else None
        rows.append((fresh(platform), fresh(item), fresh(capability), country, account))
    return rows


def in_batches(decide: Callable[[Any, int], object], rows: list[Any], at_us: int, size: int) -> Callable[[], object]:
    def run() -> None:
        for i in range(0, len(rows), size):
            decide(rows[i : i + size], at_us)

    return run


def item_deep_size(index: EnforcementIndex) -> int:
    total = 0
    for slot in index.slots.values():
        table = slot.items
        total += sys.getsizeof(table.entries) + sys.getsizeof(table.filter[1])
        total += sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in table.entries.items())
    return total


def items_only(db: Database) -> EnforcementIndex:
    """An index of the items alone (no accounts): what tracemalloc sees of them."""
    with db.read() as conn:
        seq, _ = eventlog.head(conn)
        index = EnforcementIndex(horizon=to_micros(NOW), seq=seq, platforms=queries.all_platforms(conn))
        with content_index.items_cursor(conn, index.horizon) as cursor:
            load_items(conn, index, _rows(cursor), put=_put)
    for slot in index.slots.values():
        slot.items.resize_filter()
    return index


def _rows(cursor: Any) -> Any:
    while batch := cursor.fetchmany(20_000):
        yield from batch


def _put(table: Any, item: str, entry: bytes) -> None:
    table.entries[item] = entry


def main() -> None:
    p = parser(__doc__.splitlines()[0], 1_000_000)
    p.add_argument("--sanctions", type=int, default=None, help="sanctions for the accounts baseline (default: --count)")
    p.add_argument("--database-url", help="a database populated by an earlier run (with --keep)")
    p.add_argument("--keep", action="store_true", help="keep the database for later runs")
    p.add_argument("--checks", type=int, default=1_000_000, help="checks per workload")
    args = quick(p.parse_args(), count=20_000, sanctions=20_000, checks=50_000)
    say(f"machine: {machine()}")
    if args.database_url:
        db = open_database(args.database_url, migrate=False)
        say(f"backend: {db.dialect}")
        measure(db, args)
        db.dispose()
        return
    sanctions = args.sanctions or args.count
    with scratch_database(args.backend, args.postgres_url, keep=args.keep) as db:
        say(f"backend: {db.dialect}; importing {sanctions:,} sanctions, then {args.count:,} content decisions")
        populate(db, sanctions, args.seed)
        populate_content(db, args.count, args.seed, sanctions)
        url = db.engine.url.render_as_string(hide_password=False)
        again = [a for a in sys.argv[1:] if a != "--keep"]
        subprocess.run([sys.executable, __file__, *again, "--database-url", url], check=True)


def measure(db: Database, args: Any) -> None:
    say(f"calibration: an empty Python loop takes {calibration():.0f} ns an iteration")
    active = active_decisions(db)
    say(f"active content decisions: {active:,}")
    at_us = to_micros(NOW)
    wall, cpu = time.perf_counter(), time.process_time()
    index = EnforcementIndex.build(db, now=NOW)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    say(
        f"build (accounts and items): {wall:.2f} s, {cpu:.2f} s CPU; "
        f"{len(index):,} accounts, {index.item_count():,} items (of which the items take a share)"
    )
    deep = item_deep_size(index)
    say(
        f"items, memory (sizeof of keys, entries, dicts, filters): {deep / 2**20:,.1f} MiB = "
        f"{deep / active:.0f} B per active content decision"
    )

    decided = [(slot.platform.id, item) for slot in index.slots.values() for item in slot.items.entries]
    sanctioned = [(slot.platform.id, a) for slot in index.slots.values() for a in slot.accounts]
    rows = item_workload(decided, args.checks, 0.1, args.seed)
    triples = workload(sanctioned, args.checks, 0.1, args.seed)
    denied = sum(1 for d in index.decide_items(rows, at_us) if not d[0][0])
    items_cpu, items_wall = rate(in_batches(index.decide_items, rows, at_us, 10_000), len(rows))
    accounts_cpu, accounts_wall = rate(in_batches(index.decide_many, triples, at_us, 10_000), len(triples))
    say(
        f"item checks, 10 % on decided items ({denied / len(rows):.1%} denied), decide_items: "
        f"{items_cpu:,.0f}/s per CPU second, {items_wall:,.0f}/s per wall second"
    )
    say(
        f"account checks, 10 % sanctioned (baseline, same run), decide_many: {accounts_cpu:,.0f}/s per CPU "
        f"second, {accounts_wall:,.0f}/s per wall second"
    )
    say(f"ratio, item checks / account checks (CPU): {items_cpu / accounts_cpu:.2f}")
    stated = item_workload(decided, args.checks, 0.1, args.seed, stated=True)
    stated_cpu, _ = rate(in_batches(index.decide_items, stated, at_us, 10_000), len(stated))
    say(f"item checks naming an author on every row (its status looked up): {stated_cpu:,.0f}/s per CPU second")
    on_decided = item_workload(decided, args.checks, 1.0, args.seed)
    decided_cpu, _ = rate(in_batches(index.decide_items, on_decided, at_us, 10_000), len(on_decided))
    say(f"item checks, decided items only: {decided_cpu:,.0f}/s per CPU second")
    from reprieve.domain.item_checks import ItemCheck

    objects = [ItemCheck(*row) for row in rows]
    views, _ = rate(in_batches(index.item_check_many, objects, at_us, 10_000), len(objects), 1)
    say(f"item checks as API results (item_check_many, formatted): {views:,.0f}/s per CPU second")

    del index, decided, sanctioned
    gc.unfreeze()
    gc.collect()
    tracemalloc.start()
    alone = items_only(db)
    gc.collect()
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    say(
        f"items, memory (tracemalloc, live after loading {alone.item_count():,} items alone): "
        f"{traced / 2**20:,.1f} MiB = {traced / active:.0f} B/decision"
    )


if __name__ == "__main__":
    main()
