"""Speed of two revisions of this repository, before and after a change, measured in the same run.

    python bench/compare_revisions.py --before REV --after REV [--pairs 9] [--quick] [--only callgrind|http]

Each revision's ``src/`` is extracted (``git archive REV src | tar -x``) into a temporary
directory, removed afterwards, and run by this virtual environment's interpreter with that ``src``
first on ``PYTHONPATH`` (the dependencies are the same on both sides); each side checks that
``reprieve.__file__`` lies in its own copy. Each side makes its own SQLite database with the same
seeded data: the catalogue (an operator, five platforms on Meta's policy), N sanctions active at
the run's start instant T0, and a platform token.

1. **Instruction counts** (``valgrind --tool=callgrind``: the same whatever the machine's load).
   One process a side runs, each wrapped in ``sys.call_tracing`` (callgrind zeroes its counters on
   entering that C function and dumps them on leaving it, ``--zero-before``/``--dump-after``, so
   start-up, imports and set-up are left out), after one unmeasured warm-up of each:
   checks answered by the enforcement index in batches of 1,000 and one per call (``decide_many``
   and ``views``, what the API's fast path runs, for the index built from the database at T0; 10 %
   of the checks on sanctioned accounts), violations recorded through
   ``services.violations.record_violation`` (the API's path without group commit), and bulk-import
   batches of 1,000 sanctions through ``services.sanctions.import_sanctions`` (the mix of
   ``bench/harness``). Printed: instructions per operation on each side and the ratio after/before.
   ``PYTHONHASHSEED=0`` on both sides; the ids are still random (``os.urandom``), which moves the
   counts by a few parts in ten thousand: a run with ``--before HEAD --after HEAD`` shows it.
2. **HTTP pairs**: ``--pairs`` pairs, the two sides alternately first. Each measurement starts a
   new ``reprieve serve`` of that side (on one CPU, the load generator on the others) over a fresh
   copy of that side's database, warms it up, then sends a fixed number of single checks
   (``POST /v1/checks`` with one row) and of violations (``POST /v1/violations``, group commit on)
   over keep-alive connections (``bench/http_client.py``). Printed: each pair, the median of the
   per-pair ratios after/before (above 1: the after side is slower) of the wall time per request
   and of the server's CPU time per request (from /proc; less moved than the wall clock by other
   processes on a shared machine), and their spread (lowest to highest ratio) as the noise of
   these measures on this machine.

The drivers call only entry points that both sides have and that the refactor of issue 19 keeps
(``store.db.open_database``, ``services.catalogue``, ``services.sanctions``, ``services.tokens``,
``services.violations``, ``enforcement.EnforcementIndex``, the HTTP API); where a name may move,
``import_first`` tries its new module, then its old one.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
#: Same-length directory names, so that no path the two sides hash or format differs in length.
SIDE_DIRS = {"before": "old", "after": "new"}
OPERATOR = "meta"
PLATFORMS = ("facebook", "instagram", "threads", "messenger", "whatsapp")
CAPABILITIES = ("post", "comment", "message", "react", "live", "advertise", "monetize")
ACTOR = "bench"
#: The C function the measured calls run inside (Python/sysmodule.c): nothing else calls it.
MEASURED = "sys_call_tracing"
IMPORT_BATCH = 1_000
#: The console script of this environment: with a side's ``src`` first on PYTHONPATH, it runs that side.
REPRIEVE = str(Path(sys.executable).with_name("reprieve"))


@dataclass(frozen=True)
class Sizes:
    sanctions: int  #: active sanctions in each side's database
    batch_checks: int  #: checks in batches of 1,000, measured under callgrind
    single_checks: int  #: checks one per call, under callgrind
    violations: int  #: record_violation calls, under callgrind
    import_batches: int  #: import batches of 1,000, under callgrind
    pairs: int
    http_checks: int  #: single-check requests a measurement
    http_violations: int  #: violation requests a measurement
    check_concurrency: int = 16
    violation_concurrency: int = 96


FULL = Sizes(20_000, 200_000, 20_000, 200, 3, 9, 20_000, 3_000)
QUICK = Sizes(3_000, 20_000, 2_000, 20, 1, 2, 2_000, 300)


# --- what runs inside a side's environment ------------------------------------------------


def import_first(name: str, *modules: str) -> Any:
    """``name`` from the first of ``modules`` that has it. Give the new module first, then the old
    one: the same driver then runs on both sides of a move (e.g. ``services/`` to ``runtime/``)."""
    for module in modules:
        try:
            found = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (module + ".").startswith(exc.name + "."):
                raise  # the module exists but something it imports does not: say so
            continue
        if hasattr(found, name):
            return getattr(found, name)
    raise ImportError(f"{name} is in none of {', '.join(modules)}")


def parsed(command: Any) -> Any:
    """A command's ``parse`` (the edge's builder from JSON-like values), or the command itself."""
    return getattr(command, "parse", command)


def reprieve_api() -> dict[str, Any]:
    """The entry points the drivers call, each from where it lives on this side."""
    return {
        "open_database": import_first("open_database", "reprieve.store.db"),
        "create_operator": import_first("create_operator", "reprieve.services.catalogue"),
        "create_platform": import_first("create_platform", "reprieve.services.catalogue"),
        "create_token": import_first("create_token", "reprieve.services.tokens"),
        # Typed since issue 20: built from strings by ``parse`` where it has one.
        "ImposeSanction": parsed(import_first("ImposeSanction", "reprieve.services.sanctions")),
        "import_sanctions": import_first("import_sanctions", "reprieve.services.sanctions"),
        "AccountRef": import_first("AccountRef", "reprieve.domain.model"),
        "RecordViolation": parsed(import_first("RecordViolation", "reprieve.services.violations")),
        "record_violation": import_first("record_violation", "reprieve.services.violations"),
        # Caller may leave due_process as the use cases' inputs get their own module (issue 19, part 2).
        "Caller": import_first("Caller", "reprieve.services.callers", "reprieve.services.due_process"),
        "EnforcementIndex": import_first("EnforcementIndex", "reprieve.enforcement"),
    }


def import_as(api: dict[str, Any], db: Any, commands: Any, *, now: datetime, **options: Any) -> Any:
    """``import_sanctions`` as this side takes it: one ``Caller`` since issue 20, ``actor=`` and ``now=`` before."""
    if "caller" in inspect.signature(api["import_sanctions"]).parameters:
        return api["import_sanctions"](db, commands, caller=api["Caller"](ACTOR, now=now), **options)
    return api["import_sanctions"](db, commands, actor=ACTOR, now=now, **options)


def check_own_code() -> str:
    """Where ``reprieve`` was loaded from; exits unless it is this side's copy."""
    import reprieve

    where = str(Path(reprieve.__file__).resolve())
    expected = os.environ["COMPARE_SRC"]
    if not where.startswith(expected + os.sep):
        raise SystemExit(f"reprieve was loaded from {where}, not from {expected}")
    return where


