"""``reprieve access-log``: an instance admin reads who was shown a requester's e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from e2e.cli_support import Cli
from reprieve.services import access_log
from reprieve.store.db import open_database


def test_access_log_at_the_command_line(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = open_database(database_url)
    try:
        for operator, appeal in (("meta", "apl_1"), ("x", "apl_2")):
            access_log.record_access(
                db,
                at=datetime(2026, 12, 1, tzinfo=UTC),
                operator=operator,
                actor="member:mem_1",
                via=access_log.CONSOLE,
                appeal_id=appeal,
                requester="req_1",
                fields=("email",),
            )
    finally:
        db.dispose()
    cli = Cli(database_url, capsys)
    rows = cli.json("access-log", "--operator", "meta")
    assert rows == [
        {
            "at": "2026-12-01T00:00:00Z",
            "operator": "meta",
            "actor": "member:mem_1",
            "via": "console",
            "appeal": "apl_1",
            "requester": "req_1",
            "fields": ["email"],
        }
    ]
    assert {r["appeal"] for r in cli.json("access-log")} == {"apl_1", "apl_2"}
    assert cli.json("access-log", "--since", "2026-12-02T00:00:00Z") == []
    assert "apl_1" in cli.ok("access-log", "--appeal", "apl_1")
    assert "since" in cli.fails("access-log", "--since", "yesterday")
