"""``reprieve notice ...``: a notice received by letter filed at the command line, listed, shown
with its notifier, gathered into its case; bad input is one line and an exit code, nothing written."""

from __future__ import annotations

import pytest

from e2e.cli_support import Cli

NOTICE = (
    "--platform", "facebook", "--item", "post-9", "--location", "https://facebook.example/posts/9",
    "--explanation", "It threatens a named person.", "--illegal", "--legal-ground", "Art. 222-17 Code pénal",
    "--name", "Lou Letter", "--email", "lou@example.org", "--bona-fide", "--channel", "letter",
)  # fmt: skip


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c


def test_file_list_show_and_case(cli: Cli) -> None:
    first = cli.json("notice", "file", *NOTICE)
    assert first["id"].startswith("ntc_") and first["state"] == "open" and first["channel"] == "letter"
    terms = [a for a in NOTICE if a not in ("--illegal", "--legal-ground", "Art. 222-17 Code pénal", "letter")]
    second = cli.json("notice", "file", *terms[:-1], "--terms", "--channel", "email")
    assert second["case"] == first["case"] and not second["illegal"]
    printed = cli.ok("notice", "file", *NOTICE, "--language", "fr")
    assert "Accusé de réception" in printed and "receipt.status_code" in printed
    listed = cli.ok("notice", "list", "--platform", "facebook")
    assert first["id"] in listed and second["id"] in listed and "Lou Letter" not in listed
    assert cli.json("notice", "list", "--state", "decided")["items"] == []
    shown = cli.ok("notice", "show", first["id"])
    assert "Lou Letter" in shown and "lou@example.org" in shown and "It threatens a named person." in shown
    case = cli.json("notice", "case", first["case"])
    assert case["count"] == 3 and [n["id"] for n in case["notices"]][:2] == [first["id"], second["id"]]


def test_refusals_are_one_line_and_write_nothing(cli: Cli) -> None:
    assert "location" in cli.fails("notice", "file", *NOTICE[:4], "--location", "ftp://x", *NOTICE[6:])
    assert "bona_fide" in cli.fails("notice", "file", *NOTICE[:-3], "--channel", "letter")
    assert "legal_ground" in cli.fails("notice", "file", *NOTICE[:8], "--illegal", "--bona-fide")
    assert "--state" in cli.fails("notice", "list", "--state", "nope")
    assert "no notice" in cli.fails("notice", "show", "ntc_nope")
    assert cli.json("notice", "list")["items"] == []


def test_decide_a_case_with_a_reply_and_a_referral(cli: Cli) -> None:
    first = cli.json("notice", "file", *NOTICE)
    second = cli.json("notice", "file", *NOTICE)
    decided = cli.json(
        "notice", "decide", first["id"], "--action", "no_action", "--rationale", "A quote, not a threat.",
        "--reply", "We took no action.", "--reply-to", f"{second['id']}=Your notice was read twice.",
        "--refer-to", "Parquet de Paris", "--member-state", "FR",
    )  # fmt: skip
    assert decided["state"] == "decided" and decided["decision"]["action"] == "no_action"
    assert decided["decision"]["referral"] == {"authority": "Parquet de Paris", "member_state": "FR"}
    replies = [n["reply"]["text"] for n in decided["notices"]]
    assert replies == ["We took no action.", "Your notice was read twice."]
    shown = cli.json("notice", "show", second["id"])
    assert "Article 20" in shown["reply"]["texts"]["en"] and "article 20" in shown["reply"]["texts"]["fr"]
    assert cli.json("notice", "list", "--state", "decided")["items"][0]["id"] == first["id"]
    # Decided already: a conflict, one line; bad input names the option or the field.
    again = ("notice", "decide", second["id"], "--rationale", "r", "--reply", "r")
    assert "decided already" in cli.fails(*again, "--action", "no_action")
    third = cli.json("notice", "file", *NOTICE)
    assert "action" in cli.fails("notice", "decide", third["id"], "--action", "nope", *again[3:])
    assert "decision" in cli.fails("notice", "decide", third["id"], "--action", "sanction", *again[3:])
    assert "--reply-to" in cli.fails(
        "notice", "decide", third["id"], "--action", "no_action", *again[3:], "--reply-to", "x"
    )
    assert cli.json("notice", "show", third["id"])["state"] == "open"


def test_a_notifier_complains_at_the_command_line(cli: Cli) -> None:
    n = cli.json("notice", "file", *NOTICE)
    cli.json("notice", "decide", n["id"], "--action", "no_action", "--rationale", "r", "--reply", "No action.")
    filed = cli.json(
        "appeal", "file", "--notice", n["id"], "--kind", "complaint", "--name", "Lou Letter", "--relation",
        "notifier", "--statement", "It is a threat.", "--channel", "letter",
    )  # fmt: skip
    assert filed["notice"] == n["id"] and filed["state"] == "open"
    assert [a["id"] for a in cli.json("appeal", "list", "--notice", n["id"])["items"]] == [filed["id"]]
