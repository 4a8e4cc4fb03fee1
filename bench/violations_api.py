"""Violations through the HTTP API, one server process (or --workers W), with and without group commit.

    python bench/violations_api.py [--quick] [--backend sqlite|postgresql] [--workers W] [--count N]
                                   [--seconds S] [--concurrency C] [--accounts A] [--no-baseline]
                                   [--no-pin] [--runs R]

Targets (issue 4): >= 2,000 violations/s through ``POST /v1/violations`` against one ``reprieve
serve`` process on SQLite (WAL, synchronous=FULL), and >= 100,000 ladder evaluations/s in process.

Each run starts a real ``reprieve serve`` on a new database (SQLite: a file in a temporary
directory; PostgreSQL: a database ``reprieve_bench_<random>`` created on --postgres-url and
dropped afterwards), a subprocess on 127.0.0.1 and a free port; creates the operator, a
platform with Meta's shipped policy and a platform token through the CLI, then drives it from
this process with a minimal asyncio HTTP/1.1 client: C keep-alive connections, each sending its
next request when its answer has arrived, N distinct violation ids spread over A accounts,
stopped at N or after S seconds. It does so twice, with ``REPRIEVE_GROUP_COMMIT=1`` and ``=0``
(each violation its own transaction: the baseline; --no-baseline skips it), and afterwards
verifies each database's hash chain. Server CPU is that of the server's processes (all of
them with --workers), read from /proc.

On a machine with two CPUs or more, one server process runs on the last CPU this process may
use (``reprieve serve --cpus``) and the load generator on the others, so that neither takes
the other's CPU and the server's threads, which take turns under the GIL, keep one CPU's
caches; --no-pin leaves both to the kernel (as do --workers above 1).

--runs R measures group commit R times, each on a new server and database (the baseline once):
on a shared VM one run's figure moves with the VM's speed, so the target is judged on the
median of the runs, and each run is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as platform_module
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import uvloop
from harness import DEFAULT_POSTGRES, scratch_database
from http_client import Connection, wait_until_up

from reprieve.domain.policy import Severity
from reprieve.domain.strikes import StrikeMark, count_strikes, evaluate_ladder
from reprieve.policies import SHIPPED, shipped_policy

TARGET_PER_SECOND = 2_000
TARGET_LADDER_PER_SECOND = 100_000
WARM_UP = 200
REPRIEVE = Path(sys.executable).with_name("reprieve")


@dataclass
class Run:
    group_commit: bool
    sent: int
    seconds: float
    latencies_ms: list[float]
    failures: dict[int, int]
    verified: bool
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small run of a few seconds (make bench)")
    p.add_argument("--count", type=int, default=None, help="violations per run (default 30,000; quick 1,500)")
    p.add_argument("--seconds", type=float, default=None, help="at most this long per run (default 30; quick 5)")
    p.add_argument("--concurrency", type=int, default=96, help="requests in flight (default 96)")
    p.add_argument("--accounts", type=int, default=5_000, help="accounts the violations spread over")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("REPRIEVE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="where a throw-away database is created and dropped (default: $REPRIEVE_BENCH_POSTGRES_URL"
        " or %(default)s)",
    )
    p.add_argument("--workers", type=int, default=1, help="server processes (reprieve serve --workers)")
    p.add_argument("--no-baseline", action="store_true", help="skip the run without group commit")
    p.add_argument("--no-pin", action="store_true", help="let the kernel place the server and the load generator")
    p.add_argument("--runs", type=int, default=1, help="group-commit runs; the target is judged on their median")
    args = p.parse_args()
    if args.runs < 1:
        p.error("--runs must be at least 1")
    server_cpus, placement = place(pin=not args.no_pin, workers=args.workers)
    count = args.count or (1_500 if args.quick else 30_000)
    seconds = args.seconds or (5.0 if args.quick else 30.0)

    print(f"# {__doc__.splitlines()[0]}")
    print(f"# {cpu_model()}, {os.cpu_count()} CPUs, Python {platform_module.python_version()}")
    print(
        f"# backend: {args.backend}; server processes: {args.workers}; violations per run: {count:,}"
        f" (at most {seconds:g} s); in flight: {args.concurrency}; accounts: {args.accounts:,}"
    )
    print(f"# placement: {placement}")
    print(f"# command: python bench/violations_api.py {' '.join(sys.argv[1:])}")
    print(f"# load average before: {load_average()}")
    flags = [True] * args.runs + ([] if args.no_baseline else [False])
    runs = [
        drive_server(
            group_commit=flag,
            count=count,
            seconds=seconds,
            concurrency=args.concurrency,
            accounts=args.accounts,
            backend=args.backend,
            postgres_url=args.postgres_url,
            workers=args.workers,
            cpus=server_cpus,
        )
        for flag in flags
    ]
    print(f"# load average after: {load_average()}")
    for run in runs:
        label = "group commit   " if run.group_commit else "one tx per call"
        print(
            f"{label}: {run.per_second:8,.0f} violations/s  p50 {run.percentile(0.5):6.1f} ms"
            f"  p99 {run.percentile(0.99):6.1f} ms  ({len(run.latencies_ms):,} in {run.seconds:.1f} s;"
            f" failures {run.failures or 'none'}; chain {'verified' if run.verified else 'BROKEN'};"
            f" server CPU {run.server_cpu_seconds * 1000 / max(1, len(run.latencies_ms)):.2f} ms/violation,"
            f" load generator {run.client_cpu_seconds * 1000 / max(1, len(run.latencies_ms)):.2f} ms)"
        )
    grouped_runs = [run for run in runs if run.group_commit]
    rate = statistics.median(run.per_second for run in grouped_runs)
    if len(grouped_runs) > 1:
        rates = [run.per_second for run in grouped_runs]
        print(
            f"group commit, median of {len(rates)} runs: {rate:,.0f} violations/s"
            f" (from {min(rates):,.0f} to {max(rates):,.0f})"
        )
    baseline = [run for run in runs if not run.group_commit]
    if baseline:
        print(f"ratio: {rate / baseline[0].per_second:.1f}x")
    ladder = ladder_evaluations_per_second(quick=args.quick)
    print(f"ladder evaluation in process: {ladder:,.0f}/s")
    print(
        f"target API >= {TARGET_PER_SECOND:,}/s: {'met' if rate >= TARGET_PER_SECOND else 'NOT met'};"
        f" target ladder >= {TARGET_LADDER_PER_SECOND:,}/s:"
        f" {'met' if ladder >= TARGET_LADDER_PER_SECOND else 'NOT met'}"
    )
    if any(run.failures or not run.verified for run in runs):
        sys.exit(1)


def place(*, pin: bool, workers: int) -> tuple[str | None, str]:
    """Pin this process (the load generator) to all but the last CPU it may use and return that
    one, for the server (``reprieve serve --cpus``); with a description of the placement."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or workers != 1 or len(allowed) < 2:
        return None, "left to the kernel" + ("" if pin else " (--no-pin)")
    server, client = allowed[-1], allowed[:-1]
    os.sched_setaffinity(0, client)
    cpus = ",".join(map(str, client))
    return str(server), f"server on CPU {server} (reprieve serve --cpus {server}), load generator on CPU {cpus}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform_module.processor() or "unknown CPU"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(url: str, *args: str) -> str:
    done = subprocess.run([str(REPRIEVE), "--database-url", url, *args], check=True, capture_output=True, text=True)
    return done.stdout


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


