"""Notices through the HTTP API on SQLite, one server process, beside violations in the same run.

    python bench/notices_api.py [--quick] [--count N] [--seconds S] [--concurrency C] [--items I]
                                [--no-violations] [--no-pin]

Target (issue 26): >= 2,000 notices/s through ``POST /v1/notices`` against one ``reprieve serve``
process on SQLite (WAL, synchronous=FULL), as violations. Plain notices are answered by the fast
path in front of FastAPI (``api.fast.notices``) and received in batches by the group commit (one
transaction for the notices waiting, each with its ``case.opened`` when it opens a case, its
``notice.received``, the notifier's row and three personal-data rows).

As ``bench/violations_api.py`` (whose server set-up, placement and CPU accounting it reuses): a
real ``reprieve serve`` on a new SQLite database, a platform token made through the CLI, C
keep-alive connections each sending its next notice when its answer has arrived, N notices
spread over I items (a notice joins the open case of its item: about N/I per case), stopped at N
or after S seconds; then the hash chain is verified. The same run then drives violations with
group commit on a new server (--no-violations skips it), so that the two rates and the server
CPU per request compare on the machine as it was: the shared VM's speed moves between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import IO

import uvloop
from harness import DEFAULT_POSTGRES
from http_client import Connection, wait_until_up
from violations_api import (
    REPRIEVE,
    Run,
    cli,
    cpu_model,
    drive_server,
    free_port,
    load_average,
    place,
    scratch_url,
    tree_cpu_seconds,
)

TARGET_PER_SECOND = 2_000
WARM_UP = 200


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small run of a few seconds")
    p.add_argument("--count", type=int, default=None, help="notices per run (default 20,000; quick 1,000)")
    p.add_argument("--seconds", type=float, default=None, help="at most this long per run (default 20; quick 5)")
    p.add_argument("--concurrency", type=int, default=96, help="requests in flight (default 96)")
    p.add_argument("--items", type=int, default=5_000, help="items the notices spread over")
    p.add_argument("--no-violations", action="store_true", help="skip the violations run of comparison")
    p.add_argument("--no-pin", action="store_true", help="let the kernel place the server and the load generator")
    args = p.parse_args()
    server_cpus, placement = place(pin=not args.no_pin, workers=1)
    count = args.count or (1_000 if args.quick else 20_000)
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    print(f"# {__doc__.splitlines()[0]}")
    print(f"# {cpu_model()}, {os.cpu_count()} CPUs")
    print(f"# notices per run: {count:,} (at most {seconds:g} s); in flight: {args.concurrency}; items: {args.items:,}")
    print(f"# placement: {placement}")
    print(f"# command: python bench/notices_api.py {' '.join(sys.argv[1:])}")
    print(f"# load average before: {load_average()}")
    notices = drive_notices(
        count=count, seconds=seconds, concurrency=args.concurrency, items=args.items, cpus=server_cpus
    )
    violations = None
    if not args.no_violations:
        violations = drive_server(
            group_commit=True,
            count=count,
            seconds=seconds,
            concurrency=args.concurrency,
            accounts=5_000,
            backend="sqlite",
            postgres_url=DEFAULT_POSTGRES,
            workers=1,
            cpus=server_cpus,
        )
    print(f"# load average after: {load_average()}")
    runs = [("notices   ", notices)] + ([("violations", violations)] if violations else [])
    for label, run in runs:
        done = max(1, len(run.latencies_ms))
        print(
            f"{label}: {run.per_second:8,.0f}/s  p50 {run.percentile(0.5):6.1f} ms  p99 {run.percentile(0.99):6.1f} ms"
            f"  ({len(run.latencies_ms):,} in {run.seconds:.1f} s; failures {run.failures or 'none'};"
            f" chain {'verified' if run.verified else 'BROKEN'};"
            f" server CPU {run.server_cpu_seconds * 1000 / done:.2f} ms/request)"
        )
    if violations:
        n_cpu = notices.server_cpu_seconds / max(1, len(notices.latencies_ms))
        v_cpu = violations.server_cpu_seconds / max(1, len(violations.latencies_ms))
        print(
            f"ratio notices/violations: rate x{notices.per_second / violations.per_second:.2f},"
            f" server CPU per request x{n_cpu / v_cpu:.2f}"
        )
    met = notices.per_second >= TARGET_PER_SECOND
    print(f"target notices >= {TARGET_PER_SECOND:,}/s: {'met' if met else 'NOT met'}")
    if any(run.failures or not run.verified for _, run in runs):
        sys.exit(1)


def drive_notices(*, count: int, seconds: float, concurrency: int, items: int, cpus: str | None) -> Run:
    with scratch_url("sqlite", DEFAULT_POSTGRES) as url, tempfile.TemporaryFile("w+") as log:
        cli(url, "operator", "create", "meta", "--name", "Meta")
        cli(url, "platform", "create", "facebook", "--operator", "meta", "--name", "Facebook", "--policy", "meta")
        token = json.loads(
            cli(url, "token", "create", "--operator", "meta", "--role", "platform", "--name", "bench", "--json")
        )["token"]
        port = free_port()
        server = subprocess.Popen(
            [str(REPRIEVE), "--database-url", url, "serve", "--port", str(port), *(["--cpus", cpus] if cpus else [])],
            stdout=log,
            stderr=log,
            text=True,
        )
        try:
            run = uvloop.run(
                load(port, token, server, count=count, seconds=seconds, concurrency=concurrency, items=items, log=log)
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


def notice_body(n: int, items: int) -> bytes:
    item = n % items
    return json.dumps(
        {
            "platform": "facebook",
            "about": {"item": f"post-{item}"},
            "location": f"https://facebook.example/posts/{item}",
            "explanation": "The post calls for violence against a named person.",
            "category": "STATEMENT_CATEGORY_VIOLENCE",
            "illegal": True,
            "legal_ground": "A member state's criminal code",
            "notifier": {"kind": "individual", "name": f"Notifier {n}", "email": f"n{n}@example.org"},
            "bona_fide": True,
            "channel": "api",
        },
        separators=(",", ":"),
    ).encode()


async def load(
    port: int,
    token: str,
    server: subprocess.Popen[str],
    *,
    count: int,
    seconds: float,
    concurrency: int,
    items: int,
    log: IO[str],
) -> Run:
    def tail() -> str:
        log.seek(0)
        return log.read()

    await wait_until_up(port, server, tail, timeout=60)
    connections = [await Connection.open(port, token, "/v1/notices") for _ in range(concurrency)]
    try:
        latencies: list[float] = []
        failures: dict[int, int] = {}
        deadline = 0.0

        async def worker(conn: Connection, numbers: Iterator[int], measure: bool) -> None:
            for n in numbers:
                if measure and time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                status, answer = await conn.post(notice_body(n, items))
                elapsed = (time.perf_counter() - started) * 1000
                if status != 201:
                    if not failures:
                        print(f"# first failure: {status} {answer[:300]!r}")
                    failures[status] = failures.get(status, 0) + 1
                elif measure:
                    latencies.append(elapsed)

        warm = iter(range(WARM_UP))
        await asyncio.gather(*(worker(conn, warm, False) for conn in connections))
        measured = iter(range(WARM_UP, WARM_UP + count))
        cpu_before = tree_cpu_seconds(server.pid)
        client_before = time.process_time()
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker(conn, measured, True) for conn in connections))
        elapsed = time.perf_counter() - started
        server_cpu = tree_cpu_seconds(server.pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        for conn in connections:
            conn.close()
    return Run(
        True,
        count,
        elapsed,
        latencies,
        failures,
        verified=False,
        server_cpu_seconds=server_cpu,
        client_cpu_seconds=client_cpu,
    )


if __name__ == "__main__":
    main()
