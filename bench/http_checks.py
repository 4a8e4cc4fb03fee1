"""Checks over HTTP on loopback: one ``reprieve serve`` process, the load from this one.

    python bench/http_checks.py [--quick] [--count N] [--seconds S] [--keep | --database-url URL]

Targets (issue 3): batches of 1,000 checks per ``POST /v1/checks`` >= 300,000 checks/s from one
server process; single checks (one per request) >= 5,000 requests/s with p99 <= 10 ms; and,
in the same run, the ratio to the same checks answered by one SQL query per check (>= 10x).

The script imports N sanctions active now (default 1,000,000; ``--quick`` 20,000) into a new
SQLite file through ``import_sanctions``, creates a platform token, and starts ``reprieve
serve`` on it (a subprocess on 127.0.0.1, a free port), which builds its enforcement index.
This process then drives it over keep-alive HTTP/1.1 connections with a minimal asyncio client
(a few microseconds a request, so that the load generator takes as little as possible of the
cores it shares with the server): each connection sends its next request when the previous
answer has arrived. The checks are the mix of ``bench/enforcement_index.py``: 10 % on
accounts that have a sanction, the rest on accounts in good standing, over six capabilities.

The baseline is the same server answering the same requests from the database: the body names
``at``, an instant one second before the server started, which the index does not cover, so
the route answers through ``services.standing.run_checks`` (one standing query per account
checked). That is how Mastodon and Ozone answer "may this account do X?": a query per check,
behind the same HTTP and JSON. Without HTTP, the script also times one prepared SQL query per
check on a raw connection (``enforcement_index.baseline``): the floor of what SQL costs.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from enforcement_common import ACTOR, OPERATOR, machine, say
from enforcement_index import baseline, workload
from enforcement_index import populate as populate_active
from http_client import Connection, wait_until_up
from sqlalchemy import text

from reprieve.domain.time import format_instant, to_micros
from reprieve.services.callers import Caller
from reprieve.services.tokens import CreateToken, create_token
from reprieve.store.db import Database, open_database

TARGET_BATCH_CHECKS = 300_000
TARGET_SINGLE_RPS = 5_000
TARGET_SINGLE_P99_MS = 10.0
TARGET_RATIO = 10.0
BATCH = 1_000
REPRIEVE = Path(sys.executable).with_name("reprieve")
Triple = tuple[str, str, str]


# --- the data ------------------------------------------------------------------------------


def populate(db: Database, count: int, seed: int) -> None:
    """The mix of enforcement_index, active now and for at least a week after (the run's length)."""
    populate_active(db, count, seed, now=datetime.now(UTC).replace(microsecond=0), min_left=timedelta(days=7))


def sanctioned_sample(db: Database, n: int, seed: int) -> list[tuple[str, str]]:
    """Up to ``n`` accounts that have a sanction (every account the import registered has one)."""
    with db.read() as conn:
        rows = conn.execute(text("SELECT platform_id, account_id FROM accounts")).all()
    rng = random.Random(seed)
    return [(r[0], r[1]) for r in rng.sample(rows, min(n, len(rows)))]


@dataclass
class Run:
    name: str
    checks_per_request: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds

    @property
    def checks_per_second(self) -> float:
        return self.requests_per_second * self.checks_per_request

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self) -> str:
        return (
            f"{self.name}: {self.checks_per_second:11,.0f} checks/s, {self.requests_per_second:8,.0f} requests/s,"
            f" p50 {self.percentile(0.5):7.2f} ms, p99 {self.percentile(0.99):7.2f} ms"
            f" ({len(self.latencies_ms):,} requests in {self.seconds:.1f} s; failures {self.failures or 'none'})\n"
            f"    CPU: server {self.server_cpu / self.seconds:.0%} of a core, load generator"
            f" {self.client_cpu / self.seconds:.0%}; per second of the server's CPU:"
            f" {len(self.latencies_ms) * self.checks_per_request / self.server_cpu:,.0f} checks,"
            f" {len(self.latencies_ms) / self.server_cpu:,.0f} requests"
        )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of process ``pid`` (all its threads) and of its living
    children (the workers of ``reprieve serve --workers N``)."""
    total = 0.0
    for other in [pid, *children(pid)]:
        try:
            with open(f"/proc/{other}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


async def drive(
    port: int,
    server: int,
    token: str,
    run: Run,
    bodies: Sequence[bytes],
    *,
    concurrency: int,
    seconds: float,
    warm_up: float,
) -> Run:
    """``concurrency`` connections, each sending the next of ``bodies`` as soon as it has its
    answer, for ``warm_up`` seconds unmeasured and then ``seconds`` measured."""
    connections = [await Connection.open(port, token, "/v1/checks") for _ in range(concurrency)]
    clock = time.perf_counter
    phase = {"measuring": False, "stop": clock() + warm_up + seconds}

    async def worker(offset: int) -> None:
        conn = connections[offset]
        i = offset * 7919
        n = len(bodies)
        while True:
            body = bodies[i % n]
            i += 1
            started = clock()
            if started >= phase["stop"]:
                return
            status, answer = await conn.post(body)
            if status != 200:
                run.failures[status] = run.failures.get(status, 0) + 1
                if len(run.failures) == 1 and run.failures[status] == 1:
                    say(f"  first failure: {status} {answer[:300]!r}")
            elif phase["measuring"]:
                run.latencies_ms.append((clock() - started) * 1000)

    async def timer() -> None:
        await asyncio.sleep(warm_up)
        phase["measuring"] = True
        phase["started"] = clock()
        phase["stop"] = phase["started"] + seconds
        phase["server_cpu"] = cpu_seconds(server)
        phase["client_cpu"] = time.process_time()

    await asyncio.gather(timer(), *(worker(k) for k in range(concurrency)))
    run.seconds = clock() - phase["started"]
    run.server_cpu = cpu_seconds(server) - phase["server_cpu"]
    run.client_cpu = time.process_time() - phase["client_cpu"]
    for conn in connections:
        conn.close()
    return run


def bodies_for(checks: Sequence[Triple], size: int, at: str | None) -> list[bytes]:
    out = []
    for i in range(0, len(checks) - size + 1, size):
        payload: dict[str, Any] = {
            "checks": [{"platform": p, "account": a, "capability": c} for p, a, c in checks[i : i + size]]
        }
        if at is not None:
            payload["at"] = at
        out.append(orjson.dumps(payload))
    return out


async def sample_answers(port: int, token: str, bodies: Sequence[bytes]) -> list[dict[str, Any]]:
    """The answers to ``bodies``, one request at a time (to compare the index and the database)."""
    conn = await Connection.open(port, token, "/v1/checks")
    answers = []
    for body in bodies:
        status, answer = await conn.post(body)
        if status != 200:
            raise SystemExit(f"POST /v1/checks answered {status}: {answer[:300]!r}")
        answers.append(orjson.loads(answer))
    conn.close()
    return answers


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    p = __import__("argparse").ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="20,000 sanctions, 3 s a run (make bench)")
    p.add_argument("--count", type=int, default=None, help="sanctions (default 1,000,000; quick 20,000)")
    p.add_argument("--seconds", type=float, default=None, help="measured seconds a run (default 15; quick 3)")
    p.add_argument("--batch-concurrency", type=int, default=4, help="batch requests in flight (default 4)")
    p.add_argument("--single-concurrency", type=int, default=16, help="single requests in flight (default 16)")
    p.add_argument("--workers", type=int, default=1, help="reprieve serve --workers (default 1: one process)")
    p.add_argument("--seed", type=int, default=2021)
    p.add_argument("--database-url", help="a database populated by an earlier run (with --keep)")
    p.add_argument("--keep", action="store_true", help="keep the database for later runs")
    args = p.parse_args()
    count = args.count or (20_000 if args.quick else 1_000_000)
    seconds = args.seconds or (3.0 if args.quick else 15.0)

    say(f"# {__doc__.splitlines()[0]}")
    say(f"# machine: {machine()}")
    scratch = None
    url = args.database_url
    if url is None:
        scratch = tempfile.mkdtemp(prefix="reprieve-http-checks-")
        url = f"sqlite:///{scratch}/bench.db"
        db = open_database(url)
        say(f"# importing {count:,} sanctions active now into a new SQLite file")
        populate(db, count, args.seed)
    else:
        db = open_database(url, migrate=False)
    try:
        ok = measure(db, url, args, seconds)
    finally:
        db.dispose()
        if scratch is not None:
            if args.keep:
                say(f"kept: --database-url {url}")
            else:
                import shutil

                shutil.rmtree(scratch, ignore_errors=True)
    if not ok:
        sys.exit(1)


def measure(db: Database, url: str, args: Any, seconds: float) -> bool:
    with db.read() as conn:
        sanctions = int(conn.execute(text("SELECT count(*) FROM sanctions")).scalar_one())
    now = datetime.now(UTC)
    token = create_token(
        db,
        CreateToken.parse(name="http-checks-bench", role="platform", operator=OPERATOR, expires_in="P1D"),
        caller=Caller(ACTOR, now=now),
    ).secret
    sanctioned = sanctioned_sample(db, 200_000, args.seed)
    checks = workload(sanctioned, 400_000 if not args.quick else 100_000, 0.1, args.seed)
    batch_bodies = bodies_for(checks, BATCH, None)
    single_bodies = bodies_for(checks[:50_000], 1, None)

    port = free_port()
    before_start = datetime.now(UTC) - timedelta(seconds=1)
    past = format_instant(before_start)
    assert past is not None
    log = Path(tempfile.mkstemp(prefix="reprieve-serve-", suffix=".log")[1])
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(REPRIEVE), "--database-url", url, "serve", "--port", str(port), "--workers", str(args.workers)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    processes = "one process" if args.workers == 1 else f"{args.workers} worker processes"
    say(
        f"# {sanctions:,} sanctions; reprieve serve (pid {server.pid}) on 127.0.0.1:{port}, {processes};"
        f" load: this process (pid {os.getpid()}), asyncio, keep-alive HTTP/1.1"
    )
    try:
        started = time.perf_counter()
        asyncio.run(wait_until_up(port, server, log.read_text, timeout=600))  # a million: the index takes a while
        say(f"# server up (index built) in {time.perf_counter() - started:.1f} s")
        runs = asyncio.run(load(port, server.pid, token, args, seconds, batch_bodies, single_bodies, checks, past))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.unlink(missing_ok=True)

    sql_checks = checks[: 2_000 if args.quick else 20_000]
    sql = baseline(db, sql_checks, to_micros(before_start))
    batch, single, db_batch, db_single = runs
    say(
        f"baseline in process, one prepared SQL query per check, no HTTP: {sql:11,.0f} checks/s"
        f" ({len(sql_checks):,} checks)"
    )
    batch_ratio = batch.checks_per_second / db_batch.checks_per_second
    single_ratio = single.requests_per_second / db_single.requests_per_second
    say(
        f"ratio, batches: index / database over HTTP {batch_ratio:,.1f}x;"
        f" index over HTTP / SQL in process {batch.checks_per_second / sql:,.1f}x"
    )
    say(f"ratio, single checks: index / database over HTTP {single_ratio:,.1f}x")

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    batch_met = batch.checks_per_second >= TARGET_BATCH_CHECKS
    say(
        f"target batches >= {TARGET_BATCH_CHECKS:,} checks/s: {verdict(batch_met)};"
        f" single >= {TARGET_SINGLE_RPS:,} requests/s: {verdict(single.requests_per_second >= TARGET_SINGLE_RPS)};"
        f" single p99 <= {TARGET_SINGLE_P99_MS:g} ms: {verdict(single.percentile(0.99) <= TARGET_SINGLE_P99_MS)};"
        f" ratio >= {TARGET_RATIO:g}x: {verdict(min(batch_ratio, single_ratio) >= TARGET_RATIO)}"
    )
    return not any(run.failures for run in runs)


async def load(
    port: int,
    server: int,
    token: str,
    args: Any,
    seconds: float,
    batch_bodies: list[bytes],
    single_bodies: list[bytes],
    checks: list[Triple],
    past: str,
) -> list[Run]:
    # The index and the database must answer alike, or the comparison means nothing.
    sample = bodies_for(checks[:BATCH], BATCH, None) + bodies_for(checks[:BATCH], BATCH, past)
    from_index, from_db = await sample_answers(port, token, sample)
    if from_index["results"] != from_db["results"]:
        raise SystemExit("the index and the database answer differently")
    denied = sum(1 for r in from_index["results"] if not r["allowed"])
    say(
        f"# checks: 10 % on sanctioned accounts; {denied / BATCH:.1%} of a sample denied;"
        f" index and database agree on it"
    )
    warm = 1.0 if args.quick else 3.0
    runs = []
    for name, bodies, per, concurrency in (
        (f"index, batches of {BATCH:,}", batch_bodies, BATCH, args.batch_concurrency),
        ("index, single checks", single_bodies, 1, args.single_concurrency),
    ):
        run = await drive(
            port, server, token, Run(name, per), bodies, concurrency=concurrency, seconds=seconds, warm_up=warm
        )
        say(f"{run.line()}  [{concurrency} in flight]")
        runs.append(run)
    db_batches = [b[:-1] + b',"at":"' + past.encode() + b'"}' for b in batch_bodies]
    db_singles = [b[:-1] + b',"at":"' + past.encode() + b'"}' for b in single_bodies]
    for name, bodies, per, concurrency in (
        (f"database (at={past}), batches of {BATCH:,}", db_batches, BATCH, args.batch_concurrency),
        (f"database (at={past}), single checks", db_singles, 1, args.single_concurrency),
    ):
        run = await drive(
            port, server, token, Run(name, per), bodies, concurrency=concurrency, seconds=seconds, warm_up=warm
        )
        say(f"{run.line()}  [{concurrency} in flight]")
        runs.append(run)
    return runs


if __name__ == "__main__":
    main()
