"""Webhook deliveries from the outbox to a local receiver, and what the outbox costs the writes.

    python bench/webhooks.py --backend sqlite|postgresql [--count N (default 20,000) | --quick (4,000)]

Target: >= 1,000 deliveries/s to a local receiver. The receiver is uvicorn in a child process
answering 204 (it does not verify: the point is the sender). Figures printed, with their ratio
to baselines measured in the same run:
- imports with one endpoint subscribed to every event, against imports with no consumer;
- deliveries by the worker (lease, sign, POST, record), against plain signed POSTs of similar
  bodies with the same sender and concurrency (the HTTP ceiling of this machine).
The receiver listens on 127.0.0.1, which the benchmark allows (``REPRIEVE_WEBHOOK_ALLOW_NETWORKS``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

from harness import NOW, OPERATOR, create_catalogue, header, max_rss_mib, parse, parser, populate, say, scratch_database

from reprieve.runtime import webhooks as delivery
from reprieve.services import webhooks
from reprieve.services.callers import Caller
from reprieve.store import outbox
from reprieve.store.db import Database
from reprieve.webhooks_verify import sign

TARGET_RATE = 1_000
QUICK = 4_000
CONCURRENCY = 64
SECRET = "bench-secret-0123456789"

RECEIVER = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until it accepts connections
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the receiver did not start") from None
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the receiver did not start within 30 s")


async def plain_posts(url: str, bodies: list[bytes]) -> float:
    """Seconds to POST ``bodies`` signed, with the worker's sender and concurrency: the baseline."""
    sender = delivery.Sender(CONCURRENCY)
    loop = asyncio.get_running_loop()
    try:

        async def post(body: bytes) -> None:
            stamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "Reprieve-Timestamp": str(stamp),
                "Reprieve-Signature": sign(SECRET, stamp, body),
            }
            error = await loop.run_in_executor(sender.pool, sender.post, url, body, headers)
            if error is not None:
                raise SystemExit(f"the receiver refused: {error}")

        started = time.perf_counter()
        await asyncio.gather(*(post(b) for b in bodies))
        return time.perf_counter() - started
    finally:
        sender.close()


async def drain(db: Database) -> tuple[int, float]:
    """Deliver everything pending as the worker does; (deliveries, seconds)."""
    sender = delivery.Sender(CONCURRENCY)
    done = 0
    try:
        started = time.perf_counter()
        with db.engine.begin() as conn:  # as the worker does on its first cycle, then once a minute
            outbox.maintain(conn, before_us=0)
        while True:
            report = await delivery.deliver_due(db, sender, now=lambda: NOW, owner="bench", limit=1000, rounds=100)
            if report.attempted == 0:
                break
            if report.retried or report.dead:
                raise SystemExit(f"deliveries failed: {report}")
            done += report.delivered
        return done, time.perf_counter() - started
    finally:
        sender.close()


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="sanctions imposed, then delivered")
    p.set_defaults(count=20_000)
    for action in p._actions:  # the harness's help names its own default
        if action.dest == "count":
            action.help = "sanctions imposed, then delivered (default 20,000)"
    args = parse(p)
    os.environ["REPRIEVE_WEBHOOK_ALLOW_NETWORKS"] = "127.0.0.1/32"  # the receiver is local
    if args.quick:
        args.count = QUICK
    header(args, f"{args.count:,} sanctions imposed without a consumer, then {args.count:,} with one endpoint")
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    with scratch_database(args.backend, args.postgres_url) as db:
        create_catalogue(db)
        alone = populate(db, args.count, args.seed)
        webhooks.create_webhook(
            db,
            webhooks.CreateWebhook(operator=OPERATOR, url=url, event_types=["*"], secret=SECRET),
            caller=Caller("bench", now=NOW),
        )
        with_hook = populate(db, args.count, args.seed, first=args.count)
        rate_alone, rate_hook = alone.sanctions / alone.seconds, with_hook.sanctions / with_hook.seconds
        say(f"imports, no consumer: {rate_alone:,.0f} sanctions/s")
        say(
            f"imports, one endpoint for every event: {rate_hook:,.0f} sanctions/s "
            f"(ratio {rate_hook / rate_alone:.2f} to no consumer)"
        )
        with db.read() as conn:
            pending, _ = outbox.depth(conn)
        say(f"outbox rows written: {pending:,}")

        receiver = start_receiver(port)
        try:
            sample = [
                b'{"delivery":{"id":"%d","attempt":1},"event":{"seq":%d,"type":"sanction.imposed","data":{}}}' % (i, i)
                for i in range(min(pending, 5_000))
            ]
            baseline = len(sample) / asyncio.run(plain_posts(url, sample))
            delivered, seconds = asyncio.run(drain(db))
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
        rate = delivered / seconds
        say(f"plain signed POSTs (baseline): {baseline:,.0f}/s")
        say(
            f"deliveries from the outbox: {delivered:,} in {seconds:.1f} s = {rate:,.0f}/s "
            f"(ratio {rate / baseline:.2f} to plain POSTs; target >= {TARGET_RATE:,}/s: "
            f"{'met' if rate >= TARGET_RATE else 'NOT met'})"
        )
        say(f"peak memory (max RSS): {max_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