def active_commands(api: dict[str, Any], count: int, seed: int, t0: datetime) -> Iterator[Any]:
    """``count`` sanctions active at ``t0`` and for a week at least after it (the mix of
    ``bench/enforcement_index.py``): the HTTP servers, which read the real clock, see them too."""
    rng = random.Random(seed)
    rand = rng.random
    reasons = [
        {
            "policy": f"community-standards/{i % 12}",
            "ground": "incompatible_content",
            "category": ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_VIOLENCE")[i % 2],
            "explanation": f"Repeated breaches of the community standards (template {i}).",
            "facts": f"Content reported and reviewed; {rng.randint(1, 40)} items removed.",
            "source": "voluntary",
        }
        for i in range(300)
    ]
    for i in range(count):
        platform = PLATFORMS[int(rand() * len(PLATFORMS))]
        account = f"acc{int(rand() * i)}" if i and rand() < 0.05 else f"acc{i}"
        scope = None
        if rand() < 0.2:
            other = PLATFORMS[int(rand() * len(PLATFORMS))]
            scope = [platform, other] if other != platform else None
        starts = t0 - timedelta(seconds=int(rand() * 2 * 365 * 86_400) + 1)
        ends = t0 + timedelta(days=7, seconds=int(rand() * 2 * 365 * 86_400))
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
        yield api["ImposeSanction"](
            subject=api["AccountRef"](platform, account),
            kind=kind,
            reason=dict(reasons[int(rand() * len(reasons))]),
            scope=scope,
            denies=denies,
            starts_at=starts,
            ends_at=ends_at,
        )


