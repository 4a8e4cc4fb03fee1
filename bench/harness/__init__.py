"""Shared by the benchmarks: command-line options, a throw-away database, realistic data.

The data: one operator (Meta) with five platforms; sanctions of every kind (warning 25%,
restriction 25%, suspension 40%, termination 10%), scoped to one platform (70%) or two
(30%), against mostly distinct accounts (about nine in ten never seen before, created on
first use by the import), each with a reason carrying the DSA statement-of-reasons fields.
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reprieve.domain.model import AccountRef
from reprieve.services.catalogue import create_operator, create_platform
from reprieve.services.sanctions import ImposeSanction, import_sanctions
from reprieve.store.db import Database, normalise_url, open_database

#: The instant the benchmarks pretend it is: sanctions start in the three years before it.
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ACTOR = "bench"
OPERATOR = "meta"
PLATFORMS = ("facebook", "instagram", "threads", "messenger", "whatsapp")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
QUICK_COUNT = 20_000

T = TypeVar("T")


def parser(description: str, *, count_help: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--count", type=int, default=1_000_000, help=f"{count_help} (default 1,000,000)")
    p.add_argument("--quick", action="store_true", help=f"a quick run: --count {QUICK_COUNT:,}")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("REPRIEVE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="the PostgreSQL server on which a throw-away database is created and dropped "
        "(default: $REPRIEVE_BENCH_POSTGRES_URL or %(default)s)",
    )
    p.add_argument("--seed", type=int, default=2021, help="seed of the generated data")
    return p


def parse(p: argparse.ArgumentParser) -> argparse.Namespace:
    args = p.parse_args()
    if args.quick:
        args.count = QUICK_COUNT
    if args.count < 1:
        p.error("--count must be at least 1")
    return args


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def max_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(*parts: object) -> None:
    print(*parts, flush=True)
    sys.stdout.flush()


def header(args: argparse.Namespace, what: str) -> None:
    say(f"machine: {machine()}")
    say(f"backend: {args.backend}; {what}")
    say(f"command: python bench/{os.path.basename(sys.argv[0])} {' '.join(sys.argv[1:])}")


@contextmanager
def scratch_database(backend: str, postgres_url: str) -> Iterator[Database]:
    """A new, empty, migrated database, dropped (or deleted) afterwards."""
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix="reprieve-bench-")
        db = open_database(f"sqlite:///{directory}/bench.db")
        try:
            yield db
        finally:
            db.dispose()
            shutil.rmtree(directory, ignore_errors=True)
        return
    name = f"reprieve_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(postgres_url)).set(database=name).render_as_string(hide_password=False)
    try:
        db = open_database(url)
        try:
            yield db
        finally:
            db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_catalogue(db: Database, *, now: datetime = NOW) -> None:
    """The operator and its platforms, recorded at ``now`` (a history recorded later never
    goes before it: recording instants never go backwards along the log)."""
    from reprieve.services import catalogue

    # A parsed command and a Caller since issue 20; an older revision's use cases take keywords
    # (bench/compare_revisions.py runs both).
    if not hasattr(catalogue, "CreateOperator"):
        create_operator(db, id=OPERATOR, name="Meta Platforms", actor=ACTOR, now=now)  # type: ignore[call-arg]
        for platform_id in PLATFORMS:
            create_platform(db, id=platform_id, operator=OPERATOR, name=platform_id.capitalize(), actor=ACTOR, now=now)  # type: ignore[call-arg]
        return
    from reprieve.services.callers import Caller

    caller = Caller(ACTOR, now=now)
    create_operator(db, catalogue.CreateOperator.parse(id=OPERATOR, name="Meta Platforms"), caller=caller)
    for platform_id in PLATFORMS:
        command = catalogue.CreatePlatform.parse(id=platform_id, operator=OPERATOR, name=platform_id.capitalize())
        create_platform(db, command, caller=caller)


_CATEGORIES = (
    ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "KEYWORD_PHISHING", "fraud"),
    ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "KEYWORD_HATE_SPEECH", "hate-speech"),
    ("STATEMENT_CATEGORY_VIOLENCE", "KEYWORD_INCITEMENT_VIOLENCE_HATRED", "violence"),
    ("STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "KEYWORD_RISK_PUBLIC_HEALTH", "dangerous-orgs"),
    ("STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "KEYWORD_COPYRIGHT_INFRINGEMENT", "ip"),
    ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS", "minors"),
    (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
        "civic-integrity",
    ),
)
_SOURCES = ("voluntary", "voluntary", "article_16", "trusted_flagger", "other_notification")
_COUNTRIES = ("FR", "DE", "IT", "ES", "NL", "BE", "PL", "IE")
_CONTENT = ("CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_VIDEO")


def _reason(rng: random.Random, case: int) -> dict[str, Any]:
    """A reason as a moderator files it: a policy's wording, with the facts of this case."""
    category, keyword, policy = _CATEGORIES[case % len(_CATEGORIES)]
    illegal = rng.random() < 0.15
    reason: dict[str, Any] = {
        "policy": f"community-standards/{policy}",
        "ground": "illegal_content" if illegal else "incompatible_content",
        "category": category,
        "keywords": [keyword],
        "explanation": f"The account repeatedly breached the {policy} policy after warnings.",
        "facts": f"Case {case}: {rng.randint(1, 40)} items reported and reviewed, all removed.",
        "source": _SOURCES[case % len(_SOURCES)],
        "territorial_scope": sorted(rng.sample(_COUNTRIES, rng.randint(1, 3))),
        "content_type": [_CONTENT[case % len(_CONTENT)]],
        "content_date": (NOW - timedelta(days=rng.randint(30, 1200))).date().isoformat(),
    }
    if illegal:
        reason["legal_ground"] = "Art. 421-2-5 Code pénal (apology of terrorism)"
    return reason