@contextmanager
def scratch_url(backend: str, postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty, migrated database, deleted or dropped afterwards."""
    with scratch_database(backend, postgres_url) as db:
        url = db.engine.url.render_as_string(hide_password=False)
        db.dispose()
        yield url


def drive_server(
    *,
    group_commit: bool,
    count: int,
    seconds: float,
    concurrency: int,
    accounts: int,
    backend: str,
    postgres_url: str,
    workers: int,
    cpus: str | None = None,
) -> Run:
    with scratch_url(backend, postgres_url) as url, tempfile.TemporaryFile("w+") as log:
        cli(url, "operator", "create", "meta", "--name", "Meta")
        cli(url, "platform", "create", "facebook", "--operator", "meta", "--name", "Facebook", "--policy", "meta")
        token = json.loads(
            cli(url, "token", "create", "--operator", "meta", "--role", "platform", "--name", "bench", "--json")
        )["token"]
        port = free_port()
        env = dict(os.environ, REPRIEVE_GROUP_COMMIT="1" if group_commit else "0")
        # The server's output goes to a file: an unread pipe would block it once full.
        server = subprocess.Popen(
            [
                str(REPRIEVE),
                "--database-url",
                url,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                *(["--cpus", cpus] if cpus else []),
            ],
            env=env,
            stdout=log,
            stderr=log,
            text=True,
        )
        try:
            # uvloop for the load generator too: it shares the two cores with the server.
            run = uvloop.run(
                load(
                    port,
                    token,
                    server,
                    group_commit=group_commit,
                    count=count,
                    seconds=seconds,
                    concurrency=concurrency,
                    accounts=accounts,
                    log=log,
                )
            )
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        verify = subprocess.run([str(REPRIEVE), "--database-url", url, "audit", "verify"], capture_output=True)
        run.verified = verify.returncode == 0
        return run


def violation_body(prefix: str, n: int, accounts: int) -> bytes:
    return json.dumps(
        {
            "id": f"{prefix}-{n}",
            "platform": "facebook",
            "account": f"acct-{n % accounts}",
            "policy": "Violence and Incitement",
            "severity": "moderate",
            "category": "STATEMENT_CATEGORY_VIOLENCE",
            "facts": "A post inciting violence.",
        },
        separators=(",", ":"),
    ).encode()


async def load(
    port: int,
    token: str,
    server: subprocess.Popen[str],
    *,
    group_commit: bool,
    count: int,
    seconds: float,
    concurrency: int,
    accounts: int,
    log: IO[str],
) -> Run:
    def tail() -> str:
        log.seek(0)
        return log.read()

    await wait_until_up(port, server, tail, timeout=60)
    connections = [await Connection.open(port, token, "/v1/violations") for _ in range(concurrency)]
    try:
        latencies: list[float] = []
        failures: dict[int, int] = {}
        deadline = 0.0

        async def worker(conn: Connection, numbers: Iterator[int], prefix: str, measure: bool) -> None:
            for n in numbers:
                if measure and time.perf_counter() > deadline:
                    return
                body = violation_body(prefix, n, accounts)
                started = time.perf_counter()
                status, answer = await conn.post(body)
                elapsed = (time.perf_counter() - started) * 1000
                if status != 201:
                    if not failures:
                        print(f"# first failure: {status} {answer[:300]!r}")
                    failures[status] = failures.get(status, 0) + 1
                elif measure:
                    latencies.append(elapsed)

        # Warm-up: connections used once, caches filled; not measured.
        warm = iter(range(WARM_UP))
        await asyncio.gather(*(worker(conn, warm, "warm", False) for conn in connections))
        measured = iter(range(count))
        cpu_before = tree_cpu_seconds(server.pid)
        client_before = time.process_time()
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker(conn, measured, "bench", True) for conn in connections))
        elapsed = time.perf_counter() - started
        server_cpu = tree_cpu_seconds(server.pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        for conn in connections:
            conn.close()
    return Run(
        group_commit,
        count,
        elapsed,
        latencies,
        failures,
        verified=False,
        server_cpu_seconds=server_cpu,
        client_cpu_seconds=client_cpu,
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its descendants still running (uvicorn's workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += cpu_seconds(current)
        todo.extend(children.get(current, ()))
    return total


def ladder_evaluations_per_second(*, quick: bool) -> float:
    """``evaluate_ladder`` with the strikes counted from marks, over every shipped policy, every
    strike count 0..14 and every severity: what a violation asks of the domain."""
    cases = []
    for name in SHIPPED:
        policy = shipped_policy(name)
        for strikes in range(15):
            marks = [StrikeMark(i, i + 1_000_000) for i in range(strikes)]
            for severity in Severity:
                cases.append((policy.ladder, marks, severity))
    rounds = 50 if quick else 500
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(rounds):
            for ladder, marks, severity in cases:
                evaluate_ladder(ladder, strikes_before=count_strikes(marks, 999_999), severity=severity)
        best = max(best, rounds * len(cases) / (time.perf_counter() - started))
    return best


if __name__ == "__main__":
    main()