def prepare(directory: Path, t0: datetime, sanctions: int, seed: int) -> None:
    """This side's database: the catalogue, ``sanctions`` active at ``t0``, and a platform token."""
    api = reprieve_api()
    db = api["open_database"](f"sqlite:///{directory}/bench.db")
    catalogue = importlib.import_module("reprieve.services.catalogue")
    if hasattr(catalogue, "CreateOperator"):  # since issue 20: a parsed command and a Caller
        caller = api["Caller"](ACTOR, now=t0)
        api["create_operator"](db, catalogue.CreateOperator.parse(id=OPERATOR, name="Meta Platforms"), caller=caller)
        for platform in PLATFORMS:
            command = catalogue.CreatePlatform.parse(
                id=platform, operator=OPERATOR, name=platform.title(), policy="meta"
            )
            api["create_platform"](db, command, caller=caller)
    else:
        api["create_operator"](db, id=OPERATOR, name="Meta Platforms", actor=ACTOR, now=t0)
        for platform in PLATFORMS:
            api["create_platform"](
                db, id=platform, operator=OPERATOR, name=platform.title(), policy="meta", actor=ACTOR, now=t0
            )
    import_as(api, db, active_commands(api, sanctions, seed, t0), now=t0)
    token_module = importlib.import_module("reprieve.services.tokens")
    if hasattr(token_module, "CreateToken"):  # since issue 20: a parsed command, a Caller, a view
        command = token_module.CreateToken.parse(name="compare", role="platform", operator=OPERATOR, expires_in="P1D")
        token = api["create_token"](db, command, caller=api["Caller"](ACTOR, now=t0)).secret
    else:
        token = api["create_token"](
            db, name="compare", role="platform", operator=OPERATOR, expires_in="P1D", actor=ACTOR, now=t0
        )["token"]
    db.dispose()
    (directory / "token").write_text(token)


