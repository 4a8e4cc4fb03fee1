"""Request ids and JSON logs: an ``X-Request-ID`` kept (or made), sent back in the header and in
every problem body, and carried by the access line and any line logged for the request."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

import httpx2
import pytest
from api_support import START, Clock, World, sanction_body
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.observability.logs import (
    JsonFormatter,
    TextFormatter,
    access_handler,
    log_access,
    logging_config,
)
from reprieve.services import catalogue, tokens
from reprieve.services.callers import Caller
from reprieve.store.db import Database, open_database

LogLines = Callable[[], list[dict[str, Any]]]
GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """The JSON lines the ``reprieve`` loggers write during the test, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("reprieve")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def access_line(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    found = [line for line in lines if line["logger"] == "reprieve.access" and line.get("request_id") == request_id]
    assert len(found) == 1, lines
    return found[0]


def test_an_incoming_request_id_is_kept_and_logged(world: World, log_lines: LogLines) -> None:
    answer = world.client.get(
        "/v1/platforms/facebook/accounts/alice/standing",
        headers={**world.headers["moderator"], "X-Request-ID": "trace-42.a:b"},
    )
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == "trace-42.a:b"
    line = access_line(log_lines(), "trace-42.a:b")
    assert line["level"] == "info" and line["message"] == "GET /v1/platforms/{platform}/accounts/{account}/standing 200"
    assert line["method"] == "GET" and line["status"] == 200 and line["operator"] == "meta"
    assert line["route"] == "/v1/platforms/{platform}/accounts/{account}/standing"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["time"])


def test_a_violation_answered_by_the_fast_path_is_logged_with_its_operator(world: World, log_lines: LogLines) -> None:
    answer = world.client.post(
        "/v1/violations",
        headers={**world.headers["platform"], "X-Request-ID": "fast-1"},
        json={
            "id": "logged-1",
            "platform": "facebook",
            "account": "alice",
            "policy": "Violence and Incitement",
            "severity": "moderate",
            "category": "STATEMENT_CATEGORY_VIOLENCE",
        },
    )
    assert answer.status_code == 201, answer.text
    line = access_line(log_lines(), "fast-1")
    assert (line["message"], line["route"], line["status"], line["operator"]) == (
        "POST /v1/violations 201",
        "/v1/violations",
        201,
        "meta",
    )


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129, "semi;colon", 'quote"d'])
def test_a_missing_or_invalid_request_id_is_replaced(world: World, log_lines: LogLines, sent: str | None) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    answer = world.client.get("/healthz", headers=headers)
    request_id = answer.headers["x-request-id"]
    assert GENERATED.match(request_id) and request_id != sent
    line = access_line(log_lines(), request_id)
    assert "operator" not in line  # no token: no operator known


def test_every_problem_body_carries_the_request_id(db: Database, clock: Clock, world: World) -> None:
    moderator = world.headers["moderator"]
    small = create_app(db, clock=clock, max_body_bytes=100)
    with TestClient(small) as client:
        answers = {
            "401": world.client.get("/v1/sanctions"),
            "403": world.client.post(
                "/v1/sanctions", headers=world.headers["auditor"], json=sanction_body("facebook", "a")
            ),
            "404": world.client.get("/v1/sanctions/nope", headers=moderator),
            "404 no route": world.client.get("/v1/nowhere", headers=moderator),
            "405": world.client.delete("/v1/sanctions", headers=moderator),
            "422": world.client.post("/v1/sanctions", headers=moderator, json={"kind": "nonsense"}),
            "422 key": world.client.post(
                "/v1/sanctions", headers={**moderator, "Idempotency-Key": "has space"}, json={}
            ),
            "413": client.post("/v1/sanctions", headers=moderator, json=sanction_body("facebook", "a" * 200)),
        }
    for name, answer in answers.items():
        assert answer.status_code == int(name[:3]), (name, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), name
        body = answer.json()
        assert body["request_id"] == answer.headers["x-request-id"], name
        assert int(answer.headers["content-length"]) == len(answer.content), name


