"""``reprieve content ...`` as a user types it (issue 24 item 1): decide, list, show, amend and
restore a decision on an item, with --at, --as-of and --if-version; a refusal is one line on
stderr, a non-zero exit, and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from e2e.cli_support import Cli

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
REASON = [
    "--category",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "--explanation",
    "Praise of the ongoing violence",
    "--policy",
    "Dangerous individuals and organisations",
]
ITEM = ["--author", "DonaldTrump", "--content-type", "CONTENT_TYPE_TEXT", "--content-date", "2021-01-06"]
WHY = "Decided at the weekend meeting, entered on Monday."


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c


def test_decide_list_show_amend_restore(cli: Cli) -> None:
    decided = cli.json(
        "content", "decide", "facebook/1346913502285590530", *ITEM, "--kind", "disabling",
        "--territorial-scope", "FR,DE", "--duration", "P30D", "--strike", *REASON,
        "--evidence-reference", "snapshots/1346913502285590530", "--evidence-sha256", SHA,
    )  # fmt: skip
    did = decided["id"]
    assert did.startswith("cd_") and decided["territorial_scope"] == ["DE", "FR"] and decided["strike"] is True
    assert decided["evidence"]["sha256"] == SHA and decided["reason"]["content_type"] == ["CONTENT_TYPE_TEXT"]
    listed = cli.ok("content", "list", "--account", "facebook/DonaldTrump")
    assert did in listed and "disabling" in listed
    assert cli.json("content", "list", "--kind", "label")["items"] == []
    shown = cli.ok("content", "show", did)
    assert "disabling" in shown and "DE,FR" in shown and f"version             {decided['version']}" in shown
    with_stale = cli.fails("content", "amend", did, "--kind", "label", "--reason", "r", "--if-version", "1")
    assert "changed since version 1" in with_stale
    amended = cli.json(
        "content", "amend", did, "--kind", "demotion", "--everywhere", "--indefinite",
        "--reason", "Milder on a second look", "--if-version", str(decided["version"]),
    )  # fmt: skip
    assert (amended["kind"], amended["territorial_scope"], amended["ends_at"]) == ("demotion", [], None)
    # As known when it was decided (the instant it was recorded at), before the amendment.
    then = cli.json("content", "show", did, "--as-of", decided["at"])
    assert (then["kind"], then["version"]) == ("disabling", decided["version"])
    at_start = cli.json("content", "show", did, "--at", decided["starts_at"])
    assert at_start["kind"] == "disabling"
    restored = cli.json("content", "restore", did, "--reason", "Complaint granted")
    assert restored["state"] == "restored"
    assert "not active" in cli.fails("content", "restore", did, "--reason", "again")


def test_refusals_are_one_line_and_write_nothing(cli: Cli) -> None:
    cli.ok("content", "decide", "facebook/item-1", *ITEM, "--kind", "removal", *REASON)
    before = cli.events()
    assert "'DonaldTrump'" in cli.fails(
        "content", "decide", "facebook/item-1", "--author", "someone-else", "--content-type", "CONTENT_TYPE_TEXT",
        "--content-date", "2021-01-06", "--kind", "label", *REASON,
    )  # fmt: skip
    assert "kind" in cli.fails("content", "decide", "facebook/item-2", *ITEM, "--kind", "deletion", *REASON)
    assert "kind_other" in cli.fails("content", "decide", "facebook/item-2", *ITEM, "--kind", "other", *REASON)
    assert "territorial_scope" in cli.fails(
        "content", "decide", "facebook/item-2", *ITEM, "--kind", "removal", "--territorial-scope", "US", *REASON
    )
    assert "content_date" in cli.fails(
        "content", "decide", "facebook/item-2", "--author", "a", "--content-type", "CONTENT_TYPE_TEXT",
        "--content-date", "2021-02-30", "--kind", "removal", *REASON,
    )  # fmt: skip
    assert "no platform 'facebok'" in cli.fails(
        "content", "decide", "facebok/item-2", *ITEM, "--kind", "removal", *REASON
    )
    assert "item" in cli.fails("content", "decide", "no-slash", *ITEM, "--kind", "removal", *REASON)
    backdated = cli.fails(
        "content", "decide", "facebook/item-2", *ITEM, "--kind", "removal", "--starts-at", _ago(3), *REASON
    )
    assert "backdated by 3 days" in backdated
    assert "no content decision 'cd_nope'" in cli.fails("content", "show", "cd_nope")
    assert "--state" in cli.fails("content", "list", "--state", "gone")
    assert cli.events() == before
    late = cli.json(
        "content", "decide", "facebook/item-2", *ITEM, "--kind", "removal", "--starts-at", _ago(3),
        "--backdated-reason", WHY, *REASON,
    )  # fmt: skip
    assert late["backdated"] is True and late["changes"][0]["backdated_reason"] == WHY


def test_a_review_of_a_content_decision_from_the_command_line(cli: Cli) -> None:
    decided = cli.json("content", "decide", "facebook/post-review", *ITEM, "--kind", "removal", *REASON)
    assert "exactly one" in cli.fails("review", "open", "--panel", "ana", "--reason", "r")
    review = cli.json(
        "review", "open", "--content-decision", decided["id"], "--panel", "ana", "--reason", "Was it satire?"
    )
    assert (review["content_decision"], review["sanction"], review["state"]) == (decided["id"], None, "open")
    cli.ok("review", "assess", review["id"], "--reviewer", "ana", "--risk", "low", "--rationale", "Satire")
    assert "terminate ends an account" in cli.fails(
        "review", "decide", review["id"], "--outcome", "terminate", "--rationale", "No"
    )


def test_an_amnesty_that_covers_content_from_the_command_line(cli: Cli) -> None:
    decided = cli.json("content", "decide", "facebook/post-amnesty", *ITEM, "--kind", "removal", *REASON)
    dry = cli.json("amnesty", "create", "--operator", "meta", "--covers", "both", "--dry-run")
    assert (dry["sanctions_matched"], dry["content_matched"]) == (0, 1)
    assert [d["id"] for d in dry["content_sample"]] == [decided["id"]]
    assert "content decisions: 1" in cli.ok("amnesty", "create", "--operator", "meta", "--covers", "both", "--dry-run")
    refused = cli.fails("amnesty", "create", "--operator", "meta", "--content-kinds", "removal", "--dry-run")
    assert "covers" in refused