def sanctioned_accounts(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT platform_id, account_id FROM accounts ORDER BY platform_id, account_id").fetchall()
    return [(str(p), str(a)) for p, a in rows]


def check_triples(sanctioned: Sequence[tuple[str, str]], n: int, seed: int) -> list[tuple[str, str, str]]:
    """``n`` checks, one in ten on a sanctioned account, the rest on accounts never seen."""
    rng = random.Random(seed)
    checks = []
    for _ in range(n):
        capability = CAPABILITIES[int(rng.random() * len(CAPABILITIES))]
        if rng.random() < 0.1:
            platform, account = sanctioned[int(rng.random() * len(sanctioned))]
        else:
            platform, account = PLATFORMS[int(rng.random() * len(PLATFORMS))], f"member{rng.randrange(10**9)}"
        checks.append((platform, account, capability))
    return checks


def violation_fields(prefix: str, n: int, accounts: int) -> dict[str, str]:
    """A violation as a platform reports it; ``accounts`` accounts share them (strikes add up)."""
    return {
        "id": f"{prefix}-{n}",
        "platform": "facebook",
        "account": f"acct-{n % accounts}",
        "policy": "Violence and Incitement",
        "severity": "moderate",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "facts": "A post inciting violence.",
    }


def measure_in_process(database: Path, t0: datetime, sizes: dict[str, int], seed: int) -> None:
    """Under callgrind: set up, then run each workload once unmeasured and once inside
    ``sys.call_tracing`` (one callgrind dump each, in the order of ``WORKLOADS``)."""
    from harness import commands  # bench/harness: the documented import mix

    api = reprieve_api()
    db = api["open_database"](f"sqlite:///{database}", migrate=False)
    index = api["EnforcementIndex"].build(db, now=t0)
    at_us = int(t0.timestamp()) * 1_000_000
    operators = [OPERATOR]
    triples = check_triples(sanctioned_accounts(database), sizes["batch_checks"] + 1_000, seed)

    def checks_in_batches(rows: Sequence[tuple[str, str, str]], size: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(0, len(rows), size):
                batch = rows[i : i + size]
                refused: list[int] = []
                decisions = index.decide_many(batch, at_us, operators=operators, refused=refused)
                index.views(batch, decisions, refused)

        return run

    caller = api["Caller"](actor=ACTOR)
    accounts = max(1, sizes["violations"] // 3)
    # The instant is the caller's since issue 20 (``record_violation(db, report, caller=...)``).
    takes_now = "now" in inspect.signature(api["record_violation"]).parameters

    def violations(prefix: str, count: int) -> Callable[[], None]:
        reports = [api["RecordViolation"](**violation_fields(prefix, n, accounts)) for n in range(count)]
        instants = [t0 + timedelta(seconds=n) for n in range(count)]
        callers = [caller] * count if takes_now else [caller.at(instant) for instant in instants]

        def run() -> None:
            record = api["record_violation"]
            if takes_now:
                for report, instant in zip(reports, instants, strict=True):
                    record(db, report, caller=caller, now=instant)
            else:
                for report, each in zip(reports, callers, strict=True):
                    record(db, report, caller=each)

        return run

    def imports(first: int, batches: int) -> Callable[[], None]:
        generated = commands(first + batches * IMPORT_BATCH, seed)
        for _ in range(first):
            next(generated)
        chunks = [[next(generated) for _ in range(IMPORT_BATCH)] for _ in range(batches)]

        def run() -> None:
            for chunk in chunks:
                import_as(api, db, chunk, now=t0, batch_size=IMPORT_BATCH)

        return run

    workloads = [
        (checks_in_batches(triples[:1_000], 1_000), checks_in_batches(triples[1_000:], 1_000)),
        (
            checks_in_batches(triples[:200], 1),
            checks_in_batches(triples[1_000 : 1_000 + sizes["single_checks"]], 1),
        ),
        (violations("warm", 5), violations("bench", sizes["violations"])),
        (imports(0, 1), imports(IMPORT_BATCH, sizes["import_batches"])),
    ]
    gc.collect()
    gc.freeze()  # as a server does once started: what the set-up made is left out of collections
    for warm, measured in workloads:
        warm()
        gc.collect()
        sys.call_tracing(measured, ())
    db.dispose()


def worker(argv: Sequence[str]) -> None:
    p = argparse.ArgumentParser(prog="compare_revisions.py --worker")
    p.add_argument("task", choices=("where", "prepare", "measure"))
    p.add_argument("--directory", type=Path)
    p.add_argument("--t0")
    p.add_argument("--seed", type=int, default=2021)
    p.add_argument("--sizes", default="{}")
    args = p.parse_args(argv)
    # The ids' random bits (os.urandom, read at each call) from a seeded generator, so that both
    # sides make the same ids and their indexes the same B-trees: counts that differ by chance
    # otherwise. Set before reprieve is imported, should a side bind the function at import.
    seeded = random.Random(args.seed)
    os.urandom = seeded.randbytes
    where = check_own_code()
    if args.task == "where":
        print(where)
    elif args.task == "prepare":
        prepare(args.directory, datetime.fromisoformat(args.t0), json.loads(args.sizes)["sanctions"], args.seed)
    else:
        measure_in_process(
            args.directory / "callgrind.db", datetime.fromisoformat(args.t0), json.loads(args.sizes), args.seed
        )


# --- the comparison -----------------------------------------------------------------------

#: (what a callgrind dump measured, operations it holds, the unit a line shows)
WORKLOADS: list[tuple[str, Callable[[Sizes], int], str]] = [
    ("checks, batches of 1,000 (decide_many + views)", lambda s: s.batch_checks, "per check"),
    ("checks, one per call (decide_many + views)", lambda s: s.single_checks, "per check"),
    ("one violation (services.violations.record_violation)", lambda s: s.violations, "per violation"),
    ("one import batch of 1,000 sanctions (import_sanctions)", lambda s: s.import_batches, "per batch"),
]


def say(*parts: object) -> None:
    print(*parts, flush=True)


@dataclass
class Side:
    name: str
    rev: str
    commit: str
    directory: Path

    @property
    def src(self) -> Path:
        return self.directory / "src"

    @property
    def database(self) -> Path:
        return self.directory / "bench.db"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPRIEVE_")}
        env.update(PYTHONPATH=str(self.src), PYTHONHASHSEED="0", COMPARE_SRC=str(self.src.resolve()), **extra)
        return env

    def run_worker(self, *args: str, prefix: Sequence[str] = ()) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*prefix, sys.executable, str(HERE), "--worker", *args],
            env=self.env(),
            cwd=self.directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def finish(process: subprocess.Popen[str], what: str) -> str:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{what} failed ({process.returncode}):\n{out[-4000:]}")
    return out


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout.strip()


def checkout(rev: str, directory: Path) -> str:
    """``src/`` of ``rev`` into ``directory``; returns the commit."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    directory.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", commit, "src"], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(directory)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    return commit


def callgrind(sides: Sequence[Side], t0: datetime, sizes: Sizes, seed: int) -> dict[str, list[int]]:
    """Instruction counts of each workload on each side (both sides at once: counts do not
    depend on the load)."""
    running = []
    for side in sides:
        shutil.copyfile(side.database, side.directory / "callgrind.db")
        out = side.directory / "callgrind.out"
        prefix = [
            "valgrind",
            "--tool=callgrind",
            f"--zero-before={MEASURED}",
            f"--dump-after={MEASURED}",
            f"--callgrind-out-file={out}",
            f"--log-file={side.directory / 'valgrind.log'}",
        ]
        worker_sizes = json.dumps(
            {
                "batch_checks": sizes.batch_checks,
                "single_checks": sizes.single_checks,
                "violations": sizes.violations,
                "import_batches": sizes.import_batches,
            }
        )
        args = ["measure", "--directory", str(side.directory), "--t0", t0.isoformat(), "--seed", str(seed)]
        running.append((side, side.run_worker(*args, "--sizes", worker_sizes, prefix=prefix)))
    counts: dict[str, list[int]] = {}
    for side, process in running:
        finish(process, f"callgrind, {side.name}")
        counts[side.name] = []
        for k in range(1, len(WORKLOADS) + 1):
            dump = side.directory / f"callgrind.out.{k}"
            if not dump.exists():
                raise SystemExit(f"no callgrind dump {dump.name}: is {MEASURED} in this interpreter's symbols?")
            summary = next(line for line in dump.read_text().splitlines() if line.startswith("summary:"))
            counts[side.name].append(int(summary.split()[1]))
    return counts


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Measured:
    requests: int
    seconds: float
    server_cpu: float = 0.0  #: CPU seconds of the server process (all its threads) meanwhile
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us(self) -> float:
        """The server's CPU time per request, in microseconds."""
        return self.server_cpu / self.requests * 1e6

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def placement() -> tuple[Callable[[], None] | None, str]:
    """Pin this process (the load generator) to all but the last CPU it may use; return what pins
    a server to that last one, with a description."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(allowed) < 2:
        return None, "left to the kernel (one CPU)"
    server, client = allowed[-1], allowed[:-1]
    os.sched_setaffinity(0, client)

    def pin() -> None:
        os.sched_setaffinity(0, {server})

    return pin, f"server on CPU {server}, load generator on CPU {','.join(map(str, client))}"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of process ``pid``, all its threads (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    port: int, server: int, token: str, path: str, bodies: Sequence[bytes], concurrency: int, ok: int
) -> Measured:
    """Send every one of ``bodies`` over ``concurrency`` keep-alive connections, each sending its
    next request when its answer has arrived; with the wall time and the server's CPU time."""
    import asyncio

    from http_client import Connection

    connections = [await Connection.open(port, token, path) for _ in range(concurrency)]
    pending = iter(bodies)
    result = Measured(len(bodies), 0.0)
    clock = time.perf_counter

    async def worker(conn: Connection) -> None:
        for body in pending:
            started = clock()
            status, answer = await conn.post(body)
            result.latencies_ms.append((clock() - started) * 1000)
            if status != ok:
                if not result.failures:
                    say(f"  first failure on {path}: {status} {answer[:300]!r}")
                result.failures[status] = result.failures.get(status, 0) + 1

    started, cpu = clock(), cpu_seconds(server)
    try:
        await asyncio.gather(*(worker(conn) for conn in connections))
    finally:
        for conn in connections:
            conn.close()
    result.seconds = clock() - started
    result.server_cpu = cpu_seconds(server) - cpu
    return result


def serve_and_measure(
    side: Side, sizes: Sizes, pin: Callable[[], None] | None, check_bodies: list[bytes], pair: int
) -> tuple[Measured, Measured]:
    """A new server of ``side`` over a fresh copy of its database: checks, then violations."""
    import uvloop
    from http_client import wait_until_up

    database = side.directory / "http.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(side.database, database)
    token = (side.directory / "token").read_text()
    port = free_port()
    log = side.directory / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [REPRIEVE, "--database-url", f"sqlite:///{database}", "serve", "--port", str(port)],
            env=side.env(REPRIEVE_GROUP_COMMIT="1"),
            cwd=side.directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=pin,  # affinity, before exec (this process runs no threads)
        )
    accounts = 1_000

    def violation_bodies(prefix: str, count: int) -> list[bytes]:
        return [json.dumps(violation_fields(prefix, n, accounts)).encode() for n in range(count)]

    async def load() -> tuple[Measured, Measured]:
        await wait_until_up(port, server, log.read_text, timeout=300)
        await drive(port, server.pid, token, "/v1/checks", check_bodies[:500], sizes.check_concurrency, 200)
        await drive(
            port, server.pid, token, "/v1/violations", violation_bodies("warm", 200), sizes.violation_concurrency, 201
        )
        checks = await drive(port, server.pid, token, "/v1/checks", check_bodies, sizes.check_concurrency, 200)
        violations = await drive(
            port,
            server.pid,
            token,
            "/v1/violations",
            violation_bodies(f"p{pair}", sizes.http_violations),
            sizes.violation_concurrency,
            201,
        )
        return checks, violations

    try:
        return uvloop.run(load())
    finally:
        server.terminate()  # uvicorn stops gracefully on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def http_pairs(sides: Sequence[Side], sizes: Sizes, seed: int) -> tuple[list[list[float]], bool]:
    """``sizes.pairs`` alternated pairs; returns the per-pair ratios (checks, violations) and
    whether every request succeeded."""
    pin, where = placement()
    say(
        f"# HTTP: {where}; {sizes.http_checks:,} single checks ({sizes.check_concurrency} in flight) and "
        f"{sizes.http_violations:,} violations ({sizes.violation_concurrency} in flight) a measurement, "
        "after a warm-up of 500 and 200; a new server and a fresh copy of its database each time"
    )
    triples = check_triples(sanctioned_accounts(sides[0].database), sizes.http_checks, seed + 1)
    check_bodies = [
        json.dumps({"checks": [{"platform": p, "account": a, "capability": c}]}).encode() for p, a, c in triples
    ]
    ratios: list[list[float]] = [[], [], [], []]  # checks, violations: wall, then server CPU
    clean = True
    for pair in range(sizes.pairs):
        order = list(sides) if pair % 2 == 0 else list(reversed(sides))
        got = {side.name: serve_and_measure(side, sizes, pin, check_bodies, pair) for side in order}
        line = []
        for k, label in enumerate(("checks", "violations")):
            before, after = got["before"][k], got["after"][k]
            clean = clean and not before.failures and not after.failures
            ratio = before.per_second / after.per_second  # time per request, after / before
            cpu_ratio = after.cpu_us / before.cpu_us
            ratios[k].append(ratio)
            ratios[k + 2].append(cpu_ratio)
            line.append(
                f"{label} {before.per_second:,.0f} -> {after.per_second:,.0f} req/s x{ratio:.3f}"
                f" (p50 {before.p50:.2f} -> {after.p50:.2f} ms; server CPU {before.cpu_us:,.0f} ->"
                f" {after.cpu_us:,.0f} us/req x{cpu_ratio:.3f})"
            )
        say(f"pair {pair + 1} ({order[0].name} first): " + "; ".join(line))
    return ratios, clean


# --- main ---------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import platform

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, load average {load}"


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2:])
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", default="HEAD", help="the revision before the change (default HEAD)")
    p.add_argument("--after", default="HEAD", help="the revision after it (default HEAD: the noise floor)")
    p.add_argument("--pairs", type=int, default=None, help=f"HTTP pairs (default {FULL.pairs}; quick {QUICK.pairs})")
    p.add_argument("--quick", action="store_true", help="small sizes and two pairs: a smoke test (make bench)")
    p.add_argument("--only", choices=("callgrind", "http"), help="run one half only")
    p.add_argument("--seed", type=int, default=2021)
    args = p.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.pairs is not None:
        if args.pairs < 1:
            p.error("--pairs must be at least 1")
        sizes = Sizes(**{**sizes.__dict__, "pairs": args.pairs})
    if args.only != "http" and shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind), or use --only http")

    # Stopped by Ctrl-C or SIGTERM, the servers are stopped and the checkouts removed (finally:
    # below); a shell's background job would otherwise ignore SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    # The start instant, to the second: the data of both sides is made for it.
    t0 = datetime.now(UTC).replace(microsecond=0)
    say(f"# {__doc__.splitlines()[0]}")
    say(f"# machine: {machine()}")
    say(f"# command: python bench/compare_revisions.py {' '.join(sys.argv[1:])}")
    scratch = Path(tempfile.mkdtemp(prefix="reprieve-compare-"))
    try:
        sides = []
        for name, rev in (("before", args.before), ("after", args.after)):
            directory = scratch / SIDE_DIRS[name]
            commit = checkout(rev, directory)
            sides.append(Side(name, rev, commit, directory))
        for side in sides:
            where = finish(side.run_worker("where"), f"import on the {side.name} side").strip()
            subject = git("log", "-1", "--format=%s", side.commit)[:70]
            say(f"# {side.name}: {side.rev} = {side.commit[:10]} ({subject}); reprieve from {where}")
        say(
            f"# data: {sizes.sanctions:,} active sanctions on 5 platforms, made by each side's own code;"
            f" T0 = {t0:%Y-%m-%dT%H:%M:%SZ}"
        )
        making = [
            (
                side,
                side.run_worker(
                    "prepare",
                    "--directory",
                    str(side.directory),
                    "--t0",
                    t0.isoformat(),
                    "--seed",
                    str(args.seed),
                    "--sizes",
                    json.dumps({"sanctions": sizes.sanctions}),
                ),
            )
            for side in sides
        ]
        for side, process in making:
            finish(process, f"making the {side.name} side's database")
        say(f"# databases made in {time.perf_counter() - started:.0f} s")

        ok = True
        if args.only != "http":
            phase = time.perf_counter()
            counts = callgrind(sides, t0, sizes, args.seed)
            say(f"\n## instructions per operation (callgrind, both sides at once, {time.perf_counter() - phase:.0f} s)")
            say(f"{'workload':<70} {'before':>14} {'after':>14} {'after/before':>12}")
            for k, (label, operations, unit) in enumerate(WORKLOADS):
                n = operations(sizes)
                before, after = counts["before"][k] / n, counts["after"][k] / n
                say(f"{label + ', ' + unit:<70} {before:>14,.0f} {after:>14,.0f} {after / before:>12.4f}")
        if args.only != "callgrind":
            phase = time.perf_counter()
            say("")
            ratios, clean = http_pairs(sides, sizes, args.seed)
            ok = ok and clean
            say(f"\n## HTTP, {sizes.pairs} pairs ({time.perf_counter() - phase:.0f} s): after/before, per request")
            labels = (
                "single checks, wall time",
                "violations, wall time",
                "single checks, server CPU",
                "violations, server CPU",
            )
            for label, values in zip(labels, ratios, strict=True):
                say(
                    f"{label:<26} median {statistics.median(values):.3f}; "
                    f"spread (noise) {min(values):.3f} to {max(values):.3f}"
                )
            if not clean:
                say("some requests FAILED (see above)")
        say(
            f"\n# load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
            f"whole run {time.perf_counter() - started:.0f} s"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