def test_an_unexpected_error_is_a_500_problem_logged_with_its_request_id(world: World, log_lines: LogLines) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    world.client.app.add_api_route("/test-only/explode", explode)  # type: ignore[attr-defined]
    answer = world.client.get("/test-only/explode", headers={"X-Request-ID": "crash-1"})
    assert answer.status_code == 500
    assert answer.json()["request_id"] == "crash-1" and answer.json()["type"].endswith("/internal")
    lines = [line for line in log_lines() if line.get("request_id") == "crash-1"]
    error = next(line for line in lines if line["level"] == "error")
    assert "RuntimeError: boom" in error["exception"]
    assert access_line(lines, "crash-1")["status"] == 500


def test_a_replayed_problem_names_the_first_request(world: World) -> None:
    headers = {**world.headers["moderator"], "Idempotency-Key": "replay-problem-1"}
    body = {"reason": {"ground": "incompatible_content"}}
    first = world.client.post("/v1/sanctions/nope/lift", headers={**headers, "X-Request-ID": "first"}, json=body)
    again = world.client.post("/v1/sanctions/nope/lift", headers={**headers, "X-Request-ID": "again"}, json=body)
    assert first.status_code == again.status_code == 422  # a kept first answer, refused input
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-request-id"] == "again"
    assert again.json() == first.json() and first.json()["request_id"] == "first"


