"""Backdated decisions at the command line (issue 22 item 4, PRODUCT.md section 8): a decision
taking effect more than 24 hours ago needs ``--backdated-reason`` (one line on stderr otherwise,
nothing written), shows as backdated, and ``sanction import`` (history by nature) needs none."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
WHY = "Decided at the weekend meeting, entered on Monday."


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c


def test_backdated_create_amend_and_lift_need_a_reason(cli: Cli) -> None:
    before = cli.events()
    err = cli.fails("sanction", "create", "facebook/late", "--kind", "suspension", "--starts-at", _ago(3), *REASON)
    assert "backdated by 3 days" in err and "backdated_reason" in err
    assert cli.events() == before

    created = cli.json(
        "sanction", "create", "facebook/late", "--kind", "suspension", "--starts-at", _ago(3),
        "--backdated-reason", WHY, *REASON,
    )  # fmt: skip
    assert (created["history"][0]["backdated"], created["history"][0]["backdated_reason"]) == (True, WHY)
    sid = created["id"]
    shown = cli.ok("sanction", "show", sid)
    assert WHY in shown  # the history's "backdated" column

    err = cli.fails("sanction", "amend", sid, "--reason", "r", "--duration", "P90D", "--effective-at", _ago(2))
    assert "backdated by 2 days" in err
    amended = cli.json(
        "sanction", "amend", sid, "--reason", "r", "--duration", "P90D", "--effective-at", _ago(2),
        "--backdated-reason", WHY,
    )  # fmt: skip
    assert amended["history"][-1]["backdated"] is True

    err = cli.fails("sanction", "lift", sid, "--reason", "granted", "--effective-at", _ago(1.5))
    assert "backdated by 1 day 12 hours" in err
    lifted = cli.json(
        "sanction", "lift", sid, "--reason", "granted", "--effective-at", _ago(1.5), "--backdated-reason", WHY
    )
    assert lifted["history"][-1]["backdated"] is True and lifted["state"] == "lifted"


def test_a_decision_within_24_hours_needs_none(cli: Cli) -> None:
    created = cli.json("sanction", "create", "facebook/today", "--kind", "warning", "--starts-at", _ago(0.9), *REASON)
    assert created["history"][0]["backdated"] is False


def test_an_import_is_history_and_needs_no_reason(cli: Cli, tmp_path: Path) -> None:
    line = {
        "subject": {"platform": "facebook", "account": "imported"},
        "kind": "suspension",
        "starts_at": "2020-01-01T00:00:00Z",
        "duration": "P30D",
        "informed_at": "2020-01-01T00:00:00Z",  # an import says when its user was informed
        "reason": {
            "ground": "incompatible_content",
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "explanation": "Old case",
            "policy": "Fraud",
        },
    }
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(line) + "\n")
    cli.ok("sanction", "import", str(path))
    (item,) = cli.json("sanction", "list", "--account", "facebook/imported")["items"]
    assert item["history"][0]["backdated"] is False  # an import is no decision taken now
