"""``serve()``: the API under uvicorn, in one process or several sharing one database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx2
import pytest
from api_support import START, sanction_body

from reprieve.domain.errors import ValidationError
from reprieve.services import catalogue, tokens
from reprieve.services.callers import Caller
from reprieve.store.db import open_database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(database_url: str, workers: int) -> Iterator[str]:
    """A server started by ``serve()`` in a child process; yields its base URL once it answers."""
    with running_process(database_url, workers) as (base, _):
        yield base


@contextmanager
def running_process(
    database_url: str, workers: int, *, cpus: tuple[int, ...] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``running``, yielding the server's process too."""
    port = free_port()
    code = (
        f"from reprieve.api.server import serve; serve({database_url!r}, '127.0.0.1', {port}, {workers}, cpus={cpus!r})"
    )
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=log)
        try:
            yield _wait_until_up(f"http://127.0.0.1:{port}", process, log), process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> str:
    # A ceiling, not a wait: on a loaded machine two workers' start (imports, migrations, the
    # index) has taken over 30 s, and a first answer over 1 s.
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx2.get(f"{base}/readyz", timeout=10).status_code == 200:
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
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("test", now=START)
        )
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
            caller=Caller("test", now=START),
        )
        token = tokens.create_token(
            db,
            tokens.CreateToken.parse(name="mod", role="moderator", operator="meta"),
            caller=Caller("test", now=START),
        )
    finally:
        db.dispose()
    headers = {"Authorization": f"Bearer {token.secret}"}
    with running(database_url, workers) as base, httpx2.Client(base_url=base, headers=headers, timeout=10) as client:
        created = client.post("/v1/sanctions", json=sanction_body("facebook", "alice", duration="P1000Y"))
        assert created.status_code == 201, created.text
        # Whichever worker answers, it reads the same database.
        for _ in range(2 * workers):
            check = client.post(
                "/v1/checks", json={"checks": [{"platform": "facebook", "account": "alice", "capability": "post"}]}
            )
            assert check.json()["results"][0]["allowed"] is False
        assert client.get("/v1/sanctions/nope").status_code == 404


def test_serve_needs_a_worker() -> None:
    from reprieve.api.server import serve

    with pytest.raises(ValidationError):
        serve("sqlite://", "127.0.0.1", 0, 0)


# --- --cpus ----------------------------------------------------------------------------------


def _cpus_allowed(pid: int) -> str:
    """The CPUs the kernel lets ``pid`` run on, as /proc lists them (e.g. ``1`` or ``0-1``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no Cpus_allowed_list for {pid}")


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="CPU placement is read from Linux's /proc")
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_on_the_cpus_given(tmp_path: Path, workers: int) -> None:
    cpu = max(os.sched_getaffinity(0))
    url = f"sqlite:///{tmp_path / 'pinned.db'}"
    with running_process(url, workers, cpus=(cpu,)) as (base, process):
        assert httpx2.get(f"{base}/healthz", timeout=10).status_code == 200
        assert _cpus_allowed(process.pid) == str(cpu)
        if workers > 1:  # the workers (and uvicorn's supervisor's helpers) inherit the placement
            children = _children(process.pid)
            assert len(children) >= workers
            assert {_cpus_allowed(child) for child in children} == {str(cpu)}


def test_parse_cpus_reads_linux_lists() -> None:
    from reprieve.api.server import parse_cpus

    last = (os.cpu_count() or 1) - 1
    assert parse_cpus("0") == (0,)
    assert parse_cpus(f"0-{last}") == tuple(range(last + 1))
    assert parse_cpus(f"{last},0, 0") == tuple(sorted({0, last}))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a list of CPUs"),
        ("one", "is not a list of CPUs"),
        ("1,", "is not a list of CPUs"),
        ("-1", "is not a list of CPUs"),
        ("3-1", "'3-1' is an empty range"),
        ("100000", "there is no CPU 100000"),
    ],
)
def test_parse_cpus_refuses_what_is_not_a_cpu_list(text: str, message: str) -> None:
    from reprieve.api.server import parse_cpus

    with pytest.raises(ValidationError, match=message) as refused:
        parse_cpus(text)
    assert refused.value.field == "cpus"


def test_serve_refuses_cpus_that_are_not_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reprieve.cli import main

    database = tmp_path / "never.db"
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", f"sqlite:///{database}", "serve", "--cpus", "100000"])
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: cpus: there is no CPU 100000: this machine has CPUs 0 to ") and err.count("\n") == 1
    assert not database.exists()  # refused before anything was opened
    if before is not None:
        assert os.sched_getaffinity(0) == before


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REPRIEVE_GROUP_COMMIT", "maybe", "REPRIEVE_GROUP_COMMIT: input should be a valid boolean"),
        ("REPRIEVE_OPENTELEMETRY", "", "REPRIEVE_OPENTELEMETRY: input should be a valid boolean"),
    ],
)
def test_serve_refuses_a_bad_setting_on_one_line_before_opening_anything(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    message: str,
) -> None:
    from reprieve.cli import main

    database = tmp_path / "never.db"
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", f"sqlite:///{database}", "serve", "--port", str(free_port())])
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: {message}") and err.endswith(f"(got {value!r})\n") and err.count("\n") == 1
    assert not database.exists()
