"""A local HTTP server that answers as the DSA Transparency Database's API does (its documentation
and ``StatementMultipleAPIController``): 201 when a batch is created, 422 with per-statement errors
or with the puids it already holds (nothing created), 429 with Retry-After, 5xx, 401; and
``GET /api/v1/statement/existing-puid/{puid}`` answering 302 or 404."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "X|ybqkCFX7ZkIFoLxtI0VAk1JBzMR9jVk4c4EU"


@dataclass
class FakeDatabase:
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  #: puid -> statement, as created
    posts: list[list[str]] = field(default_factory=list)  #: the puids of every POST, in order
    forced: list[tuple[int, dict[str, str]]] = field(default_factory=list)  #: answers to give first
    bad: dict[str, dict[str, list[str]]] = field(default_factory=dict)  #: puid -> the errors it draws
    lock: threading.Lock = field(default_factory=threading.Lock)

    def times_created(self, puid: str) -> int:
        return 1 if puid in self.stored else 0

    def posted(self, puid: str) -> int:
        return sum(batch.count(puid) for batch in self.posts)


def _handler(fake: FakeDatabase) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"message": "Unauthenticated."})
                return False
            return True

        def do_GET(self) -> None:
            prefix = "/api/v1/statement/existing-puid/"
            if not self._authorised() or not self.path.startswith(prefix):
                return
            puid = self.path[len(prefix) :]
            if puid in fake.stored:
                self._answer(302, {"message": "statement of reason found", "puid": puid})
            else:
                self._answer(404, {"message": "statement of reason not found", "puid": puid})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            if not self._authorised() or self.path != "/api/v1/statements":
                return
            statements = payload.get("statements") or []
            with fake.lock:
                fake.posts.append([s.get("puid") for s in statements])
                if fake.forced:
                    status, headers = fake.forced.pop(0)
                    self._answer(status, {"message": "forced"}, headers)
                    return
                if not 1 <= len(statements) <= 100:
                    self._answer(422, {"message": "The statements must have between 1 and 100 items."})
                    return
                errors = {
                    f"statement_{i}": fake.bad[s["puid"]] for i, s in enumerate(statements) if s["puid"] in fake.bad
                }
                if errors:
                    self._answer(422, {"errors": errors})
                    return
                existing = [s["puid"] for s in statements if s["puid"] in fake.stored]
                if existing:
                    message = "The platform identifier(s) are not all unique within this call."
                    self._answer(422, {"message": message, "errors": {"puid": [message], "existing_puids": existing}})
                    return
                for s in statements:
                    fake.stored[s["puid"]] = s
            self._answer(201, {"statements": [dict(s, uuid=f"uuid-{s['puid']}") for s in statements]})

    return Handler


@contextmanager
def fake_database() -> Iterator[tuple[FakeDatabase, str]]:
    """The fake and the base URL of its API (``http://127.0.0.1:<port>/api/v1``)."""
    fake = FakeDatabase()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
