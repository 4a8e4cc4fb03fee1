"""The CLI's sharp edges, as a newcomer meets them: exit statuses a script can rely on, bulk
changes that ask first (or need --yes), readable probation, one pagination flag, near misses
suggested, no Python ``None`` in a message."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

import pytest

from e2e.cli_support import Cli
from reprieve.api.observability.logs import JsonFormatter

REASON = [
    "--category",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "--explanation",
    "Sold counterfeit tickets",
    "--policy",
    "Fraud and Deception",
]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Meta (Facebook under Meta's policy) and X Corp (Twitter): command-line behaviour, on SQLite only."""
    c = Cli(f"sqlite:///{tmp_path / 'reprieve.db'}", capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook", "--policy", "meta")
    c.ok("operator", "create", "x-corp", "--name", "X Corp")
    c.ok("platform", "create", "twitter", "--operator", "x-corp", "--name", "Twitter")
    return c


class Terminal(io.StringIO):
    """What a person types at a terminal."""

    def isatty(self) -> bool:
        return True


def test_check_exits_0_when_allowed_1_when_denied_and_2_when_it_cannot_answer(cli: Cli) -> None:
    cli.ok("sanction", "create", "twitter/someone", "--kind", "suspension", "--duration", "P30D", *REASON)
    assert cli.run("check", "twitter/someone", "appeal")[0] == 0
    code, out, _ = cli.run("check", "twitter/someone", "post")
    assert code == 1 and out.startswith("denied: twitter/someone may not post")
    code, out, _ = cli.run("check", "twitter/someone", "post", "--json")
    assert code == 1 and json.loads(out)["allowed"] is False
    code, out, err = cli.run("check", "twiter/someone", "post")
    assert (code, out, err) == (2, "", "error: no platform 'twiter' (did you mean twitter?)\n")
    assert cli.run("check", "someone", "post")[0] == 2
    assert "0 allowed, 1 denied, 2 error" in " ".join(cli.ok("check", "--help").split())


def test_bulk_commands_show_the_count_and_ask_or_need_yes(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        cli.ok("sanction", "create", f"twitter/user{i}", "--kind", "suspension", *REASON)
    lift = ["amnesty", "create", "--operator", "x-corp", "--reason", "General amnesty", "--quiet"]
    before = cli.events()
    # No terminal (CI, a script) and no --yes: refused on one line that says what to add; nothing changes.
    assert cli.fails(*lift) == "error: Lift 3 sanctions of x-corp: no terminal to ask on, add --yes to confirm\n"
    assert cli.events() == before
    # On a terminal: the question, and "no" (the default) changes nothing.
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr("sys.stdin", Terminal("\n"))
    code, _, err = cli.run(*lift)
    assert code == 1 and "Lift 3 sanctions of x-corp? [y/N]" in err and "nothing changed" in err
    assert cli.events() == before
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    amnesty_id = cli.ok(*lift).split()[1]
    assert cli.json("amnesty", "show", amnesty_id)["lifted"] == 3
    monkeypatch.undo()

    revert = ["amnesty", "revert", amnesty_id, "--reason", "Undone", "--quiet"]
    before = cli.events()
    assert "add --yes" in cli.fails(*revert)
    assert cli.events() == before
    cli.ok(*revert, "--yes")
    # The revert's fields, printed (they were all "-" though --json had them).
    shown = dict(line.split(None, 1) for line in cli.ok("amnesty", "show", amnesty_id).splitlines())
    assert shown["state"].strip() == "reverted"
    assert shown["revert.restored"].strip() == "3" and shown["revert.by"].strip().startswith("cli")


def test_probation_and_durations_read_as_people_write_them(cli: Cli) -> None:
    sid = cli.json("sanction", "create", "facebook/someone", "--kind", "suspension", *REASON)["id"]
    appeal = cli.json(
        "appeal",
        "file",
        sid,
        "--kind",
        "reinstatement",
        "--name",
        "Someone",
        "--statement",
        "Please",
        "--channel",
        "email",
    )["id"]
    cli.ok("appeal", "decide", appeal, "--outcome", "granted", "--rationale", "Fine", "--reply", "Back", "--probation")
    standing = cli.json("standing", "facebook/someone")
    line = next(x for x in cli.ok("standing", "facebook/someone").splitlines() if x.startswith("probation"))
    assert f"until {standing['probation']['until'][:10]} (since {standing['probation']['since'][:10]}" in line
    assert "low: suspension for 1 month" in line and "severe: suspension for 2 years" in line
    assert "{" not in line
    assert "14 days (P14D)" in cli.ok("worker", "appeal-target", "meta", "P14D")
    shown = cli.ok("platform", "show", "facebook")
    assert "meta (strikes expire after 1 year; probation 2 years; complaints within 6 months" in shown


def test_one_pagination_flag_and_the_latest_events(cli: Cli) -> None:
    first = cli.ok("events", "--limit", "2")
    assert first.rstrip().endswith("more: --cursor 2")
    assert cli.ok("events", "--limit", "2", "--cursor", "2") == cli.ok("events", "--limit", "2", "--after", "2")
    assert "--after" not in cli.ok("events", "--help")  # the former name is kept, hidden
    for i in range(3):
        cli.ok("sanction", "create", f"twitter/user{i}", "--kind", "warning", *REASON)
    assert cli.ok("sanction", "list", "--limit", "2").rstrip().splitlines()[-1].startswith("more: --cursor ")
    total = cli.events()
    latest = cli.json("events", "--latest", "--limit", "2")["items"]
    assert [e["seq"] for e in latest] == [total, total - 1]  # the newest first
    assert "give --cursor only" in cli.fails("events", "--cursor", "1", "--after", "1")


def test_mistakes_name_the_valid_values_and_suggest_the_near_miss(cli: Cli) -> None:
    before = cli.events()
    create = ["sanction", "create", "facebook/someone", "--kind", "suspension", "--explanation", "x", "--policy", "y"]
    err = cli.fails(*create, "--category", "SCAMS")
    assert err == (
        "error: reason.category: 'SCAMS' is not a Transparency Database category "
        "(did you mean STATEMENT_CATEGORY_SCAMS_AND_FRAUD?)\n"
    )
    err = cli.fails(*create)
    assert err.startswith("error: --category: is required") and "STATEMENT_CATEGORY_VIOLENCE" in err
    assert "None" not in err
    assert cli.fails(
        "sanction", "create", "facebook/someone", "--kind", "warning", "--category", "STATEMENT_CATEGORY_VIOLENCE"
    ).startswith("error: --explanation: is required")
    err = cli.fails(*create, "--category", "STATEMENT_CATEGORY_XYZZY")
    assert "(one of: STATEMENT_CATEGORY_ANIMAL_WELFARE, " in err
    assert "(did you mean facebook?)" in cli.fails(
        "sanction", "create", "facebok/someone", "--kind", "warning", *REASON
    )
    assert "(did you mean suspension?)" in cli.fails(
        "sanction", "create", "facebook/someone", "--kind", "suspend", *REASON
    )
    assert "no operator 'x' (did you mean x-corp?)" in cli.fails("amnesty", "create", "--operator", "x", "--dry-run")
    assert "None" not in cli.fails(
        "sanction",
        "create",
        "facebook/someone",
        "--kind",
        "warning",
        *REASON,
        "--reason-json",
        '{"category": "STATEMENT_CATEGORY_VIOLENCE", "ground": null}',
    )
    assert cli.events() == before


def test_the_worker_logs_its_cycle_as_json_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "reprieve.worker",
            "levelname": "INFO",
            "levelno": logging.INFO,
            "msg": "worker cycle",
            "fields": {"announced": 1483, "delivered": 2},
        }
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "worker cycle" and (line["announced"], line["delivered"]) == (1483, 2)
