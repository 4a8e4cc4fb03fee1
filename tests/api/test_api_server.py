"""``serve()``: the API under uvicorn, in one process or several sharing one database."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx2
import pytest
from api_support import START, sanction_body

from reprieve.domain.errors import ValidationError
from reprieve.services import catalogue, tokens
from reprieve.store.db import open_database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(database_url: str, workers: int) -> Iterator[str]:
    """A server started by ``serve()`` in a child process; yields its base URL once it answers."""
    port = free_port()
    code = (
        "from reprieve.api.server import serve; "
        f"serve({database_url!r}, '127.0.0.1', {port}, {workers})"
    )
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=log)
        try:
            yield _wait_until_up(f"http://127.0.0.1:{port}", process, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx2.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return base
        except httpx2.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"the server did not start: {log.read().decode()[-2000:]}")
        time.sleep(0.1)  # polling a port until it opens; no fixed wait


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_writes_and_reads(database_url: str, workers: int) -> None:
    db = open_database(database_url)
    try:
        catalogue.create_operator(db, id="meta", name="Meta", actor="test", now=START)
        catalogue.create_platform(db, id="facebook", operator="meta", name="Facebook", actor="test", now=START)
        token = tokens.create_token(db, name="mod", role="moderator", operator="meta", actor="test", now=START)
    finally:
        db.dispose()
    headers = {"Authorization": f"Bearer {token['token']}"}
    with running(database_url, workers) as base, httpx2.Client(base_url=base, headers=headers, timeout=10) as client:
        created = client.post("/v1/sanctions", json=sanction_body("facebook", "alice", duration="P1000Y"))
        assert created.status_code == 201, created.text
        # Whichever worker answers, it reads the same database.
        for _ in range(2 * workers):
            check = client.post("/v1/checks", json={"checks": [
                {"platform": "facebook", "account": "alice", "capability": "post"}
            ]})
            assert check.json()["results"][0]["allowed"] is False
        assert client.get("/v1/sanctions/nope").status_code == 404


def test_serve_needs_a_worker() -> None:
    from reprieve.api.server import serve

    with pytest.raises(ValidationError):
        serve("sqlite://", "127.0.0.1", 0, 0)
