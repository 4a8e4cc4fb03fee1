"""What the request middleware of ``api/observability`` (request id, latency histogram, access
log) costs per request, measured in-process over ASGI (no HTTP, no sockets: only the cost of
the middleware is left in the difference).

    python bench/middleware_overhead.py [--quick] [--requests N]

Two measurements, each the median of five rounds, run in the same process:

0. One access line written to the null device: ours, and the one uvicorn writes by default
   (which ``reprieve serve`` wrote before, and now turns off in favour of ours).
1. A bare ASGI app that answers 200 at once, called directly and through ``Observe``: the
   middleware's own cost, with the access log off (level WARNING) and on (JSON lines written to
   the null device).
2. ``POST /v1/checks`` with one check (the hot path, answered from the in-memory index) through
   the whole application, with and without ``Observe``, access log on: the ratio is what the
   middleware takes from the single-check throughput (target: >= 5,000 checks/s per process).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from reprieve.api.app import create_app
from reprieve.api.enforcement import Enforcement
from reprieve.api.observability.logs import ACCESS_LOGGER, JsonFormatter, access_record
from reprieve.api.observability.middleware import Observe
from reprieve.domain.model import AccountRef
from reprieve.enforcement.index import EnforcementIndex
from reprieve.services import catalogue, tokens
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction

sys.path.insert(0, str(Path(__file__).parent))
from harness import NOW, machine, say

ASGI = Callable[
    [dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]],
    Awaitable[None],
]
ROUNDS = 5


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})


def scope_for(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def per_request_us(
    variants: list[tuple[ASGI, Callable[[], None]]], scope: dict[str, Any], body: bytes, n: int
) -> list[float]:
    """Per variant (an app, and what to set up before it runs), the median over rounds of the
    time one request takes, in microseconds. The variants take turns in each round, so that a
    change of load on the machine weighs on each alike."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    rounds: list[list[float]] = [[] for _ in variants]
    for _ in range(ROUNDS):
        for i, (app, prepare) in enumerate(variants):
            prepare()
            statuses.clear()
            started = time.perf_counter()
            for _ in range(n):
                await app(dict(scope), receive, send)
            rounds[i].append((time.perf_counter() - started) / n * 1e6)
            assert set(statuses) == {200}, set(statuses)
    return [statistics.median(r) for r in rounds]


def nothing() -> None:
    pass


def access_log(enabled: bool) -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.handlers.clear()
    logger.propagate = False
    if enabled:
        handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - open for the run
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    else:
        logger.setLevel(logging.WARNING)


def log_line_us(n: int) -> tuple[float, float]:
    """The time to write one access line: ours, and uvicorn's default one, to the null device."""
    from uvicorn.logging import AccessFormatter

    access_log(True)
    ours = logging.getLogger(ACCESS_LOGGER)
    theirs = logging.getLogger("uvicorn.access")
    theirs.handlers.clear()
    theirs.propagate = False
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - open for the run
    handler.setFormatter(
        AccessFormatter('%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    theirs.addHandler(handler)
    theirs.setLevel(logging.INFO)
    fields = {
        "request_id": "0123456789abcdef0123456789abcdef",
        "method": "POST",
        "route": "/v1/checks",
        "status": 200,
        "duration_ms": 0.123,
        "operator": "meta",
    }
    medians = []
    for write in (
        lambda: ours.handle(access_record("POST /v1/checks 200", fields)),
        lambda: theirs.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "POST", "/v1/checks", "1.1", 200),
    ):
        rounds = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(n):
                write()
            rounds.append((time.perf_counter() - started) / n * 1e6)
        medians.append(statistics.median(rounds))
    return medians[0], medians[1]


def checks_app(directory: str, *, observed: bool, db: Any = None) -> tuple[Any, str]:
    """The whole API over a database with one suspension, answering from the index."""
    from reprieve.store.db import open_database

    if db is None:
        db = open_database(f"sqlite:///{directory}/bench.db")
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("bench", now=NOW)
        )
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
            caller=Caller("bench", now=NOW),
        )
        impose_sanction(
            db,
            ImposeSanction.parse(
                subject=AccountRef("facebook", "alice"),
                kind="suspension",
                duration="P30D",
                reason={
                    "ground": "incompatible_content",
                    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
                    "policy": "p",
                    "explanation": "e",
                },
            ),
            caller=Caller("bench", now=NOW),
        )
    secret = tokens.create_token(
        db, tokens.CreateToken.parse(name="p", role="platform", operator="meta"), caller=Caller("bench", now=NOW)
    ).secret
    index = EnforcementIndex.build(db, now=NOW)
    app = create_app(db, clock=lambda: NOW, enforcement=Enforcement(db, index=index), group_commit=False)
    if not observed:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not Observe]
    return app, secret


async def main(args: argparse.Namespace) -> None:
    say(f"machine: {machine()}")
    say(f"command: python bench/middleware_overhead.py {' '.join(sys.argv[1:])}")
    n = args.requests
    scope = scope_for("GET", "/healthz", [])
    plain, quiet, logged = await per_request_us(
        [(bare, nothing), (Observe(bare), lambda: access_log(False)), (Observe(bare), lambda: access_log(True))],
        scope,
        b"",
        n,
    )
    ours, theirs = log_line_us(n)
    say(
        f"one access line, ours (JSON, reprieve.access): {ours:.2f} us; uvicorn's own (text, "
        f"what reprieve serve wrote before; now off): {theirs:.2f} us; ratio {ours / theirs:.2f}"
    )
    say(f"bare ASGI app: {plain:.2f} us/request")
    say(f"through Observe, access log off: {quiet:.2f} us/request (+{quiet - plain:.2f} us)")
    say(f"through Observe, access log on (JSON lines): {logged:.2f} us/request (+{logged - plain:.2f} us)")

    body = orjson.dumps({"checks": [{"platform": "facebook", "account": "alice", "capability": "post"}]})
    with tempfile.TemporaryDirectory(prefix="reprieve-bench-") as directory:
        app, secret = checks_app(directory, observed=False)
        observed, _ = checks_app(directory, observed=True, db=app.state.db)
        headers = [
            (b"authorization", f"Bearer {secret}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        without, quiet, with_ = await per_request_us(
            [(app, nothing), (observed, lambda: access_log(False)), (observed, lambda: access_log(True))],
            scope_for("POST", "/v1/checks", headers),
            body,
            n,
        )
        app.state.db.dispose()
    for name, value in (
        ("without Observe", without),
        ("with Observe, access log off", quiet),
        ("with Observe and the access log", with_),
    ):
        say(
            f"POST /v1/checks (one check), whole app in-process, {name}: {value:.1f} us/request "
            f"({1e6 / value:,.0f} requests/s on one core; ratio to without: {value / without:.3f})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=50_000, help="requests per round (default 50,000)")
    parser.add_argument("--quick", action="store_true", help="a quick run: --requests 5,000")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.requests = 5_000
    asyncio.run(main(arguments))
