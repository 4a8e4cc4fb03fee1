"""Running ``reprieve`` in-process, as a user types it, for the end-to-end tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reprieve.cli import main
from reprieve.store import eventlog
from reprieve.store.db import open_database


class Cli:
    """Runs ``reprieve`` in-process against one database and captures what it prints."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url = url
        self.capsys = capsys

    def run(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            main(["--database-url", self.url, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self.run(*args)
        assert code == 0, f"{args} failed: {err}"
        return out

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def fails(self, *args: str) -> str:
        """Run a command that must be refused: exit 1, nothing on stdout, one line on stderr."""
        code, out, err = self.run(*args)
        assert code == 1 and out == "", (code, out, err)
        assert err.startswith("error: ") and err.count("\n") == 1, err
        return err

    def events(self) -> int:
        db = open_database(self.url)
        try:
            with db.read() as conn:
                return eventlog.count_events(conn)
        finally:
            db.dispose()
