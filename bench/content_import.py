"""Bulk import of decisions on content, against the sanctions import measured in the same run.

    python bench/content_import.py --backend sqlite|postgresql [--count N | --quick]

Target (issue 24): content decisions imported at least as fast as sanctions. Both go through their
service's bulk path (reprieve.services.content_import.import_content and
reprieve.services.sanctions.import_sanctions): events, hash chain and projections included, each
into its own throw-away database, batches of 10,000, the time spent making the input left out.

The mix. Sanctions: bench/ledger_import.py's (every kind, one or two platforms, a DSA reason each).
Content decisions: items of five platforms, half with numeric ids of 19 digits and half with string
ids of about 35 characters; authors mostly distinct (one item in five by an author seen before);
kinds removal 40 %, disabling 15 % (in one to three EEA countries), demotion 10 %, label 10 %,
age restriction 5 %, interaction restriction 5 %, demonetization 10 %, other 5 %; one in three
with a term; one in two with evidence (a snapshot reference and its SHA-256); each row says when
its user was informed (imported history issues no statement).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

from harness import (
    ACTOR,
    NOW,
    PLATFORMS,
    _reason,
    commands,
    create_catalogue,
    header,
    max_rss_mib,
    parse,
    parser,
    say,
    scratch_database,
)

from reprieve.domain.sanctions import Imported
from reprieve.services.callers import Caller
from reprieve.services.content import DecideContent
from reprieve.services.content_import import import_content
from reprieve.services.sanctions import import_sanctions

T = TypeVar("T")

_KINDS = (
    ("removal", 40),
    ("disabling", 15),
    ("demotion", 10),
    ("label", 10),
    ("age_restriction", 5),
    ("interaction_restriction", 5),
    ("demonetization", 10),
    ("other", 5),
)
_COUNTRIES = ("FR", "DE", "IT", "ES", "NL", "BE", "PL", "IE")


def content_commands(count: int, seed: int) -> Iterator[DecideContent]:
    """``count`` content decisions to import, made lazily (memory stays flat)."""
    rng = random.Random(seed)
    rand = rng.random
    kinds = [kind for kind, weight in _KINDS for _ in range(weight)]
    base = NOW - timedelta(days=3 * 365)
    span = 3 * 365 * 86_400
    instants = [base + timedelta(seconds=int(rand() * span)) for _ in range(4096)]
    reasons = [_reason(rng, case) for case in range(1024)]
    for reason in reasons:
        del reason["territorial_scope"], reason["content_type"], reason["content_date"]  # the item's and the decision's
    digests = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(1024)]
    for i in range(count):
        platform = PLATFORMS[int(rand() * len(PLATFORMS))]
        item = f"{10**18 + i * 7919:019d}" if i % 2 else f"post-{i:08d}-{rng.getrandbits(96):024x}"
        author = f"user{int(rand() * i)}" if i and rand() < 0.2 else f"author{i}"
        kind = kinds[int(rand() * len(kinds))]
        starts = instants[i & 4095]
        reason = dict(reasons[i & 1023])
        reason["facts"] = f"Case {i}: reported and reviewed."
        command = DecideContent.parse(
            item={
                "platform": platform,
                "item": item,
                "account": author,
                "content_type": ["CONTENT_TYPE_TEXT" if i % 3 else "CONTENT_TYPE_IMAGE"],
                "content_date": (starts - timedelta(days=1)).date().isoformat(),
                "language": "en" if i % 4 else "fr",
            },
            kind=kind,
            reason=reason,
            kind_other="Hidden from the trending page" if kind == "other" else None,
            territorial_scope=sorted(rng.sample(_COUNTRIES, 1 + int(rand() * 3))) if kind == "disabling" else None,
            starts_at=starts,
            duration="P90D" if rand() < 0.33 else None,
            automated={"detection": rand() < 0.6, "decision": "partially" if rand() < 0.3 else "not_automated"},
            evidence={"reference": f"snapshots/{i}", "sha256": digests[i & 1023]} if i % 2 else None,
        )
        yield replace(command, imported=Imported(starts + timedelta(minutes=5)))


class Clocks:
    """Wall and CPU time spent inside an iterator (making the benchmark's input), kept apart."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def wrap(self, items: Iterator[T]) -> Iterator[T]:
        wall, cpu = time.perf_counter, time.process_time
        while True:
            w, c = wall(), cpu()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                self.wall += wall() - w
                self.cpu += cpu() - c
            yield item


def timed(run: Callable[[Iterator[Any]], int], commands: Iterator[Any]) -> tuple[int, float, float]:
    """(how many, wall seconds, CPU seconds of this process), the input's making left out."""
    clocks = Clocks()
    wall, cpu = time.perf_counter(), time.process_time()
    done = run(clocks.wrap(commands))
    return done, time.perf_counter() - wall - clocks.wall, time.process_time() - cpu - clocks.cpu


def main() -> None:
    args = parse(parser(__doc__.splitlines()[0], count_help="sanctions and content decisions to import"))
    header(args, f"{args.count:,} sanctions, then {args.count:,} content decisions, each into its own database")
    caller = Caller(ACTOR, now=NOW)
    results = {}
    for label, make, run in (
        ("sanctions", commands, lambda db: lambda rows: import_sanctions(db, rows, caller=caller)),
        ("content decisions", content_commands, lambda db: lambda rows: import_content(db, rows, caller=caller)),
    ):
        with scratch_database(args.backend, args.postgres_url) as db:
            create_catalogue(db)
            done, wall, cpu = timed(run(db), make(args.count, args.seed))
        results[label] = (done / wall, done / cpu)
        say(f"{label}: {done:,} in {wall:.1f} s ({done / wall:,.0f}/s); {cpu:.1f} s of CPU here ({done / cpu:,.0f}/s)")
    (s_wall, s_cpu), (c_wall, c_cpu) = results["sanctions"], results["content decisions"]
    ratio = c_wall / s_wall
    verdict = "met" if ratio >= 1 else "NOT met"
    say(f"ratio to the sanctions import: x{ratio:.2f} by wall time (target >= x1.00: {verdict})")
    if args.backend == "sqlite":  # all the work is in this process: its CPU time is the work, whatever the load
        say(f"ratio by this process's CPU time: x{c_cpu / s_cpu:.2f}")
    say(f"peak memory (max RSS): {max_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
