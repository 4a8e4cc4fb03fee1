"""A minimal keep-alive HTTP/1.1 client for the load generators of the HTTP benchmarks.

A few microseconds a request: the load generator shares the two cores with the server, and
httpx cost more CPU per request than the server it measured."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from typing import Any


class Connection:
    """One keep-alive connection sending ``POST path`` with a bearer token and reading each answer whole."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str, path: str) -> None:
        self.reader = reader
        self.writer = writer
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: "
        ).encode()

    @classmethod
    async def open(cls, port: int, token: str, path: str) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer, token, path)

    async def post(self, body: bytes) -> tuple[int, bytes]:
        self.writer.write(b"%s%d\r\n\r\n%s" % (self.head, len(body), body))
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def wait_until_up(
    port: int, server: subprocess.Popen[Any], log_tail: Callable[[], str], *, timeout: float
) -> None:
    """Until ``reprieve serve`` accepts connections on ``port``; exits with its log if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"reprieve serve exited:\n{log_tail()[-3000:]}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)  # polling for the port, not waiting out a guess
            continue
        writer.close()
        return
    raise SystemExit(f"reprieve serve did not start within {timeout:.0f} s")
