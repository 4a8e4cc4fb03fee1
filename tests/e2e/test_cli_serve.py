"""``reprieve serve`` on an address it cannot have: one line that says what to do, before anything starts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.cli_support import Cli


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_busy_port_is_one_line_naming_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], busy_port: int
) -> None:
    cli = Cli(f"sqlite:///{tmp_path}/reprieve.db", capsys)
    code, out, err = cli.run("serve", "--port", str(busy_port))
    assert (code, out) == (1, "")
    assert err == (f"error: port {busy_port} on 127.0.0.1 is in use; choose another with --port (make run PORT=8001)\n")
    assert not (tmp_path / "reprieve.db").exists()  # refused before anything was opened


def test_an_address_that_is_not_there_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = Cli(f"sqlite:///{tmp_path}/reprieve.db", capsys)
    assert cli.fails("serve", "--host", "no-such-host.invalid").startswith("error: host: cannot listen on")
    code, _, err = cli.run("serve", "--port", "70000")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
