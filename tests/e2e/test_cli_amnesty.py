"""``reprieve amnesty`` as a user types it: dry run, run with a progress bar, show, revert, errors."""

from __future__ import annotations

import pytest

from e2e.cli_support import Cli

REASON = ["--explanation", "Spam", "--policy", "Spam"]


def test_an_amnesty_from_the_command_line(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "x", "--name", "X Corp")
    cli.ok("platform", "create", "twitter", "--operator", "x", "--name", "Twitter")
    ids = [
        cli.json(
            "sanction",
            "create",
            f"twitter/user{i}",
            "--kind",
            "suspension",
            "--duration",
            "P1Y",
            "--category",
            category,
            *REASON,
        )["id"]
        for i, category in enumerate(["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"] * 3 + ["STATEMENT_CATEGORY_VIOLENCE"])
    ]
    events = cli.events()
    preview = cli.json(
        "amnesty",
        "create",
        "--operator",
        "x",
        "--kinds",
        "suspension,termination",
        "--exclude-categories",
        "STATEMENT_CATEGORY_VIOLENCE",
        "--dry-run",
    )
    assert preview["matched"] == 3 and {s["id"] for s in preview["sample"]} == set(ids[:3])
    assert "matched: 4" in cli.ok("amnesty", "create", "--operator", "x", "--dry-run")
    assert "matched: 4" in cli.ok("amnesty", "--dry-run", "--operator", "x")  # PRODUCT.md's spelling
    assert (
        cli.json(
            "amnesty",
            "--operator",
            "x",
            "--dry-run",
            "--kinds",
            "suspension",
            "--exclude-categories",
            "STATEMENT_CATEGORY_VIOLENCE",
        )["matched"]
        == 3
    )
    assert "Commands" in cli.ok("amnesty", "--help")
    assert cli.events() == events

    code, out, err = cli.run(
        "amnesty",
        "create",
        "--operator",
        "x",
        "--kinds",
        "suspension",
        "--exclude-categories",
        "STATEMENT_CATEGORY_VIOLENCE",
        "--reason",
        "General amnesty",
        "--batch-size",
        "2",
        "--yes",
    )
    assert code == 0, err
    assert "lifting [" in err and "3/3" in err  # the progress bar, on stderr
    assert "completed" in out
    amnesty_id = out.split()[1]
    shown = cli.json("amnesty", "show", amnesty_id)
    assert (shown["state"], shown["lifted"], shown["skipped"]) == ("completed", 3, 0)
    assert [cli.json("sanction", "show", i)["state"] for i in ids] == ["lifted"] * 3 + ["active"]
    assert cli.json("amnesty", "list")["items"][0]["id"] == amnesty_id

    reverted = cli.json("amnesty", "revert", amnesty_id, "--reason", "Undone", "--yes")
    assert reverted["state"] == "reverted" and reverted["revert"]["restored"] == 3
    assert "only a completed amnesty" in cli.fails("amnesty", "revert", amnesty_id, "--reason", "again", "--yes")
    assert cli.json("amnesty", "resume", amnesty_id)["state"] == "reverted"  # nothing left to do


@pytest.mark.parametrize(
    "args",
    [
        ["--kinds", "ban"],
        ["--states", "expired"],
        ["--started-before", "last week"],
        ["--platforms", "myspace"],
        ["--exclude-categories", "SPAM"],
        ["--operator", "nobody"],
    ],
)
def test_bad_amnesties_are_refused_on_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "x", "--name", "X Corp")
    cli.ok("platform", "create", "twitter", "--operator", "x", "--name", "Twitter")
    events = cli.events()
    base = ["amnesty", "create", "--reason", "r"]
    if "--operator" not in args:
        base += ["--operator", "x"]
    cli.fails(*base, *args)
    cli.fails(*base, *args, "--dry-run")
    assert cli.events() == events
    cli.fails("amnesty", "show", "amn_nope")
