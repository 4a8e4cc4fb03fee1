"""``reprieve people erase`` and ``reprieve people retention`` as a user types them: the same answer
as the API, a one-line error and exit 1 on bad input (nothing changed)."""

from __future__ import annotations

import pytest

from e2e.cli_support import Cli

REASON = ["--category", "STATEMENT_CATEGORY_VIOLENCE", "--explanation", "Incitement", "--policy", "Violence"]


def test_erasing_a_person_and_setting_the_retention_from_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "meta", "--name", "Meta")
    cli.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook", "--policy", "meta")
    sanction = cli.json("sanction", "create", "facebook/alice", "--kind", "suspension", *REASON)
    appeal = cli.json(
        "appeal", "file", sanction["id"], "--kind", "complaint", "--name", "Alice Doe", "--email", "alice@example.com",
        "--channel", "web", "--statement", "Statement 9b1c of Alice",
    )  # fmt: skip
    events = cli.events()
    assert appeal["id"] in cli.fails("people", "erase", "--operator", "meta", "--email", "alice@example.com")
    assert "exactly one key" in cli.fails("people", "erase", "--operator", "meta")
    assert "exactly one key" in cli.fails(
        "people", "erase", "--operator", "meta", "--email", "alice@example.com", "--account", "facebook/alice"
    )
    assert "no requester" in cli.fails("people", "erase", "--operator", "meta", "--email", "bob@example.com")
    assert "no operator" in cli.fails("people", "erase", "--operator", "nope", "--email", "alice@example.com")
    assert cli.events() == events  # refused: nothing recorded

    cli.ok("appeal", "decide", appeal["id"], "--outcome", "denied", "--rationale", "Grounds", "--reply", "Reply 77aa")
    answer = cli.json("people", "erase", "--operator", "meta", "--email", "ALICE@example.com")
    # Filed as the sanction's subject: the statement issued to them about it goes too (issue 23).
    assert [e["what"] for e in answer["erased"]] == ["appeal.statement", "issued.statement"]
    assert sorted(k["what"] for k in answer["kept"]) == ["appeal.reply", "requester.contact"]
    shown = cli.json("appeal", "show", appeal["id"])
    assert shown["statement"] is None and shown["decision"]["reply"] == "Reply 77aa"
    printed = cli.ok("people", "erase", "--operator", "meta", "--reference", answer["kept"][1]["ref"])
    assert "erased (0):" in printed and "kept (2):" in printed and "GDPR art. 17(3)" in printed

    set_to = cli.json("people", "retention", "meta", "P1Y")
    assert set_to["retention"] == "P1Y"
    assert "retention  default" in cli.ok("people", "retention", "meta", "--default")
    assert "not both" in cli.fails("people", "retention", "meta", "P1Y", "--default")
    assert "period" in cli.fails("people", "retention", "meta", "one year-ish")


def test_setting_the_evidence_retention_from_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "meta", "--name", "Meta")
    set_to = cli.json("people", "retention", "meta", "P2Y", "--evidence")
    assert set_to["evidence_retention"] == "P2Y" and "complaint or dispute" in set_to["default"]
    assert "evidence retention  default" in cli.ok("people", "retention", "meta", "--default", "--evidence")
    events = cli.events()
    assert "period" in cli.fails("people", "retention", "meta", "two years", "--evidence")
    assert "no operator" in cli.fails("people", "retention", "nope", "P2Y", "--evidence")
    assert cli.events() == events  # refused: nothing recorded
