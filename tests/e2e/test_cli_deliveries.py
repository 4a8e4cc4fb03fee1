"""``reprieve sanction statements`` and ``reprieve sanction deliver`` (issue 23 item 3): the first
receipt counts; a bad one is a one-line error that writes nothing."""

from __future__ import annotations

import pytest

from e2e.cli_support import Cli

REASON = [
    "--category",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "--explanation",
    "Counterfeit tickets",
    "--policy",
    "Fraud",
]


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c


def test_a_statement_delivered_from_the_command_line(cli: Cli) -> None:
    created = cli.json("sanction", "create", "facebook/someone", "--kind", "suspension", "--duration", "P30D", *REASON)
    (issued,) = cli.json("sanction", "statements", created["id"])["items"]
    assert issued["delivered_at"] is None
    before = cli.events()
    assert "channel" in cli.fails(
        "sanction", "deliver", issued["id"], "--delivered-at", issued["issued_at"], "--channel", "a@b.c"
    )
    assert "delivered_at" in cli.fails(
        "sanction", "deliver", issued["id"], "--delivered-at", "2999-01-01T00:00:00Z", "--channel", "email"
    )
    assert "no statement" in cli.fails(
        "sanction", "deliver", "stm_nothing", "--delivered-at", issued["issued_at"], "--channel", "email"
    )
    assert cli.events() == before
    first = cli.json("sanction", "deliver", issued["id"], "--delivered-at", issued["issued_at"], "--channel", "post")
    assert first["recorded"] is True and first["channel"] == "post"
    again = cli.ok("sanction", "deliver", issued["id"], "--delivered-at", issued["issued_at"], "--channel", "email")
    assert "post" in again and "nothing was written" in again
    assert cli.events() == before + 1
    table = cli.ok("sanction", "statements", created["id"])
    assert issued["id"] in table and "post" in table
