"""``CoalescingTransport``: what is written within one turn of the event loop leaves as one write;
and ``reprieve serve``'s protocol answers real requests, a response's head and body together."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from reprieve.api.transport import CoalescingHttpToolsProtocol, CoalescingTransport


class Recording(asyncio.Transport):
    """A transport that keeps what is written to it, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 4321)}.get(name, default)


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


def test_the_writes_of_one_turn_leave_together_after_it() -> None:
    async def scenario() -> Recording:
        inner = Recording()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 201 Created\r\n\r\n")
        transport.write(memoryview(b'{"id": 1}'))
        assert inner.writes == []  # not before the end of the turn
        assert transport.get_write_buffer_size() == 33
        await _turns(2)
        transport.writelines([b"next ", b"turn"])
        await _turns(2)
        assert transport.get_extra_info("peername") == ("127.0.0.1", 4321)  # the rest passes through
        return inner

    inner = asyncio.run(scenario())
    assert inner.writes == [b'HTTP/1.1 201 Created\r\n\r\n{"id": 1}', b"next turn"]


def test_close_writes_what_is_pending_first_and_abort_drops_it() -> None:
    async def scenario() -> tuple[Recording, Recording]:
        loop = asyncio.get_running_loop()
        closed, aborted = Recording(), Recording()
        for inner in (closed, aborted):
            transport = CoalescingTransport(inner, loop)
            transport.write(b"last words")
            if inner is closed:
                transport.close()
            else:
                transport.abort()
        await _turns(2)  # the flush already scheduled finds nothing left to write
        return closed, aborted

    closed, aborted = asyncio.run(scenario())
    assert closed.writes == [b"last words"] and closed.closed
    assert aborted.writes == [] and aborted.aborted


@pytest.fixture
def served() -> Iterator[int]:
    """A tiny ASGI app under uvicorn with the coalescing protocol, on a free port."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b'{"ok": true}'
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})

    class Server(uvicorn.Server):
        ready = threading.Event()

        async def startup(self, sockets: Any = None) -> None:
            try:
                await super().startup(sockets)
            finally:
                self.ready.set()

    server = Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", http=CoalescingHttpToolsProtocol
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout=30) or not server.started:
            pytest.fail("the server did not start")
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_responses_on_a_kept_alive_connection_come_whole(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as client:
        reader = client.makefile("rb")
        for _ in range(3):
            client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
            assert reader.readline() == b"HTTP/1.1 200 OK\r\n"
            headers = {}
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            assert reader.read(int(headers["content-length"])) == b'{"ok": true}'
