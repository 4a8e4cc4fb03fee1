"""``reprieve sanction import``: history from JSON Lines, each line saying when its user was informed
(PRODUCT.md section 8), or ``--informed-at-start``; a bad line is one line of error and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from e2e.cli_support import Cli
from reprieve.store import tables
from reprieve.store.db import open_database


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c


def line(account: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"platform": "facebook", "account": account},
        "kind": "suspension",
        "starts_at": "2022-05-01T10:00:00Z",
        "duration": "P7D",
        "reason": {
            "ground": "incompatible_content",
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "explanation": "Sold counterfeit tickets",
            "policy": "Fraud",
        },
        "informed_at": "2022-05-01T10:30:00Z",
    }
    body.update(overrides)
    return body


def jsonl(tmp_path: Path, *lines: dict[str, Any]) -> str:
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(body) + "\n" for body in lines), encoding="utf-8")
    return str(path)


def test_history_is_imported_with_when_each_user_was_informed(cli: Cli, tmp_path: Path) -> None:
    statement = {"reference": "https://transparency.example/statements/1", "issued_at": "2022-05-01T10:00:00Z"}
    path = jsonl(tmp_path, line("alice", statement=statement), line("bob"))
    assert cli.ok("sanction", "import", path).strip().endswith("2 sanctions imported")
    (alice,) = cli.json("sanction", "list", "--account", "facebook/alice")["items"]
    assert alice["imported"] == {"informed_at": "2022-05-01T10:30:00Z", "statement": statement}
    shown = cli.ok("sanction", "show", alice["id"])
    assert "2022-05-01T10:30:00Z" in shown and "transparency.example/statements/1" in shown


def test_a_line_without_informed_at_is_refused_unless_the_default_is_asked(cli: Cli, tmp_path: Path) -> None:
    bare = {k: v for k, v in line("carol").items() if k != "informed_at"}
    path = jsonl(tmp_path, line("bob"), bare)
    before = cli.events()
    assert "sanction #2: informed_at: required" in cli.fails("sanction", "import", path)
    assert cli.events() == before
    cli.ok("sanction", "import", path, "--informed-at-start")
    (carol,) = cli.json("sanction", "list", "--account", "facebook/carol")["items"]
    assert carol["imported"]["informed_at"] == "2022-05-01T10:00:00Z"


@pytest.mark.parametrize(
    ("informed_at", "said"),
    [("2022-04-30T00:00:00Z", "lies before the decision"), ("2999-01-01T00:00:00Z", "lies in the future")],
)
def test_informed_at_is_bounded(cli: Cli, tmp_path: Path, informed_at: str, said: str) -> None:
    before = cli.events()
    assert said in cli.fails("sanction", "import", jsonl(tmp_path, line("dave", informed_at=informed_at)))
    assert cli.events() == before


def test_an_import_issues_nothing_and_records_the_platforms_statement(cli: Cli, tmp_path: Path) -> None:
    statement = {"reference": "tdb:platform-0042", "issued_at": "2022-05-01T10:00:00Z"}
    before = cli.events()
    cli.ok("sanction", "import", jsonl(tmp_path, line("erin", statement=statement), line("fay")))
    db = open_database(cli.url)
    try:
        with db.read() as conn:
            e = tables.events.c
            added = list(conn.execute(select(e.type).where(e.seq > before)).scalars())
            documents = conn.execute(select(func.count()).select_from(tables.issued_documents)).scalar_one()
    finally:
        db.dispose()
    assert "sanction.imposed" in added and "statement.issued" not in added and documents == 0
    (erin,) = cli.json("sanction", "list", "--account", "facebook/erin")["items"]
    shown = cli.ok("sanction", "show", erin["id"])
    assert "tdb:platform-0042" in shown and "2022-05-01T10:00:00Z" in shown