def test_text_format_and_the_logging_configuration() -> None:
    record = logging.LogRecord("reprieve.x", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    record.request_id = "r-1"
    assert TextFormatter().format(record).endswith("WARNING reprieve.x hello you request_id=r-1")
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed["message"] == "hello you" and parsed["request_id"] == "r-1" and parsed["level"] == "warning"
    for name, formatter in (("json", JsonFormatter), ("text", TextFormatter)):
        config = logging_config(name)
        assert config["formatters"]["default"]["()"].endswith(formatter.__qualname__)
        assert config["loggers"]["reprieve.access"]["handlers"] == ["access"]
    assert logging_config("json", access_log=False)["loggers"]["reprieve.access"]["level"] == "WARNING"
    with pytest.raises(ValueError):
        logging_config("xml")


# --- reprieve serve, for real ------------------------------------------------------------


def _lines(stream: IO[bytes], readers: list[threading.Thread]) -> queue.Queue[bytes]:
    """Lines of ``stream`` as they come, read by a thread, so the test can wait with a deadline."""
    lines: queue.Queue[bytes] = queue.Queue()

    def pump() -> None:
        for line in iter(stream.readline, b""):
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    readers.append(reader)
    return lines


def _wait_for(lines: queue.Queue[bytes], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        parsed: dict[str, Any] = json.loads(line)  # every line is JSON
        if predicate(parsed):
            return parsed


@pytest.mark.slow
def test_serve_writes_json_lines_with_the_request_id(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    db = open_database(url)
    try:
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("test", now=START)
        )
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
            caller=Caller("test", now=START),
        )
        token = tokens.create_token(
            db, tokens.CreateToken.parse(name="p", role="platform", operator="meta"), caller=Caller("test", now=START)
        )
    finally:
        db.dispose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = f"from reprieve.api.server import serve; serve({url!r}, '127.0.0.1', {port}, 1, log_format='json')"
    # As in many containers: the access log is buffered all the same, and flushed each turn.
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    readers: list[threading.Thread] = []
    try:
        assert process.stdout is not None and process.stderr is not None
        access, other = _lines(process.stdout, readers), _lines(process.stderr, readers)
        _wait_for(other, lambda line: "Application startup complete" in line["message"])
        answer = httpx2.post(
            f"http://127.0.0.1:{port}/v1/checks",
            timeout=10,
            headers={"Authorization": f"Bearer {token.secret}", "X-Request-ID": "served-1"},
            json={"checks": [{"platform": "facebook", "account": "alice", "capability": "post"}]},
        )
        assert answer.status_code == 200 and answer.headers["x-request-id"] == "served-1"
        line = _wait_for(access, lambda line: line.get("request_id") == "served-1")
        assert (line["route"], line["status"], line["operator"]) == ("/v1/checks", 200, "meta")
    finally:
        process.terminate()
        process.wait(timeout=15)
        for reader in readers:
            reader.join(timeout=5)  # the pipes end with the process
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_serve_refuses_an_unknown_log_format(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from reprieve.cli import main

    database = tmp_path / "never.db"
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", f"sqlite:///{database}", "serve", "--log-format", "xml"])
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert out == "" and err == "error: log-format: must be one of json, text\n"
    assert not database.exists()  # refused before anything was opened


@pytest.mark.parametrize("operator", ["meta", None])
def test_an_access_line_written_directly_is_the_line_the_formatter_makes(operator: str | None) -> None:
    """``log_access`` writes past the logging calls only as configured by ``logging_config``;
    the line is the one ``JsonFormatter`` makes of the record (the time aside)."""
    fields = {
        "request_id": "r-1",
        "method": "POST",
        "route": "/v1/violations",
        "status": 201,
        "duration_ms": 1.25,
        "operator": operator,
    }
    lines = []
    for direct in (True, False):
        stream = io.StringIO()
        logger = logging.getLogger(f"reprieve.test-access-{direct}-{operator}")
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = not direct  # propagating: the ordinary way through logging
        logger.setLevel(logging.INFO)
        try:
            log_access(logger, "POST /v1/violations 201", fields)
        finally:
            logger.removeHandler(handler)
        line = json.loads(stream.getvalue())
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line.pop("time"))
        lines.append((list(line), line | {"logger": None}))
    assert lines[0] == lines[1]
    assert lines[0][0] == [
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        *(["operator"] if operator else []),
    ]


class CountedFlushes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_access_lines_of_one_turn_of_the_event_loop_are_flushed_once_after_it() -> None:
    stream = CountedFlushes()
    logger = logging.getLogger("reprieve.test-access-flushes")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    fields = {"request_id": "r-1", "method": "POST", "route": "/v1/violations", "status": 201}

    async def two_turns() -> list[tuple[int, int]]:
        seen = []
        for _ in range(2):
            log_access(logger, "POST /v1/violations 201", fields)
            log_access(logger, "POST /v1/violations 201", fields)
            seen.append((len(stream.getvalue().splitlines()), stream.flushes))  # written, not yet flushed
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            seen.append((len(stream.getvalue().splitlines()), stream.flushes))
        return seen

    try:
        seen = asyncio.run(two_turns())
        log_access(logger, "POST /v1/violations 201", fields)  # outside an event loop: flushed at once
    finally:
        logger.removeHandler(handler)
    assert seen == [(2, 0), (2, 1), (4, 1), (4, 2)]
    assert (len(stream.getvalue().splitlines()), stream.flushes) == (5, 3)


def test_the_access_handler_buffers_stdout_even_when_python_runs_unbuffered(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PYTHONUNBUFFERED=1`` makes ``sys.stdout`` write each line at once; the access handler
    writes through a buffer of its own, which ``log_access`` empties once a turn."""
    target = tmp_path / "stdout"
    unbuffered = io.TextIOWrapper(io.FileIO(target, "w"), encoding="utf-8", write_through=True)  # as python -u
    monkeypatch.setattr(sys, "stdout", unbuffered)
    unbuffered.write("direct\n")
    assert target.read_text() == "direct\n"  # written at once
    handler = access_handler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("reprieve.test-access-buffer")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    fields = {"request_id": "r-1", "method": "POST", "route": "/v1/violations", "status": 201}

    async def one_turn() -> str:
        log_access(logger, "POST /v1/violations 201", fields)
        log_access(logger, "POST /v1/violations 201", fields)
        during = target.read_text()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return during

    try:
        during = asyncio.run(one_turn())
    finally:
        logger.removeHandler(handler)
        handler.close()
        handler.stream.close()
        unbuffered.close()
    assert during == "direct\n"  # the turn's lines were still in the buffer
    after = target.read_text().splitlines()
    assert after[0] == "direct" and [json.loads(line)["request_id"] for line in after[1:]] == ["r-1", "r-1"]
