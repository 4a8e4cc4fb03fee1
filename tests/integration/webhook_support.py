"""What the webhook and worker tests share: a real HTTP receiver that verifies what it gets,
a clock to move, and a worker driven one cycle at a time."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reprieve.runtime.worker import CycleReport, Worker
from reprieve.store.db import Database
from reprieve.webhooks_verify import ReplayGuard, WebhookVerificationError, verify


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self.now += delta


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Receiver:
    """A threaded HTTP server that verifies each delivery with ``reprieve.webhooks_verify``.

    ``fail_every``: answer 500 to every n-th verified delivery (it is then retried)."""

    def __init__(self, port: int, secret: str, clock: Callable[[], datetime], fail_every: int = 0) -> None:
        self.port, self.secret, self.clock, self.fail_every = port, secret, clock, fail_every
        self.guard = ReplayGuard()
        self.accepted: list[dict[str, Any]] = []
        self.raw: list[tuple[bytes, dict[str, str]]] = []
        self.rejected: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._count = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/reprieve"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                try:
                    payload = verify(
                        body, headers, receiver.secret, guard=receiver.guard, now=receiver.clock().timestamp()
                    )
                except WebhookVerificationError as exc:
                    with receiver._lock:
                        receiver.rejected.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver._count += 1
                    failing = receiver.fail_every and receiver._count % receiver.fail_every == 0
                    if not failing:
                        receiver.accepted.append(payload)
                        receiver.raw.append((body, headers))
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def run_cycles(
    db: Database, clock: Clock, cycles: int, *, step: timedelta, seed: int = 7, **options: Any
) -> list[CycleReport]:
    """``cycles`` worker cycles, the clock moved ``step`` after each."""

    async def go() -> list[CycleReport]:
        reports = []
        async with Worker(db, clock=clock, rng=random.Random(seed), **options) as worker:
            for _ in range(cycles):
                reports.append(await worker.cycle())
                clock.advance(step)
        return reports

    return asyncio.run(go())