def commands(count: int, seed: int) -> Iterator[ImposeSanction]:
    """``count`` sanctions to impose, made lazily so that memory stays flat.

    Every reason is a distinct object with its own facts, as if read from a file; the
    instants are a pool of a few thousand, so that making them costs the benchmark little.
    """
    # Typed since issue 20 (``ImposeSanction.parse`` builds one from JSON-like values); an older
    # revision's command takes the values as they are (bench/compare_revisions.py runs both).
    build = getattr(ImposeSanction, "parse", ImposeSanction)
    rng = random.Random(seed)
    rand = rng.random
    base = NOW - timedelta(days=3 * 365)
    span = 3 * 365 * 86_400
    instants = [(base + timedelta(seconds=int(rand() * span))).strftime("%Y-%m-%dT%H:%M:%SZ") for _ in range(4096)]
    reasons = [_reason(rng, case) for case in range(1024)]
    for i in range(count):
        which = int(rand() * len(PLATFORMS))
        subject_platform = PLATFORMS[which]
        # One sanction in ten names an account sanctioned before (a repeat offender).
        account = f"user{int(rand() * i)}" if i and rand() < 0.1 else f"user{i}"
        scope: list[str] | None = None
        if rand() < 0.3:  # also on another platform of the operator
            scope = [subject_platform, PLATFORMS[(which + 1 + int(rand() * (len(PLATFORMS) - 1))) % len(PLATFORMS)]]
        draw = rand()
        denies: tuple[str, ...] = ()
        duration: str | None = None
        review_after: str | None = None
        if draw < 0.25:
            kind = "warning"
        elif draw < 0.5:
            kind = "restriction"
            denies = ("post", "comment") if rand() < 0.5 else ("live", "monetize", "advertise")
            duration = "P30D"
        elif draw < 0.9:
            kind = "suspension"
            duration = ("P7D", "P30D", "P1Y", "P2Y")[int(rand() * 4)]
            if duration == "P2Y":
                review_after = "P2Y"
        else:
            kind = "termination"
        reason = dict(reasons[i & 1023])
        reason["facts"] = f"Case {i}: {1 + i % 37} items reported and reviewed, all removed."
        yield build(
            subject=AccountRef(subject_platform, account),
            kind=kind,
            reason=reason,
            scope=scope,
            denies=denies,
            starts_at=instants[i & 4095],
            duration=duration,
            review_after=review_after,
            automated={"detection": rand() < 0.6, "decision": "partially" if rand() < 0.3 else "not_automated"},
        )


@dataclass
class Stopwatch:
    """Time spent inside an iterator (making the benchmark's input), kept apart from the rest."""

    seconds: float = 0.0

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        iterator = iter(items)
        clock = time.perf_counter
        while True:
            started = clock()
            try:
                item = next(iterator)
            except StopIteration:
                self.seconds += clock() - started
                return
            self.seconds += clock() - started
            yield item


@dataclass(frozen=True)
class Imported:
    sanctions: int
    seconds: float  #: wall time of import_sanctions, less the time spent making its input
    input_seconds: float


def populate(
    db: Database, count: int, seed: int, *, progress: Callable[[int], None] | None = None, first: int = 0
) -> Imported:
    """Impose ``count`` generated sanctions (numbered from ``first``) through import_sanctions."""
    watch = Stopwatch()
    generated = commands(first + count, seed)
    for _ in range(first):
        next(generated)
    started = time.perf_counter()
    imported = import_as(db, watch.wrap(generated), actor=ACTOR, now=NOW, on_batch=progress)
    elapsed = time.perf_counter() - started
    return Imported(imported, elapsed - watch.seconds, watch.seconds)


def import_as(db: Database, commands: Iterable[ImposeSanction], *, actor: str, now: datetime, **options: Any) -> int:
    """``import_sanctions`` as this revision takes it: one ``Caller`` since issue 20, ``actor=``
    and ``now=`` before (bench/compare_revisions.py measures both)."""
    if "caller" in inspect.signature(import_sanctions).parameters:
        from reprieve.services.callers import Caller

        return int(import_sanctions(db, commands, caller=Caller(actor, now=now), **options))
    return int(import_sanctions(db, commands, actor=actor, now=now, **options))  # type: ignore[call-arg]


def progress_printer(total: int, label: str) -> Callable[[int], None]:
    """A callback for import_sanctions that prints a line every five seconds or so."""
    started = time.perf_counter()
    last = [started, 0]

    def report(done: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 5 or done == total:
            rate = (done - last[1]) / (now - last[0])
            say(f"  {done:>10,} {label} ({rate:,.0f}/s lately, max RSS {max_rss_mib():,.0f} MiB)")
            last[0], last[1] = now, done

    return report
