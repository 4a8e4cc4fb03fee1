"""``reprieve content import``: history of decisions on content from JSON Lines, each line saying when
its user was informed, or ``--informed-at-start``; batches all or nothing; a bad line is one line of
error naming it, a non-zero exit, and changes nothing in its batch."""

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


def line(item: str, author: str = "author-a", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item": {
            "platform": "facebook",
            "item": item,
            "account": author,
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2022-04-30",
        },
        "kind": "removal",
        "starts_at": "2022-05-01T10:00:00Z",
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


def write(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def decisions(cli: Cli) -> int:
    db = open_database(cli.url)
    try:
        with db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(tables.content_decisions)).scalar_one())
    finally:
        db.dispose()


def test_import_streams_batches_and_shows_them(cli: Cli, tmp_path: Path) -> None:
    rows = [line(f"10000000000000000{n:02d}", f"author-{n % 3}") for n in range(25)]
    rows[3]["kind"], rows[3]["territorial_scope"] = "disabling", ["FR"]
    out = cli.ok("content", "import", write(tmp_path / "h.jsonl", rows), "--batch-size", "10")
    assert out.strip() == "25 content decisions imported"
    assert decisions(cli) == 25
    listed = cli.json("content", "list", "--platform", "facebook", "--limit", "100")
    assert len(listed["items"]) == 25
    scoped = [d for d in listed["items"] if d["kind"] == "disabling"]
    assert [d["territorial_scope"] for d in scoped] == [["FR"]]
    assert all(d["imported"]["informed_at"] == "2022-05-01T10:30:00Z" for d in listed["items"])


def test_a_bad_line_names_itself_and_its_batch_is_not_written(cli: Cli, tmp_path: Path) -> None:
    good = [line(f"20000000000000000{n:02d}") for n in range(4)]
    # Batches of two: the first is written, the second (holding the bad line) is not, nor after.
    bad = line("3", informed_at="2030-01-01T00:00:00Z")
    code, out, err = cli.run(
        "content", "import", write(tmp_path / "b.jsonl", [*good[:2], good[2], bad]), "--batch-size", "2"
    )
    # the progress of the batch written, then the error naming the line
    assert (code, out, err.splitlines()) == (
        1,
        "",
        ["imported 2", "error: content decision #4: informed_at: lies in the future"],
    )
    assert decisions(cli) == 2
    assert "line 2 is not a content decision" in cli.fails("content", "import", write_text(tmp_path, "\nnope\n"))
    assert "content decision #1 (line 1): item: must be an object" in cli.fails(
        "content", "import", write_text(tmp_path, "{}\n")
    )
    err = cli.fails("content", "import", write(tmp_path / "c.jsonl", [line("4", kind="other")]))
    assert "content decision #1 (line 1)" in err and "kind_other" in err
    err = cli.fails("content", "import", write(tmp_path / "d.jsonl", [line("20000000000000000" + "00", "intruder")]))
    assert "first recorded with author 'author-a'" in err
    assert "no file" in cli.fails("content", "import", str(tmp_path / "missing.jsonl"))
    assert decisions(cli) == 2


def test_informed_at_start(cli: Cli, tmp_path: Path) -> None:
    plain = {k: v for k, v in line("5").items() if k != "informed_at"}
    assert "informed_at: required" in cli.fails("content", "import", write(tmp_path / "p.jsonl", [plain]))
    cli.ok("content", "import", write(tmp_path / "p.jsonl", [plain]), "--informed-at-start")
    (decision,) = cli.json("content", "list", "--platform", "facebook")["items"]
    assert decision["imported"] == {"informed_at": "2022-05-01T10:00:00Z", "statement": None}


def write_text(tmp_path: Path, text: str) -> str:
    path = tmp_path / "raw.jsonl"
    path.write_text(text, encoding="utf-8")
    return str(path)
